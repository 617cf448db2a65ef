"""``cruxlab export DIR``, ``backup DIR`` and ``import DIR``: the whole home as files, and back.

An export directory holds every table as ``<table>.parquet`` (the schema's
``schema_migrations`` included), a copy of each run's folder under ``runs/``,
and ``report.md``: per crux, its statement, provenance quote, credence history
with causes, and the projects, runs and outcomes that bear on it. An export made
by a named person leaves out the blind predictions that person may not see yet. A
backup directory holds ``cruxlab.duckdb`` (a copy of the database at one moment, made
while the app keeps working) and the run folders; in team mode only a mentor makes one.

Import restores either into an *empty* home (one holding no rows at all) so
that every query gives the result it gave in the exported home; id sequences
continue after the restored ids. A home that already holds data is refused, so
nothing anyone entered is overwritten or mixed with another group's records.
An export is data from outside: every row is checked (``cruxes.records``)
before any is written, a symbolic link anywhere in it is refused, and the
tables and run folders are restored together or not at all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from cruxes import board, questions, records, team
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
from db.store import Cursor, Store
from db.util import now
from experiments.folders import copy_run_folders

T = TypeVar("T")
REPORT = "report.md"
RUNS = "runs"
REPORT_RUNS = 20  # runs listed per project in the report (newest; every run with an outcome)
BACKUP_DB = "cruxlab.duckdb"


def _new_directory(directory: str | Path) -> Path:
    target = Path(directory).expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise Conflict(f"{target} is not an empty directory; write into a new one.")
    target.mkdir(parents=True, exist_ok=True)
    return target


def _copy_run_folders(store: Store, finished: list[int], live: list[int], target: Path) -> int:
    """Folders of finished runs are hard-linked when ``target`` is on the home's filesystem
    (their files are never rewritten in place); folders of live runs are copied."""
    source = paths.runs_dir(home_of(store))
    copied = copy_run_folders(source, target / RUNS, [str(i) for i in finished], link=True)
    return copied + copy_run_folders(source, target / RUNS, [str(i) for i in live], link=False)


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
    use) nothing is."""
    target = _new_directory(directory)
    with store.snapshot() as cur:  # one moment for every table; writers carry on
        me = team.acting(store, cur, actor)
        skip = {"predictions": hidden_from(cur, me.id)} if me.person else {}
        counts = exchange_table.row_counts(cur)
        for table in counts:
            left_out = skip.get(table, [])
            exchange_table.export_table(cur, table, target / f"{table}.parquet", left_out)
            counts[table] -= len(left_out)
        finished = runs_table.run_ids(cur, finished=True)
        live = [r["id"] for r in runs_table.active_runs(cur)]
    copied = _copy_run_folders(store, finished, live, target) if run_folders else 0
    (target / REPORT).write_text(report(store))
    return ExchangeResult(
        directory=str(target), tables=counts, run_folders=copied, report=str(target / REPORT)
    )


def backup_home(
    store: Store, directory: str | Path, *, actor: str | int | None = None
) -> ExchangeResult:
    """Copy the database as it is at one moment, and the run folders, into ``directory`` (new
    or empty); ``import_home`` restores it. Safe while the app and others keep writing.
    A backup holds everything, blind predictions included: in team mode, a mentor's."""
    team.who(store, actor, team.Action.SET_UP)
    target = _new_directory(directory)
    with store.cursor() as cur:
        exchange_table.copy_database(cur, target / BACKUP_DB)
    backup = Store(target / BACKUP_DB)
    with backup.cursor() as cur:
        counts = exchange_table.row_counts(cur)
        finished = runs_table.run_ids(cur, finished=True)
        live = [r["id"] for r in runs_table.active_runs(cur)]
    copied = _copy_run_folders(store, finished, live, target)
    return ExchangeResult(directory=str(target), tables=counts, run_folders=copied)


def _refuse_links(source: Path) -> None:
    for root, dirs, files in os.walk(source):
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink():
                raise InvalidInput(
                    f"The export is refused: {path.relative_to(source)} is a symbolic link "
                    f"(to {os.readlink(path)}); an export holds only plain files."
                )


def _read_source(cur: Cursor, source: Path) -> dict[str, Any]:
    """Every table of an export (Parquet files) as pyarrow Tables, by name."""
    files = {p.stem: p for p in source.glob("*.parquet")}
    marker = exchange_table.MIGRATIONS_TABLE
    if marker not in files:
        raise InvalidInput(
            f"{source} is not a cruxlab export or backup (it has no {marker}.parquet "
            f"and no {BACKUP_DB})."
        )
    return {table: exchange_table.read_parquet(cur, path) for table, path in files.items()}


def _check(cur: Cursor, source: Path, tables: dict[str, Any]) -> None:
    """Refuse unknown tables or columns, invalid rows and dangling ids, before any write."""
    known = set(exchange_table.tables(cur))
    unknown = sorted(set(tables) - known)
    if unknown:
        raise InvalidInput(
            f"{source} holds tables this cruxlab does not know ({', '.join(unknown)}); "
            "it was exported by a newer version, or is not a cruxlab export."
        )
    expected = exchange_table.columns(cur)
    for table, arrow in sorted(tables.items()):
        records.check_columns(table, arrow.column_names, expected[table])
        records.check_rows(
            table, arrow, lambda rows, key: exchange_table.first_duplicate(cur, rows, key)
        )
    records.check_references(tables)
    marker = exchange_table.MIGRATIONS_TABLE
    exported = set(tables[marker].column("version").to_pylist()) if marker in tables else set()
    missing = sorted(exported - set(exchange_table.applied_migrations(cur)))
    if missing:
        raise InvalidInput(
            f"{source} was exported with schema migrations this cruxlab lacks "
            f"({', '.join(map(str, missing))}); upgrade cruxlab first."
        )


def _run_folders(source: Path, run_ids: set[int]) -> list[Path]:
    folders = sorted(p for p in (source / RUNS).glob("*") if p.is_dir())
    for folder in folders:
        if not folder.name.isdigit() or int(folder.name) not in run_ids:
            raise InvalidInput(
                f"The export is refused: {RUNS}/{folder.name} is not the folder of a run it "
                "holds; nothing was imported."
            )
    return folders


def import_home(
    store: Store, directory: str | Path, *, actor: str | int | None = None
) -> ExchangeResult:
    """Restore an export or a backup into this store's home, which must hold no data yet.

    Every row is checked before any is written; the tables and the run folders are
    restored together, or nothing is.
    """
    source = Path(directory).expanduser().resolve()
    if not source.is_dir():
        raise InvalidInput(f"{source} is not a cruxlab export or backup (it is not a directory).")
    _refuse_links(source)
    home_runs = paths.runs_dir(home_of(store))
    placed: list[Path] = []
    try:
        with store.transaction() as cur:
            team.acting(store, cur, actor).require(team.Action.SET_UP)
            return _import_into(cur, store, source, home_runs, placed)
    except BaseException:  # the tables rolled back: take out the folders placed for them
        for path in placed:
            shutil.rmtree(path, ignore_errors=True)
        raise


def _import_into(
    cur: Cursor, store: Store, source: Path, home_runs: Path, placed: list[Path]
) -> ExchangeResult:
    held = {t: n for t, n in exchange_table.row_counts(cur).items() if n}
    held.pop(exchange_table.MIGRATIONS_TABLE, None)
    if held:
        what = ", ".join(f"{n} {t}" for t, n in list(held.items())[:3])
        raise Conflict(
            f"The home {home_of(store)} already holds data ({what}); "
            "import into a new, empty CRUXLAB_HOME."
        )
    if (source / BACKUP_DB).is_file():
        with exchange_table.attached(cur, source / BACKUP_DB) as tables:
            return _restore(cur, source, tables, home_runs, placed)
    return _restore(cur, source, _read_source(cur, source), home_runs, placed)


def _restore(
    cur: Cursor, source: Path, tables: dict[str, Any], home_runs: Path, placed: list[Path]
) -> ExchangeResult:
    """Check, load and place the run folders, inside the caller's transaction."""
    _check(cur, source, tables)
    run_ids = set(tables["runs"].column("id").to_pylist()) if "runs" in tables else set()
    folders = _run_folders(source, run_ids)
    clashing = [p.name for p in folders if (home_runs / p.name).exists()]
    if clashing:
        raise Conflict(
            f"The home {home_runs.parent} already holds run folders {', '.join(clashing[:5])}; "
            "import into a new, empty CRUXLAB_HOME."
        )
    marker = exchange_table.MIGRATIONS_TABLE
    restored = {}
    for table, arrow in sorted(tables.items()):
        if table != marker:
            exchange_table.load_rows(cur, table, arrow)
            restored[table] = arrow.num_rows
    exchange_table.continue_sequences(cur)
    # Copy the folders aside first, then move them in: if anything fails, the transaction
    # rolls the tables back and the folders moved so far are taken out again.
    home_runs.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=home_runs))
    try:
        copy_run_folders(source / RUNS, staging, [p.name for p in folders], link=True)
        for folder in folders:
            (staging / folder.name).rename(home_runs / folder.name)
            placed.append(home_runs / folder.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExchangeResult(directory=str(source), tables=restored, run_folders=len(folders))


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
