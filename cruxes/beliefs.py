"""Cruxes and credences: what each person believes, and the record of what moved them.

The credence log is append-only. A person's current credence in a crux is
their latest row; a correction is a new row. Each row says where it came from:
a manual entry (with an optional reason), a dialogue, or an outcome of a run.
"""

from __future__ import annotations

from cruxes import team
from cruxes.models import Candidate, Credence, CredenceIn, Crux, CruxDetail, Model, Text, parse
from cruxes.people import resolve
from cruxes.scoring import spread_over_time
from db import annotations as annotations_table
from db import beliefs as beliefs_table
from db import dialogues as dialogues_table
from db import projects as projects_table
from db.errors import NotFound, StaleWrite
from db.store import Cursor, Store


class CruxIn(Model):
    statement: Text


def require_crux(cur: Cursor, crux_id: int) -> Crux:
    row = beliefs_table.get_crux(cur, crux_id)
    if row is None:
        raise NotFound(f"No crux {crux_id}; see `cruxlab crux list`.")
    return Crux(**row)


def add_crux(store: Store, statement: str, *, actor: str | int | None = None) -> Crux:
    """Add a crux typed in by hand (no dialogue provenance)."""
    statement = parse(CruxIn, "crux", statement=statement).statement
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.EDIT_CRUXES)
        crux = Crux(**beliefs_table.insert_crux(cur, statement))
        me.record(cur, team.Action.EDIT_CRUXES, "crux", crux.id)
        return crux


def list_cruxes(store: Store) -> list[Crux]:
    """Every crux, oldest first."""
    with store.cursor() as cur:
        return [Crux(**r) for r in beliefs_table.list_cruxes(cur)]


def get_crux(store: Store, crux_id: int) -> CruxDetail:
    """A crux with each person's current credence, the full history with the spread between
    people after each change, its projects and its tags."""
    with store.cursor() as cur:
        crux = require_crux(cur, crux_id)
        history = [Credence(**r) for r in beliefs_table.credence_history(cur, crux_id)]
        projects = projects_table.projects_for_crux(cur, crux_id)
        mentions = [Candidate(**r) for r in dialogues_table.crux_sources(cur, crux_id)]
        tags = annotations_table.tags_of(cur, "crux", crux_id)
    current: dict[str, float] = {}
    for row in history:
        current[row.person_name] = row.value
    return CruxDetail(
        crux=crux,
        current=dict(sorted(current.items())),
        history=history,
        project_ids=[p["id"] for p in projects],
        mentions=mentions,
        spread=spread_over_time(history),
        tags=tags,
    )


def edit_crux(
    store: Store,
    crux_id: int,
    statement: str,
    expected_version: int,
    *,
    actor: str | int | None = None,
) -> Crux:
    """Reword a crux; refused if someone changed it since ``expected_version``."""
    statement = parse(CruxIn, "crux", statement=statement).statement
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.EDIT_CRUXES)
        require_crux(cur, crux_id)
        row = beliefs_table.update_statement(cur, crux_id, statement, expected_version)
        if row is None:
            raise stale(crux_id)
        me.record(cur, team.Action.EDIT_CRUXES, "crux", crux_id)
        return Crux(**row)


def stale(crux_id: int) -> StaleWrite:
    return StaleWrite(
        f"Crux {crux_id} was changed by someone else since you loaded it; "
        "reload it and make your edit again."
    )


def add_credence(
    store: Store,
    crux_id: int,
    person: str | int,
    value: object,
    *,
    reason: str | None = None,
    source: str = "manual",
    dialogue_id: int | None = None,
    actor: str | int | None = None,
) -> Credence:
    """Append a person's credence (0–1) for a crux, entered by ``actor``; bad values and
    writes the actor's role does not allow are refused, nothing written."""
    entry = parse(CredenceIn, "credence", value=value, reason=reason or None)
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        require_crux(cur, crux_id)
        who = resolve(cur, person)
        me.require(team.Action.RECORD_CREDENCE, about=who)
        row = beliefs_table.insert_credence(
            cur,
            crux_id,
            who.id,
            entry.value,
            reason=entry.reason,
            source=source,
            dialogue_id=dialogue_id,
            entered_by=me.id,
        )
        me.record(cur, team.Action.RECORD_CREDENCE, "credence", row["id"])
    return Credence(**row, person_name=who.name, entered_by_name=me.name)
