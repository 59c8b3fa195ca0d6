"""Every kind of file the pipeline writes and reads back, damaged four ways (empty, cut at half,
random bytes, its format with a key missing), read by the step that reads it: one line that names
the file and the remedy, no traceback, and every other file as it was."""
import hashlib
import io
import json
import shutil

import numpy as np
import pytest
import torch
from helpers import rectifier, write_params

pytestmark = pytest.mark.slow

RUN = "results/digits/rectifier/none/lr0.05/seed1"
TUNED = "results/digits/rectifier/dae/lr0.05/seed1"
STACK = "pretrained/digits/rectifier/lr0.01/seed1"
CHOICE = "choice/runs/results/digits/rectifier/none/rate.json"
METRICS = [f"{RUN}/metrics.json", f"{TUNED}/metrics.json"]
MERGED = ".snakemake/rectifier/params-0123456789abcdef.yaml"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A tiny run through the CLI: data, a stack, two networks, tables, a published folder
    and a published choice."""
    root = tmp_path_factory.mktemp("made")
    write_params(root, pretraining=["none", "dae"], tracking__enabled=False)
    rectifier("prepare", "--dataset", "digits", cwd=root)
    rectifier("pretrain", "--dataset", "digits", "--activation", "rectifier", "--seed", "1",
              "--out", STACK, cwd=root)
    rectifier("train", "--dataset", "digits", "--activation", "rectifier", "--seed", "1",
              "--out", RUN, cwd=root)
    rectifier("train", "--dataset", "digits", "--activation", "rectifier", "--seed", "1",
              "--pretraining", "dae", "--stack", f"{STACK}/stack.pt", "--out", TUNED, cwd=root)
    rectifier("tables", "--out", "tables", *METRICS, cwd=root)
    (root / "published").mkdir()
    shutil.copy(root / "params.yaml", root / "published/params.yaml")
    rectifier("publish", "published", "--root", ".", cwd=root)
    (root / "choice").mkdir()
    write_params(root / "choice", train__lr=[0.05, 0.1], seeds=[1, 2],
                 selection__seeds="first", tracking__enabled=False)
    (root / CHOICE).parent.mkdir(parents=True)
    (root / CHOICE).write_text(json.dumps({"lr": 0.05, "table": []}))
    (root / MERGED).parent.mkdir(parents=True)          # as the workflow writes a merged config
    shutil.copy(root / "params.yaml", root / MERGED)
    return root


def without_key(path):
    """The file in its own format with one key the reader needs taken out."""
    if path.suffix == ".yaml":
        return path.read_text().replace("\ntrain:", "\ntrain_:").encode()
    if path.suffix == ".json":
        found = json.loads(path.read_text())
        found.pop(next(k for k in ("test_error_pct", "lr", "dataset", "run_id") if k in found))
        return json.dumps(found).encode()
    if path.suffix == ".csv":
        lines = path.read_text().splitlines()
        header = lines[0].split(",")
        drop = next(i for i, c in enumerate(header) if c in ("valid_error_pct", "verdict"))
        return "\n".join(",".join(v for i, v in enumerate(line.split(",")) if i != drop)
                         for line in lines).encode()
    if path.suffix == ".npz":
        with np.load(path) as npz:
            kept = {k: npz[k] for k in npz.files if k != "x_train"}
        out = io.BytesIO()
        np.savez(out, **kept)
        return out.getvalue()
    saved = torch.load(path, weights_only=True)       # a torch file: a stack
    saved.pop("encoders")
    out = io.BytesIO()
    torch.save(saved, out)
    return out.getvalue()


DAMAGES = {
    "empty": lambda path: b"",
    "cut at half": lambda path: path.read_bytes()[:len(path.read_bytes()) // 2],
    "random bytes": lambda path: np.random.default_rng(0).bytes(max(len(path.read_bytes()), 64)),
    "a key missing": without_key,
}

# kind: (the damaged file, the step that reads it, where that step writes)
KINDS = {
    "prepared arrays": ("data/digits/prepared.npz",
                        ["train", "--dataset", "digits", "--activation", "tanh", "--seed", "1",
                         "--out", "new"], "new"),
    "metrics.json": (METRICS[0], ["tables", "--out", "new", *METRICS], "new"),
    "history.csv": (f"{RUN}/history.csv",
                    ["report", "--out", "new", "--tables", "tables", *METRICS], "new"),
    "stack": (f"{STACK}/stack.pt",
              ["train", "--dataset", "digits", "--activation", "rectifier", "--seed", "1",
               "--pretraining", "dae", "--stack", f"{STACK}/stack.pt", "--out", "new"], "new"),
    "choice (rate.json)": (CHOICE, ["publish", "choice", "--pending"], None),
    "table CSV": ("tables/table1.csv",
                  ["report", "--out", "new", "--tables", "tables", *METRICS], "new"),
    "published metrics.json": (f"published/runs/{RUN}/metrics.json",
                               ["publish", "published", "--root", "."], None),
    "merged params file": (MERGED, ["--params", MERGED, "train", "--dataset", "digits",
                                    "--activation", "tanh", "--seed", "1", "--out", "new"], None),
}


def snapshot(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_file_is_named_with_its_remedy_and_costs_nothing_else(made, tmp_path, kind,
                                                                       damage):
    root = tmp_path / "run"
    shutil.copytree(made, root)
    name, step, writes = KINDS[kind]
    target = root / name
    target.write_bytes(DAMAGES[damage](target))
    before = snapshot(root)
    said = rectifier(*step, cwd=root, check=False)
    out = said.stdout + said.stderr
    assert "Traceback" not in out
    assert name in out, out[-2000:]
    assert said.returncode == (2 if kind == "merged params file" else 1)
    if "published" in kind or "rate.json" in kind:     # restored from git, never overwritten
        assert f"restore it with `git checkout -- {name}`" in out, out[-2000:]
        assert kind != "published metrics.json" or "Not replaced" in out or (
            "kept as published" in out)
    else:
        assert "and `snakemake`" in out, out[-2000:]
        assert len([line for line in out.splitlines() if name in line]) == 1
    after = snapshot(root)
    changed = {f for f in before if after.get(f) != before[f]}
    assert not changed, changed
    assert all(f.startswith(f"{writes}/") for f in set(after) - set(before)) if writes else \
        set(after) == set(before)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_resume_state_is_said_and_the_job_starts_over_to_the_same_result(
        made, tmp_path, damage):
    """Resuming is a shortcut: a job whose resume.pt is damaged says so, trains afresh and ends
    where it would have."""
    root = tmp_path / "run"
    shutil.copytree(made, root)
    resume = root / RUN / "resume.pt"
    if damage == "a key missing":       # a state of no known settings: not this job's
        saved = torch.load(resume, weights_only=True)
        saved.pop("fingerprint")
        torch.save(saved, resume)
    else:
        resume.write_bytes(DAMAGES[damage](resume))
    first = json.loads((root / RUN / "metrics.json").read_text())
    said = rectifier("train", "--dataset", "digits", "--activation", "rectifier", "--seed", "1",
                     "--out", RUN, cwd=root, check=False)
    assert said.returncode == 0 and "Traceback" not in said.stderr
    assert "resume.pt" in said.stderr and "afresh" in said.stderr
    again = json.loads((root / RUN / "metrics.json").read_text())
    assert again["test_error_pct"] == first["test_error_pct"]
    assert again["best_epoch"] == first["best_epoch"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_mlflow_run_pointer_is_said_and_a_new_run_opened(made, tmp_path, damage):
    """mlflow_run.json names the run a killed attempt left open: damaged, it is said, the job
    logs to a new run and its results are as they would be."""
    root = tmp_path / "run"
    shutil.copytree(made, root)
    write_params(root, tracking__enabled=True, tracking__uri=f"sqlite:///{root / 'mlflow.db'}")
    pointer = root / "new/mlflow_run.json"
    pointer.parent.mkdir()
    pointer.write_text(json.dumps({"run_id": "0" * 32, "uri": "sqlite:///elsewhere.db"}))
    pointer.write_bytes(DAMAGES[damage](pointer))
    said = rectifier("train", "--dataset", "digits", "--activation", "tanh", "--seed", "1",
                     "--out", "new", cwd=root, check=False)
    assert said.returncode == 0 and "Traceback" not in said.stderr
    assert "mlflow_run.json" in said.stderr and "a new MLflow run" in said.stderr
    metrics = json.loads((root / "new/metrics.json").read_text())
    assert metrics["tracking"]["status"] == "ok"
