"""``cruxlab candidate``: review extracted candidate cruxes and projects."""

from __future__ import annotations

from typing import Any

import typer

from app.cli.common import JsonOpt, sub
from app.cli.render import emit, pct
from cruxes import dialogues, review
from cruxes.api import call

candidate_app = sub("candidate", "Review extracted candidate cruxes and projects.")


def _candidate_line(c, similar) -> str:
    line = f"{c.id}\t{c.kind}\t{c.status}\t{c.speaker}: {c.quote[:100]}"
    return line + "".join(
        f"\n\t≈ crux {r.crux.id} ({r.score:.2f}): {r.crux.statement}" for r in similar
    )


@candidate_app.command("list")
def candidate_list(
    dialogue: int = typer.Option(None, "--dialogue", help="Only this dialogue's candidates."),
    status: str = typer.Option(
        "pending", "--status", help="pending, accepted, merged, rejected or all."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """List candidates, best first, with the known cruxes each resembles."""
    rows = call(dialogues.list_candidates, dialogue, None if status == "all" else status)
    similar = call(review.similar_cruxes, [c.id for c in rows if c.status == "pending"])
    payload = [
        {**c.model_dump(mode="json"), "similar": [_resemblance(r) for r in similar.get(c.id, [])]}
        for c in rows
    ]
    emit(
        as_json,
        payload,
        "\n".join(_candidate_line(c, similar.get(c.id, [])) for c in rows) or "(none)",
    )


def _resemblance(r) -> dict[str, Any]:
    return {"crux_id": r.crux.id, "statement": r.crux.statement, "score": r.score}


@candidate_app.command("show")
def candidate_show(candidate_id: int, as_json: bool = JsonOpt) -> None:
    """Show a candidate with its quote in context and the known cruxes it resembles."""
    c = call(review.get_candidate, candidate_id)
    similar = call(review.similar_cruxes, [c.id])[c.id] if c.status == "pending" else []
    text = call(dialogues.get_dialogue, c.dialogue_id).text
    before = text[max(0, c.start_offset - 160) : c.start_offset]
    after = text[c.end_offset : c.end_offset + 160]
    lines = [
        f"Candidate {c.id} ({c.kind}, {c.status}) from dialogue {c.dialogue_id}, {c.speaker}",
        f"  proposed: {c.summary}",
        f"  stance {c.stance or '—'}, stated credence {pct(c.credence)}, score {c.score:g}",
        f"  …{before}»{c.quote}«{after}…",
    ]
    lines += [f"  ≈ crux {r.crux.id} ({r.score:.2f}): {r.crux.statement}" for r in similar]
    payload = {**c.model_dump(mode="json"), "similar": [_resemblance(r) for r in similar]}
    emit(as_json, payload, "\n".join(lines))


@candidate_app.command("accept")
def candidate_accept(
    candidate_id: int,
    statement: str = typer.Option(None, "--statement", help="Reword the crux or project."),
    record_credence: bool = typer.Option(
        False, "--record-credence", help="Record the credence the speaker stated."
    ),
    crux: list[int] = typer.Option([], "--crux", help="For a project: a crux it informs (repeat)."),
    as_json: bool = JsonOpt,
) -> None:
    """Accept a candidate as a crux, or as a project linked to cruxes."""
    made = call(
        review.accept_candidate,
        candidate_id,
        statement=statement,
        record_credence=record_credence,
        crux_ids=crux,
    )
    kind = "project" if hasattr(made, "title") else "crux"
    emit(as_json, made, f"Accepted candidate {candidate_id} as {kind} {made.id}.")


@candidate_app.command("merge")
def candidate_merge(
    candidate_id: int,
    crux_id: int,
    record_credence: bool = typer.Option(
        False, "--record-credence", help="Record the speaker's stated credence on that crux."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Merge a crux candidate into an existing crux (the same disagreement, again)."""
    crux = call(review.merge_candidate, candidate_id, crux_id, record_credence=record_credence)
    emit(as_json, crux, f"Merged candidate {candidate_id} into crux {crux.id}.")


@candidate_app.command("reject")
def candidate_reject(candidate_id: int, as_json: bool = JsonOpt) -> None:
    """Reject a candidate."""
    emit(
        as_json,
        call(review.reject_candidate, candidate_id),
        f"Rejected candidate {candidate_id}.",
    )
