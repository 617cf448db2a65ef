"""``cruxlab``: every action of the app, scriptable.

Each command calls one domain function and prints the result, as text or, with
``--json``, as JSON (a created object includes its ``id``; ``list`` prints an
array; ``show`` includes the history). Errors a person can cause print one line
on stderr and exit with status 2.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from cruxes import (
    annotations,
    beliefs,
    board,
    dashboard,
    demo,
    dialogues,
    exchange,
    outcomes,
    people,
    predictions,
    projects,
    questions,
    review,
    runs,
    scoring,
    workspace,
)
from cruxes.errors import CruxlabError
from cruxes.models import PROJECT_STATUSES, Card, CruxForecast, RunRow

app = typer.Typer(
    help="cruxlab: track cruxes, run experiments, and record what moved your credences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of text.")
AsOpt = typer.Option(
    None,
    "--as",
    help="Who is looking: a blind project shows them others' predictions "
    "only where they have entered their own.",
)
DateOpt = typer.Option(None, formats=["%Y-%m-%d"], help="A day, YYYY-MM-DD (UTC).")


def _sub(name: str, help: str) -> typer.Typer:
    sub = typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)
    app.add_typer(sub, name=name)
    return sub


person_app = _sub("person", "Mentors and scholars.")
dialogue_app = _sub("dialogue", "Import dialogues and read them.")
candidate_app = _sub("candidate", "Review extracted candidate cruxes and projects.")
crux_app = _sub("crux", "Cruxes: claims people hold credences in.")
credence_app = _sub("credence", "Record a person's credence in a crux.")
project_app = _sub("project", "Projects that inform cruxes.")
prediction_app = _sub("prediction", "Pre-registered predictions for a project.")
template_app = _sub("template", "Experiment templates.")
run_app = _sub("run", "Start and inspect runs.")
outcome_app = _sub("outcome", "Check runs against predictions.")
update_app = _sub("update", "Apply the credence updates an outcome proposes.")
question_app = _sub("question", "Top-level questions that group cruxes.")
tag_app = _sub("tag", "Tags on cruxes, projects and runs.")
note_app = _sub("note", "Markdown notes on projects and runs.")


def _store():
    return workspace.open_store()


def _plain(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, list | tuple):
        return [_plain(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def emit(as_json: bool, obj: Any, text: str | None = None) -> None:
    """Print ``obj`` as JSON, or ``text`` (default: a readable form of obj)."""
    if as_json:
        typer.echo(json.dumps(_plain(obj), indent=2, default=str))
    else:
        typer.echo(text if text is not None else _describe(obj))


def _describe(obj: Any) -> str:
    data = _plain(obj)
    if isinstance(data, list):
        return "\n".join(_line(d) for d in data) or "(none)"
    return "\n".join(f"{k}: {v}" for k, v in data.items())


def _line(d: dict) -> str:
    label = d.get("statement") or d.get("title") or d.get("name") or d.get("summary") or ""
    extra = d.get("status") or d.get("role") or ""
    return f"{d.get('id', '')}\t{extra}\t{label}".replace("\t\t", "\t")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


# ---------------------------------------------------------------- set-up


@app.command()
def init(as_json: bool = JsonOpt) -> None:
    """Create (or migrate) the database in CRUXLAB_HOME."""
    store = _store()
    emit(
        as_json,
        {"home": str(workspace.home_of(store)), "database": str(store.path)},
        f"cruxlab home: {workspace.home_of(store)}",
    )


@app.command("demo")
def demo_cmd(as_json: bool = JsonOpt) -> None:
    """Seed the demo dialogue, cruxes, project, run and outcome (once)."""
    result = demo.seed_demo(_store())
    text = (
        "Demo seeded: dialogue {0.dialogue_id}, project {0.project_id}, run {0.run_id}, "
        "outcome {0.outcome_id}."
        if result.seeded
        else "Demo already present (dialogue {0.dialogue_id}); nothing changed."
    ).format(result)
    emit(as_json, result.__dict__, text)


@app.command()
def worker(run_id: int) -> None:
    """Execute a prepared run (started for you by `cruxlab run start`)."""
    from experiments.worker import main as worker_main

    raise typer.Exit(worker_main([str(run_id)]))


# ---------------------------------------------------------------- people


@person_app.command("add")
def person_add(
    name: str,
    role: str = typer.Option(..., "--role", help="mentor or scholar"),
    as_json: bool = JsonOpt,
) -> None:
    """Add a mentor or scholar."""
    p = people.add_person(_store(), name, role)
    emit(as_json, p, f"Added {p.role} {p.name} (id {p.id}).")


@person_app.command("list")
def person_list(as_json: bool = JsonOpt) -> None:
    """List people."""
    emit(as_json, people.list_people(_store()))


# ---------------------------------------------------------------- dialogues


@dialogue_app.command("import")
def dialogue_import(
    file: Path,
    title: str = typer.Option(None, "--title", help="Title (default: from the speakers)."),
    fmt: str = typer.Option(
        "auto", "--format", help="auto, plain, lesswrong, markdown, stamped, single or html."
    ),
    speaker: str = typer.Option(
        None, "--speaker", help="The author of a single-author post (the whole text is theirs)."
    ),
    add_speakers: bool = typer.Option(
        False, "--add-speakers", help="Create people (as scholars) for unknown speakers."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Import a transcript (format detected) and extract candidate cruxes and projects."""
    text = dialogues.read_text_file(file)
    result = dialogues.import_dialogue(
        _store(), text, title=title, add_speakers=add_speakers, fmt=fmt, speaker=speaker
    )
    d = result.dialogue
    verb = "Imported" if result.created else "Already imported as"
    summary = (
        f"{verb} dialogue {d.id} ({d.title!r}, {d.format}): {len(d.turns)} turns, "
        f"{len(result.candidates)} candidates."
    )
    if result.dropped:
        summary += f" Dropped {result.dropped} whose quote was not verbatim."
    summary = "\n".join([summary, *result.notices])
    payload = {
        **d.model_dump(mode="json", exclude={"text"}),
        "created": result.created,
        "dropped": result.dropped,
        "notices": result.notices,
        "candidates": _plain(result.candidates),
    }
    emit(as_json, payload, summary)


@dialogue_app.command("list")
def dialogue_list(as_json: bool = JsonOpt) -> None:
    """List dialogues."""
    rows = dialogues.list_dialogues(_store())
    emit(
        as_json,
        rows,
        "\n".join(
            f"{r['id']}\t{r['n_turns']} turns\t{r['n_pending']} pending\t{r['title']}" for r in rows
        )
        or "(none)",
    )


@dialogue_app.command("show")
def dialogue_show(dialogue_id: int, as_json: bool = JsonOpt) -> None:
    """Show a dialogue's speakers and turns."""
    d = dialogues.get_dialogue(_store(), dialogue_id)
    emit(
        as_json,
        d,
        f"{d.title} ({d.format})\n{_speakers_text(d)}\n"
        + "\n".join(f"[{t.idx}] {t.speaker}: {t.text}" for t in d.turns),
    )


def _speakers_text(d) -> str:
    return "speakers: " + ", ".join(f"{s} → {p or 'no person'}" for s, p in d.speakers.items())


speaker_app = typer.Typer(
    help="Rename, merge and map a dialogue's speakers.", no_args_is_help=True, rich_markup_mode=None
)
dialogue_app.add_typer(speaker_app, name="speaker")


@speaker_app.command("rename")
def speaker_rename(dialogue_id: int, old: str, new: str, as_json: bool = JsonOpt) -> None:
    """Give speaker OLD the label NEW in a dialogue."""
    d = dialogues.rename_speaker(_store(), dialogue_id, old, new)
    emit(as_json, d.speakers, _speakers_text(d))


@speaker_app.command("merge")
def speaker_merge(dialogue_id: int, speaker: str, into: str, as_json: bool = JsonOpt) -> None:
    """Make SPEAKER the same speaker as INTO (their turns and candidates become INTO's)."""
    d = dialogues.merge_speakers(_store(), dialogue_id, speaker, into)
    emit(as_json, d.speakers, _speakers_text(d))


@speaker_app.command("map")
def speaker_map(
    dialogue_id: int,
    speaker: str,
    person: str = typer.Argument(None, help="A person's name or id; leave out to unmap."),
    as_json: bool = JsonOpt,
) -> None:
    """Map a dialogue's SPEAKER to a PERSON (whose credences they state)."""
    d = dialogues.map_speaker(_store(), dialogue_id, speaker, person)
    emit(as_json, d.speakers, _speakers_text(d))


# ---------------------------------------------------------------- candidates


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
    store = _store()
    rows = dialogues.list_candidates(store, dialogue, None if status == "all" else status)
    similar = review.similar_cruxes(store, [c.id for c in rows if c.status == "pending"])
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
    store = _store()
    c = review.get_candidate(store, candidate_id)
    similar = review.similar_cruxes(store, [c.id])[c.id] if c.status == "pending" else []
    text = dialogues.get_dialogue(store, c.dialogue_id).text
    before = text[max(0, c.start_offset - 160) : c.start_offset]
    after = text[c.end_offset : c.end_offset + 160]
    lines = [
        f"Candidate {c.id} ({c.kind}, {c.status}) from dialogue {c.dialogue_id}, {c.speaker}",
        f"  proposed: {c.summary}",
        f"  stance {c.stance or '—'}, stated credence {_pct(c.credence)}, score {c.score:g}",
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
    made = review.accept_candidate(
        _store(),
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
    crux = review.merge_candidate(_store(), candidate_id, crux_id, record_credence=record_credence)
    emit(as_json, crux, f"Merged candidate {candidate_id} into crux {crux.id}.")


@candidate_app.command("reject")
def candidate_reject(candidate_id: int, as_json: bool = JsonOpt) -> None:
    """Reject a candidate."""
    emit(
        as_json,
        review.reject_candidate(_store(), candidate_id),
        f"Rejected candidate {candidate_id}.",
    )


# ---------------------------------------------------------------- cruxes & credences


@crux_app.command("add")
def crux_add(statement: str, as_json: bool = JsonOpt) -> None:
    """Add a crux by hand."""
    c = beliefs.add_crux(_store(), statement)
    emit(as_json, c, f"Added crux {c.id}.")


@crux_app.command("list")
def crux_list(as_json: bool = JsonOpt) -> None:
    """List cruxes."""
    emit(as_json, beliefs.list_cruxes(_store()))


@crux_app.command("show")
def crux_show(crux_id: int, as_json: bool = JsonOpt) -> None:
    """Show a crux, each person's credence, and what moved it."""
    d = beliefs.get_crux(_store(), crux_id)
    lines = [f"Crux {d.crux.id}: {d.crux.statement}"]
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
    version: int = typer.Option(..., "--version", help="The version you read (from show)."),
    as_json: bool = JsonOpt,
) -> None:
    """Reword a crux (refused if it changed since the version you read)."""
    c = beliefs.edit_crux(_store(), crux_id, statement, version)
    emit(as_json, c, f"Crux {c.id} is now at version {c.version}.")


@crux_app.command("group")
def crux_group(
    crux_id: int,
    question: int = typer.Option(
        None, "--question", help="The question id (default: the default question)."
    ),
    version: int = typer.Option(None, "--version", help="The version you read (from show)."),
    as_json: bool = JsonOpt,
) -> None:
    """Put a crux under a top-level question."""
    c = questions.set_question(_store(), crux_id, question, expected_version=version)
    emit(as_json, c, f"Crux {c.id} is now under question {c.question_id or 'default'}.")


@question_app.command("add")
def question_add(text: str, as_json: bool = JsonOpt) -> None:
    """Add a top-level question."""
    q = questions.add_question(_store(), text)
    emit(as_json, q, f"Added question {q.id}.")


@question_app.command("list")
def question_list(as_json: bool = JsonOpt) -> None:
    """List the questions (the default one first)."""
    rows = questions.list_questions(_store())
    emit(as_json, rows, "\n".join(f"{q.id or 'default'}\t{q.text}" for q in rows))


@credence_app.command("add")
def credence_add(
    crux_id: int,
    person: str,
    value: str,
    reason: str = typer.Option(None, "--reason", help="What moved you."),
    as_json: bool = JsonOpt,
) -> None:
    """Record PERSON's credence (0–1) in a crux."""
    c = beliefs.add_credence(_store(), crux_id, person, value, reason=reason)
    emit(as_json, c, f"{c.person_name}: {c.value:.2f} on crux {c.crux_id} (credence {c.id}).")


# ---------------------------------------------------------------- projects


@project_app.command("add")
def project_add(
    title: str,
    crux: list[int] = typer.Option([], "--crux", help="A crux this project informs (repeat)."),
    summary: str = typer.Option("", "--summary", help="Method and rationale."),
    mentor: str = typer.Option(None, "--mentor", help="The supervising mentor."),
    effort: str = typer.Option(None, "--effort", help="Estimated effort in days."),
    due: str = typer.Option(None, "--due", help="Due date, YYYY-MM-DD."),
    blind: bool = typer.Option(
        False, "--blind", help="Hide others' predictions until each person has entered theirs."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Propose a project."""
    p = projects.add_project(
        _store(),
        title,
        summary=summary,
        crux_ids=crux,
        mentor=mentor,
        effort_days=effort,
        due_date=due,
        blind_predictions=blind,
    )
    emit(as_json, p, f"Added project {p.id} ({p.status}).")


@project_app.command("plan")
def project_plan(
    project_id: int,
    effort: str = typer.Option(None, "--effort", help="Estimated effort in days (none: clear)."),
    due: str = typer.Option(None, "--due", help="Due date, YYYY-MM-DD (none: clear)."),
    blind: bool = typer.Option(
        None, "--blind/--open", help="Hide others' predictions until each has entered theirs."
    ),
    version: int = typer.Option(None, "--version", help="The version you read (from show)."),
    as_json: bool = JsonOpt,
) -> None:
    """Set a project's effort estimate, due date, or blind predictions."""
    changes = {
        "effort_days": effort,
        "due_date": due,
        "blind_predictions": blind,
    }
    p = projects.plan_project(
        _store(),
        project_id,
        expected_version=version,
        **{k: None if v == "none" else v for k, v in changes.items() if v is not None},
    )
    emit(as_json, p, _plan_text(p))


def _plan_text(p) -> str:
    effort = "—" if p.effort_days is None else f"{p.effort_days:g} days"
    blind = "blind" if p.blind_predictions else "open"
    return f"Project {p.id}: effort {effort}, due {p.due_date or '—'}, predictions {blind}."


@project_app.command("assign")
def project_assign(project_id: int, person: str, as_json: bool = JsonOpt) -> None:
    """Assign a project to a scholar."""
    p = projects.assign(_store(), project_id, person)
    emit(as_json, p, f"Project {p.id} assigned to {p.assignee_name}.")


@project_app.command("link")
def project_link(project_id: int, crux_id: int, as_json: bool = JsonOpt) -> None:
    """Link a project to another crux it informs."""
    p = projects.link_crux(_store(), project_id, crux_id)
    emit(as_json, p, f"Project {p.id} informs cruxes {p.crux_ids}.")


@project_app.command("status")
def project_status(
    project_id: int,
    status: str = typer.Argument(..., help=" | ".join(PROJECT_STATUSES)),
    as_json: bool = JsonOpt,
) -> None:
    """Move a project along proposed → assigned → running → in_review → done."""
    p = projects.set_status(_store(), project_id, status)
    emit(as_json, p, f"Project {p.id} is {p.status}.")


@project_app.command("list")
def project_list(as_json: bool = JsonOpt) -> None:
    """List projects."""
    emit(as_json, projects.list_projects(_store()))


@project_app.command("show")
def project_show(project_id: int, viewer: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """Show a project with its plan, predictions, checks, runs, outcomes, tags and notes."""
    store = _store()
    p = projects.get_project(store, project_id)
    preds = predictions.list_predictions(store, project_id, current_only=False, viewer=viewer)
    hidden = predictions.hidden_count(store, project_id, viewer)
    checks = predictions.evidence_checks(store, project_id, viewer=viewer)
    tags = annotations.tags_of(store, "project", project_id)
    notes = annotations.list_notes(store, "project", project_id)
    project_runs = runs.list_runs(store, project_id)
    outs = outcomes.list_outcomes(store, project_id)
    payload = {
        **p.model_dump(mode="json"),
        "predictions": _plain(preds),
        "evidence_checks": _plain(checks),
        "runs": _plain(project_runs),
        "outcomes": _plain(outs),
        "hidden_predictions": hidden,
        "tags": tags,
        "notes": _plain(notes),
    }
    frozen = (
        f"frozen {p.predictions_frozen_at:%Y-%m-%d %H:%M}" if p.predictions_frozen_at else "open"
    )
    lines = [
        f"Project {p.id}: {p.title} [{p.status}]",
        f"  mentor {p.mentor_name or '—'}, assignee {p.assignee_name or '—'}, "
        f"cruxes {p.crux_ids}, predictions {frozen}",
        "  " + _plan_text(p),
    ]
    if tags:
        lines.append(f"  tags: {', '.join(tags)}")
    if hidden:
        lines.append(f"  {hidden} predictions hidden until you enter yours (--as YOU)")
    for pr in preds:
        mark = "" if pr.is_current else " (superseded)"
        lines.append(
            f"  prediction {pr.id}: {pr.person_name} on crux {pr.crux_id}: "
            f"P({pr.rule}) = {pr.p_positive:.2f}, c+ {pr.if_positive:.2f}, "
            f"c- {pr.if_negative:.2f}{mark}"
        )
    lines += [_check_line(c) for c in checks]
    lines += [f"  run {r.id}: {r.template} {r.status}" for r in project_runs]
    lines += [f"  outcome {o.id} from run {o.run_id}" for o in outs]
    lines += [_note_text(n) for n in notes]
    emit(as_json, payload, "\n".join(lines))


def _note_text(n) -> str:
    by = f" by {n.person_name}" if n.person_name else ""
    return f"  note {n.id}{by}, {n.created_at:%Y-%m-%d %H:%M}: " + n.body.replace("\n", " ")


def _check_line(c) -> str:
    flag = "  ⚠ differs by more than 0.05" if c.flagged else ""
    return (
        f"  expected-evidence check, {c.person_name} on crux {c.crux_id}: implied prior "
        f"{c.implied_prior:.2f} vs current {_pct(c.current)}{flag}"
    )


# ---------------------------------------------------------------- predictions


@prediction_app.command("add")
def prediction_add(
    project_id: int,
    crux_id: int,
    person: str,
    metric: str = typer.Option(..., "--metric", help="Template metric that decides the result."),
    op: str = typer.Option(..., "--op", help="One of > >= < <=."),
    threshold: str = typer.Option(..., "--threshold", help="Value the metric is compared to."),
    p_positive: str = typer.Option(..., "--p-positive", help="P(result is positive)."),
    if_positive: str = typer.Option(..., "--if-positive", help="Credence if positive."),
    if_negative: str = typer.Option(..., "--if-negative", help="Credence if negative."),
    note: str = typer.Option(None, "--note", help="Why you expect this."),
    as_json: bool = JsonOpt,
) -> None:
    """Pre-register PERSON's prediction for a project and crux."""
    pred, check = predictions.add_prediction(
        _store(),
        project_id,
        crux_id,
        person,
        metric=metric,
        op=op,
        threshold=threshold,
        p_positive=p_positive,
        if_positive=if_positive,
        if_negative=if_negative,
        note=note,
    )
    payload = {**pred.model_dump(mode="json"), "evidence_check": check.model_dump()}
    emit(as_json, payload, f"Prediction {pred.id} recorded.\n{_check_line(check)}")


@prediction_app.command("list")
def prediction_list(project_id: int, viewer: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """List a project's current predictions (those you may see)."""
    rows = predictions.list_predictions(_store(), project_id, viewer=viewer)
    emit(
        as_json,
        rows,
        "\n".join(
            f"{p.id}\t{p.person_name}\tcrux {p.crux_id}\tP({p.rule}) = {p.p_positive:.2f}"
            for p in rows
        )
        or "(none)",
    )


# ---------------------------------------------------------------- templates & runs


@template_app.command("list")
def template_list(as_json: bool = JsonOpt) -> None:
    """List experiment templates with their metrics."""
    items = [_template_dict(t) for t in runs.list_templates()]
    emit(
        as_json,
        items,
        "\n".join(
            f"{t['name']}\t{t['summary']}\n\tmetrics: {', '.join(m['name'] for m in t['metrics'])}"
            for t in items
        ),
    )


def _template_dict(t) -> dict[str, Any]:
    return {
        "name": t.name,
        "summary": t.summary,
        "parameters": {
            k: {"default": f.default, "description": f.description}
            for k, f in t.config.model_fields.items()
        },
        "metrics": [m.__dict__ for m in t.metrics],
    }


@run_app.command("start")
def run_start(
    project_id: int,
    template: str,
    set_: list[str] = typer.Option([], "--set", help="KEY=VALUE template parameter (repeat)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    wait: bool = typer.Option(False, "--wait", help="Wait until the run finishes."),
    as_json: bool = JsonOpt,
) -> None:
    """Start a template run for a project (in a separate worker process)."""
    store = _store()
    run = runs.start_run(
        store, project_id, template, runs.parse_assignments(set_), seed=seed, device=device
    )
    if wait:
        run = runs.wait_for(store, run.id)
    emit(as_json, run, _run_text(run))
    if wait and run.status == "failed":
        raise typer.Exit(1)


def _run_text(r) -> str:
    lines = [
        f"Run {r.id}: {r.template} for project {r.project_id} — {r.status}"
        + (f" on {r.device}" if r.device else "")
    ]
    if r.error:
        lines.append(f"  error: {r.error}")
    if not r.finished and r.message:
        lines.append(f"  {r.progress:.0%} {r.message}")
    lines += [f"  {k} = {v:.4g}" for k, v in sorted(r.metrics.items()) if v is not None]
    lines += [f"  artifact {a}" for a in r.artifacts]
    return "\n".join(lines)


@run_app.command("show")
def run_show(run_id: int, as_json: bool = JsonOpt) -> None:
    """Show a run's status, metrics and artifacts."""
    store = _store()
    run = runs.get_run(store, run_id)
    payload = {**run.model_dump(mode="json"), "history": runs.metric_history(store, run_id)}
    emit(as_json, payload, _run_text(run))


@run_app.command("list")
def run_list(
    project: int = typer.Option(None, "--project", help="Only this project's runs."),
    as_json: bool = JsonOpt,
) -> None:
    """List runs."""
    rows = runs.list_runs(_store(), project)
    emit(
        as_json,
        rows,
        "\n".join(f"{r.id}\t{r.status}\tproject {r.project_id}\t{r.template}" for r in rows)
        or "(none)",
    )


@run_app.command("log")
def run_log(run_id: int) -> None:
    """Print the end of a run's log."""
    store = _store()
    runs.get_run(store, run_id)
    typer.echo(runs.run_log(store, run_id))


# ---------------------------------------------------------------- outcomes


@outcome_app.command("record")
def outcome_record(
    project_id: int,
    run: int = typer.Option(..., "--run", help="The finished run to check."),
    note: str = typer.Option(None, "--note", help="What you make of it."),
    as_json: bool = JsonOpt,
) -> None:
    """Check a finished run against the project's predictions and record the outcome."""
    o = outcomes.record_outcome(_store(), project_id, run, note=note)
    emit(as_json, o, _outcome_text(o))


def _outcome_text(o) -> str:
    lines = [f"Outcome {o.id}: project {o.project_id}, run {o.run_id}"]
    for e in o.evaluations:
        verdict = "positive" if e.positive else "negative"
        state = "applied" if e.applied else "proposed"
        lines.append(
            f"  {e.person_name}, crux {e.crux_id}: {e.metric} = {e.value:.4g} → "
            f"{verdict}; {_pct(e.credence_before)} → {e.proposed:.2f} ({state})"
        )
    return "\n".join(lines)


@outcome_app.command("show")
def outcome_show(outcome_id: int, as_json: bool = JsonOpt) -> None:
    """Show an outcome and its proposed updates."""
    o = outcomes.get_outcome(_store(), outcome_id)
    emit(as_json, o, _outcome_text(o))


@outcome_app.command("list")
def outcome_list(
    project: int = typer.Option(None, "--project", help="Only this project's outcomes."),
    as_json: bool = JsonOpt,
) -> None:
    """List outcomes."""
    rows = outcomes.list_outcomes(_store(), project)
    emit(as_json, rows, "\n".join(_outcome_text(o) for o in rows) or "(none)")


@update_app.command("apply")
def update_apply(
    outcome_id: int,
    person: str = typer.Option(None, "--person", help="Apply only this person's update."),
    as_json: bool = JsonOpt,
) -> None:
    """Append the credences an outcome proposes, with the outcome as their cause."""
    rows = outcomes.apply_update(_store(), outcome_id, person=person)
    emit(
        as_json,
        rows,
        "\n".join(f"{c.person_name}: crux {c.crux_id} → {c.value:.2f} ({c.reason})" for c in rows),
    )


# ---------------------------------------------------------------- tags & notes


@tag_app.command("add")
def tag_add(kind: str, entity_id: int, tag: str, as_json: bool = JsonOpt) -> None:
    """Tag a crux, project or run (KIND is crux, project or run)."""
    tags = annotations.add_tag(_store(), kind, entity_id, tag)
    emit(as_json, tags, f"{kind} {entity_id} tags: {', '.join(tags)}")


@tag_app.command("remove")
def tag_remove(kind: str, entity_id: int, tag: str, as_json: bool = JsonOpt) -> None:
    """Take a tag off a crux, project or run."""
    tags = annotations.remove_tag(_store(), kind, entity_id, tag)
    emit(as_json, tags, f"{kind} {entity_id} tags: {', '.join(tags) or '(none)'}")


@tag_app.command("list")
def tag_list(
    kind: str = typer.Argument(None, help="crux, project or run (default: every tag in use)."),
    entity_id: int = typer.Argument(None),
    as_json: bool = JsonOpt,
) -> None:
    """List every tag in use, or one crux's, project's or run's tags."""
    store = _store()
    if kind is None:
        tags = annotations.all_tags(store)
    elif entity_id is None:
        raise typer.BadParameter("give the id of the crux, project or run too")
    else:
        tags = annotations.tags_of(store, kind, entity_id)
    emit(as_json, tags, "\n".join(tags) or "(none)")


@note_app.command("add")
def note_add(
    kind: str,
    entity_id: int,
    text: str,
    by: str = typer.Option(None, "--by", help="Who writes it."),
    as_json: bool = JsonOpt,
) -> None:
    """Add a markdown note to a project or run (KIND is project or run)."""
    n = annotations.add_note(_store(), kind, entity_id, text, person=by)
    emit(as_json, n, f"Added note {n.id} to {kind} {entity_id}.")


@note_app.command("list")
def note_list(kind: str, entity_id: int, as_json: bool = JsonOpt) -> None:
    """List a project's or run's notes, oldest first."""
    rows = annotations.list_notes(_store(), kind, entity_id)
    emit(as_json, rows, "\n".join(_note_text(n).strip() for n in rows) or "(none)")


# ---------------------------------------------------------------- views


@app.command("dashboard")
def dashboard_cmd(
    since: datetime = DateOpt,
    until: datetime = DateOpt,
    moves: int = typer.Option(dashboard.DEFAULT_MOVES, "--moves", help="How many moves to list."),
    as_json: bool = JsonOpt,
) -> None:
    """Where we stand: positions per question, the largest moves and the outcomes."""
    a = dashboard.agenda(
        _store(),
        since=since.date() if since else None,
        until=until.date() if until else None,
        limit=moves,
    )
    lines = []
    for group in a.questions:
        lines.append(f"{group.question.text}")
        for c in group.cruxes:
            held = ", ".join(f"{k} {v:.2f}" for k, v in c.positions.items()) or "no credences"
            lines.append(f"  crux {c.crux_id}: {c.statement}\n    {held}; spread {_pct(c.spread)}")
    lines.append("Largest moves:" if a.moves else "No moves in the period.")
    lines += [
        f"  {m.credence.created_at:%Y-%m-%d %H:%M} {m.credence.person_name} on crux "
        f"{m.credence.crux_id}: {m.before:.2f} → {m.credence.value:.2f} ({m.delta:+.2f}); "
        f"{m.credence.cause}"
        for m in a.moves
    ]
    lines.append("Outcomes:" if a.outcomes else "No outcomes in the period.")
    lines += [
        f"  {e.created_at:%Y-%m-%d %H:%M} outcome {e.outcome_id}: project {e.project_id} "
        f"({e.project_title}), run {e.run_id}, {e.n_positive}/{e.n_evaluations} positive"
        for e in a.outcomes
    ]
    emit(as_json, a, "\n".join(lines))


def _forecast_line(f: CruxForecast) -> str:
    return (
        f"    crux {f.crux_id}: E|Δ| {f.expected_update:.3f}; spread {_pct(f.spread_now)} now, "
        f"{_pct(f.spread_if_positive)} if positive, {_pct(f.spread_if_negative)} if negative; "
        f"expected reduction {_pct(f.expected_reduction)}"
    )


@app.command("disagreement")
def disagreement_cmd(
    viewer: str = AsOpt,
    limit: int = typer.Option(None, "--limit", help="Only the N widest disagreements."),
    as_json: bool = JsonOpt,
) -> None:
    """The cruxes people differ on most, with the projects that would bring them closer."""
    rows = dashboard.disagreement(_store(), viewer=viewer, limit=limit)
    lines = []
    for d in rows:
        held = ", ".join(f"{k} {v:.2f}" for k, v in d.positions.items())
        lines.append(f"crux {d.crux_id} (spread {d.spread:.2f}: {held}): {d.statement}")
        for f in d.projects:
            lines.append(f"  project {f.project_id} ({f.project_title})")
            lines.append(_forecast_line(f))
    emit(as_json, rows, "\n".join(lines) or "(no disagreements)")


@app.command("rank")
def rank_cmd(
    viewer: str = AsOpt,
    every: bool = typer.Option(False, "--all", help="Rank projects in every status."),
    as_json: bool = JsonOpt,
) -> None:
    """Rank projects not yet started by the expected update their predictions imply."""
    statuses = PROJECT_STATUSES if every else dashboard.UNSTARTED
    rows = dashboard.rank_projects(_store(), viewer=viewer, statuses=statuses)
    lines = []
    for v in rows:
        effort = "—" if v.effort_days is None else f"{v.effort_days:g} d"
        hidden = f", {v.hidden} predictions hidden" if v.hidden else ""
        lines.append(
            f"{v.project_id}\tE|Δ| {v.expected_update:.3f}\teffort {effort}\t"
            f"disagreement −{v.expected_reduction:.3f}\t{v.title}{hidden}"
        )
    emit(as_json, rows, "\n".join(lines) or "(no projects to rank)")


@app.command("calibration")
def calibration_cmd(
    tag: str = typer.Option(
        None, "--tag", help="Only predictions whose crux, project or run carries this tag."
    ),
    bins: int = typer.Option(scoring.DEFAULT_BINS, "--bins", help="Number of probability bins."),
    as_json: bool = JsonOpt,
) -> None:
    """Brier score, log score and calibration bins of resolved predictions."""
    c = scoring.calibration(_store(), tag=tag, bins=bins)
    lines = []
    for s in [c.overall, *c.people]:
        who = s.person_name or "everyone"
        lines.append(
            f"{who}: {s.n} resolved; Brier {_score(s.brier)}; log score {_score(s.log_score)}"
        )
        lines += [
            f"  P in [{b.lower:.2f}, {b.upper:.2f}): {b.count} predicted, mean "
            f"{b.mean_predicted:.2f}, observed {b.observed:.2f}"
            for b in s.bins
            if b.count
        ]
    emit(as_json, c, "\n".join(lines))


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _card_line(c: Card) -> str:
    run = f"run {c.latest_run_id} {c.latest_run_status}" if c.latest_run_id else "no runs"
    due = f"due {c.due_date}" + (" OVERDUE" if c.overdue else "") if c.due_date else "no due date"
    tags = f" [{', '.join(c.tags)}]" if c.tags else ""
    return (
        f"  {c.project_id} {c.title}{tags}\n    cruxes {[r.id for r in c.cruxes]}; "
        f"{c.assignee_name or 'unassigned'}; {run}; {due}"
    )


@app.command("board")
def board_cmd(
    mentor: str = typer.Option(None, "--mentor", help="Only this mentor's projects."),
    scholar: str = typer.Option(None, "--scholar", help="Only projects assigned to them."),
    tag: str = typer.Option(None, "--tag", help="Only projects with this tag."),
    as_json: bool = JsonOpt,
) -> None:
    """The project board: projects by status with cruxes, latest run and due date."""
    b = board.board(_store(), mentor=mentor, scholar=scholar, tag=tag)
    lines = []
    for status in b.statuses:
        cards = b.column(status)
        lines.append(f"{status} ({len(cards)})")
        lines += [_card_line(c) for c in cards]
    emit(as_json, b, "\n".join(lines))


def _run_row_line(r: RunRow) -> str:
    outcome = f"outcome {r.outcome_id}" if r.outcome_id else "no outcome"
    return f"  run {r.id}: {r.template} {r.status} for project {r.project_id}; {outcome}"


@app.command("scholar")
def scholar_cmd(person: str, as_json: bool = JsonOpt) -> None:
    """A person's projects, their runs, and the predictions awaiting their input."""
    page = board.person_page(_store(), person)
    lines = [f"{page.person.name} ({page.person.role})", "Projects:"]
    lines += [_card_line(c) for c in page.projects] or ["  (none)"]
    lines.append("Runs:")
    lines += [_run_row_line(r) for r in page.runs] or ["  (none)"]
    lines.append("Awaiting your prediction:")
    lines += [
        f"  project {a.project_id} ({a.project_title}), crux {a.crux_id}: {a.statement}"
        for a in page.awaiting
    ] or ["  (nothing)"]
    emit(as_json, page, "\n".join(lines))


@app.command("coverage")
def coverage_cmd(as_json: bool = JsonOpt) -> None:
    """Cruxes with no project, projects with no run, succeeded runs with no outcome."""
    c = board.coverage(_store())
    lines = ["Cruxes with no project:"]
    lines += [f"  crux {x.id}: {x.statement}" for x in c.cruxes_without_project] or ["  (none)"]
    lines.append("Projects with no run:")
    lines += [_card_line(p) for p in c.projects_without_run] or ["  (none)"]
    lines.append("Succeeded runs with no outcome:")
    lines += [_run_row_line(r) for r in c.runs_without_outcome] or ["  (none)"]
    emit(as_json, c, "\n".join(lines))


# ---------------------------------------------------------------- export / import


@app.command("export")
def export_cmd(directory: Path, as_json: bool = JsonOpt) -> None:
    """Write every table as Parquet, the run folders and report.md into a new directory."""
    r = exchange.export_home(_store(), directory)
    rows = sum(r.tables.values())
    text = (
        f"Exported {len(r.tables)} tables ({rows} rows) and {r.run_folders} run folders "
        f"to {r.directory}; report: {r.report}"
    )
    emit(as_json, r, text)


@app.command("import")
def import_cmd(directory: Path, as_json: bool = JsonOpt) -> None:
    """Restore an export into an empty CRUXLAB_HOME."""
    r = exchange.import_home(_store(), directory)
    rows = sum(r.tables.values())
    text = (
        f"Imported {len(r.tables)} tables ({rows} rows) and {r.run_folders} run folders "
        f"from {r.directory}."
    )
    emit(as_json, r, text)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one line on stderr and exit 2 for errors a person can fix."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="cruxlab", standalone_mode=False)
    except CruxlabError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, ...
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: show its help
            typer.echo(message)
            sys.exit(0)
        typer.echo(f"error: {message}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
