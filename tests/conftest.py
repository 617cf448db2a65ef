"""Shared fixtures: real DuckDB files in temp dirs, one organism cache per test session."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from cruxes.demo import seed_demo
from cruxes.workspace import open_store

# The console script of the venv running the tests (works without activating it).
CRUXLAB = str(Path(sys.executable).with_name("cruxlab"))


@pytest.fixture(scope="session", autouse=True)
def organism_cache(tmp_path_factory) -> Path:
    """One organism cache for the whole session (workers inherit it through the env)."""
    path = Path(os.environ.get("CRUXLAB_TEST_ORGANISMS") or tmp_path_factory.mktemp("organisms"))
    os.environ["CRUXLAB_ORGANISMS"] = str(path)
    return path


@pytest.fixture(scope="session")
def trained_organisms(organism_cache) -> Path:
    """Train every organism once, in this process, before any worker needs one."""
    from experiments.loading import load_model
    from experiments.organisms import ORGANISMS

    for name in ORGANISMS:
        load_model(f"organism:{name}", cache_dir=organism_cache)
    return organism_cache


def stop_workers(home: Path) -> None:
    """Kill worker processes a test left running under ``home``."""
    for pid_file in home.glob("runs/*/worker.pid"):
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty CRUXLAB_HOME for one test; workers it started are stopped afterwards."""
    path = tmp_path / "home"
    monkeypatch.setenv("CRUXLAB_HOME", str(path))
    yield path
    stop_workers(path)


@pytest.fixture
def store(home):
    """A migrated store in the test's home."""
    return open_store(home)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, trained_organisms) -> Path:
    """A home seeded with the demo once per session (a real run of induction_heads)."""
    path = tmp_path_factory.mktemp("demo") / "home"
    result = seed_demo(open_store(path))
    assert result.seeded
    return path


@pytest.fixture
def demo_home(demo_template, home) -> Path:
    """A private copy of the demo home for one test to change freely."""
    shutil.copytree(demo_template, home)
    return home


@pytest.fixture
def demo_store(demo_home):
    return open_store(demo_home)
