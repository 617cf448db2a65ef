"""`make run` from nothing on a busy machine: how soon the app answers, how soon the demo is done.

Runs `make run` in this checkout with a new CRUXLAB_HOME and an empty organism
cache (so the demo trains its organism, as on a first start) while two busy
processes keep the cores occupied (more if ``CRUXLAB_BENCH_BUSY`` says so). It
times the app's first healthy answer and the demo's completion, prints the
progress the demo logged, then stops everything it started. Nothing here is a
pass/fail deadline: a slower machine only prints larger numbers.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).parents[2]
HANG_GUARD_S = 3 * 3600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


def demo_state(home: Path) -> str | None:
    try:
        return json.loads((home / "demo.json").read_text())["state"]
    except (OSError, ValueError, KeyError):
        return None


def stop_demo(home: Path) -> None:
    """End the background demo and its run's worker if the benchmark stopped before them
    (only processes still at work for this home: a finished one's id may be reused)."""
    pids = []
    if demo_state(home) == "seeding":
        pids.append(json.loads((home / "demo.json").read_text())["pid"])
    for folder in home.glob("runs/*"):
        if (folder / "worker.pid").exists() and not (folder / "result.json").exists():
            pids.append(int((folder / "worker.pid").read_text()))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def main() -> None:
    n_busy = int(os.environ.get("CRUXLAB_BENCH_BUSY", "2"))
    tmp = Path(tempfile.mkdtemp(prefix="cruxlab-startup-"))
    home, port = tmp / "home", free_port()
    env = {**os.environ, "CRUXLAB_HOME": str(home)}
    env.pop("CRUXLAB_ORGANISMS", None)  # a first start: the organism is trained
    venv = Path(sys.executable).parent.parent
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n_busy)]
    make_log = (tmp / "make.log").open("w")
    started = time.monotonic()
    make = subprocess.Popen(
        # -o: the venv is this one, already installed; do not reinstall it.
        ["make", "-o", str(venv / ".installed"), "run", f"VENV={venv}", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=make_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    app_s = demo_s = None
    loads = []
    try:
        while demo_s is None and time.monotonic() - started < HANG_GUARD_S:
            if app_s is None and healthy(f"http://localhost:{port}"):
                app_s = time.monotonic() - started
            if demo_state(home) in ("complete", "failed"):
                demo_s = time.monotonic() - started
            loads.append(os.getloadavg()[0])
            if make.poll() is not None:
                break
            time.sleep(0.5)
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        for proc in busy:
            proc.kill()
        make.wait()
        stop_demo(home)
    trained = next(home.glob("organisms/induction-2l-*/organism.json"), None)
    summary = json.loads(trained.read_text()) if trained else {}
    log = (home / "demo.log").read_text() if (home / "demo.log").exists() else ""
    print(
        f"`make run`, new home, {n_busy} busy processes; load average {min(loads):.1f}–"
        f"{max(loads):.1f} while it ran\n"
    )
    print("| what | seconds |\n|---|---|")
    print(f"| the app answers /_stcore/health | {app_s:.1f} |" if app_s else "| app | never |")
    print(
        f"| the demo is {demo_state(home)} (organism trained, run recorded) | "
        + (f"{demo_s:.1f} |" if demo_s else "not finished |")
    )
    if summary:
        print(
            f"| of which training organism:induction-2l ({summary['steps']} steps) | "
            f"{summary['train_seconds']:.1f} |"
        )
    progress_lines = log.splitlines()
    print(f"\nThe demo's log ({len(progress_lines)} lines), first and last:")
    for line in progress_lines[:4] + ["…"] + progress_lines[-6:]:
        print(f"    {line}")
