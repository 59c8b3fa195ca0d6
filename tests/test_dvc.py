"""dvc.yaml and the Snakefile agree, and `dvc repro` reproduces the pipeline in a git repository."""
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import ROOT, write_params

DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())
STAGES = list(DVC["stages"].items())
# The paper's other experiments: one stage each, in a dvc.yaml of their own.
EXPERIMENT_STAGES = yaml.safe_load((ROOT / "experiments/dvc.yaml").read_text())["stages"]
EXPERIMENTS = ("figure3", "figure4", "smoothness")


def run(*args, cwd, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def planned_outputs(folder: Path, *target: str, logs: bool = False) -> set[str]:
    """Every file Snakemake makes to reach `target` (its summary), logs aside unless asked."""
    table = run("snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(folder), "--summary",
                *target, cwd=folder).stdout
    rows = [line.split("\t") for line in table.splitlines()[1:] if line.strip()]
    return {row[0] for row in rows if logs or "logs/" not in row[0]}


def outs(stage: dict, params: dict) -> list[str]:
    paths = [next(iter(o)) if isinstance(o, dict) else o
             for o in stage.get("outs", []) + stage.get("metrics", [])]
    return [p.replace("${data.root}", params["data"]["root"]) for p in paths]


def test_each_stage_runs_one_snakemake_target():
    assert [name for name, _ in STAGES] == ["data", "pretrain", "train", "report"]
    for _, stage in STAGES:
        assert stage["cmd"].startswith("snakemake --cores all ")
        assert len(stage["cmd"].split()) == 4


@pytest.mark.slow
@pytest.mark.parametrize("pretraining", [["none"], ["none", "dae"]])
def test_stage_outputs_cover_what_their_targets_make(tmp_path, pretraining):
    params = yaml.safe_load(write_params(tmp_path, pretraining=pretraining).read_text())
    made_before: set[str] = set()
    for name, stage in STAGES:
        made = planned_outputs(tmp_path, stage["cmd"].split()[-1])
        new = made - made_before
        assert new, f"stage {name} makes nothing new"
        roots = outs(stage, params)
        strays = [f for f in new if not any(f == r or f.startswith(r.rstrip("/") + "/")
                                            for r in roots)]
        assert not strays, f"stage {name}: Snakemake makes {strays} outside its outs {roots}"
        empty = [r for r in roots if not any(f == r or f.startswith(r.rstrip("/") + "/")
                                             for f in made)]
        assert not empty, f"stage {name}: nothing makes its outs {empty}; dvc repro would fail"
        made_before |= made
    assert made_before == planned_outputs(tmp_path, "all"), "dvc repro would not make all"


def test_each_stage_depends_on_the_previous_stage_outputs():
    for (_, before), (name, stage) in zip(STAGES, STAGES[1:]):
        first_out = next(iter(before["outs"][0]))
        assert first_out in stage["deps"], f"stage {name} does not depend on {first_out}"


# DVC stage -> the Snakemake steps it runs, whose code (rectifier.code) it must depend on.
STEPS_OF = {"data": ("prepare",), "pretrain": ("pretrain", "choose"), "train": ("train", "choose"),
            "report": ("tables", "report")}


def test_each_stage_depends_on_exactly_the_code_its_steps_run():
    """One list of modules per step (rectifier.code): Snakemake reruns on their digest, DVC on
    these deps; were they to differ, one tool would rerun a step the other thinks current."""
    from rectifier import code
    for name, stage in STAGES:
        deps = {d for d in stage["deps"] if d.startswith("src/rectifier")}
        wanted = {f"src/rectifier/{m}" for step in STEPS_OF[name] for m in code.STEPS[step]}
        assert deps == wanted, (name, sorted(deps ^ wanted))


def test_every_source_file_is_a_dependency_of_some_stage():
    deps = {d for _, stage in STAGES for d in stage["deps"]}
    package = ROOT / "src/rectifier"
    for path in package.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        # the CLI dispatches; code.py computes the digests every step records; publish.py,
        # reuse.py and racing.py are run by hand on a published folder; resources.py declares
        # memory, exclusive.py locks a job's folder and plan.py warns of a verdict design before
        # any job, each deciding no result
        if relative in ("src/rectifier/__init__.py", "src/rectifier/__main__.py") or \
                path.name in ("cli.py", "code.py", "publish.py", "reuse.py", "racing.py",
                              "resources.py", "exclusive.py", "plan.py"):
            continue
        assert any(relative == d or relative.startswith(d + "/") for d in deps), \
            f"{relative} changes no DVC stage"


RATES = [1e12, 0.05, 0.02]     # 1e12 diverges in its first epoch


@pytest.mark.slow
def test_dvc_repro_in_a_fresh_git_repository(tmp_path):
    for name in ("Snakefile", "dvc.yaml"):
        shutil.copy(ROOT / name, tmp_path)
    for name in ("workflow", "src"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    tiny = {"activations": ["rectifier"], "pretraining": ["none", "dae"], "pretrain__epochs": 2}
    write_params(tmp_path, **tiny, train__lr=RATES)
    run("git", "init", "-q", cwd=tmp_path)
    run("dvc", "init", "-q", cwd=tmp_path)
    run("dvc", "config", "core.analytics", "false", cwd=tmp_path)
    run("git", "add", "-A", cwd=tmp_path)
    run("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "tiny", cwd=tmp_path)

    run("dvc", "repro", cwd=tmp_path)
    lock = yaml.safe_load((tmp_path / "dvc.lock").read_text())
    assert set(lock["stages"]) == {"data", "pretrain", "train", "report"}
    assert {o["path"] for o in lock["stages"]["train"]["outs"]} == {"results"}
    assert lock["stages"]["train"]["params"]["params.yaml"]["train"]["lr"] == RATES
    chosen = json.loads((tmp_path / "reports/metrics.json").read_text())
    assert {entry["lr_selected"] for entry in chosen.values()} <= {0.05, 0.02}
    # The candidate 1e12 diverges: recorded, never selected, and the grid went on without it.
    rates = pd.read_csv(tmp_path / "reports/tables/learning_rates.csv").set_index("lr")
    assert rates.loc[1e12, "diverged"].tolist() == [1, 1] and not rates.loc[1e12, "selected"].any()
    assert "up to date" in run("dvc", "repro", cwd=tmp_path).stdout

    metrics = json.loads(run("dvc", "metrics", "show", "--json", cwd=tmp_path).stdout)
    summary = metrics[""]["data"]["reports/metrics.json"]["data"]
    assert set(summary) == {"digits/rectifier/none", "digits/rectifier/dae"}
    plots = run("dvc", "plots", "show", "-o", "plots", cwd=tmp_path).stdout
    assert "plots/index.html" in plots and (tmp_path / "plots/index.html").exists()

    # A fine-tuning knob changes the train stage onward, never the data or pre-training.
    write_params(tmp_path, **tiny, train__lr=0.02)
    status = json.loads(run("dvc", "status", "--json", cwd=tmp_path).stdout)
    assert "train" in status and "data" not in status and "pretrain" not in status
    write_params(tmp_path, **tiny, train__lr=RATES)

    run("dvc", "exp", "run", "-S", "train.lr=0.02", cwd=tmp_path)
    rows = json.loads(run("dvc", "exp", "show", "--json", cwd=tmp_path).stdout)
    assert any("0.02" in json.dumps(row) for row in rows)


def test_make_clean_removes_every_output_but_the_data():
    """Every output of Table 1's stages, except the downloaded data (an experiment's folder,
    hours of compute, goes only by hand)."""
    outputs = {next(iter(o)) if isinstance(o, dict) else o
               for name, stage in STAGES if name != "data"
               for o in stage.get("outs", []) + stage.get("metrics", [])}
    planned = run("make", "-n", "clean", cwd=ROOT).stdout.split()
    assert outputs and outputs <= set(planned), sorted(outputs - set(planned))


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_each_experiment_stage_runs_its_config_and_writes_only_its_own_folder(tmp_path, name):
    """`dvc repro <experiment>` runs its config alone, and everything that config makes, its
    data and logs included, lies in the one folder the stage declares: no other stage's."""
    assert list(EXPERIMENT_STAGES) == list(EXPERIMENTS)
    stage, config = EXPERIMENT_STAGES[name], ROOT / "config" / f"{name}.yaml"
    assert stage["cmd"] == f"snakemake --cores all --configfile config/{name}.yaml"
    assert stage["wdir"] == ".."     # run from the project root, like Table 1's stages
    folder = yaml.safe_load(config.read_text())["outputs"]
    assert [next(iter(o)) for o in stage["outs"]] == [folder] == [f"experiments/{name}"]
    assert {next(iter(p)) for p in stage["params"]} == {"params.yaml", f"config/{name}.yaml"}
    shutil.copy(ROOT / "params.yaml", tmp_path)
    made = planned_outputs(tmp_path, "--configfile", str(config), logs=True)
    assert any("/results/" in f for f in made) and any(f.endswith("report.md") for f in made)
    assert not [f for f in made if not f.startswith(folder + "/")]
    others = {r for _, s in STAGES for r in outs(s, yaml.safe_load((ROOT / "params.yaml").read_text()))}
    assert not [r for r in others if r == folder or r.startswith(folder + "/")
                or folder.startswith(r.rstrip("/") + "/")]


@pytest.mark.slow
def test_dvc_repro_of_one_experiment_runs_just_it(tmp_path):
    """A real `dvc repro experiments/dvc.yaml:smoothness` on a tiny digits version of its
    config: its report, with the Smoothness section, in its folder; Table 1's stages untouched;
    a second repro finds it up to date, and an edit of its config makes only it stale."""
    for name in ("Snakefile", "dvc.yaml"):
        shutil.copy(ROOT / name, tmp_path)
    for name in ("workflow", "src"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    write_params(tmp_path)
    (tmp_path / "experiments").mkdir()
    shutil.copy(ROOT / "experiments/dvc.yaml", tmp_path / "experiments")
    (tmp_path / "config").mkdir()
    for name in EXPERIMENTS:
        shutil.copy(ROOT / "config" / f"{name}.yaml", tmp_path / "config")
    tiny = yaml.safe_load((ROOT / "config/smoothness.yaml").read_text())
    tiny.update(datasets=["digits"], activations=["softplus", "softplus_a3", "rectifier"],
                seeds=[1], model={"hidden": [32, 32]})
    tiny["train"].update(max_epochs=2, lr=0.05)
    config = tmp_path / "config/smoothness.yaml"
    config.write_text(yaml.safe_dump(tiny, sort_keys=False))
    run("git", "init", "-q", cwd=tmp_path)
    run("dvc", "init", "-q", cwd=tmp_path)
    run("dvc", "config", "core.analytics", "false", cwd=tmp_path)
    run("git", "add", "-A", cwd=tmp_path)
    run("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "tiny", cwd=tmp_path)

    stage = "experiments/dvc.yaml:smoothness"
    run("dvc", "repro", stage, cwd=tmp_path)
    assert not (tmp_path / "dvc.lock").exists()
    lock = yaml.safe_load((tmp_path / "experiments/dvc.lock").read_text())
    assert set(lock["stages"]) == {"smoothness"}
    assert [o["path"] for o in lock["stages"]["smoothness"]["outs"]] == ["experiments/smoothness"]
    folder = tmp_path / "experiments/smoothness"
    assert len(list((folder / "results/digits").glob("*/none/lr0.05/seed1/metrics.json"))) == 3
    assert "Smoothness of the non-linearity" in (folder / "reports/report.md").read_text()
    assert (folder / "data/digits/prepared.npz").exists()
    assert not [p for p in ("data", "results", "pretrained", "reports/report.md", "logs")
                if (tmp_path / p).exists()], "the experiment wrote outside its folder"
    assert "up to date" in run("dvc", "repro", stage, cwd=tmp_path).stdout

    tiny["seeds"] = [1, 2]
    config.write_text(yaml.safe_dump(tiny, sort_keys=False))
    status = json.loads(run("dvc", "status", "--json", stage, cwd=tmp_path).stdout)
    assert status == {stage: [{"changed deps": {"config/smoothness.yaml": {"seeds": "modified"}}}]}
