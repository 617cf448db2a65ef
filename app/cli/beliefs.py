"""``cruxlab crux``, ``credence`` and ``question``: claims, beliefs, and their questions."""

from __future__ import annotations

import typer

from app.cli.common import NUMBERS_MAY_BE_NEGATIVE, JsonOpt, VersionOpt, sub
from app.cli.render import emit
from cruxes import beliefs, questions
from cruxes.api import call

crux_app = sub("crux", "Cruxes: claims people hold credences in.")
credence_app = sub("credence", "Record a person's credence in a crux.")
question_app = sub("question", "Top-level questions that group cruxes.")


@crux_app.command("add")
def crux_add(statement: str, as_json: bool = JsonOpt) -> None:
    """Add a crux by hand."""
    c = call(beliefs.add_crux, statement)
    emit(as_json, c, f"Added crux {c.id}.")


@crux_app.command("list")
def crux_list(as_json: bool = JsonOpt) -> None:
    """List cruxes."""
    emit(as_json, call(beliefs.list_cruxes))


@crux_app.command("show")
def crux_show(crux_id: int, as_json: bool = JsonOpt) -> None:
    """Show a crux, each person's credence, and what moved it."""
    d = call(beliefs.get_crux, crux_id)
    lines = [f"Crux {d.crux.id} (version {d.crux.version}): {d.crux.statement}"]
    if d.crux.quote:
        lines.append(f"  from dialogue {d.crux.dialogue_id}, {d.crux.speaker}: “{d.crux.quote}”")
    lines += [
        f"  also in dialogue {m.dialogue_id}, {m.speaker}: “{m.quote}”"
        for m in d.mentions
        if m.status == "merged"
    ]
    lines.append(
        "Current: "
        + (", ".join(f"{k} {v:.2f}" for k, v in d.current.items()) or "no credences yet")
    )
    lines += [
        f"  {h.created_at:%Y-%m-%d %H:%M}  {h.person_name:<12} {h.value:.2f}  "
        f"[{h.source}] {h.cause}"
        for h in d.history
    ]
    emit(as_json, d, "\n".join(lines))


@crux_app.command("edit")
def crux_edit(
    crux_id: int,
    statement: str,
    version: int = VersionOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Reword a crux (refused if it changed since the version you read)."""
    c = call(beliefs.edit_crux, crux_id, statement, version)
    emit(as_json, c, f"Crux {c.id} is now at version {c.version}.")


@crux_app.command("group")
def crux_group(
    crux_id: int,
    question: int = typer.Option(
        None, "--question", help="The question id (default: the default question)."
    ),
    version: int = VersionOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Put a crux under a top-level question (refused if it changed since the version you read)."""
    c = call(questions.set_question, crux_id, question, expected_version=version)
    emit(
        as_json,
        c,
        f"Crux {c.id} is now under question {c.question_id or 'default'} (version {c.version}).",
    )


@question_app.command("add")
def question_add(text: str, as_json: bool = JsonOpt) -> None:
    """Add a top-level question."""
    q = call(questions.add_question, text)
    emit(as_json, q, f"Added question {q.id}.")


@question_app.command("list")
def question_list(as_json: bool = JsonOpt) -> None:
    """List the questions (the default one first)."""
    rows = call(questions.list_questions)
    emit(as_json, rows, "\n".join(f"{q.id or 'default'}\t{q.text}" for q in rows))


@credence_app.command("add", context_settings=NUMBERS_MAY_BE_NEGATIVE)
def credence_add(
    crux_id: int,
    person: str,
    value: str,
    reason: str = typer.Option(None, "--reason", help="What moved you."),
    as_json: bool = JsonOpt,
) -> None:
    """Record PERSON's credence (0–1) in a crux."""
    c = call(beliefs.add_credence, crux_id, person, value, reason=reason)
    emit(as_json, c, f"{c.person_name}: {c.value:.2f} on crux {c.crux_id} (credence {c.id}).")
