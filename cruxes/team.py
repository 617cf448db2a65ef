"""Team mode: who is acting, what each role may do, and the record of every write.

Local use is single-user: nobody signs in, nobody has to be named, and every
write is allowed. Team mode is for a group that shares one server; it is on when
``CRUXLAB_TEAM=1`` or the home's ``settings.toml`` says ``[team] enabled = true``
(the file is the way to turn it on for every process of a shared home; the
variable cannot turn a team home back into a single-user one).

Every domain write takes the acting person as an explicit ``actor`` argument (a
name or id: the signed-in person in the app, ``--as``/``CRUXLAB_USER`` on the
CLI, filled in by ``cruxes.api`` from the request, whether the command runs here or at
the home's owner) and, inside its transaction and before it writes anything, asks this
module:

    me = team.acting(store, cur, actor)             # who; in team mode, someone
    me.require(Action.RECORD_CREDENCE, about=who)   # may they? else NotAllowed
    ... the write, with entered_by=me.id ...
    me.record(cur, Action.RECORD_CREDENCE, "credence", row["id"])

A mentor may do everything. A scholar may do what ``SCHOLARS`` lists: tag, add
notes, import dialogues, record credences and predictions and apply updates as
themselves, start and cancel runs of projects assigned to them. A refusal is
one ``NotAllowed`` sentence and, raised inside the transaction, writes nothing.

In single-user mode ``actor`` may be None and nothing is refused; a named
actor is still recorded. Either way every write lands in the ``activity`` log,
and credences, predictions and notes say who entered them (``entered_by``) as
well as whom they are about.

A team home with nobody in it yet is set up without naming anyone: its first
person (a mentor) can be added, the demo seeded, or an export imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cruxes import people  # people's writes ask this module; it asks people.resolve
from cruxes.models import Activity, Person, Project
from db import activity as activity_table
from db import people as people_table
from db import settings as settings_file
from db.errors import InvalidInput, NotAllowed
from db.store import Cursor, Store

TEAM_ENV = "CRUXLAB_TEAM"
USER_ENV = "CRUXLAB_USER"
_ON = ("1", "true", "yes", "on")
_OFF = ("", "0", "false", "no", "off")
NOBODY = (
    "This cruxlab is in team mode, so every command must say who runs it: "
    f"sign in, or pass --as PERSON (or set {USER_ENV})."
)
EMPTY = (
    "This team home has nobody in it yet: add its first mentor "
    "(`cruxlab person add NAME --role mentor --email EMAIL`) before anything else."
)


class Action(StrEnum):
    """The kinds of write the role matrix governs; each value reads as "may <value>"."""

    MANAGE_PEOPLE = "add people and set their sign-in emails"
    EDIT_CRUXES = "add, reword and group cruxes and questions"
    REVIEW = "accept, merge and reject candidates"
    IMPORT_DIALOGUE = "import dialogues and fix their speakers"
    RECORD_CREDENCE = "record credences"
    PREDICT = "pre-register predictions"
    PLAN_PROJECTS = "propose, plan and link projects and change their status"
    ASSIGN = "assign projects"
    RUN = "start and cancel runs"
    RECORD_OUTCOME = "record outcomes"
    APPLY_UPDATE = "apply outcome updates"
    TAG = "tag cruxes, projects and runs"
    NOTE = "add notes"
    SET_UP = "seed the demo, import exports and make backups"


class Scope(StrEnum):
    """How far a scholar may do an action (a mentor may always)."""

    ANY = "yes"
    OWN = "only as themselves"
    ASSIGNED = "only on projects assigned to them"
    NONE = "no"


SCHOLARS: dict[Action, Scope] = {
    Action.MANAGE_PEOPLE: Scope.NONE,
    Action.EDIT_CRUXES: Scope.NONE,
    Action.REVIEW: Scope.NONE,
    Action.IMPORT_DIALOGUE: Scope.ANY,
    Action.RECORD_CREDENCE: Scope.OWN,
    Action.PREDICT: Scope.OWN,
    Action.PLAN_PROJECTS: Scope.NONE,
    Action.ASSIGN: Scope.NONE,
    Action.RUN: Scope.ASSIGNED,
    Action.RECORD_OUTCOME: Scope.NONE,
    Action.APPLY_UPDATE: Scope.OWN,
    Action.TAG: Scope.ANY,
    Action.NOTE: Scope.OWN,
    Action.SET_UP: Scope.NONE,
}
# Allowed with nobody named while a team home has no people yet.
SET_UP_ACTIONS = (Action.MANAGE_PEOPLE, Action.SET_UP)
# Set while an owner answers a request from a process in team mode (see ``required``).
_REQUIRED: ContextVar[bool] = ContextVar("cruxlab_team_required", default=False)


def _flag(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _ON or text in _OFF:
        return text in _ON
    raise InvalidInput(f"{where} must be true or false, not {value!r}.")


def enabled(home: Path) -> bool:
    """Whether a home is in team mode (``CRUXLAB_TEAM`` or ``[team] enabled`` in settings,
    or the request being answered came from a process in team mode)."""
    if _REQUIRED.get() or _flag(os.environ.get(TEAM_ENV, ""), TEAM_ENV):
        return True
    table = settings_file.read(home).get("team", {})
    if not isinstance(table, dict):
        raise InvalidInput(f"In {settings_file.path(home)}, [team] must be a table.")
    return _flag(table.get("enabled", False), f"[team] enabled in {settings_file.path(home)}")


@contextmanager
def required(on: bool) -> Iterator[None]:
    """Inside, with ``on``, the home is in team mode whatever this process's settings say: an
    owner answers a request from a process in team mode as in team mode (never the reverse)."""
    token = _REQUIRED.set(on or _REQUIRED.get())
    try:
        yield
    finally:
        _REQUIRED.reset(token)


def enabled_for(store: Store) -> bool:
    """Whether the home of ``store`` is in team mode."""
    return enabled(store.path.parent)


def refusal(
    person: Person,
    action: Action,
    *,
    about: Person | None = None,
    project: Project | None = None,
) -> str | None:
    """Why the role matrix does not let ``person`` do ``action`` (about someone, on a
    project), or None when it does."""
    if person.role == "mentor":
        return None
    scope = SCHOLARS[action]
    if scope is Scope.NONE:
        return f"{person.name} is a scholar; only mentors may {action}."
    if scope is Scope.OWN and (about is None or about.id != person.id):
        other = f", not as {about.name}" if about is not None else ""
        return f"{person.name} is a scholar and may {action} only as themselves{other}."
    if scope is Scope.ASSIGNED and (project is None or project.assignee_id != person.id):
        whose = project and project.assignee_name and f"{project.assignee_name}'s"
        what = f"project {project.id} is {whose or 'not theirs'}" if project else "this is none"
        return (
            f"{person.name} is a scholar and may {action} only of projects assigned to them; "
            f"{what}."
        )
    return None


@dataclass(frozen=True)
class Acting:
    """Who makes a write, and whether team mode holds them to the role matrix."""

    person: Person | None  # None: nobody named (single-user use), or nobody exists yet
    team: bool

    @property
    def id(self) -> int | None:
        """The acting person's id, for ``entered_by`` columns (None: nobody named)."""
        return self.person.id if self.person else None

    @property
    def name(self) -> str | None:
        """The acting person's name (None: nobody named)."""
        return self.person.name if self.person else None

    def require(
        self, action: Action, *, about: Person | None = None, project: Project | None = None
    ) -> None:
        """Refuse (``NotAllowed``) an action the acting person's role does not allow."""
        if not self.team:
            return
        if self.person is None:  # only while the home has nobody in it (see ``acting``)
            if action not in SET_UP_ACTIONS:
                raise NotAllowed(EMPTY)
            return
        reason = refusal(self.person, action, about=about, project=project)
        if reason:
            raise NotAllowed(reason)

    def record(self, cur: Cursor, action: Action, kind: str, entity_id: int | None) -> None:
        """Log the write in ``activity``: who, which action, what it wrote."""
        activity_table.record(cur, self.id, action.name.lower(), kind, entity_id)


def acting(store: Store, cur: Cursor, actor: str | int | None) -> Acting:
    """Who ``actor`` (a name or id) is. In team mode someone must be named — except in a
    home with nobody in it yet, where there is nobody to be and only setting up is allowed."""
    team = enabled_for(store)
    if not people_table.anyone(cur):
        return Acting(None, team)
    if actor is None or str(actor).strip() == "":
        if team:
            raise NotAllowed(NOBODY)
        return Acting(None, team)
    return Acting(people.resolve(cur, actor), team)


def who(store: Store, actor: str | int | None, action: Action | None = None) -> Person | None:
    """The person ``actor`` names (None: nobody), refusing a missing one in team mode and,
    given an ``action``, one whose role does not allow it."""
    with store.cursor() as cur:
        me = acting(store, cur, actor)
    if action is not None:
        me.require(action)
    return me.person


def setting_up(store: Store, *, actor: str | int | None = None) -> str | None:
    """Who seeds the demo: the acting person, who must be a mentor in team mode; None when
    nobody is named outside team mode."""
    me = who(store, actor, Action.SET_UP)
    return me.name if me is not None else None


def activity(store: Store, *, person: str | int | None = None, limit: int = 50) -> list[Activity]:
    """The latest writes (one person's, or everyone's), newest first."""
    if limit < 1:
        raise InvalidInput(f"The limit must be at least 1, not {limit}.")
    with store.cursor() as cur:
        who = people.resolve(cur, person).id if person is not None else None
        return [Activity(**r) for r in activity_table.recent(cur, who, limit)]
