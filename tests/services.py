"""Real services for the tests, each started as a process of its own and stopped by its PID,
with bounded waits: an MLflow tracking server (optionally behind MLflow's basic-auth app) and a
one-node SLURM cluster (munged, slurmctld, slurmd)."""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

SLURM_CONF = Path("/etc/slurm/slurm.conf")
OURS = "# written by rectifier's tests/services.py: removed when its cluster stops\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(ready, what: str, seconds: float, proc: subprocess.Popen | None = None):
    """Poll `ready()` until it returns something true; fail naming `what` after `seconds`, or
    at once if `proc` has exited."""
    deadline = time.time() + seconds
    while True:
        found = ready()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {proc.returncode}")
        if time.time() > deadline:
            raise AssertionError(f"{what}: not ready after {seconds:.0f} s")
        time.sleep(0.3)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group `proc` leads, then SIGKILL after 20 s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def request(url: str, path: str, body: dict | None = None, auth: dict | None = None,
            **query) -> tuple[int, dict]:
    """(status, JSON answer) of one call to the MLflow REST API; an HTTP error is an answer."""
    from urllib.parse import urlencode
    full = f"{url}/api/2.0/mlflow/{path}" + (f"?{urlencode(query)}" if query else "")
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **(auth or {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(full, data, headers),
                                    timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as err:
        return err.code, {}


@contextmanager
def mlflow_server(folder: Path, admin_password: str | None = None):
    """A real `mlflow server` on 127.0.0.1 with its sqlite store and artifacts in `folder`;
    with `admin_password`, behind MLflow's basic-auth app (admin user `admin`). Yields
    (url, process)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port",
               str(port), "--backend-store-uri", f"sqlite:///{folder}/server.db",
               "--artifacts-destination", str(folder / "artifacts"), "--workers", "1"]
    if admin_password is not None:
        ini = folder / "basic_auth.ini"
        ini.write_text("[mlflow]\ndefault_permission = READ\n"
                       f"database_uri = sqlite:///{folder}/users.db\nadmin_username = admin\n"
                       "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n")
        env.update(MLFLOW_AUTH_CONFIG_PATH=str(ini), MLFLOW_AUTH_ADMIN_PASSWORD=admin_password,
                   MLFLOW_FLASK_SERVER_SECRET_KEY=os.urandom(16).hex())
        command += ["--app-name", "basic-auth"]
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)

    def healthy():
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2)
            return True
        except OSError:
            return False
    try:
        wait_for(healthy, "mlflow server", 90, proc)
        yield url, proc
    finally:
        stop(proc)
        log.close()


def slurm_missing() -> str | None:
    """Why a one-node cluster cannot be brought up here, or None."""
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sbatch", "squeue")
               if shutil.which(b) is None]
    if missing:
        return (f"SLURM is not installed ({', '.join(missing)} missing): "
                "apt-get install slurm-wlm munge (.ci/run does)")
    if os.geteuid() != 0:
        return "a one-node SLURM cluster is brought up as root (SlurmUser=root)"
    if SLURM_CONF.exists() and not SLURM_CONF.read_text().startswith(OURS):
        return f"{SLURM_CONF} exists: this machine has its own SLURM set-up, left alone"
    if not Path("/etc/munge/munge.key").exists():
        return "/etc/munge/munge.key is missing (the munge package makes it)"
    return None


@contextmanager
def slurm_cluster(folder: Path, cpus: int = 2):
    """A one-node SLURM cluster: munged, slurmctld and slurmd with their state, sockets and logs
    in `folder`, and /etc/slurm/slurm.conf written for the time it runs (the jobs' nested srun
    drops SLURM_CONF, so the config must sit where SLURM looks by default). No slurmdbd: query
    jobs with squeue. Yields the slurmctld log's path (one 'Allocate JobId' line per job)."""
    folder.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname().split(".")[0]
    memory = int(subprocess.run(["slurmd", "-C"], capture_output=True, text=True, timeout=30)
                 .stdout.split("RealMemory=")[1].split()[0])
    conf = OURS + "\n".join([
        "ClusterName=rectifier", f"SlurmctldHost={host}",
        f"SlurmctldPort={free_port()}", f"SlurmdPort={free_port()}", "SlurmUser=root",
        "AuthType=auth/munge", f"AuthInfo=socket={folder}/munge.socket",
        "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none", "AccountingStorageType=accounting_storage/none",
        "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core_Memory",
        f"StateSaveLocation={folder}/state", f"SlurmdSpoolDir={folder}/spool",
        f"SlurmctldPidFile={folder}/slurmctld.pid", f"SlurmdPidFile={folder}/slurmd.pid",
        f"SlurmctldLogFile={folder}/slurmctld.log", f"SlurmdLogFile={folder}/slurmd.log",
        "MinJobAge=300", "ReturnToService=2", "MpiDefault=none",
        f"NodeName={host} CPUs={cpus} RealMemory={int(memory * 0.9)} State=UNKNOWN",
        f"PartitionName=main Nodes={host} Default=YES MaxTime=INFINITE State=UP", ""])
    for sub in ("state", "spool"):
        (folder / sub).mkdir(exist_ok=True)
    SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SLURM_CONF.write_text(conf)
    daemons: list[subprocess.Popen] = []
    munged_pid = folder / "munged.pid"
    try:
        subprocess.run(["munged", f"--socket={folder}/munge.socket", f"--pid-file={munged_pid}",
                        f"--log-file={folder}/munged.log", f"--seed-file={folder}/munge.seed",
                        "--force"], check=True, timeout=30)
        for daemon in ("slurmctld", "slurmd"):
            daemons.append(subprocess.Popen(
                [daemon, "-D", "-f", str(SLURM_CONF)], stdout=subprocess.DEVNULL,
                stderr=open(folder / f"{daemon}.err", "w"), start_new_session=True))
        wait_for(lambda: "idle" in subprocess.run(
            ["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=10).stdout,
            "the SLURM node", 60, daemons[-1])
        yield folder / "slurmctld.log"
    finally:
        try:
            subprocess.run(["scancel", "--user", "root"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for proc in reversed(daemons):
            stop(proc)
        if munged_pid.exists():
            try:
                os.kill(int(munged_pid.read_text()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        SLURM_CONF.unlink(missing_ok=True)
