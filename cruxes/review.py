"""The review queue: a person accepts, edits, merges or rejects each extracted candidate.

Accepting a crux candidate creates a crux that keeps its provenance (dialogue,
speaker, verbatim quote and offsets). Merging it into an existing crux instead
records that the same disagreement came up again (the candidate is ``merged``
and points at that crux), so it is tracked once across discussions. Accepting
a project candidate creates a proposed project linked to the cruxes it
informs. Either way, a credence the speaker stated can be recorded as that
person's credence with the dialogue as its source. Nothing is created without
this step.
"""

from __future__ import annotations

from dataclasses import dataclass

from cruxes import team
from cruxes.beliefs import CruxIn, require_crux
from cruxes.models import Candidate, Crux, Project, parse
from cruxes.similarity import Index
from db import beliefs as beliefs_table
from db import dialogues as dialogues_table
from db import projects as projects_table
from db.errors import Conflict, InvalidInput, NotFound
from db.store import Cursor, Store


def _pending(cur: Cursor, candidate_id: int) -> Candidate:
    row = dialogues_table.get_candidate(cur, candidate_id)
    if row is None:
        raise NotFound(f"No candidate {candidate_id}; see `cruxlab candidate list`.")
    candidate = Candidate(**row)
    if candidate.status != "pending":
        made = f" (crux {candidate.crux_id})" if candidate.crux_id else ""
        made += f" (project {candidate.project_id})" if candidate.project_id else ""
        raise Conflict(f"Candidate {candidate_id} was already {candidate.status}{made}.")
    return candidate


def get_candidate(store: Store, candidate_id: int) -> Candidate:
    """One candidate, whatever its status."""
    with store.cursor() as cur:
        row = dialogues_table.get_candidate(cur, candidate_id)
    if row is None:
        raise NotFound(f"No candidate {candidate_id}; see `cruxlab candidate list`.")
    return Candidate(**row)


def accept_candidate(
    store: Store,
    candidate_id: int,
    *,
    statement: str | None = None,
    record_credence: bool = False,
    crux_ids: list[int] = (),
    actor: str | int | None = None,
) -> Crux | Project:
    """Turn a pending candidate into a crux, or into a proposed project informing ``crux_ids``.

    ``statement`` rewords it. With ``record_credence``, a credence the speaker
    stated is recorded as that person's credence with the dialogue as its
    source (the speaker must map to a person).
    """
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.REVIEW)
        c = _pending(cur, candidate_id)
        text = parse(CruxIn, "statement", statement=statement or c.summary).statement
        if c.kind == "project":
            for crux_id in crux_ids:
                require_crux(cur, crux_id)
            row = projects_table.insert_project(cur, text, c.quote, None)
            for crux_id in crux_ids:
                projects_table.link_crux(cur, row["id"], crux_id)
            dialogues_table.review_candidate(cur, c.id, "accepted", project_id=row["id"])
            me.record(cur, team.Action.REVIEW, "project", row["id"])
            return Project(**row, crux_ids=sorted(set(crux_ids)))
        if crux_ids:
            raise InvalidInput(f"Candidate {c.id} is a crux; only a project links to cruxes.")
        row = beliefs_table.insert_crux(
            cur,
            text,
            dialogue_id=c.dialogue_id,
            candidate_id=c.id,
            speaker=c.speaker,
            quote=c.quote,
            quote_start=c.start_offset,
            quote_end=c.end_offset,
        )
        dialogues_table.review_candidate(cur, c.id, "accepted", crux_id=row["id"])
        if record_credence:
            _record_stated(cur, me, c, row["id"])
        me.record(cur, team.Action.REVIEW, "crux", row["id"])
        return Crux(**row)


def merge_candidate(
    store: Store,
    candidate_id: int,
    crux_id: int,
    *,
    record_credence: bool = False,
    actor: str | int | None = None,
) -> Crux:
    """Record a pending crux candidate as another mention of an existing crux."""
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.REVIEW)
        c = _pending(cur, candidate_id)
        crux = require_crux(cur, crux_id)
        if c.kind != "crux":
            raise InvalidInput(
                f"Candidate {c.id} is a project; accept it as a project linked to crux {crux_id}."
            )
        dialogues_table.review_candidate(cur, c.id, "merged", crux_id=crux.id)
        if record_credence:
            _record_stated(cur, me, c, crux.id)
        me.record(cur, team.Action.REVIEW, "candidate", c.id)
        return crux


def _record_stated(cur: Cursor, me: team.Acting, c: Candidate, crux_id: int) -> None:
    if c.credence is None:
        raise InvalidInput(f"Candidate {c.id} states no credence to record.")
    row = beliefs_table.insert_credence(
        cur,
        crux_id,
        _speaker_person(cur, c),
        c.credence,
        source="dialogue",
        dialogue_id=c.dialogue_id,
        reason=f"Stated in dialogue {c.dialogue_id}: “{c.quote}”",
        entered_by=me.id,
    )
    me.record(cur, team.Action.REVIEW, "credence", row["id"])


def _speaker_person(cur: Cursor, c: Candidate) -> int:
    for s in dialogues_table.list_speakers(cur, c.dialogue_id):
        if s["speaker"] == c.speaker and s["person_id"] is not None:
            return s["person_id"]
    raise Conflict(
        f"Speaker {c.speaker!r} of dialogue {c.dialogue_id} is not mapped to a person, so "
        "their stated credence cannot be recorded; map the speaker to a person first."
    )


def reject_candidate(
    store: Store, candidate_id: int, *, actor: str | int | None = None
) -> Candidate:
    """Mark a pending candidate rejected (it stays listed as rejected)."""
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.REVIEW)
        _pending(cur, candidate_id)
        me.record(cur, team.Action.REVIEW, "candidate", candidate_id)
        return Candidate(**dialogues_table.review_candidate(cur, candidate_id, "rejected"))


@dataclass(frozen=True)
class Resemblance:
    crux: Crux
    score: float  # lexical similarity, 0–1


def similar_cruxes(store: Store, candidate_ids: list[int]) -> dict[int, list[Resemblance]]:
    """For each candidate, the existing cruxes (from any dialogue) it resembles, best first."""
    with store.cursor() as cur:
        cruxes = {r["id"]: Crux(**r) for r in beliefs_table.list_cruxes(cur)}
        candidates = [Candidate(**dialogues_table.get_candidate(cur, i)) for i in candidate_ids]
    if not cruxes:
        return {i: [] for i in candidate_ids}
    index = Index((crux.id, crux.statement) for crux in cruxes.values())
    return {
        c.id: [Resemblance(cruxes[k], s) for k, s in index.similar(c.summary) if k != c.crux_id]
        for c in candidates
    }
