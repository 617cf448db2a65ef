"""A real OpenID Connect provider for the sign-in tests: panva's `oidc-provider` from npm.

`tests/browser/oidc/` holds its pinned version (package.json, package-lock.json) and
a short configuration script (provider.mjs). `install()` installs it with `npm ci`
into a cache folder outside the repository (once per version, under a file lock);
`Provider.start()` runs it on a free localhost port and `stop()` ends it by its PID.
Without Node.js and npm, or a registry to install from, the sign-in tests are
skipped with the reason — except under CI=true, where that is a failure.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SOURCE = Path(__file__).with_name("oidc")
FILES = ("package.json", "package-lock.json")
SCRIPT = "provider.mjs"
START_TIMEOUT_S = 60
INSTALL_TIMEOUT_S = 600


def cache_root() -> Path:
    """Where test tools are installed: ``$CRUXLAB_TEST_CACHE``, else ~/.cache/cruxlab-tests."""
    chosen = os.environ.get("CRUXLAB_TEST_CACHE") or Path.home() / ".cache" / "cruxlab-tests"
    return Path(chosen).expanduser()


def unavailable(reason: str):
    """Skip the test with ``reason`` — or, under CI=true, fail it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"The OIDC provider is required under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def install() -> Path:
    """The folder holding the pinned oidc-provider with its node_modules (installed if new)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        unavailable("Node.js and npm are not installed (make test installs them when root)")
    digest = hashlib.sha256(b"".join((SOURCE / f).read_bytes() for f in FILES)).hexdigest()
    folder = cache_root() / f"oidc-provider-{digest[:12]}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / "oidc-provider.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one install at a time across test sessions
        done = folder / "node_modules" / "oidc-provider" / "package.json"
        if not done.exists():
            folder.mkdir(exist_ok=True)
            for name in FILES:
                shutil.copy2(SOURCE / name, folder / name)
            try:
                subprocess.run(
                    [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                    cwd=folder,
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=INSTALL_TIMEOUT_S,
                )
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                shutil.rmtree(folder / "node_modules", ignore_errors=True)
                unavailable(f"npm could not install oidc-provider: {(exc.stderr or '')[-400:]}")
        # The script imports 'oidc-provider', which Node resolves beside the script.
        shutil.copy2(SOURCE / SCRIPT, folder / SCRIPT)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Provider:
    """One running provider with one confidential client (the app under test)."""

    folder: Path
    redirect_uri: str
    client_id: str = "cruxlab-tests"
    client_secret: str = "not-a-secret-outside-tests"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def metadata_url(self) -> str:
        """The discovery document Streamlit's ``server_metadata_url`` points at."""
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self, log: Path) -> Provider:
        """Start the provider and wait until its discovery document answers."""
        env = {
            **os.environ,
            "OIDC_PORT": str(self.port),
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_REDIRECT_URI": self.redirect_uri,
        }
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [shutil.which("node") or "node", SCRIPT],
                cwd=self.folder,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(self.metadata_url, timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    unavailable(f"the OIDC provider did not start: {log.read_text()[-400:]}")
                time.sleep(0.3)

    def stop(self) -> None:
        """End the provider by its PID (SIGTERM, then SIGKILL if it lingers)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def secrets_toml(self, cookie_secret: str) -> str:
        """Streamlit's ``[auth]`` section for this provider (as in the README's example)."""
        return "\n".join(
            [
                "[auth]",
                f'redirect_uri = "{self.redirect_uri}"',
                f'cookie_secret = "{cookie_secret}"',
                f'client_id = "{self.client_id}"',
                f'client_secret = "{self.client_secret}"',
                f'server_metadata_url = "{self.metadata_url}"',
                # Streamlit asks for prompt=select_account by default; this provider
                # implements the standard "login" prompt.
                'client_kwargs = { prompt = "login" }',
                "",
            ]
        )
