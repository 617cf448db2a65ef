"""The review queue: a person accepts, edits or rejects each extracted candidate.

Accepting a crux candidate creates a crux that keeps its provenance (dialogue,
speaker, verbatim quote and offsets). Accepting a project candidate creates a
proposed project. Nothing is created without this step.
"""

from __future__ import annotations

from cruxes.beliefs import CruxIn
from cruxes.models import Candidate, Crux, Project, parse
from db import beliefs as beliefs_table
from db import dialogues as dialogues_table
from db import projects as projects_table
from db.errors import Conflict, NotFound
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


def accept_candidate(
    store: Store,
    candidate_id: int,
    *,
    statement: str | None = None,
    record_credence: bool = False,
) -> Crux | Project:
    """Turn a pending candidate into a crux (or a proposed project), optionally reworded.

    With ``record_credence``, a credence the speaker stated is recorded as that
    person's credence with the dialogue as its source (the speaker must map to a person).
    """
    with store.transaction() as cur:
        c = _pending(cur, candidate_id)
        text = parse(CruxIn, "statement", statement=statement or c.summary).statement
        if c.kind == "project":
            row = projects_table.insert_project(cur, text, c.quote, None)
            dialogues_table.review_candidate(cur, c.id, "accepted", project_id=row["id"])
            return Project(**row)
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
        if record_credence and c.credence is not None:
            person_id = _speaker_person(cur, c)
            beliefs_table.insert_credence(
                cur,
                row["id"],
                person_id,
                c.credence,
                source="dialogue",
                dialogue_id=c.dialogue_id,
                reason=f"Stated in dialogue {c.dialogue_id}",
            )
        return Crux(**row)


def _speaker_person(cur: Cursor, c: Candidate) -> int:
    for s in dialogues_table.list_speakers(cur, c.dialogue_id):
        if s["speaker"] == c.speaker and s["person_id"] is not None:
            return s["person_id"]
    raise Conflict(
        f"Speaker {c.speaker!r} is not mapped to a person, so their stated credence "
        "cannot be recorded; add them as a person first."
    )


def reject_candidate(store: Store, candidate_id: int) -> Candidate:
    """Mark a pending candidate rejected (it stays listed as rejected)."""
    with store.transaction() as cur:
        _pending(cur, candidate_id)
        return Candidate(**dialogues_table.review_candidate(cur, candidate_id, "rejected"))
