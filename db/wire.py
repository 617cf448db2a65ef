"""The owner's wire: HTTP with JSON bodies over a Unix socket in the home.

When a long-lived cruxlab process owns a home's database (the app's server or
``cruxlab serve``), it listens on ``$CRUXLAB_HOME/owner.sock`` and describes
itself in ``owner.json`` (pid, command, since). Other processes on the same
machine (CLI commands, run workers) send it requests instead of opening the
file. This module is only the transport: it knows nothing of the operations
(see ``cruxes.api``) and imports no duckdb.

Who may send: the socket is readable and writable by its owner's OS account only
(``0600``; a long home's socket lies in a private ``0700`` temporary folder), the
same account that may open the database file itself. The owner therefore trusts a
request's word for who is acting exactly as far as an embedded command trusts
``--as``; sign-in (the app's) is what authenticates people.

A request either never reached the owner (``OwnerUnavailable``: the caller may
do the work itself) or did (then its answer, or ``OwnerLost`` if the owner
stopped before answering: the caller must not guess whether it took effect).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import socketserver
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from db.errors import ERRORS, Conflict, CruxlabError
from db.util import process_alive

SOCKET_NAME = "owner.sock"
INFO_NAME = "owner.json"
CALL_PATH = "/call"
MAX_BODY = 256 * 1024 * 1024  # a request larger than this is refused unread
# A socket path must fit in sun_path (108 bytes on Linux); longer homes bind in the temp dir.
MAX_SOCKET_PATH = 100
DEFAULT_TIMEOUT_S = 3600.0


class OwnerUnavailable(Exception):
    """No owner answered; nothing was sent, so the caller may do the work itself."""


class OwnerLost(CruxlabError):
    """The owner stopped after receiving a request and before answering it."""


def socket_path(home: Path) -> Path:
    """Where an owner of ``home`` listens (a link to a short path when the home's is long)."""
    return home / SOCKET_NAME


def info_path(home: Path) -> Path:
    """The owner's description: pid, command, since."""
    return home / INFO_NAME


def owner_info(home: Path) -> dict[str, Any] | None:
    """The running owner's description, or None when none is running."""
    try:
        info = json.loads(info_path(home).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and process_alive(info.get("pid")) else None


def _connect_path(home: Path) -> Path:
    link = socket_path(home)
    return Path(os.readlink(link)) if link.is_symlink() else link


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.unix_path))
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def post(home: Path, body: dict[str, Any], *, timeout: float | None = None) -> Any:
    """Send ``body`` to the owner of ``home`` and return its ``result``.

    Raises ``OwnerUnavailable`` when no owner listens (nothing was sent), the
    error the owner reported as its own type, or ``OwnerLost``.
    """
    try:
        path = _connect_path(home)
    except OSError:
        raise OwnerUnavailable(str(home)) from None
    if timeout is None:
        timeout = float(os.environ.get("CRUXLAB_OWNER_TIMEOUT", DEFAULT_TIMEOUT_S))
    conn = _UnixConnection(path, timeout)
    try:
        conn.connect()
    except OSError:  # no socket, or a stale one: no owner is listening
        conn.close()
        raise OwnerUnavailable(str(home)) from None
    data = json.dumps(body).encode()
    try:
        conn.request("POST", CALL_PATH, body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = response.read()
        reply = json.loads(payload)
    except (OSError, http.client.HTTPException, ValueError):
        info = owner_info(home) or {}
        raise OwnerLost(
            f"The cruxlab owner of {home} (process {info.get('pid', '?')}) stopped before "
            "answering; check whether your change took effect before trying again."
        ) from None
    finally:
        conn.close()
    if response.status != 200:
        error = reply.get("error") or {}
        raise ERRORS.get(error.get("type"), CruxlabError)(error.get("message") or "Owner error.")
    return reply.get("result")


# ---------------------------------------------------------------- the server side

Handler = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, path: str, handle: Handler):
        self.handle_call = handle
        super().__init__(path, _RequestHandler)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        if self.path != CALL_PATH:
            return self._reply(404, {"error": {"type": "NotFound", "message": "Unknown path."}})
        if not 0 < length <= MAX_BODY:
            message = "The request is empty or too large."
            return self._reply(413, {"error": {"type": "InvalidInput", "message": message}})
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            message = "The request is not JSON."
            return self._reply(400, {"error": {"type": "InvalidInput", "message": message}})
        status, reply = self.server.handle_call(body)
        self._reply(status, reply)

    def _reply(self, status: int, reply: dict[str, Any]) -> None:
        data = json.dumps(reply, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def address_string(self) -> str:
        return "owner.sock"

    def log_message(self, format: str, *args: Any) -> None:  # requests are not logged
        pass


class Listener:
    """A bound owner socket serving ``handle`` on daemon threads until ``close()``."""

    def __init__(self, home: Path, handle: Handler, command: str):
        self.home = home
        link = socket_path(home)
        if _answers(home):
            raise _conflict(home, owner_info(home) or {})
        with contextlib.suppress(FileNotFoundError):
            link.unlink()  # a stale socket left by an owner that was killed
        path = link
        if len(str(link)) > MAX_SOCKET_PATH:  # in a new folder only this account may enter
            path = Path(tempfile.mkdtemp(prefix="cruxlab-")) / SOCKET_NAME
        self.path = path
        self.server = _Server(str(path), handle)
        path.chmod(0o600)  # only this account may connect (as only it may open the database)
        if path != link:
            link.symlink_to(path)
        self.info = {"pid": os.getpid(), "command": command, "since": time.time()}
        tmp = info_path(home).with_name(f".{INFO_NAME}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.info))
        tmp.replace(info_path(home))

        self._thread: threading.Thread | None = None

    def start(self) -> Listener:
        """Answer requests on a background thread until ``close()``."""
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop answering, and remove the socket and the description."""
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join()
            self._thread = None
        self.server.server_close()
        for path in {self.path, socket_path(self.home)}:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        if self.path != socket_path(self.home):
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()
        with contextlib.suppress(OSError, ValueError):
            if json.loads(info_path(self.home).read_text()).get("pid") == os.getpid():
                info_path(self.home).unlink()


def _answers(home: Path) -> bool:
    try:
        path = _connect_path(home)
    except OSError:
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(1.0)
        sock.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def _conflict(home: Path, info: dict[str, Any]) -> CruxlabError:
    who = f"process {info['pid']} ({info.get('command')})" if info else "another process"
    return Conflict(
        f"{who} already owns the cruxlab home {home}; stop it first, or let it serve you."
    )
