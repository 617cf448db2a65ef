"""Team mode on the CLI: who you are comes from --as or CRUXLAB_USER, travels with each request,
and the domain's refusals exit 2 having written nothing — whether the command opens the
database itself or asks the home's owner (in this process, or a real `cruxlab serve`)."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from cruxes import api, beliefs, owner, people, team
from cruxes.errors import InvalidInput, NotAllowed
from db import wire
from tests.conftest import CRUXLAB
from tests.unit.helpers import dump

MARA_AS_THEO = (
    "error: Theo is a scholar and may record credences only as themselves, not as Mara.\n"
)


def cli(*args: str, expect: int = 0, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [CRUXLAB, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **env}
    )
    assert proc.returncode == expect, (args, proc.stdout, proc.stderr)
    return proc


@pytest.fixture
def people_and_a_crux(store, monkeypatch):
    """Mara (mentor) and Theo (scholar) with one crux, set up in single-user mode."""
    people.add_person(store, "Mara", "mentor")
    people.add_person(store, "Theo", "scholar")
    beliefs.add_crux(store, "Probes beat SAEs here.")
    monkeypatch.delenv(team.USER_ENV, raising=False)
    monkeypatch.delenv(team.TEAM_ENV, raising=False)
    return store


@pytest.fixture
def team_owner(people_and_a_crux, home):
    """The lab in team mode through the home's settings file, its database owned by this
    test's process (as the app's server would own it)."""
    (home / "settings.toml").write_text("[team]\nenabled = true\n")
    running = owner.start(home)
    yield running.store
    owner.stop(home)


@pytest.fixture(params=["embedded", "owner"])
def lab(request, people_and_a_crux):
    """The lab, which the commands below put in team mode with CRUXLAB_TEAM=1: each command
    opens the database itself, or sends its calls to the home's owner."""
    if request.param == "embedded":
        return people_and_a_crux
    return request.getfixturevalue("team_owner")


def test_a_scholar_cannot_record_a_mentor_s_credence(lab):
    before = dump(lab)
    refused = cli("credence", "add", "1", "Mara", "0.5", "--as", "Theo", expect=2, CRUXLAB_TEAM="1")
    assert (refused.stderr, refused.stdout) == (MARA_AS_THEO, "")
    assert dump(lab) == before


def test_team_mode_needs_to_know_who_you_are(lab):
    refused = cli("crux", "list", expect=2, CRUXLAB_TEAM="1")
    assert refused.stderr == (
        "error: This cruxlab is in team mode, so every command must say who runs it: "
        "sign in, or pass --as PERSON (or set CRUXLAB_USER).\n"
    )
    unknown = cli("crux", "list", "--as", "Nobody", expect=2, CRUXLAB_TEAM="1")
    assert unknown.stderr == "error: No person 'Nobody'; add them with `cruxlab person add`.\n"
    assert "CRUXLAB_USER" in cli("--help", CRUXLAB_TEAM="1").stdout


def test_who_you_are_comes_from_as_anywhere_or_cruxlab_user(lab):
    cli("--as", "Theo", "credence", "add", "1", "Theo", "0.6", CRUXLAB_TEAM="1")
    cli("credence", "add", "1", "Theo", "0.65", CRUXLAB_TEAM="1", CRUXLAB_USER="Theo")
    cli("credence", "add", "--as=Mara", "1", "Theo", "0.7", CRUXLAB_TEAM="1", CRUXLAB_USER="Theo")
    history = beliefs.get_crux(lab, 1).history
    assert [(h.person_name, h.entered_by_name, h.value) for h in history] == [
        ("Theo", "Theo", 0.6),
        ("Theo", "Theo", 0.65),
        ("Theo", "Mara", 0.7),
    ]
    shown = cli("crux", "show", "1", "--as", "Theo", CRUXLAB_TEAM="1").stdout
    assert shown.splitlines()[-1].endswith("[manual] manual entry (entered by Mara)")
    log = cli("activity", "--limit", "2", "--as", "Mara", CRUXLAB_TEAM="1").stdout.splitlines()
    assert [line.split()[2:] for line in log] == [
        ["Mara", "record_credence", "credence", "3"],
        ["Theo", "record_credence", "credence", "2"],
    ]


def test_single_user_refuses_nothing_and_records_who_you_said(people_and_a_crux):
    cli("credence", "add", "1", "Mara", "0.5", "--as", "Theo")
    cli("credence", "add", "1", "Mara", "0.55")
    history = beliefs.get_crux(people_and_a_crux, 1).history
    assert [(h.person_name, h.entered_by_name) for h in history] == [
        ("Mara", "Theo"),
        ("Mara", None),
    ]


def test_mentors_give_people_their_sign_in_email(lab):
    added = cli(
        "person", "add", "Ada", "--role", "scholar", "--email", "Ada@Lab.example",
        "--as", "Mara", CRUXLAB_TEAM="1",
    )  # fmt: skip
    assert added.stdout == "Added scholar Ada (id 3, signs in as ada@lab.example).\n"
    refused = cli("person", "email", "Ada", "x@lab.example", "--as", "Theo", expect=2,
                  CRUXLAB_TEAM="1")  # fmt: skip
    assert refused.stderr == (
        "error: Theo is a scholar; only mentors may add people and set their sign-in emails.\n"
    )
    changed = cli("person", "email", "Theo", "theo@lab.example", "--as", "Mara", CRUXLAB_TEAM="1")
    assert changed.stdout == "Theo signs in as theo@lab.example.\n"
    assert people.find_by_email(lab, "THEO@lab.example").name == "Theo"


@pytest.mark.parametrize("team_of", ["home", "command"])
def test_cruxlab_serve_refuses_a_scholar_writing_someone_else_s_credence(
    people_and_a_crux, home, team_of
):
    """Team mode in the home's settings (what a shared server uses), or only in the command's
    environment: either way the owner checks the request as in team mode and writes nothing."""
    env = {}
    if team_of == "home":
        (home / "settings.toml").write_text("[team]\nenabled = true\n")
    else:
        env = {team.TEAM_ENV: "1"}
    before = dump(people_and_a_crux)
    serve = subprocess.Popen(
        [CRUXLAB, "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert "owns" in serve.stdout.readline(), serve.stderr.read()
        refused = cli("credence", "add", "1", "Mara", "0.5", "--as", "Theo", expect=2, **env)
        assert (refused.stderr, refused.stdout) == (MARA_AS_THEO, "")
        allowed = cli("credence", "add", "1", "Theo", "0.4", "--as", "Theo", "--json", **env)
        assert '"entered_by_name": "Theo"' in allowed.stdout  # the owner wrote what it allowed
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0, serve.stderr.read()
    after = dump(people_and_a_crux)
    assert [r[1:4] for r in after["credences"]] == [(1, 2, 0.4)]  # Theo's own, nothing for Mara
    assert {t: rows for t, rows in after.items() if t not in ("credences", "activity")} == {
        t: rows for t, rows in before.items() if t not in ("credences", "activity")
    }


def test_the_owner_takes_who_acts_only_from_the_request(team_owner, home):
    """A request cannot name an actor or a viewer as an argument (positional or not) beside, or
    instead of, the request's own: who acts arrives one way, and is checked the same way."""
    before = dump(team_owner)
    forged = [
        {"op": "beliefs.add_credence", "args": [1, "Mara", 0.9], "kwargs": {"actor": "Mara"}},
        {"op": "board.project_detail", "args": [1, "Mara"]},
    ]
    for body in forged:
        with pytest.raises(InvalidInput, match=r"is whoever acts \(--as or CRUXLAB_USER\)"):
            wire.post(home, {**body, "actor": "Theo"})
    with pytest.raises(NotAllowed, match="Theo is a scholar .* not as Mara"):
        wire.post(home, {"op": "beliefs.add_credence", "args": [1, "Mara", 0.9], "actor": "Theo"})
    with api.acting("Theo"), pytest.raises(InvalidInput, match="actor is whoever acts"):
        api.call(beliefs.add_credence, 1, "Theo", 0.9, actor="Mara")
    assert dump(team_owner) == before
