"""The real Snakemake pipeline on a tiny config (digits, two activations, with and without
pre-training, two seeds, two epochs): four jobs at once share one sqlite MLflow store."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import ROOT, rectifier, write_params
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow


def snakemake(folder, *args, check=True):
    result = subprocess.run(["snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(folder), *args],
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {args} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def jobs_to_run(folder) -> dict[str, int]:
    """Rule -> number of jobs a dry run would execute."""
    out = snakemake(folder, "-n").stdout
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", out, re.M) if rule != "total"}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline")
    write_params(folder, seeds=[1, 2], pretraining=["none", "dae"])   # .test/config.yaml
    snakemake(folder, "--cores", "4")
    return folder


def test_tables_hold_every_run_and_no_nan(pipeline):
    table1 = pd.read_csv(pipeline / "reports/tables/table1.csv")
    assert list(zip(table1.activation, table1.pretraining)) == [
        ("rectifier", "dae"), ("rectifier", "none"), ("tanh", "dae"), ("tanh", "none")]
    assert list(table1.n_seeds) == [2] * 4 and table1.test_error_mean.notna().all()
    runs = pd.read_csv(pipeline / "reports/tables/runs.csv")
    assert len(runs) == 8 and runs.test_error_pct.between(0, 100).all()
    sparsity = pd.read_csv(pipeline / "reports/tables/sparsity.csv")
    rect = sparsity[sparsity.activation == "rectifier"]
    assert (rect.sparsity_mean > 0).all()
    assert (sparsity[sparsity.activation == "tanh"].sparsity_mean == 0).all()
    effect = pd.read_csv(pipeline / "reports/tables/pretraining_effect.csv")
    assert list(effect.activation) == ["rectifier", "tanh"]
    summary = json.loads((pipeline / "reports/metrics.json").read_text())
    assert set(summary) == {f"digits/{a}/{p}" for a in ("rectifier", "tanh")
                            for p in ("none", "dae")}


def test_report_is_rendered_self_contained(pipeline):
    markdown = (pipeline / "reports/report.md").read_text()
    assert "Table 1" in markdown and "Deviations from the paper" in markdown
    assert "## Pre-training" in markdown
    html = (pipeline / "reports/report.html").read_text()
    assert html.count("data:image/png;base64,") == 4     # with the reconstruction figure
    assert not re.search(r"""(src|href)=["']https?://""", html)


def test_every_job_is_one_finished_mlflow_run(pipeline):
    client = MlflowClient(tracking_uri=f"sqlite:///{pipeline}/mlflow.db")
    experiment = client.get_experiment_by_name("deep-sparse-rectifier")
    every = client.search_runs([experiment.experiment_id])
    stacks = {r.info.run_id: r for r in every if r.data.tags.get("stage") == "pretrain"}
    reports = [r for r in every if r.data.tags.get("stage") == "report"]
    runs = [r for r in every if r.data.tags.get("stage") == "train"]
    assert len(stacks) + len(reports) + len(runs) == len(every)
    assert [r.info.status for r in reports] == ["FINISHED"]
    shown = {a.path for a in client.list_artifacts(reports[0].info.run_id)}
    assert {"report.html", "report.md", "test_error.png", "table1.csv"} <= shown
    assert sorted((r.data.tags["activation"], r.data.tags["pretraining"], r.data.tags["seed"])
                  for r in runs) == [(a, p, s) for a in ("rectifier", "tanh")
                                     for p in ("dae", "none") for s in ("1", "2")]
    assert len(stacks) == 4
    for run in stacks.values():
        assert run.info.status == "FINISHED"
        curve = client.get_metric_history(run.info.run_id, "train/recon_loss_l2")
        assert sorted(m.step for m in curve) == [1, 2]
    for run in runs:
        if run.data.tags["pretraining"] == "dae":     # linked to the run that made its stack
            assert run.data.tags["pretrain_run_id"] in stacks
        assert run.info.status == "FINISHED"
        assert {"dataset", "pretraining", "device", "git_commit", "data_sha256"} <= set(run.data.tags)
        assert run.data.params["lr"] == "0.05" and run.data.params["minibatch"] == "10"
        history = client.get_metric_history(run.info.run_id, "valid/error_pct")
        assert sorted(m.step for m in history) == [1, 2]
        names = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert names == {"metrics.json", "history.csv", "checkpoint.pt"}
    logs = "".join(p.read_text() for p in (pipeline / "logs/train").rglob("*.log"))
    assert "database is locked" not in logs
    assert "MLflow call failed" not in logs and "MLflow tracking at" not in logs  # no retry


def test_each_job_declares_the_memory_and_time_it_needs(pipeline):
    """mem_mb and runtime (rectifier.resources) are what a dry run shows for each job, and no
    job's measured peak (peak_rss_mb in its metrics.json) or wall time exceeds them."""
    from rectifier.resources import network_mb, runtime_min
    prepared = pipeline / "data/digits/prepared.json"
    declared = {"train": network_mb("digits", (32, 32), prepared),
                "pretrain": network_mb("digits", (32, 32), prepared, pretraining=True)}
    minutes = {"train": runtime_min("digits", (32, 32), 2, prepared),
               "pretrain": runtime_min("digits", (32, 32), 2, prepared, pretraining=True)}
    for kind, folder in (("train", "results"), ("pretrain", "pretrained")):
        jobs = [json.loads(p.read_text()) for p in (pipeline / folder).rglob("metrics.json")]
        assert len(jobs) == 8 if kind == "train" else 4
        peak = max(job["peak_rss_mb"] for job in jobs)
        assert 0 < peak <= declared[kind], (kind, peak, declared[kind])
        assert max(job["wall_time_s"] for job in jobs) / 60 <= minutes[kind]
    planned = snakemake(pipeline, "-n", "--forcerun", "train", "pretrain").stdout
    assert f"mem_mb={declared['train']}" in planned and f"mem_mb={declared['pretrain']}" in planned
    assert f"runtime={minutes['train']}" in planned and f"runtime={minutes['pretrain']}" in planned


def test_declared_time_grows_with_the_budget_and_covers_a_measured_mnist_job():
    from rectifier.resources import MIN_RUNTIME, runtime_min
    mnist = (1000, 1000, 1000)
    assert runtime_min("digits", (32, 32), 2) == MIN_RUNTIME + 1       # the start-up, mostly
    assert runtime_min("mnist", mnist, 50) < runtime_min("mnist", mnist, 100)
    assert runtime_min("mnist", mnist, 30, pretraining=True) < runtime_min(
        "mnist", mnist, 60, pretraining=True)
    # The protocol run's 100-epoch jobs took 45 to 89 minutes here (their epochs' seconds, the
    # pauses for the test suite included; two resumed jobs' wall_time_s counted the last
    # process only).
    assert runtime_min("mnist", mnist, 100) >= 89
    assert runtime_min("norb", (4000, 2000), 10, classes=6) > runtime_min("mnist", mnist, 10)


def test_nothing_to_do_then_exactly_the_changed_jobs(pipeline):
    assert jobs_to_run(pipeline) == {}
    tiny = {"seeds": [1, 2], "pretraining": ["none", "dae"]}
    write_params(pipeline, **tiny, train__max_epochs=3)     # fine-tuning: no new pre-training
    assert jobs_to_run(pipeline) == {"train": 8, "tables": 1, "report": 1, "all": 1}
    write_params(pipeline, **{**tiny, "pretrain__epochs": 3})   # new stacks, new fine-tuning
    assert jobs_to_run(pipeline) == {"pretrain": 4, "pretrained": 1, "train": 4, "tables": 1,
                                     "report": 1, "all": 1}
    write_params(pipeline, **tiny, data__digits__split_seed=3)
    assert jobs_to_run(pipeline)["prepare"] == 1
    write_params(pipeline, **tiny)


def test_the_catalog_tiny_config_is_what_the_jobs_run(pipeline, tmp_path):
    """`--configfile .test/config.yaml` over the project's params.yaml plans the tiny pipeline's
    jobs, and a job it runs reads the merged knobs (its hidden layers, its epochs), not
    params.yaml's."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    config = ["--configfile", str(ROOT / ".test" / "config.yaml")]
    planned = snakemake(tmp_path, "-n", *config).stdout
    counts = {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", planned, re.M)}
    assert counts["train"] == 8 and counts["pretrain"] == 4
    (tmp_path / "untracked.yaml").write_text("tracking: {enabled: false}\n")
    snakemake(tmp_path, "--cores", "2", *config, str(tmp_path / "untracked.yaml"),
              "--config", "activations=[tanh]", "pretraining=[none]")
    metrics = json.loads((tmp_path / "results/digits/tanh/none/lr0.05/seed1/metrics.json").read_text())
    assert metrics["hidden"] == [32, 32] and metrics["epochs_run"] == 2
    assert not (tmp_path / "mlflow.db").exists()        # a second file merged into a section
    merged = list((tmp_path / ".snakemake/rectifier").glob("params-*.yaml"))
    assert len(merged) == 2     # the dry run's config and the narrowed run's, one file each
    assert {yaml.safe_load(m.read_text())["train"]["lr"] for m in merged} == {0.05}


def test_snakemake_report_with_captions(pipeline):
    """One caption per table and per figure (workflow/report/), each in Snakemake's report."""
    out = pipeline / "snakemake-report.html"
    snakemake(pipeline, "--report", str(out))
    html = out.read_text()
    captions = [*sorted((ROOT / "workflow/report/tables").glob("*.rst")), "test_error", "sparsity",
                "curves", "reconstruction"]
    for caption in captions:
        words = (caption.read_text().split()[:6] if isinstance(caption, Path) else
                 re.search(rf'"{caption}": "([^"]+)"', (ROOT / "workflow/report/figure.rst")
                           .read_text()).group(1).split()[:6])
        assert " ".join(words) in html, caption


def test_bad_params_fail_before_any_job(tmp_path):
    params = write_params(tmp_path)
    raw = yaml.safe_load(params.read_text())
    raw["activations"] = ["rectifier", "relu"]
    params.write_text(yaml.safe_dump(raw))
    result = snakemake(tmp_path, "--cores", "1", check=False)
    said = result.stdout + result.stderr       # Snakemake's words: the value and both forms
    assert result.returncode != 0 and "On instance['activations'][1]:\n    'relu'" in said
    assert "'rectifier', 'tanh', 'softplus', 'sigmoid'" in said and "softplus_a" in said
    assert not (tmp_path / "data").exists()


def test_lint_is_clean():
    result = subprocess.run(["snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


def test_a_learning_rate_has_one_name_in_folder_id_and_targets(tmp_path):
    """train.lr 1.0 names its folder lr1, as the job names itself and the run reader reads it."""
    from rectifier.job import Job
    from rectifier.names import job_id, lr_label
    assert [lr_label(x) for x in (1.0, 1, 0.1, 1e-4)] == ["1", "1", "0.1", "0.0001"]
    assert Job("digits", "tanh", "none", 1, 1.0).name == "digits/tanh/none/lr1/seed1"
    assert job_id("digits", "tanh", "none", 1.0, 1) == "digits/tanh/none/lr1/seed1"
    write_params(tmp_path, activations=["tanh"], train__lr=[1.0, 0.1, 1e-4])
    planned = snakemake(tmp_path, "-n", "--cores", "1", "runs").stdout
    folders = set(re.findall(r"results/digits/tanh/none/(lr[^/]+)/seed1/metrics.json", planned))
    assert folders == {"lr1", "lr0.1", "lr0.0001"}


def test_a_scaled_softplus_is_an_activation_of_the_grid(tmp_path):
    """softplus_a<a> plans (and names) its jobs as any activation; its dot is no regex
    wildcard; a = 0 is refused before any job."""
    write_params(tmp_path, activations=["softplus_a0.5", "softplus_a3"],
                 pretraining=["none", "dae"])
    planned = snakemake(tmp_path, "-n", "--cores", "1").stdout
    assert set(re.findall(r"results/digits/(softplus_a[^/]+)/dae/lr[^/]+/seed1/metrics.json",
                          planned)) == {"softplus_a0.5", "softplus_a3"}
    assert "pretrained/digits/softplus_a0.5/" in planned
    # The dot is no regex wildcard: softplus_a1.5 does not make softplus_a105 a job.
    write_params(tmp_path, activations=["softplus_a1.5"])
    stray = snakemake(tmp_path, "-n", "--cores", "1",
                      "results/digits/softplus_a105/none/lr0.05/seed1/metrics.json", check=False)
    assert stray.returncode != 0 and "MissingRuleException" in stray.stdout + stray.stderr
    write_params(tmp_path, activations=["softplus_a0"])
    refused = snakemake(tmp_path, "-n", "--cores", "1", check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "On instance['activations'][0]:\n    'softplus_a0'" in said


def test_an_edit_of_the_code_reruns_the_steps_that_run_it(tmp_path):
    """Snakemake sees a rule's command, not the package behind it: each step records the digest
    of its modules (rectifier.code), read from the package beside the Snakefile; here a copy."""
    import shutil
    for name in ("Snakefile",):
        shutil.copy(ROOT / name, tmp_path)
    for name in ("workflow", "src"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    write_params(tmp_path, activations=["rectifier"], train__max_epochs=1,
                 tracking__enabled=False)

    def planned():
        out = subprocess.run(["snakemake", "-n", "--cores", "1"], cwd=tmp_path,
                             capture_output=True, text=True, check=True).stdout
        return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", out, re.M)
                if rule not in ("total", "all")}

    subprocess.run(["snakemake", "--cores", "2"], cwd=tmp_path, capture_output=True, check=True)
    assert planned() == {}
    module = tmp_path / "src/rectifier/train.py"
    original = module.read_text()
    module.write_text(original + "# an edit\n")
    assert planned() == {"train": 1, "tables": 1, "report": 1}      # not the data
    module.write_text(original)
    assert planned() == {}
    (tmp_path / "src/rectifier/report/views.py").write_text(
        (tmp_path / "src/rectifier/report/views.py").read_text() + "# an edit\n")
    assert planned() == {"report": 1}


def test_candidate_rates_run_on_the_first_seed_and_the_others_follow_its_choice(tmp_path):
    """selection.seeds `first`: seed 1 runs every pre-training and fine-tuning rate, the
    checkpoints choose on it, seed 2 runs the chosen rates only; the tables choose the same."""
    write_params(tmp_path, activations=["rectifier"], pretraining=["dae"], seeds=[1, 2],
                 train__lr=[0.05, 0.01], pretrain__lr=[0.05, 0.01], selection__seeds="first",
                 tracking__enabled=False)
    snakemake(tmp_path, "--cores", "2")
    stack_rate = json.loads((tmp_path / "pretrained/digits/rectifier/rate.json").read_text())
    run_rate = json.loads((tmp_path / "results/digits/rectifier/dae/rate.json").read_text())
    assert [c["n_seeds"] for c in stack_rate["candidates"]] == [1, 1]
    found = lambda folder: sorted(p.parent.relative_to(tmp_path / folder).as_posix()
                                  for p in (tmp_path / folder).rglob("metrics.json"))
    assert found("pretrained") == sorted(["digits/rectifier/lr0.05/seed1",
                                          "digits/rectifier/lr0.01/seed1",
                                          f"digits/rectifier/lr{stack_rate['lr']:g}/seed2"])
    assert found("results") == sorted(["digits/rectifier/dae/lr0.05/seed1",
                                       "digits/rectifier/dae/lr0.01/seed1",
                                       f"digits/rectifier/dae/lr{run_rate['lr']:g}/seed2"])
    rates = pd.read_csv(tmp_path / "reports/tables/learning_rates.csv")
    assert list(rates.loc[rates.selected, "lr"]) == [run_rate["lr"]]
    report = (tmp_path / "reports/report.md").read_text()
    assert "chosen per activation" in report
    assert "(selection.seeds: first)" in report and "3 fine-tuning jobs instead of 4" in report
    assert re.search(r"instead of 4, saving about \d+\.\d\d core-hours", report)
    assert jobs_to_run(tmp_path) == {}


def test_a_published_run_continues_on_a_fresh_machine(tmp_path):
    """A run published job by job, then continued in a fresh folder (a new machine: nothing but
    the committed files): Snakemake runs exactly the jobs not yet published, then the published
    folder renders the whole run."""
    settings = dict(activations=["tanh"], seeds=[1, 2], train__lr=[0.05, 0.01],
                    selection__seeds="first", tracking__enabled=False)
    first, fresh, published = tmp_path / "first", tmp_path / "fresh", tmp_path / "published"
    for folder in (first, fresh, published):
        folder.mkdir()
        write_params(folder, **settings)
    snakemake(first, "--cores", "2")
    rectifier("publish", published, "--root", first, cwd=tmp_path)
    left_out = "results/digits/tanh/none/lr{}/seed2".format(
        json.loads((first / "results/digits/tanh/none/rate.json").read_text())["lr"])
    shutil.rmtree(published / "runs" / left_out)       # as if the machine stopped before it
    targets = rectifier("publish", published, "--pending", "--root", fresh,
                        cwd=tmp_path).stdout.split()
    assert targets == [f"{left_out}/metrics.json"]
    planned = snakemake(fresh, "-n", *targets).stdout
    assert re.search(r"^train\s+1$", planned, re.M) and not re.search(r"^training_rate", planned, re.M)
    snakemake(fresh, "--cores", "2", *targets)
    rectifier("publish", published, "--root", fresh, cwd=tmp_path)
    runs = pd.read_csv(published / "tables/runs.csv")
    assert len(runs) == 3 and (published / "report.html").exists()


def test_a_fresh_machine_pre_trains_only_the_chosen_stack_again(tmp_path):
    """A job with pre-training left on a fresh machine re-makes the one stack it fine-tunes,
    not every candidate stack the published choice was made from (hours each at the paper's
    protocol): a copied rate.json answers the checkpoint, provided it is newer than the prepared
    data (else Snakemake makes the choice and its candidates again), so --pending copies no
    choice before the data is prepared; the stack made again is the published one, epoch for
    epoch."""
    settings = dict(activations=["rectifier"], pretraining=["dae"], seeds=[1],
                    pretrain__lr=[0.05, 0.01], train__lr=0.05, tracking__enabled=False)
    first, fresh, published = tmp_path / "first", tmp_path / "fresh", tmp_path / "published"
    for folder in (first, fresh, published):
        folder.mkdir()
        write_params(folder, **settings)
    snakemake(first, "--cores", "2")
    rectifier("publish", published, "--root", first, cwd=tmp_path)
    left_out = "results/digits/rectifier/dae/lr0.05/seed1"
    shutil.rmtree(published / "runs" / left_out)
    said = rectifier("publish", published, "--pending", "--root", fresh, cwd=tmp_path)
    assert said.stdout.split() == [f"{left_out}/metrics.json"]
    assert "not prepared yet" in said.stderr       # so it copied no choice: asked again below
    snakemake(fresh, "--cores", "1", "data")
    choice = "pretrained/digits/rectifier/rate.json"   # as an older --pending would have left it
    (fresh / choice).parent.mkdir(parents=True)
    (fresh / choice).write_bytes((published / "runs" / choice).read_bytes())
    os.utime(fresh / choice, (0, 0))
    said = rectifier("publish", published, "--pending", "--root", fresh, cwd=tmp_path)
    assert "not prepared" not in said.stderr
    assert (fresh / choice).stat().st_mtime > (fresh / "data/digits/prepared.npz").stat().st_mtime
    planned = snakemake(fresh, "-n", f"{left_out}/metrics.json").stdout
    assert re.search(r"^pretrain\s+1$", planned, re.M), planned
    assert "pretraining_rate" not in planned       # the published choice stands
    chosen = json.loads((first / "pretrained/digits/rectifier/rate.json").read_text())["lr"]
    snakemake(fresh, "--cores", "1", f"{left_out}/metrics.json")
    stack = f"pretrained/digits/rectifier/lr{chosen:g}/seed1/history.csv"
    again, before = (pd.read_csv(f / stack).drop(columns="seconds") for f in (fresh, first))
    pd.testing.assert_frame_equal(again, before, check_exact=True)      # the same stack again
    # The stack made again is newer than the copied choice, so Snakemake would make the choice
    # again; --pending makes the copy newer than every candidate's files it finds.
    assert "pretraining_rate" in snakemake(fresh, "-n", f"{left_out}/metrics.json").stdout
    rectifier("publish", published, "--pending", "--root", fresh, cwd=tmp_path)
    assert "pretraining_rate" not in snakemake(fresh, "-n", f"{left_out}/metrics.json").stdout
