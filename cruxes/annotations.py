"""Tags on cruxes, projects and runs, and markdown notes on projects and runs.

Both are append-only: adding or removing a tag appends an event (the tags on
something are those whose latest event added them), and a note is never
edited — a correction is a new note.
"""

from __future__ import annotations

from cruxes import team
from cruxes.beliefs import require_crux
from cruxes.models import Note, NoteIn, TagIn, parse
from cruxes.people import resolve
from cruxes.projects import require_project
from db import annotations as annotations_table
from db import runs as runs_table
from db.errors import Conflict, InvalidInput, NotFound
from db.store import Cursor, Store

TAG_KINDS = ("crux", "project", "run")
NOTE_KINDS = ("project", "run")


def _require(cur: Cursor, kind: str, entity_id: int, kinds: tuple[str, ...]) -> None:
    if kind not in kinds:
        raise InvalidInput(f"Unknown kind {kind!r}; use one of {', '.join(kinds)}.")
    if kind == "crux":
        require_crux(cur, entity_id)
    elif kind == "project":
        require_project(cur, entity_id)
    elif runs_table.get_run(cur, entity_id) is None:
        raise NotFound(f"No run {entity_id}; see `cruxlab run list`.")


def add_tag(
    store: Store, kind: str, entity_id: int, tag: str, *, actor: str | int | None = None
) -> list[str]:
    """Tag a crux, project or run; returns its tags (adding a tag it has changes nothing)."""
    tag = parse(TagIn, "tag", tag=tag).tag
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.TAG)
        _require(cur, kind, entity_id, TAG_KINDS)
        if tag not in annotations_table.tags_of(cur, kind, entity_id):
            annotations_table.record_tag(cur, kind, entity_id, tag, added=True)
            me.record(cur, team.Action.TAG, kind, entity_id)
        return annotations_table.tags_of(cur, kind, entity_id)


def remove_tag(
    store: Store, kind: str, entity_id: int, tag: str, *, actor: str | int | None = None
) -> list[str]:
    """Take a tag off a crux, project or run; returns its remaining tags."""
    tag = parse(TagIn, "tag", tag=tag).tag
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.TAG)
        _require(cur, kind, entity_id, TAG_KINDS)
        if tag not in annotations_table.tags_of(cur, kind, entity_id):
            raise Conflict(f"The {kind} {entity_id} has no tag {tag!r}.")
        annotations_table.record_tag(cur, kind, entity_id, tag, added=False)
        me.record(cur, team.Action.TAG, kind, entity_id)
        return annotations_table.tags_of(cur, kind, entity_id)


def tags_of(store: Store, kind: str, entity_id: int) -> list[str]:
    """A crux's, project's or run's current tags."""
    with store.cursor() as cur:
        _require(cur, kind, entity_id, TAG_KINDS)
        return annotations_table.tags_of(cur, kind, entity_id)


def all_tags(store: Store) -> list[str]:
    """Every tag in use, alphabetically (for filters)."""
    with store.cursor() as cur:
        return annotations_table.all_tags(cur)


def add_note(
    store: Store,
    kind: str,
    entity_id: int,
    body: str,
    *,
    person: str | int | None = None,
    actor: str | int | None = None,
) -> Note:
    """Append a markdown note to a project or run, signed by ``person`` (default: the actor;
    nobody named: unsigned) and entered by ``actor``."""
    body = parse(NoteIn, "note", body=body).body
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        _require(cur, kind, entity_id, NOTE_KINDS)
        who = resolve(cur, person) if person is not None else me.person
        me.require(team.Action.NOTE, about=who)
        row = annotations_table.insert_note(
            cur, kind, entity_id, body, who.id if who else None, me.id
        )
        me.record(cur, team.Action.NOTE, "note", row["id"])
    return Note(**row, person_name=who.name if who else None, entered_by_name=me.name)


def list_notes(store: Store, kind: str, entity_id: int) -> list[Note]:
    """A project's or run's notes, oldest first."""
    with store.cursor() as cur:
        _require(cur, kind, entity_id, NOTE_KINDS)
        return [Note(**r) for r in annotations_table.list_notes(cur, kind, entity_id)]
