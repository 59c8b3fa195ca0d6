"""The report: Markdown and one self-contained HTML page built from fake result folders."""
from __future__ import annotations

import base64
import json
import math
import re
import shutil

import pandas as pd
import pytest
from helpers import ROOT, rectifier
from test_tables import write_pretrain, write_run  # tests/ is on sys.path (rootdir import)

from rectifier import paper, report, tables
from rectifier.runs import collect, load_histories

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    root = tmp / "results"
    for seed, err in ((1, 1.0), (2, 1.2), (3, 1.4)):
        write_run(root, seed=seed, test_error=err)
        write_run(root, activation="tanh", seed=seed, test_error=err + 0.5, sparsity=(0, 0, 0),
                  dead=(0, 0, 0))
    # resumed by older code: wall_time_s covers its last process, its 4 epochs took 20 s
    write_run(root, activation="softplus", seed=1, test_error=1.9, sparsity=(0, 0, 0),
              wall_time_s=2.0, epoch_seconds=5.0)
    write_run(root, activation="sigmoid", seed=1, test_error=2.0, sparsity=(0, 0, 0),
              stopped="max_epochs", git_commit="abc123-dirty", max_epochs=4, patience=2)
    for seed in (1, 2):
        write_run(root, dataset="digits", seed=seed, test_error=4.0 + seed, sparsity=(50, 60),
                  dead=(1, 2), hidden=[100, 100], n_train=1077, n_valid=360, n_test=360,
                  wall_time_s=3.5, git_commit=None)
    runs = collect(root)
    out = tmp / "reports"
    paths = report.render(runs, load_histories(runs), None, out,
                          deviations=["Learning rate fixed at 0.01 (deviation passed in)."],
                          context="Test run.")
    return paths, out


def test_files_written(rendered):
    paths, out = rendered
    assert paths["markdown"] == out / "report.md" and paths["html"] == out / "report.html"
    assert {p.name for p in paths["figures"]} == {"test_error.png", "sparsity.png", "curves.png"}
    for png in paths["figures"]:
        assert png.read_bytes().startswith(PNG)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_html_is_self_contained(rendered):
    page = rendered[0]["html"].read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3
    assert all(base64.b64decode(i).startswith(PNG) for i in images)
    assert not re.search(r"https?://", page)
    assert not re.search(r'(src|href)="(?!data:|#)', page)     # nothing fetched from outside
    ids = set(re.findall(r' id="([^"]+)"', page))
    links = re.findall(r'href="#([^"]+)"', page)
    assert links and set(links) <= ids                           # every link lands on a heading
    assert "<style>" in page


def test_markdown_content(rendered):
    md = rendered[0]["markdown"].read_text()
    assert "](figures/test_error.png)" in md and "](figures/curves.png)" in md
    assert "Claim under test" in md and "truly sparse codes" in md
    # Table 1 row: ours 1.20 ± 0.20 over 3 seeds, paper 1.43, difference -0.23 with its 90%
    # interval, too wide for the default margin to decide
    row = next(line for line in md.splitlines() if "| mnist" in line and "rectifier" in line)
    assert "1.20 ± 0.20" in row and "1.43" in row and "-0.23 [-0.72, +0.26]" in row
    assert "| inconclusive" in row
    assert "margin fixed in params.yaml (here 0.5 points)" in md
    single = next(line for line in md.splitlines() if "| mnist" in line and "softplus" in line)
    assert "inconclusive (1 seed; a verdict needs 3)" in single and "±" not in single.split("|")[5]
    assert "1.77" in single and "+0.13" in single
    sigmoid = next(line for line in md.splitlines() if "| mnist" in line and "sigmoid" in line)
    assert tables.VERDICT_NO_FIGURE in sigmoid
    assert "digits: no published figure" in md
    assert "83.4" in md                                        # paper's sparsity beside ours
    assert "nan" not in md.lower().replace("nanosec", "")


def test_report_states_protocol_compute_and_deviations(rendered):
    md = rendered[0]["markdown"].read_text()
    assert "Learning rate fixed at 0.01 (deviation passed in)." in md
    assert "Data set digits is not one of the paper's" in md
    assert "Sigmoid networks are our extension" in md
    assert "3 of 5 configurations have fewer than 3 seeds" in md
    assert "nistp (not public)" in md
    assert "No network was pre-trained" in md
    assert "2 run(s) recorded no git commit." in md
    assert "2 different git commits" in md and "1 run(s) came from a checkout with" in md
    assert re.search(r"\| max epochs +\| not recorded \(9\), 4 \(1\)", md)
    assert "50,000 / 10,000 / 10,000" in md and "1,077 / 360 / 360" in md
    assert "1000-1000-1000" in md and "100-100" in md
    assert "cpu: test cpu" in md and "2.13.0" in md and "abc123" in md
    assert "97.0 s" in md       # 7 runs x 10 s + 20 s (the resumed one's epochs) + 2 x 3.5 s
    assert "0.03 core-hours" in md
    assert "9 run(s) stopped early, 1 run(s) ran to max epochs" in md
    assert "10 training runs: 5 configurations" in md
    # one learning rate: said in its section, and still a deviation
    assert "Only one learning rate was run (0.01), so none was chosen" in md and "only rate" in md
    assert "One learning rate (0.01) for every configuration, not picked" in md
    assert "there is no effect of pre-training to measure" in md
    assert "## Pre-training" not in md and "Pre-training hyper-parameters" not in md
    html = rendered[0]["html"].read_text()
    assert "Learning rate fixed at 0.01 (deviation passed in)." in html


def test_render_from_tables_folder(tmp_path):
    root = tmp_path / "results"
    write_run(root, seed=1, test_error=1.5)
    write_run(root, dataset="cifar10", pretraining="dae", seed=1, test_error=50.0)
    runs = collect(root)
    tables.write(tables.build(runs), tmp_path / "tables")
    paths = report.render(runs, load_histories(runs), tmp_path / "tables",
                          tmp_path / "out")
    md = paths["markdown"].read_text()
    assert "1.50" in md and "inconclusive (1 seed" in md and "+0.07" in md
    assert "49.96 (?)" in md and "+0.04" in md          # provisional paper cell flagged
    assert "1 of the paper's figures compared here are provisional" in md
    assert "No network was pre-trained" not in md          # the cifar10 run is fine-tuned
    assert "no pre-training job's files were given" in md


# (pretraining, lr) -> per seed (valid error, test error): dae picks 0.1, none picks 0.01.
SELECTED = {"dae": (0.1, ((1.0, 1.0), (1.2, 1.2))), "none": (0.01, ((1.0, 1.4), (1.2, 1.6)))}


@pytest.fixture(scope="module")
def rendered_dae(tmp_path_factory):
    """mnist rectifier with and without pre-training, the paper's four learning rates x two
    seeds each, and two pre-training jobs, rendered through the CLI's entry point."""
    tmp = tmp_path_factory.mktemp("report_dae")
    for pretraining, (chosen, seeds) in SELECTED.items():
        for lr in paper.LEARNING_RATES:
            for seed, (valid, test) in enumerate(seeds, 1):
                if lr != chosen:
                    valid, test = valid + 3.0, 9.0
                write_run(tmp / "results", pretraining=pretraining, lr=lr, seed=seed,
                          test_error=test, valid_error_pct=valid,
                          init="dae" if pretraining == "dae" else "glorot_uniform")
    pre = [write_pretrain(tmp / "pretrained", seed=seed, recon=(60.0 + seed, 30.0, 20.0),
                          dead_units=dead)
           for seed, dead in ((1, [300, 10, 2]), (2, [340, 20, 4]))]
    paths = report.render_from_metrics(None, sorted(tmp.glob("results/**/metrics.json")),
                                       tmp / "reports", pretrain_metrics=pre)
    return paths, paths["markdown"].read_text()


def test_report_with_pretraining_and_learning_rates(rendered_dae):
    paths, md = rendered_dae
    assert "16 training runs: 2 configurations (data set, activation, pre-training) × " \
           "learning rates 0.1, 0.01, 0.001, 0.0001 × seeds 1, 2." in md
    assert "2 pre-training jobs" in md
    # Table 1 from the selected runs, dae before none, beside the paper's 1.20 and 1.43
    dae = next(line for line in md.splitlines() if "| mnist" in line and "| 1.20 " in line)
    none = next(line for line in md.splitlines() if "| mnist" in line and "| 1.43 " in line)
    assert md.index(dae) < md.index(none)
    assert "| dae " in dae and "1.10 ± 0.14" in dae and "-0.10" in dae
    assert "| none " in none and "1.50 ± 0.14" in none and "+0.07" in none
    # the effect of pre-training: -0.40 ± 0.14 (sqrt(0.02/2 + 0.02/2)), the paper's -0.23
    effect = next(line for line in md.splitlines() if "| 2 / 2 " in line)
    assert "-0.40 ± 0.14" in effect and "-0.23" in effect
    # learning rates: the rule, the paper's set (no deviation), each configuration's choice
    assert ("the learning rate with the lowest mean validation error over the seeds that ran "
            "every rate is selected, as the paper does") in md
    assert "(seeds that ran every rate)" not in md       # every seed ran every rate
    assert "Every configuration here ran one learning rate" not in md
    assert "The rates tried are the paper's: 0.1, 0.01, 0.001, 0.0001." in md
    assert "Learning rates tried per configuration" not in md
    assert "One learning rate" not in md and "Only one learning rate" not in md
    chosen = [line for line in md.splitlines()
              if line.startswith("| mnist") and line.rstrip(" |").endswith("yes")]
    assert len(chosen) == 2 and "| 0.1 " in chosen[0] and "| 0.01 " in chosen[1]
    assert "| 0.0001 " in md                                   # %g, not 0.00
    assert "picked from 0.1, 0.01, 0.001, 0.0001 on validation error; selected: 0.1 (1), " \
           "0.01 (1)" in md
    assert "initialisation" in md and "dae (8), glorot_uniform (8)" in md


def test_report_pretraining_section(rendered_dae):
    paths, md = rendered_dae
    assert "## Pre-training" in md and "](figures/reconstruction.png)" in md
    assert "recipe image, masking noise 0.25 (paper: 0.25), 3 epochs per layer, " \
           "learning rate 0.01 (constant)" in md
    row = next(line for line in md.splitlines() if "| mnist" in line and "61.500 ± 0.707" in line)
    assert "30.000 ± 0.000" in row and "| 70.0 " in row and "100.0 s" in row
    assert "| 320 / 15 / 3 " in row                 # dead units per layer, mean over 2 stacks
    assert "No network was pre-trained" not in md
    assert ("Pre-training hyper-parameters (noise, epochs per layer, learning rate), from the "
            "pre-training jobs: masking noise 0.25 (paper: 0.25); 3 epochs per layer (not stated "
            "in the paper); learning rate fixed at 0.01, not picked on reconstruction error from "
            "0.1, 0.01, 0.001, 0.0001 as the paper does.") in md
    assert "pre-training: jobs, summed job time | 2, 200 s (0.06 h)" in " ".join(md.split())
    png = paths["markdown"].parent / "figures" / "reconstruction.png"
    assert png in paths["figures"] and png.read_bytes().startswith(PNG)
    page = paths["html"].read_text()
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 4
    assert "nan" not in md.lower()


def test_report_rates_other_than_the_papers_and_a_tie(tmp_path):
    root = tmp_path / "results"
    for lr, valids in ((0.1, (1.1, 1.3)), (0.05, (1.2, 1.2))):   # equal means: 0.1 taken
        for seed, valid in enumerate(valids, 1):
            write_run(root, lr=lr, seed=seed, valid_error_pct=valid)
    md = report.render_from_metrics(None, sorted(root.glob("**/metrics.json")),
                                    tmp_path / "out")["markdown"].read_text()
    assert "The rates tried differ from the paper's (0.1, 0.01, 0.001, 0.0001): 0.1, 0.05" in md
    assert "Ties: mnist/rectifier/none (0.1, 0.05 tied; 0.1 taken)." in md
    assert "yes (tie)" in md and "no (tie)" in md
    assert "Learning rates tried per configuration: 0.1, 0.05, where the paper picks" in md


def test_a_report_on_other_data_sets_has_no_rows_of_the_papers(tmp_path):
    """NISTP's not-available rows belong to reports on the paper's data sets, not to a report
    on, say, digits alone."""
    for dataset, folder in (("digits", "ours"), ("mnist", "paper")):
        root = tmp_path / folder / "results"
        for seed in (1, 2, 3):
            write_run(root, dataset=dataset, seed=seed, test_error=2.0 + seed / 10)
        runs = collect(root)
        md = report.render(runs, load_histories(runs), None, tmp_path / folder / "out")[
            "markdown"].read_text()
        assert ("| nistp" in md) == (dataset == "mnist"), dataset     # a Table 1 row


# Each published run, and each ablation published under one (<run>/ablations/<name>).
PUBLISHED_RUNS = sorted(p.parent.relative_to(ROOT / "reports/published").as_posix()
                        for p in (ROOT / "reports/published").glob("**/runs"))


@pytest.fixture(scope="module")
def rendered_again(tmp_path_factory):
    """A copy of every published run's committed inputs (params.yaml, runs/, reused.json),
    each rendered once by `python -m rectifier publish --render-only`, which renders an
    ablation's run too: its outputs, by name, and what each call said."""
    tmp = tmp_path_factory.mktemp("published")
    for params in (ROOT / "reports/published").glob("**/params.yaml"):
        folder = params.parent
        if not (folder / "runs").exists() and not (folder / "ablations").exists():
            continue                                      # an older report with no runs
        into = tmp / folder.relative_to(ROOT / "reports/published")
        if (folder / "runs").exists():                    # an ablation not yet begun has none
            shutil.copytree(folder / "runs", into / "runs")
        into.mkdir(parents=True, exist_ok=True)
        shutil.copy(params, into / "params.yaml")
        if (folder / "reused.json").exists():             # jobs that are another run's
            shutil.copy(folder / "reused.json", into / "reused.json")
    said = {}
    # ablations first: each renders its run again, which then renders once more, last
    for name in sorted(PUBLISHED_RUNS, key=lambda n: ("/ablations/" not in n, n)):
        done = rectifier("publish", tmp / name, "--render-only", cwd=tmp)
        said[name] = done.stdout + done.stderr
    return tmp, said


@pytest.mark.slow
@pytest.mark.parametrize("name", PUBLISHED_RUNS)
def test_a_published_report_renders_again_from_its_committed_runs(rendered_again, name):
    """reports/published/<name>/runs holds the small files of its jobs: `python -m rectifier
    publish --render-only` on a copy makes the committed tables, summary and report byte for
    byte (the report names no path of the machine that rendered it), its ablations' jobs
    included."""
    assert {"digits", "mnist-protocol"} <= set(PUBLISHED_RUNS)
    published = ROOT / "reports" / "published" / name
    copy = rendered_again[0] / name
    # what a render writes; none of it while only stacks have finished (then it says so)
    made = lambda folder: sorted(p.relative_to(folder) for p in [
        *folder.glob("tables/*"), folder / "metrics.json", folder / "report.md"] if p.exists())
    rendered = made(copy)
    assert rendered == made(published)
    assert bool(rendered) != ("no finished training job yet" in rendered_again[1][name])
    for name in rendered:
        assert (copy / name).read_bytes() == (published / name).read_bytes(), name


def test_publishing_copies_finished_jobs_small_files_only(tmp_path):
    from rectifier.publish import publish
    run = tmp_path / "run" / "results" / "digits" / "tanh" / "none" / "lr0.1"
    finished = json.dumps({"test_error": 2.0, "tracking": {"status": "ok"}})
    for seed, files in ((1, ("metrics.json", "history.csv", "checkpoint.pt", "resume.pt")),
                        (2, ("resume.pt",)),                     # seed 2 still training
                        (3, ("metrics.json", "history.csv"))):   # seed 3 between its 2 writes
        (run / f"seed{seed}").mkdir(parents=True)
        for name in files:
            (run / f"seed{seed}" / name).write_text(
                finished if (seed, name) == (1, "metrics.json") else name)
    (run.parent / "rate.json").write_text("{}")
    copied, kept = publish(tmp_path / "run", tmp_path / "runs")
    assert sorted(p.relative_to(tmp_path / "runs").as_posix() for p in copied) == [
        "results/digits/tanh/none/lr0.1/seed1/history.csv",
        "results/digits/tanh/none/lr0.1/seed1/metrics.json", "results/digits/tanh/none/rate.json"]
    assert kept == [] and publish(tmp_path / "run", tmp_path / "runs") == ([], [])  # nothing new
    # The job made again (another machine, another wall time): its first record stays.
    (run / "seed1" / "metrics.json").write_text(finished.replace("2.0", "2.1"))
    published = tmp_path / "runs/results/digits/tanh/none/lr0.1/seed1/metrics.json"
    assert publish(tmp_path / "run", tmp_path / "runs") == ([], [published])
    assert published.read_text() == finished
    # Seed 3 finishes: its full record is copied, and replaces a first write published early.
    early = tmp_path / "runs/results/digits/tanh/none/lr0.1/seed3/metrics.json"
    early.parent.mkdir()
    early.write_text("{}")
    (run / "seed3" / "metrics.json").write_text(finished)
    assert sorted(p.name for p in publish(tmp_path / "run", tmp_path / "runs")[0]) == [
        "history.csv", "metrics.json"]
    assert early.read_text() == finished


def test_what_is_left_of_a_published_run(tmp_path):
    """selection.seeds first, rates 0.1 and 0.01: while seed 1's candidates are not all
    published, seeds 2-3 wait; once they are, the choice is made as the checkpoint makes it,
    copied into the run's folder, and only the chosen rate's other seeds are left."""
    from helpers import tiny_raw

    from rectifier.config import Params
    from rectifier.publish import pending
    params = Params.from_dict(tiny_raw(activations=["tanh"], seeds=[1, 2, 3],
                                       train__lr=[0.1, 0.01], selection__seeds="first"))
    runs, root = tmp_path / "runs", tmp_path / "run"
    write_run(runs / "results", dataset="digits", activation="tanh", seed=1, lr=0.1,
              test_error=2.0)
    left = "results/digits/tanh/none/lr{}/seed{}/metrics.json"
    assert pending(params, runs, root) == [left.format(0.01, 1)]
    write_run(runs / "results", dataset="digits", activation="tanh", seed=1, lr=0.01,
              test_error=1.0)
    assert pending(params, runs, root) == [left.format(0.01, 2), left.format(0.01, 3)]
    choice = "results/digits/tanh/none/rate.json"
    assert json.loads((root / choice).read_text())["lr"] == 0.01
    assert (root / choice).read_bytes() == (runs / choice).read_bytes()
    # What the run plans: 2 candidates on seed 1, then the choice on seeds 2 and 3; with
    # pre-training at 2 candidate rates, as many stacks and twice the training jobs.
    assert params.planned() == (4, 0)
    assert Params.from_dict(tiny_raw(
        activations=["tanh"], seeds=[1, 2, 3], train__lr=[0.1, 0.01], selection__seeds="first",
        pretraining=["dae", "none"], pretrain__lr=[0.1, 0.01])).planned() == (8, 4)


def test_an_experiment_s_run_is_published_from_its_outputs_folder(tmp_path):
    """An experiment's config puts its jobs under `outputs`: publish copies them from there,
    and what is left comes out as the targets Snakemake makes there."""
    import yaml
    from helpers import tiny_raw
    folder, root = tmp_path / "published", tmp_path / "project"
    folder.mkdir()
    (folder / "params.yaml").write_text(yaml.safe_dump(tiny_raw(
        outputs="experiments/smoothness", activations=["softplus", "rectifier"], train__lr=0.1)))
    write_run(root / "experiments/smoothness/results", dataset="digits", activation="softplus",
              lr=0.1, hidden=[32, 32], sparsity=(0, 0), dead=(0, 0))
    said = rectifier("publish", folder, "--root", root, cwd=tmp_path).stdout
    assert said.startswith("2 file(s) new or changed")
    assert (folder / "runs/results/digits/softplus/none/lr0.1/seed1/metrics.json").exists()
    md = (folder / "report.md").read_text()
    assert "- In progress: 1 of 2 training jobs that its params.yaml plans have finished" in md
    # the planned cell with no finished job is in Table 1, marked, not left out
    assert re.search(r"\| digits +\| rectifier +\| none +\| +0 \| not run yet .*\| not run yet +\|", md)
    left = rectifier("publish", folder, "--root", root, "--pending", cwd=tmp_path).stdout
    assert left.split() == ["experiments/smoothness/results/digits/rectifier/none/lr0.1/seed1/"
                            "metrics.json"]


def test_the_headline_judges_the_papers_cells_and_claims_first(rendered):
    """Before any other section: a tally of Table 1's verdicts per paper data set, the paper's
    comparisons and the sparsity figure, ours beside the paper's, each linking to its section."""
    md = rendered[0]["markdown"].read_text()
    headline = md[md.index("## Headline"):md.index("## Runs")]
    assert "[mnist: Table 1 cells](#table-1-test-error-)" in headline
    assert "[mnist, none: rectifier − tanh, its size](#the-papers-comparisons-of-activations)" in headline
    # the rectifier (1.0, 1.2, 1.4) and tanh (1.5, 1.7, 1.9) pool an sd of 0.2 over 4 dof, too
    # wide for the default margin 0.5 either way; softplus has 1 seed
    assert "| 3 cells | | 3 inconclusive |" in re.sub(r" +", " ", headline)
    # the paper's MNIST findings lead: 1 from the two comparisons (softplus has 1 seed), 3 the
    # sparsity figure (no pre-trained runs: no finding 2)
    assert re.search(r"\| \[mnist, finding 1: without pre-training the rectifier beats tanh and "
                     r"softplus\]\(#the-papers-comparisons-of-activations\) +\| [^|]+\| [^|]+\|"
                     r" inconclusive \(1 seed; a verdict needs 3\)", headline)
    assert re.search(r"\| \[mnist, finding 3: 83\.4% of the rectifier's hidden activations are "
                     r"exact zeros\]\(#exact-sparsity\)\s+\|\s+85\.0 ± 0\.0%\s+\|\s+83\.4%\s+\|\s+"
                     r"inconclusive \(no spread between seeds measured\)", headline)
    assert "finding 2" not in headline and "exact sparsity %" not in headline
    assert "Every configuration here ran one learning rate, 0.01, not the rate" in headline
    assert "**Contents:** [Headline](#headline) · [Runs](#runs)" in md
    # finding 1 reads the sign of our own difference's interval, shown beside the verdict's
    row = re.search(r"\| rectifier − tanh +\| 3 / 3 +\| ([+-]\d\.\d\d) ± \d\.\d\d +\| "
                    r"\[([+-]\d\.\d\d), ([+-]\d\.\d\d)\]", md)
    ours, low, high = map(float, row.groups())
    assert low < ours < high and (low + high) / 2 == pytest.approx(ours, abs=0.01)


def test_the_seeds_first_deviation_costs_the_skipped_jobs_at_their_candidates_time(tmp_path):
    """Seed 1 ran rates 0.1 (chosen) and 0.01; seeds 2 and 3 ran 0.1 only: the 2 skipped jobs
    are costed at the time of the candidate not chosen (300 s on 2 threads each)."""
    from rectifier.deviations import _chosen_on_first_seed
    root = tmp_path / "results"
    write_run(root, activation="tanh", seed=1, lr=0.1, test_error=1.5, wall_time_s=100.0)
    write_run(root, activation="tanh", seed=1, lr=0.01, test_error=2.5, wall_time_s=300.0,
              threads=2)
    for seed in (2, 3):
        write_run(root, activation="tanh", seed=seed, lr=0.1, test_error=1.5, wall_time_s=100.0)
    said = _chosen_on_first_seed([collect(root)])
    assert "4 fine-tuning jobs instead of 6, saving about 0.33 core-hours" in said


def test_a_choice_made_on_seed_1_shows_what_it_compared(tmp_path):
    """selection.seeds first: seed 1 validates 1.60 at rate 0.1 and 1.70 at 0.01, so 0.1 is
    chosen, though its mean over the three seeds that ran it (1.80) is worse than 0.01's: the
    table shows the values compared beside the means, and the text says the choice is seed 1's."""
    root = tmp_path / "results"
    write_run(root, activation="tanh", seed=1, lr=0.1, test_error=1.5)
    write_run(root, activation="tanh", seed=1, lr=0.01, test_error=1.6)
    for seed in (2, 3):
        write_run(root, activation="tanh", seed=seed, lr=0.1, test_error=1.8)
    runs = collect(root)
    md = report.render(runs, load_histories(runs), None, tmp_path / "out")["markdown"].read_text()
    assert ("here not every seed ran every rate (with selection.seeds: first only the first "
            "seed does" in md)
    rows = {line.split("|")[4].strip(): line for line in md.splitlines()
            if line.startswith("| mnist") and "| tanh" in line and "(seed" in line}
    assert set(rows) == {"0.1", "0.01"}
    assert "| 1.80 ± 0.17 " in rows["0.1"] and "| 1.60 (seed 1) " in rows["0.1"]
    assert rows["0.1"].rstrip(" |").endswith("yes")
    assert "| 1.70 (seed 1) " in rows["0.01"] and rows["0.01"].rstrip(" |").endswith("no")
    # the test error on the same seed beside the mean over every seed the rate ran (1.70)
    assert "| 1.70 " in rows["0.1"] and "| 1.50 (seed 1) " in rows["0.1"]
    assert "test error, seeds that ran every rate" in md
    # the runs are not rates x seeds (that would be 6): the Runs section says how they are made
    assert ("4 training runs: 1 configuration (data set, activation, pre-training) × learning "
            "rates 0.1, 0.01 × seed 1, then the selected rate alone on seeds 2, 3.") in md


def test_the_seeds_compared_read_back_from_a_csv():
    """A CSV gives back "1" as an int or a float (NaN where no seed ran every rate)."""
    from rectifier.report.views import compared, seeds_compared
    table = pd.DataFrame({"compared_seeds": [1.0, math.nan, "1 2 3", 1], "n_seeds": [3, 1, 3, 1],
                          "valid_error_compared": [1.5, math.inf, 1.25, math.inf]})
    assert seeds_compared(table).tolist() == [["1"], [], ["1", "2", "3"], ["1"]]
    assert compared(table, "valid_error_compared", "valid error") == {
        "valid error, seeds that ran every rate": [
            "1.50 (seed 1)", "none: no seed ran every rate", "1.25 (seeds 1, 2, 3)",
            "diverged (seed 1)"]}
    assert seeds_compared(table.iloc[[2, 3]]) is None        # every rate's seeds compared


def test_a_sweep_s_report_tells_the_provenance_and_stopping_of_every_point(tmp_path):
    """Table 1's point (L1 0.001, commit abc123) chooses rate 0.1 on seed 1; a sweep point (L1 0,
    commit def456) chooses 0.01, whose 3 runs ended at the epoch cap (so did its candidate at
    0.1). Chosen per point, 3 selected runs are capped; pooled over the points, 0.1 would win the
    tie (mean validation 1.85 each) and 1 would be. The Runs, Protocol, Software and Deviations
    sections count both points, and the sweep's L1 value is not called a deviation."""
    def point(l1, commit, chosen, other, capped):
        root = tmp_path / f"l1_{l1:g}"
        stopped = "max_epochs" if capped else "early_stopping"
        write_run(root, activation="tanh", seed=1, lr=other, test_error=2.5, l1=l1,
                  git_commit=commit, stopped=stopped)
        for seed in (1, 2, 3):
            write_run(root, activation="tanh", seed=seed, lr=chosen, test_error=1.5, l1=l1,
                      git_commit=commit, stopped=stopped)
    point(0.001, "abc123", chosen=0.1, other=0.01, capped=False)
    point(0.0, "def456", chosen=0.01, other=0.1, capped=True)
    runs = collect(sorted(tmp_path.glob("l1_*/**/metrics.json")))
    md = report.render(runs, load_histories(runs), None, tmp_path / "out")["markdown"].read_text()
    assert "- 8 training runs in all; 4 at L1 0.001 on 100% of the labels" in md
    assert re.search(r"\| git commit \(runs\) +\| (def456 \(4\), abc123|abc123 \(4\), def456) \(4\)", md)
    assert re.search(r"\| L1 penalty on hidden activations +\| (0 \(4\), 0\.001|0\.001 \(4\), 0) \(4\)", md)
    deviations = md.split("## Deviations from the paper")[1]
    assert "8 fine-tuning jobs instead of 12" in deviations
    assert "3 selected run(s) reached max_epochs" in deviations
    assert "selected: 0.1 (1), 0.01 (1)" in md or "selected: 0.01 (1), 0.1 (1)" in md
    assert "The runs come from 2 different git commits." in deviations
    assert "where the paper uses 0.001" not in deviations


def test_every_published_report_has_a_title_of_its_own():
    titles = [(ROOT / "reports/published" / name / "report.md").read_text().splitlines()[0]
              for name in PUBLISHED_RUNS
              if (ROOT / "reports/published" / name / "report.md").exists()]
    assert len(titles) == len(set(titles)) > 5
    assert any(t.startswith("# mnist-protocol: Reproduction") for t in titles)
