"""Beyond one machine, for real: the tiny pipeline through the SLURM profile on a one-node cluster
(munged, slurmctld, slurmd), every job logging to an MLflow tracking server behind MLflow's
basic-auth app with credentials from the environment only; then its data, stacks and results
pushed to a DVC remote and pulled into a fresh clone, where `dvc repro` has nothing to do. A job
that fails on the cluster fails the run, promptly. Needs root and Debian's slurm-wlm and munge
(.ci/run installs them); skips, saying why, without them."""
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import services
import yaml
from helpers import ROOT, write_params

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(services.slurm_missing() is not None,
                                 reason=str(services.slurm_missing()))]

# The profile as a cluster user runs it, plus what a cluster without slurmdbd needs (squeue, not
# sacct) and short status intervals for a test whose jobs take seconds. The plugin waits the
# initial interval, then 10 s longer after each check that finds no job finished: at 1 s, a
# 10-second job is seen finished at 12 s instead of 20 (at 5 s). Measured with 2 busy cores:
# the test took 290 s instead of 330.
PROFILE = ("--profile", "workflow/profiles/slurm", "--slurm-status-command", "squeue",
           "--slurm-init-seconds-before-status-checks", "1", "--seconds-between-status-checks", "1")
TINY = {"activations": ["rectifier"], "pretraining": ["none", "dae"], "pretrain__epochs": 2}


def run(*args, cwd, env=None, timeout=900, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def project(folder: Path) -> Path:
    """A git repository holding the workflow and the tiny params, DVC initialised."""
    folder.mkdir()
    for name in ("Snakefile", "dvc.yaml", ".gitignore"):
        shutil.copy(ROOT / name, folder)
    for name in ("workflow", "src"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    write_params(folder, **TINY)
    run("git", "init", "-q", cwd=folder)
    run("dvc", "init", "-q", cwd=folder)
    run("dvc", "config", "core.analytics", "false", cwd=folder)
    commit(folder, "tiny")
    return folder


def commit(folder: Path, message: str) -> None:
    run("git", "add", "-A", cwd=folder)
    run("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message, cwd=folder)


def files_holding(folder: Path, secret: str) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink() and secret.encode() in path.read_bytes():
            found.append(str(path.relative_to(folder)))
    return found


def test_the_pipeline_on_a_slurm_cluster_with_a_tracking_server_and_a_dvc_remote(tmp_path):
    work = project(tmp_path / "project")
    password = secrets.token_urlsafe(16)
    admin = secrets.token_urlsafe(16)
    with services.slurm_cluster(tmp_path / "slurm") as controller_log, \
            services.mlflow_server(tmp_path / "mlflow", admin_password=admin) as (url, _):
        # The server lets no one in without credentials; the jobs get theirs from the environment.
        assert services.request(url, "experiments/search", max_results=1)[0] == 401
        jobs = services.basic_auth("jobs", password)
        assert services.request(url, "experiments/search", auth=jobs, max_results=1)[0] == 401
        status, _ = services.request(url, "users/create", {"username": "jobs",
                                                           "password": password},
                                     auth=services.basic_auth("admin", admin))
        assert status == 200
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")},
               "MLFLOW_TRACKING_URI": url, "MLFLOW_TRACKING_USERNAME": "jobs",
               "MLFLOW_TRACKING_PASSWORD": password}

        # A CUDA run asks SLURM for a GPU per training and pre-training job (planned only:
        # no GPU here).
        plan = run("snakemake", "-n", *PROFILE, "--config", "device=cuda", cwd=work, env=env)
        assert re.search(r"rule train:(.|\n)*?resources: .*gpu=1", plan.stdout + plan.stderr)

        done = run("snakemake", *PROFILE, cwd=work, env=env)
        output = done.stdout + done.stderr
        submitted = set(re.findall(r"submitted with SLURM jobid (\d+)", output))
        # The main scheduler logs "sched: Allocate JobId=N", the backfill scheduler (which starts
        # a job queued behind a running one) "sched/backfill: _start_job: Started JobId=N".
        allocated = lambda: set(re.findall(r"(?:Allocate|Started) JobId=(\d+)",
                                           controller_log.read_text()))
        deadline = time.time() + 30        # slurmctld may write its last lines a moment late
        while allocated() != submitted and time.time() < deadline:
            time.sleep(0.5)
        assert submitted and submitted == allocated()
        # Every job ran on the cluster: the only local one is the target rule `all`.
        assert set(re.findall(r"localrule (\w+):", output)) == {"all"}

        metrics = [json.loads(p.read_text()) for p in
                   [*work.glob("results/**/metrics.json"), *work.glob("pretrained/**/metrics.json")]]
        assert len(metrics) == 3        # rectifier without and with pre-training, one stack
        for job in metrics:
            assert job["slurm_job_id"] in submitted and job["host"]
            assert job["tracking"]["status"] == "ok" and job["tracking"]["uri"] == url

        status, found = services.request(url, "experiments/get-by-name", auth=jobs,
                                         experiment_name="deep-sparse-rectifier")
        assert status == 200
        status, runs = services.request(url, "runs/search", {
            "experiment_ids": [found["experiment"]["experiment_id"]], "max_results": 100},
            auth=jobs)
        runs = runs["runs"]
        tags = {r["info"]["run_id"]: {t["key"]: t["value"] for t in r["data"]["tags"]}
                for r in runs}
        assert {r["info"]["status"] for r in runs} == {"FINISHED"}
        stages = sorted(t["stage"] for t in tags.values())
        assert stages == ["pretrain", "report", "train", "train"]     # the report's run too
        assert {j["tracking"]["run_id"] for j in metrics} == {
            i for i, t in tags.items() if t["stage"] != "report"}
        for job in metrics:
            assert tags[job["tracking"]["run_id"]]["slurm_job_id"] == job["slurm_job_id"]
        # The credentials went nowhere: no file of the project, no MLflow param or tag.
        assert files_holding(work, password) == []
        assert password not in json.dumps(runs)

        # A job that fails on the cluster fails the run, and promptly: a data set whose only
        # mirror is dead fails in its prepare job.
        broken = {"datasets": ["broken"], "data": {"idx": {"broken": {
            "urls": [f"http://127.0.0.1:{services.free_port()}/"],
            "files": {k: f"{k}.gz" for k in ("train_images", "train_labels", "test_images",
                                             "test_labels")},
            "sha256": {k: "0" * 64 for k in ("train_images", "train_labels", "test_images",
                                             "test_labels")},
            "classes": 10, "valid_size": 10}}}}
        (tmp_path / "broken.yaml").write_text(yaml.safe_dump(broken))
        failed = run("snakemake", *PROFILE, "--configfile", str(tmp_path / "broken.yaml"),
                     cwd=work, env=env, timeout=300, check=False)
        assert failed.returncode != 0
        assert re.search(r"SLURM-job '\d+' failed", failed.stdout + failed.stderr)

    # DVC: record what the cluster made (each stage's Snakemake target finds nothing to do),
    # push it to a remote, pull it into a fresh clone: there `dvc repro` reruns nothing.
    stamps = {p: p.stat().st_mtime_ns for p in work.glob("results/**/metrics.json")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path}/unused.db"
    run("dvc", "repro", cwd=work, env=env)
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert not Path(f"{tmp_path}/unused.db").exists()       # no job ran
    remote = tmp_path / "remote"
    run("dvc", "remote", "add", "-d", "shared", str(remote), cwd=work)
    commit(work, "results of the cluster run")
    run("dvc", "push", "--run-cache", cwd=work, env=env)

    clone = tmp_path / "clone"
    run("git", "clone", "-q", str(work), str(clone), cwd=tmp_path)
    run("dvc", "pull", "--run-cache", cwd=clone, env=env)
    for path in work.glob("results/**/metrics.json"):
        assert (clone / path.relative_to(work)).read_bytes() == path.read_bytes()
    again = run("dvc", "repro", cwd=clone, env=env)
    assert "Data and pipelines are up to date" in again.stdout, again.stdout
    assert not (clone / ".snakemake").exists()         # Snakemake was not even started
