"""The run folder: ``runs/<id>/`` is written before the database and is the source of truth.

Layout::

    runs/<id>/config.json     what to run: template, config, seed, device, project
    runs/<id>/worker.pid      the worker's process id (written by the local executor)
    runs/<id>/heartbeat       touched by the worker every few seconds while it lives
    runs/<id>/progress.json   latest progress fraction and message
    runs/<id>/log.txt         the worker's log, tracebacks included
    runs/<id>/metrics.jsonl   one {"name", "step", "value"} per line
    runs/<id>/artifacts/      arrays (.npy / .parquet), figures (.png / .html), json
    runs/<id>/result.json     status, error, device, start and end times (written once)

If the database is busy or the app is down when a run ends, nothing is lost:
``experiments.lifecycle`` records result.json later. The first result.json
written wins: the worker's, or the one the lifecycle writes for a cancelled or
lost run, whichever comes first, and that one is recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db import paths


def copy_run_folders(source: Path, target: Path, names: list[str], *, link: bool) -> int:
    """Copy the run folders ``names`` from ``source`` into ``target`` with ``cp -a`` (C speed,
    no per-file Python); with ``link`` and one filesystem, files are hard links instead of
    copies. Leaves out worker pid files and half-written temporaries; returns folders copied."""
    present = sorted(set(names) & set(os.listdir(source))) if source.is_dir() else []
    target.mkdir(parents=True, exist_ok=True)
    hard = link and os.stat(source).st_dev == os.stat(target).st_dev if present else False
    flags = ["-a", "--link"] if hard else ["-a"]
    for start in range(0, len(present), 5000):  # stay far below the argument-size limit
        chunk = [str(source / name) for name in present[start : start + 5000]]
        subprocess.run(["cp", *flags, "--target-directory", str(target), *chunk], check=True)
    if present:
        subprocess.run(
            ["find", str(target), "(", "-name", "worker.pid", "-o", "-name", ".*.tmp", ")",
             "-type", "f", "-delete"],
            check=True,
        )  # fmt: skip
    return len(present)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so a reader never sees a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)


def write_json_once(path: Path, data: Any) -> bool:
    """Write JSON only if ``path`` does not exist yet (atomically); False if it did."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def read_json(path: Path) -> Any | None:
    """A JSON file's content, or None if it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@dataclass(frozen=True)
class RunFolder:
    root: Path

    @classmethod
    def of(cls, home: Path, run_id: int) -> RunFolder:
        return cls(paths.runs_dir(home) / str(run_id))

    @property
    def run_id(self) -> int:
        return int(self.root.name)

    config = property(lambda self: self.root / "config.json")
    pid_file = property(lambda self: self.root / "worker.pid")
    heartbeat = property(lambda self: self.root / "heartbeat")
    progress_file = property(lambda self: self.root / "progress.json")
    log = property(lambda self: self.root / "log.txt")
    metrics = property(lambda self: self.root / "metrics.jsonl")
    artifacts = property(lambda self: self.root / "artifacts")
    result = property(lambda self: self.root / "result.json")

    def list_artifacts(self) -> list[Path]:
        """Artifact files, by name."""
        if not self.artifacts.exists():
            return []
        return sorted(p for p in self.artifacts.iterdir() if p.is_file())

    def read_log(self, max_chars: int = 20_000) -> str:
        """The end of the log."""
        try:
            return self.log.read_text(errors="replace")[-max_chars:]
        except FileNotFoundError:
            return ""

    def last_heartbeat(self) -> float | None:
        """When the worker last touched its heartbeat (seconds since the epoch), or None."""
        try:
            return self.heartbeat.stat().st_mtime
        except FileNotFoundError:
            return None
