"""``cruxlab export DIR`` and ``cruxlab import DIR``: the whole home as files, and back.

An export directory holds every table as ``<table>.parquet`` (the schema's
``schema_migrations`` included), a copy of each run's folder under ``runs/``,
and ``report.md``: per crux, its statement, provenance quote, credence history
with causes, and the projects, runs and outcomes that bear on it. An export made
by a named person leaves out the blind predictions that person may not see yet.

Import restores an export into an *empty* home (one holding no rows at all) so
that every query gives the result it gave in the exported home; id sequences
continue after the restored ids. A home that already holds data is refused, so
nothing anyone entered is overwritten or mixed with another group's records.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from cruxes import board, questions, team
from cruxes.models import Card, Credence, Crux, ExchangeResult, OutcomeEvent, RunRow
from cruxes.predictions import hidden_from
from cruxes.workspace import home_of
from db import annotations as annotations_table
from db import beliefs as beliefs_table
from db import exchange as exchange_table
from db import outcomes as outcomes_table
from db import paths
from db import runs as runs_table
from db.errors import Conflict, InvalidInput
from db.store import Store
from db.util import now
from experiments.folders import copy_run_folders

T = TypeVar("T")
REPORT = "report.md"
RUNS = "runs"
REPORT_RUNS = 20  # runs listed per project in the report (newest; every run with an outcome)


def export_home(
    store: Store,
    directory: str | Path,
    *,
    run_folders: bool = True,
    actor: str | int | None = None,
) -> ExchangeResult:
    """Write every table as Parquet, the run folders (unless ``run_folders`` is False) and a
    Markdown report into ``directory`` (which must be new or empty). Predictions hidden from
    ``actor`` (blind, not yet revealed to them) are left out; with nobody named (single-user
    use) nothing is.

    Folders of finished runs are hard-linked when the export is on the home's filesystem
    (their files are never rewritten in place); folders of live runs are copied."""
    target = Path(directory).expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise Conflict(f"{target} is not an empty directory; export into a new one.")
    target.mkdir(parents=True, exist_ok=True)
    with store.transaction() as cur:  # one snapshot for every table
        me = team.acting(store, cur, actor)
        skip = {"predictions": hidden_from(cur, me.id)} if me.person else {}
        counts = exchange_table.row_counts(cur)
        for table in counts:
            left_out = skip.get(table, [])
            exchange_table.export_table(cur, table, target / f"{table}.parquet", left_out)
            counts[table] -= len(left_out)
        finished = [str(i) for i in runs_table.run_ids(cur, finished=True)]
        live = [str(r["id"]) for r in runs_table.active_runs(cur)]
    copied = 0
    if run_folders:
        source = paths.runs_dir(home_of(store))
        copied = copy_run_folders(source, target / RUNS, finished, link=True)
        copied += copy_run_folders(source, target / RUNS, live, link=False)
    (target / REPORT).write_text(report(store))
    return ExchangeResult(
        directory=str(target), tables=counts, run_folders=copied, report=str(target / REPORT)
    )


def import_home(
    store: Store, directory: str | Path, *, actor: str | int | None = None
) -> ExchangeResult:
    """Restore an export into this store's home, which must hold no data yet."""
    source = Path(directory).expanduser().resolve()
    files = {p.stem: p for p in source.glob("*.parquet")} if source.is_dir() else {}
    marker = exchange_table.MIGRATIONS_TABLE
    if marker not in files:
        raise InvalidInput(f"{source} is not a cruxlab export (it has no {marker}.parquet).")
    home_runs = paths.runs_dir(home_of(store))
    exported = (source / RUNS).is_dir()
    run_folders = sorted(os.listdir(source / RUNS)) if exported else []
    here = set(os.listdir(home_runs)) if home_runs.is_dir() else set()
    with store.transaction() as cur:
        team.acting(store, cur, actor).require(team.Action.SET_UP)
        counts = exchange_table.row_counts(cur)
        unknown = sorted(set(files) - set(counts))
        if unknown:
            raise InvalidInput(
                f"{source} holds tables this cruxlab does not know ({', '.join(unknown)}); "
                "it was exported by a newer version."
            )
        held = {t: n for t, n in counts.items() if n and t != marker}
        clashing = [name for name in run_folders if name in here]
        if held or clashing:
            what = ", ".join(f"{n} {t}" for t, n in list(held.items())[:3]) or (
                f"run folders {', '.join(clashing)}"
            )
            raise Conflict(
                f"The home {home_of(store)} already holds data ({what}); "
                "import into a new, empty CRUXLAB_HOME."
            )
        exported = exchange_table.exported_migrations(cur, files[marker])
        missing = sorted(set(exported) - set(exchange_table.applied_migrations(cur)))
        if missing:
            raise InvalidInput(
                f"{source} was exported with schema migrations this cruxlab lacks "
                f"({', '.join(map(str, missing))}); upgrade cruxlab first."
            )
        restored = {
            table: exchange_table.load_table(cur, table, path)
            for table, path in sorted(files.items())
            if table != marker
        }
        exchange_table.continue_sequences(cur)
    copy_run_folders(source / RUNS, home_runs, run_folders, link=True)
    return ExchangeResult(directory=str(source), tables=restored, run_folders=len(run_folders))


def _cell(value: object) -> str:
    """A value as one Markdown table cell."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    if not rows:
        return ["None yet.", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def report(store: Store) -> str:
    """The agenda as Markdown: per crux, its statement, provenance, credence history with
    causes, and the projects, runs and outcomes that bear on it (grouped by question)."""
    with store.cursor() as cur:
        cruxes = [Crux(**c) for c in beliefs_table.list_cruxes(cur)]
        history = [Credence(**r) for r in beliefs_table.credence_history(cur, None)]
        tags = annotations_table.tag_lists(cur, "crux")
        rows = runs_table.report_runs(cur, REPORT_RUNS)
        events = [OutcomeEvent(**e) for e in outcomes_table.timeline(cur)]
    cards = board.board(store).cards
    by_crux = _group(history, lambda h: h.crux_id)
    informing = _group(((ref.id, card) for card in cards for ref in card.cruxes), lambda x: x[0])
    n_runs = {r["project_id"]: r.pop("n_of_project") for r in rows}
    runs = [RunRow(**r) for r in rows]
    runs_of = _group(reversed(runs), lambda r: r.project_id)  # oldest first
    events_of = _group(events, lambda e: e.project_id)
    lines = ["# cruxlab report", "", f"Exported {now():%Y-%m-%d %H:%M} UTC.", ""]
    for question in questions.list_questions(store):
        lines += [f"## {question.text}", ""]
        for crux in cruxes:
            if crux.question_id != question.id:
                continue
            crux_cards = [card for _, card in informing.get(crux.id, [])]
            projects = [card.project_id for card in crux_cards]
            lines += _crux_section(
                crux,
                tags.get(crux.id, []),
                by_crux.get(crux.id, []),
                crux_cards,
                [r for p in projects for r in runs_of.get(p, [])],
                {p: n_runs[p] - len(runs_of[p]) for p in projects if p in n_runs},
                [e for p in projects for e in events_of.get(p, [])],
            )
    return "\n".join(lines)


def _group(items: Iterable[T], key: Callable[[T], object]) -> dict[object, list[T]]:
    groups: dict[object, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def _when(stamp: datetime | None) -> str | None:
    return f"{stamp:%Y-%m-%d %H:%M}" if stamp else None


def _crux_section(
    crux: Crux,
    tags: list[str],
    history: list[Credence],
    cards: list[Card],
    runs: list[RunRow],
    unlisted: dict[int, int],
    events: list[OutcomeEvent],
) -> list[str]:
    lines = [f"### Crux {crux.id}: {crux.statement}", ""]
    if tags:
        lines += ["Tags: " + ", ".join(tags), ""]
    if crux.quote:
        lines += [f"> {crux.quote}", "", f"— {crux.speaker}, dialogue {crux.dialogue_id}", ""]
    else:
        lines += ["Added by hand.", ""]
    lines += ["**Credence history**", ""]
    lines += _table(
        ["when (UTC)", "person", "credence", "source", "cause"],
        [[_when(h.created_at), h.person_name, h.value, h.source, h.cause] for h in history],
    )
    lines += ["**Projects**", ""]
    lines += _table(
        ["id", "title", "status", "mentor", "assignee", "effort (days)", "due"],
        [
            [
                c.project_id,
                c.title,
                c.status,
                c.mentor_name,
                c.assignee_name,
                c.effort_days,
                c.due_date,
            ]
            for c in cards
        ],
    )
    lines += ["**Runs**", ""]
    lines += _table(
        ["run", "project", "template", "status", "finished (UTC)", "outcome"],
        [
            [r.id, r.project_id, r.template, r.status, _when(r.finished_at), r.outcome_id]
            for r in runs
        ],
    )
    for project_id, n in unlisted.items():
        if n:
            lines += [f"… and {n:,} older runs of project {project_id} (runs.parquet).", ""]
    lines += ["**Outcomes**", ""]
    lines += _table(
        ["outcome", "project", "run", "recorded (UTC)", "positive / checked", "note"],
        [
            [
                e.outcome_id,
                e.project_id,
                e.run_id,
                _when(e.created_at),
                f"{e.n_positive} / {e.n_evaluations}",
                e.note,
            ]
            for e in events
        ],
    )
    return lines
