"""How commands print: JSON with ``--json``, else short readable lines.

A created object prints with its ``id``; ``list`` prints an array; ``show``
includes the history. The line formats shared by several command groups live
here; a group's own formats live beside its commands.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import BaseModel

from cruxes.models import Card, DemoProgress, EvidenceCheck, Note, Project, RunRow


def plain(obj: Any) -> Any:
    """Pydantic models (also inside lists and dicts) as JSON-ready data."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, list | tuple):
        return [plain(o) for o in obj]
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    return obj


def emit(as_json: bool, obj: Any, text: str | None = None) -> None:
    """Print ``obj`` as JSON, or ``text`` (default: a readable form of obj)."""
    if as_json:
        typer.echo(json.dumps(plain(obj), indent=2, default=str))
    else:
        typer.echo(text if text is not None else describe(obj))


def describe(obj: Any) -> str:
    """One line per item of a list, or ``key: value`` lines for one object."""
    data = plain(obj)
    if isinstance(data, list):
        return "\n".join(_line(d) for d in data) or "(none)"
    return "\n".join(f"{k}: {v}" for k, v in data.items())


def _line(d: dict) -> str:
    label = d.get("statement") or d.get("title") or d.get("name") or d.get("summary") or ""
    extra = d.get("status") or d.get("role") or ""
    return f"{d.get('id', '')}\t{extra}\t{label}".replace("\t\t", "\t")


def pct(value: float | None) -> str:
    """A credence or spread with two decimals, or a dash."""
    return "—" if value is None else f"{value:.2f}"


def plan_text(p: Project) -> str:
    effort = "—" if p.effort_days is None else f"{p.effort_days:g} days"
    blind = "blind" if p.blind_predictions else "open"
    return f"Project {p.id}: effort {effort}, due {p.due_date or '—'}, predictions {blind}."


def note_text(n: Note) -> str:
    by = f" by {n.person_name}{n.entered_for}" if n.person_name else n.entered_for
    return f"  note {n.id}{by}, {n.created_at:%Y-%m-%d %H:%M}: " + n.body.replace("\n", " ")


def check_line(c: EvidenceCheck) -> str:
    flag = f"  ⚠ differs by more than {c.tolerance:g}" if c.flagged else ""
    return (
        f"  expected-evidence check, {c.person_name} on crux {c.crux_id}: implied prior "
        f"{c.implied_prior:.2f} vs current {pct(c.current)}{flag}"
    )


def card_line(c: Card) -> str:
    run = f"run {c.latest_run_id} {c.latest_run_status}" if c.latest_run_id else "no runs"
    due = f"due {c.due_date}" + (" OVERDUE" if c.overdue else "") if c.due_date else "no due date"
    tags = f" [{', '.join(c.tags)}]" if c.tags else ""
    return (
        f"  {c.project_id} {c.title}{tags}\n    cruxes {[r.id for r in c.cruxes]}; "
        f"{c.assignee_name or 'unassigned'}; {run}; {due}"
    )


def run_row_line(r: RunRow) -> str:
    outcome = f"outcome {r.outcome_id}" if r.outcome_id else "no outcome"
    return f"  run {r.id}: {r.template} {r.status} for project {r.project_id}; {outcome}"


LINE_EVERY_S = 5.0  # without a terminal: a new message at most this often within a step …
SAME_LINE_EVERY_S = 60.0  # … and an unchanged one again after this long


@contextmanager
def progress_display() -> Iterator[Callable[[DemoProgress], None]]:
    """Show the demo's progress on stderr: a live bar in a terminal, else a line now and then
    (for a log file); yields the callback that takes each progress report."""
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[message]}"),
            console=Console(stderr=True),
        )
        task = bar.add_task("demo", total=1.0, message="")

        def show(p: DemoProgress) -> None:
            bar.update(task, completed=p.fraction, description=_step(p), message=p.message)

        with bar:
            yield show
        return
    last = {"key": None, "message": None, "at": 0.0}

    def line(p: DemoProgress) -> None:
        now, key = time.monotonic(), (p.step, p.state)
        wait = SAME_LINE_EVERY_S if p.message == last["message"] else LINE_EVERY_S
        if key == last["key"] and now - last["at"] < wait:
            return
        last.update(key=key, message=p.message, at=now)
        message = f" — {p.message}" if p.message else ""
        typer.echo(f"{p.fraction:4.0%} {_step(p)}{message}", err=True)

    yield line


def _step(p: DemoProgress) -> str:
    if p.state == "complete":
        return "demo complete"
    return f"step {p.step}/{p.steps}: {p.label}" + (" (failed)" if p.state == "failed" else "")
