"""Cluster fixtures: one real single-node SLURM for the whole session.

Where it cannot be started (not root, SLURM not installed) the tests skip with
the reason; under ``CI=true`` that is a failure, since CI prepares SLURM
(``make test`` runs ``make slurm``).
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.cluster.slurm import LocalSlurm, missing
from tests.integration.conftest import project  # noqa: F401 - an assigned project


def _progress(message: str) -> None:
    # Outside pytest's capture: a slow start should say what it waits for.
    print(message, file=sys.__stderr__, flush=True)


@pytest.fixture(scope="session")
def slurm():
    """A running single-node SLURM; clients (and submitit) reach it through SLURM_CONF."""
    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the cluster tests, but {reason}.")
        pytest.skip(reason)
    cluster = LocalSlurm()
    try:
        cluster.start(progress=_progress)
    except Exception:
        cluster.stop()
        raise
    patch = pytest.MonkeyPatch()
    for key, value in cluster.env.items():
        patch.setenv(key, value)
    yield cluster
    patch.undo()
    cluster.stop()


@pytest.fixture(autouse=True)
def no_jobs_left(request):
    """A test's jobs end with it, so a failed test leaves no CPU taken for the next."""
    yield
    if "slurm" in request.fixturenames:
        request.getfixturevalue("slurm").cancel_all()
