"""Browser tests: the real app served by `streamlit run`, driven in a real headless Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).parents[2]
# Waits end on success; these limits only stop a hung test (a busy machine is slow, not broken).
HANG_GUARD_S = 600
expect.set_options(timeout=HANG_GUARD_S * 1000)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags that keep Chromium off the network it cannot reach here (see the machine notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(home: Path) -> Iterator[str]:
    """The app on a free localhost port, serving ``home``; its URL once it answers."""
    port = free_port()
    streamlit = str(Path(sys.executable).with_name("streamlit"))
    proc = subprocess.Popen(
        [
            streamlit,
            "run",
            str(ROOT / "app" / "streamlit_app.py"),
            "--server.address",
            "localhost",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        env={**os.environ, "CRUXLAB_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + HANG_GUARD_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
                if r.read().strip() == b"ok":
                    break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("streamlit did not start") from None
            time.sleep(0.5)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def app_url(demo_home):
    """The app serving the test's own copy of the demo home."""
    with serve(demo_home) as url:
        yield url


@pytest.fixture(scope="module")
def demo_app_url(demo_template, tmp_path_factory):
    """One app for a module's tests that only look: a copy of the demo home, served once."""
    home = tmp_path_factory.mktemp("looked-at") / "home"
    shutil.copytree(demo_template, home)
    with serve(home) as url:
        yield url


@pytest.fixture
def page():
    """A page in headless Chromium (make test installs Chromium when it runs as root)."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(HANG_GUARD_S * 1000)
        yield page
        browser.close()
