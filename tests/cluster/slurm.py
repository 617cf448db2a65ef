"""A real single-node SLURM on this machine, for the cluster tests.

``LocalSlurm`` writes a minimal ``slurm.conf`` for localhost into a fresh
folder (one node with this machine's CPUs and memory as ``slurmd -C`` reports
them; no accounting, no cgroups: a container has no cgroup delegation, so
processes are tracked with ``proctrack/linuxproc``; ``cred_expire=5`` lets a
requeued job start again after seconds rather than two minutes), starts ``munged``,
``slurmctld`` and ``slurmd`` in the foreground as its own children, waits
until ``sinfo`` shows the node idle, and stops them by their process ids.
Nothing outside that folder is touched: the daemons get their own munge key,
socket, ports, state and logs, and clients find the cluster through
``SLURM_CONF``. Debian's ``slurm-wlm`` and ``munge`` must be installed
(``make slurm`` does it as root); the daemons need root.

Run ``python -m tests.cluster.slurm`` to start one by hand, submit
``sbatch --wrap hostname`` and print the daemons' logs.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scancel", "sinfo", "srun")
NODE = "localhost"
PARTITION = "debug"
# Generous: a loaded machine may take long to start the daemons, and that is not a failure.
START_TIMEOUT_S = 300

CONF = """\
ClusterName=cruxlab-test
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.sock,cred_expire=5
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=600
KillWait=5
InactiveLimit=0
NodeName={node} NodeAddr=127.0.0.1 {hardware} State=UNKNOWN
PartitionName={partition} Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


def missing() -> str | None:
    """Why a test cluster cannot be started here, or None if it can."""
    absent = [name for name in (*DAEMONS, *CLIENTS) if shutil.which(name) is None]
    if absent:
        return (
            f"SLURM is not installed ({', '.join(absent)} missing); "
            "`make slurm` installs Debian's slurm-wlm and munge when run as root"
        )
    if os.geteuid() != 0:
        return "the SLURM test cluster needs root to run slurmd and munged"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_hardware() -> str:
    """This machine's CPUs, sockets, cores, threads and memory, as slurmd reports them."""
    line = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
    keys = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore", "RealMemory")
    return " ".join(f"{k}={fields[k]}" for k in keys if k in fields)


class LocalSlurm:
    """A single-node SLURM whose files all live under ``root``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root or tempfile.mkdtemp(prefix="cruxlab-slurm-"))
        self.conf = self.root / "slurm.conf"
        self.procs: dict[str, subprocess.Popen] = {}

    @property
    def env(self) -> dict[str, str]:
        """What a client (sbatch, squeue, submitit) needs to reach this cluster."""
        return {"SLURM_CONF": str(self.conf)}

    def log(self, name: str) -> str:
        """A daemon's log file and what it printed."""
        paths = [self.root / "log" / f"{name}.{ext}" for ext in ("log", "out")]
        return "".join(p.read_text(errors="replace") for p in paths if p.exists())

    def logs(self, lines: int = 30) -> str:
        """The end of every daemon's log, for a failure message."""
        return "\n".join(
            f"--- {name} ---\n" + "\n".join(self.log(name).splitlines()[-lines:])
            for name in DAEMONS
        )

    def _write_config(self) -> None:
        # munged wants its socket folder searchable by all and its key private.
        self.root.chmod(0o755)
        for sub, mode in (("munge", 0o755), ("key", 0o700), ("state", 0o700), ("spool", 0o755)):
            (self.root / sub).mkdir(mode=mode, exist_ok=True)
        (self.root / "log").mkdir(exist_ok=True)
        key = self.root / "key" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        self.conf.write_text(
            CONF.format(
                root=self.root,
                node=NODE,
                partition=PARTITION,
                ctld_port=free_port(),
                d_port=free_port(),
                hardware=node_hardware(),
            )
        )

    def _spawn(self, name: str, argv: list[str]) -> None:
        out = (self.root / "log" / f"{name}.out").open("ab")
        self.procs[name] = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.root
        )
        out.close()

    def _client(self, *argv: str) -> subprocess.CompletedProcess:
        env = {**os.environ, **self.env}
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)

    def start(self, progress=print) -> LocalSlurm:
        """Start munged, slurmctld and slurmd; return once the node is idle."""
        self._write_config()
        munge = self.root / "munge"
        self._spawn(
            "munged",
            [
                "munged",
                "--foreground",
                f"--key-file={self.root / 'key' / 'munge.key'}",
                f"--socket={munge / 'munge.sock'}",
                f"--pid-file={munge / 'munged.pid'}",
                f"--seed-file={munge / 'munged.seed'}",
                f"--log-file={self.root / 'log' / 'munged.log'}",
            ],
        )
        self._wait_for(lambda: (munge / "munge.sock").exists(), "munged's socket", progress)
        # -i: ignore any saved state (the folder is new anyway).
        self._spawn("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)])
        self._spawn("slurmd", ["slurmd", "-D", "-N", NODE, "-f", str(self.conf)])
        self._wait_for(self.node_idle, f"node {NODE} to be idle in sinfo", progress)
        return self

    def node_idle(self) -> bool:
        result = self._client("sinfo", "-h", "-n", NODE, "-o", "%t")
        return result.returncode == 0 and result.stdout.strip() == "idle"

    def _wait_for(self, ready, what: str, progress) -> None:
        started = time.monotonic()
        next_note = started + 10
        while not ready():
            dead = [name for name, p in self.procs.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(
                    f"{', '.join(dead)} exited while waiting for {what}:\n{self.logs()}"
                )
            now = time.monotonic()
            if now - started > START_TIMEOUT_S:
                raise RuntimeError(f"Waited {START_TIMEOUT_S} s for {what} in vain:\n{self.logs()}")
            if now >= next_note:
                progress(f"SLURM test cluster: still waiting for {what} ({now - started:.0f} s)")
                next_note = now + 10
            time.sleep(0.2)

    def cancel_all(self) -> None:
        """Cancel every job and wait (a little) until none is left running."""
        self._client("scancel", "--full", f"--partition={PARTITION}")
        deadline = time.monotonic() + 30
        while self._client("squeue", "-h", "-o", "%i").stdout.strip():
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)

    def stop(self) -> None:
        """Cancel every job, stop the daemons by their process ids, remove the folder."""
        if self.procs.get("slurmctld") and self.procs["slurmctld"].poll() is None:
            self.cancel_all()
        for name in reversed(DAEMONS):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def main() -> int:
    reason = missing()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    cluster = LocalSlurm()
    try:
        t0 = time.monotonic()
        cluster.start()
        print(f"node idle after {time.monotonic() - t0:.1f} s; SLURM_CONF={cluster.conf}")
        env = {**os.environ, **cluster.env}
        out = cluster.root / "hostname.out"
        t0 = time.monotonic()
        subprocess.run(
            ["sbatch", "--wait", f"--output={out}", "--wrap", "hostname"], env=env, check=True
        )
        took = time.monotonic() - t0
        print(f"sbatch --wrap hostname: {out.read_text().strip()!r} in {took:.1f} s")
    finally:
        print(cluster.logs(10))
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
