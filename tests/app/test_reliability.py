"""The app's server owns the database; user text shows literally; large uploads stay unread."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cruxes import dialogues, owner
from cruxes.errors import Conflict, InvalidInput
from db import wire

APP = Path(__file__).resolve().parents[2] / "app"
HOSTILE = """\
Ada: I'd bet 70% that <script>alert("owned")</script> never runs here.
Ben: <img src=x onerror=alert(1)> and '); DROP TABLE turns; -- are just words to me.
"""


def test_the_app_server_is_the_owner(home, open_page):
    at = open_page("dashboard")
    assert not at.exception
    running = owner.running(home)
    assert running["pid"] == os.getpid() and "streamlit" in running["command"]
    with pytest.raises(Conflict, match="already owns"):
        wire.Listener(home, lambda body: (200, {}), "a second server")


def test_transcript_html_is_escaped_and_sql_is_stored_literally(home, store, open_page):
    dialogues.import_dialogue(store, HOSTILE, title="Hostile")
    at = open_page("dialogues")
    [html] = at.get("html")
    body = html.value
    assert "<script" not in body and "<img" not in body
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "&#x27;); DROP TABLE turns; --" in body
    # The only tags are the page's own: paragraphs, speaker names and quote marks.
    assert set(re.findall(r"</?([a-z]+)", body)) <= {"p", "b", "mark"}
    stored = dialogues.get_dialogue(store, 1)
    assert '<script>alert("owned")</script>' in stored.text and len(stored.turns) == 2


def test_no_page_renders_with_unsafe_allow_html():
    offenders = [
        f"{path.relative_to(APP)}:{n}"
        for path in APP.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "unsafe_allow_html=True" in line
    ]
    assert offenders == []


def test_an_upload_over_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("CRUXLAB_MAX_DIALOGUE_MB", "0.001")  # 1,048 bytes
    big = tmp_path / "big.txt"
    big.write_text("Ada: " + "x" * 5000)
    with big.open("rb") as upload, pytest.raises(InvalidInput, match="larger than 0.001 MB"):
        dialogues.read_limited(upload, "big.txt", big.stat().st_size)
    with big.open("rb") as upload:
        with pytest.raises(InvalidInput):
            dialogues.read_limited(upload, "big.txt", big.stat().st_size)
        assert upload.tell() == 0  # not a byte was read
        # Without a size (a pipe), at most one byte past the limit is read.
        with pytest.raises(InvalidInput, match="larger than"):
            dialogues.read_limited(upload, "big.txt")
        assert upload.tell() == 1048 + 1
