"""Browser tests: the real app served by `streamlit run`, driven in a real headless Chromium."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cruxes import people
from cruxes.workspace import open_store
from tests.browser.oidc import Provider, free_port, install

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


@contextmanager
def serving(home: Path, port: int, *options: str):
    """The app served by `streamlit run` for ``home`` on ``port`` (with extra options)."""
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
            *options,
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
        except subprocess.TimeoutExpired:  # a slow shutdown on a loaded machine is no failure
            proc.kill()
            proc.wait()


@pytest.fixture
def app_url(demo_home):
    """The app on a free localhost port, serving the test's demo home."""
    with serving(demo_home, free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def demo_app_url(demo_template, tmp_path_factory):
    """One app for a module's tests that only look: a copy of the demo home, served once."""
    home = tmp_path_factory.mktemp("looked-at") / "home"
    shutil.copytree(demo_template, home)
    with serving(home, free_port()) as url:
        yield url


THEO_EMAIL = "theo@lab.example"


@pytest.fixture(scope="session")
def oidc_folder():
    """The pinned oidc-provider, installed from npm into the test cache (once)."""
    return install()


@pytest.fixture
def team_app_url(oidc_folder, demo_home, tmp_path):  # the provider first: it may skip
    """The demo home in team mode (settings.toml), served with sign-in through a real OIDC
    provider on localhost; Theo (scholar) signs in as theo@lab.example."""
    store = open_store(demo_home)
    people.set_email(store, "Theo", THEO_EMAIL)
    (demo_home / "settings.toml").write_text("[team]\nenabled = true\n")
    port = free_port()
    provider = Provider(oidc_folder, redirect_uri=f"http://localhost:{port}/oauth2callback")
    provider.start(tmp_path / "oidc.log")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(provider.secrets_toml(cookie_secret="browser-test-cookie-secret"))
    try:
        with serving(demo_home, port, "--secrets.files", str(secrets)) as url:
            yield url
    finally:
        provider.stop()


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
