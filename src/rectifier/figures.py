"""The report's figures, as PNG bytes: test error over seeds, exact sparsity per layer,
validation curves, and the reconstruction cost of pre-training. matplotlib is imported inside
the functions, on the Agg backend, so importing the package never opens a display or pays for
matplotlib.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from rectifier import paper, selection
from rectifier.names import family
from rectifier.rounding import fixed

COLOURS = {"rectifier": "tab:blue", "tanh": "tab:orange", "softplus": "tab:green",
           "sigmoid": "tab:purple"}
PAPER = "black"                 # the paper's figures: no activation's colour
LINESTYLES = {"none": "-", "dae": "--"}


def _plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _colour(activation: str) -> str:
    return COLOURS.get(activation, COLOURS.get(family(activation), "tab:gray"))


def _label(activation: str, pretraining: str) -> str:
    return activation if pretraining == "none" else f"{activation} + {pretraining}"


def _panels(plt, n: int, height: float = 4.6):
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.4 * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _legend(ax, below: float = 0.14) -> None:
    """The legend under the axes, clear of the data, in columns."""
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -below), ncol=3,
                  frameon=False)


def _png(plt, fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _by_dataset(runs: pd.DataFrame):
    order = selection.configurations(runs)
    datasets = list(dict.fromkeys(k[0] for k in order))
    return [(d, [k for k in order if k[0] == d]) for d in datasets]


def test_error(runs: pd.DataFrame) -> bytes:
    """Each seed's test error as a dot, mean ± sd as a bar, the paper's figure as a black diamond
    (hollow when provisional)."""
    plt = _plt()
    groups = _by_dataset(runs)
    fig, axes = _panels(plt, len(groups))
    for ax, (dataset, keys) in zip(axes, groups):
        marked = set()
        for x, key in enumerate(keys):
            g = runs[(runs[selection.KEY] == pd.Series(key, index=selection.KEY)).all(axis=1)]
            errors = g["test_error_pct"].to_numpy(float)
            jitter = np.linspace(-0.12, 0.12, len(errors)) if len(errors) > 1 else [0.0]
            ax.scatter(x + np.asarray(jitter), errors, s=14, color=_colour(key[1]), alpha=0.7)
            sd = errors.std(ddof=1) if len(errors) > 1 else 0.0
            ax.errorbar(x + 0.3, errors.mean(), yerr=sd, fmt="_", color="black", capsize=4,
                        label="ours: mean ± sd" if "ours" not in marked else None)
            marked.add("ours")
            fig_ = paper.test_error(*key)
            if fig_ is not None:
                label = "paper (hollow: provisional)" if "paper" not in marked else None
                ax.scatter(x + 0.3, fig_.value, marker="D", s=40, color=PAPER, label=label,
                           facecolors="none" if fig_.provisional else PAPER, zorder=3)
                marked.add("paper")
        ax.set_xticks(range(len(keys)), [_label(k[1], k[2]) for k in keys], rotation=30,
                      ha="right")
        ax.set_xlim(-0.5, len(keys) - 0.2)
        ax.set_title(dataset if paper.in_paper(dataset) else f"{dataset} (no published figure)")
        ax.set_ylabel("test error (%)")
        ax.grid(axis="y", alpha=0.3)
        _legend(ax, below=0.32)             # under the rotated labels
    return _png(plt, fig)


def sparsity(runs: pd.DataFrame) -> bytes:
    """Exact sparsity per hidden layer (mean ± sd over seeds), one bar per configuration; the
    paper's average for rectifier networks as a dashed line."""
    plt = _plt()
    groups = _by_dataset(runs)
    fig, axes = _panels(plt, len(groups))
    for ax, (dataset, keys) in zip(axes, groups):
        width = 0.8 / len(keys)
        for j, key in enumerate(keys):
            g = runs[(runs[selection.KEY] == pd.Series(key, index=selection.KEY)).all(axis=1)]
            layers = g.filter(regex=r"^sparsity_pct_l\d+$").dropna(axis=1, how="all")
            means = layers.mean().to_numpy(float)
            sds = layers.std(ddof=1).fillna(0).to_numpy(float) if len(g) > 1 else 0 * means
            xs = np.arange(1, len(means) + 1) - 0.4 + width * (j + 0.5)
            ax.bar(xs, means, width, yerr=sds, capsize=2, color=_colour(key[1]),
                   hatch="//" if key[2] != "none" else None, label=_label(key[1], key[2]))
        published = paper.average_sparsity(dataset)
        if published is not None:
            ax.axhline(published, ls="--", color="black", lw=1,
                       label=f"paper: rectifier average {published}%")
        n = int(runs.loc[runs["dataset"] == dataset, "n_layers"].max())
        ax.set_xticks(range(1, n + 1), [f"layer {i}" for i in range(1, n + 1)])
        ax.set_ylim(0, 105)
        ax.set_yticks(range(0, 101, 20))
        ax.set_ylabel("exact sparsity (% zeros)")
        ax.set_title(dataset)
        _legend(ax)
    return _png(plt, fig)


def curves(runs: pd.DataFrame, histories: dict[str, pd.DataFrame]) -> bytes:
    """Validation error against epoch, one thin line per seed, coloured by activation."""
    plt = _plt()
    groups = _by_dataset(runs)
    fig, axes = _panels(plt, len(groups))
    for ax, (dataset, keys) in zip(axes, groups):
        for key in keys:
            g = runs[(runs[selection.KEY] == pd.Series(key, index=selection.KEY)).all(axis=1)]
            label = _label(key[1], key[2])
            for job in g["job_id"]:
                if job not in histories:
                    continue
                h = histories[job]
                ax.plot(h["epoch"], h["valid_error_pct"], lw=1, alpha=0.8, label=label,
                        color=_colour(key[1]), ls=LINESTYLES.get(key[2], ":"))
                label = None
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation error (%)")
        ax.set_title(dataset)
        ax.grid(alpha=0.3)
        _legend(ax)
    return _png(plt, fig)


def reconstruction(pre: pd.DataFrame, histories: dict[str, pd.DataFrame]) -> bytes:
    """Reconstruction cost against epoch, one panel per (data set, hidden layer), one line per
    activation: the mean over the seeds of its pre-training jobs."""
    plt = _plt()
    panels = [(d, layer) for d in dict.fromkeys(pre["dataset"])
              for layer in range(1, int(pre.loc[pre["dataset"] == d, "n_layers"].max()) + 1)]
    fig, axes = _panels(plt, len(panels))
    for ax, (dataset, layer) in zip(axes, panels):
        order = [k[1] for k in selection.configurations(pre) if k[0] == dataset]
        for activation in dict.fromkeys(order):
            g = pre[(pre["dataset"] == dataset) & (pre["activation"] == activation)]
            curves = [histories[j] for j in g["job_id"] if j in histories]
            if not curves:
                continue
            h = pd.concat(curves)
            mean = h[h["layer"] == layer].groupby("epoch")["recon_loss"].mean()
            ax.plot(mean.index, mean.to_numpy(), lw=1.2, color=_colour(activation),
                    label=f"{activation} (n={len(curves)})")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("epoch")
        ax.set_ylabel("reconstruction cost")
        ax.set_title(f"{dataset}: layer {layer}")
        ax.grid(alpha=0.3)
        _legend(ax)
    return _png(plt, fig)


test_error.__test__ = False  # a figure, not a test, for pytest's collector


def _dataset_panels(table: pd.DataFrame, xlabel: str, draw) -> bytes:
    """One panel per data set of `table`: draw(fig, ax, its rows), then its title, axes and
    legend."""
    plt = _plt()
    datasets = list(dict.fromkeys(table["dataset"]))
    fig, axes = _panels(plt, len(datasets))
    for ax, dataset in zip(axes, datasets):
        draw(fig, ax, table[table["dataset"] == dataset])
        ax.set_title(dataset)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("test error (%)")
        _legend(ax)
    return _png(plt, fig)


def off_scale(errors: pd.Series) -> tuple[pd.Series, float]:
    """Which errors lie beyond 5 times the median (a network the L1 penalty killed), and the
    top edge they are drawn at: 1.3 times the others' largest (infinite when none is)."""
    off = errors > 5 * float(errors.median())
    return off, 1.3 * float(errors[~off].max()) if off.any() else np.inf


def sparsity_sweep(networks: pd.DataFrame) -> bytes:
    """Figure 3: test error against exact sparsity, one dot per network, coloured by its L1
    penalty (log scale; 0 in grey), the paper's 85% as a dashed line. A network whose error is
    beyond 5 times the median (one the penalty killed: near chance) is drawn as a triangle at
    the top edge, 1.3 times the others' largest error, with its error written beside it, so
    it does not flatten the others."""
    from matplotlib.colors import LogNorm
    positive = networks.loc[networks["l1"] > 0, "l1"]
    norm = LogNorm(positive.min(), positive.max()) if len(positive) else None

    def draw(fig, ax, g):
        off, top = off_scale(g["test_error_pct"])
        shown = g.assign(test_error_pct=g["test_error_pct"].clip(upper=top))
        for marked, marker in ((~off, "o"), (off, "^")):
            zero, rest = shown[marked & (g["l1"] == 0)], shown[marked & (g["l1"] > 0)]
            ax.scatter(zero["sparsity_pct_mean"], zero["test_error_pct"], c="tab:gray", s=22,
                       marker=marker, label="L1 0" if marker == "o" else None)
            if len(rest):
                dots = ax.scatter(rest["sparsity_pct_mean"], rest["test_error_pct"],
                                  c=rest["l1"], cmap="viridis", norm=norm, s=22, marker=marker)
        for x, error in zip(g.loc[off, "sparsity_pct_mean"], g.loc[off, "test_error_pct"]):
            ax.annotate(f"{fixed(error, 1)}%", (x, top), textcoords="offset points", xytext=(-4, -12),
                        ha="right", fontsize=8)
        if (g["l1"] > 0).any():
            fig.colorbar(dots, ax=ax, label="L1 penalty")
        ax.set_ylim(0, top * 1.05 if off.any() else None)   # errors from 0: a rise at its scale
        ax.axvline(paper.SPARSITY_KNEE_PCT, color=PAPER, linestyle="--", linewidth=1,
                   label=f"paper: no rise until ~{fixed(paper.SPARSITY_KNEE_PCT, 0)}%")
    return _dataset_panels(networks, "exact sparsity of the hidden activations (%)", draw)


def label_curves(curves: pd.DataFrame) -> bytes:
    """Figure 4: test error against the fraction of labels (log scale), one line per
    activation and pre-training, mean ± sd over seeds as a band."""
    ticks = sorted(set(curves["label_fraction"] * 100))

    def draw(fig, ax, rows):
        for (activation, pretraining), g in rows.groupby(["activation", "pretraining"],
                                                         sort=False):
            g = g.sort_values("label_fraction")
            x, y, sd = (g["label_fraction"] * 100, g["test_error_mean"],
                        g["test_error_sd"].fillna(0))
            ax.plot(x, y, marker="o", color=_colour(activation),
                    linestyle=LINESTYLES.get(pretraining, ":"),
                    label=_label(activation, pretraining))
            ax.fill_between(x, y - sd, y + sd, color=_colour(activation), alpha=0.12)
        ax.set_xscale("log")
        ax.set_xticks(ticks, [f"{t:g}%" for t in ticks])
        ax.minorticks_off()
    return _dataset_panels(curves, "labelled training examples (% of the training set, log "
                           "scale)", draw)


def smoothness(table: pd.DataFrame) -> bytes:
    """Test error against the sharpness a of the scaled softplus (log scale), the rectifier
    (a -> infinity) at the right end; the paper's four NORB figures in black, on their own
    axis."""
    finite = [a for a in [*table["a"], *paper.SMOOTHNESS_ERRORS] if np.isfinite(a)]
    right = 2 * max(finite)                 # where a = infinity is drawn
    at_x = lambda a: right if np.isinf(a) else a
    ticks = sorted({*finite, right})

    def draw(fig, ax, g):
        ax.errorbar([at_x(a) for a in g["a"]], g["test_error_mean"],
                    yerr=g["test_error_sd"].fillna(0), marker="o", color=_colour("softplus"),
                    capsize=3, label="ours")
        # NORB's errors are 8 times MNIST's: on their own axis, spanning as many points as
        # ours, so a slope means the same number of points on both
        published, style = paper.SMOOTHNESS_ERRORS, dict(marker="D", color=PAPER, linestyle="--")
        norb = ax.twinx()
        norb.plot([at_x(a) for a in published], list(published.values()), **style)
        norb.set_ylabel("paper's NORB test error (%)")
        ours = (g["test_error_mean"] - g["test_error_sd"].fillna(0)).min(), \
            (g["test_error_mean"] + g["test_error_sd"].fillna(0)).max()
        theirs = min(published.values()), max(published.values())
        span = 1.1 * max(ours[1] - ours[0], theirs[1] - theirs[0])
        for axis, (low, high) in ((ax, ours), (norb, theirs)):
            middle = (low + high) / 2
            axis.set_ylim(middle - span / 2, middle + span / 2)
        ax.plot([], [], label="paper (NORB, right axis)", **style)     # its legend entry
        ax.set_xscale("log")
        ax.set_xticks(ticks, [("rectifier" if t == right else f"{t:g}") for t in ticks])
        ax.minorticks_off()
    return _dataset_panels(table, "sharpness a of (1/a) softplus(a x)", draw)
