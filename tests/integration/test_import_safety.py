"""``cruxlab import`` of forged or broken exports, backups, and crashes in the middle of writes.

Every refusal is one sentence and leaves the home exactly as it was; tables and
run folders are restored together or not at all; a process killed in the middle
of an import, a dialogue import or applying updates leaves no partial rows.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cruxes import (
    beliefs,
    dialogues,
    exchange,
    outcomes,
    owner,
    people,
    predictions,
    projects,
)
from cruxes.errors import InvalidInput
from cruxes.workspace import open_store
from db.store import Store
from tests.conftest import CRUXLAB
from tests.unit.helpers import dump, finished_run

TALK = """\
Mara: I'm skeptical that attention scores recover known circuits; maybe 30%.
Theo: I think they do in small models, I'd bet 70% on it.
"""


def small_home(store) -> None:
    """Two people, a crux with credences, a project with predictions, a run and an outcome."""
    people.add_person(store, "Mara", "mentor")
    people.add_person(store, "Theo", "scholar")
    beliefs.add_crux(store, "Attention scores recover induction heads.")
    beliefs.add_credence(store, 1, "Mara", 0.3)
    beliefs.add_credence(store, 1, "Theo", 0.7)
    project = projects.add_project(store, "Score it", crux_ids=[1], mentor="Mara")
    projects.assign(store, project.id, "Theo")
    for who, p in (("Mara", 0.5), ("Theo", 0.9)):
        predictions.add_prediction(
            store, project.id, 1, who, metric="max_induction_score", op=">", threshold=0.5,
            p_positive=p, if_positive=0.8, if_negative=0.2,
        )  # fmt: skip
    run_id = finished_run(store, project.id, {"max_induction_score": 0.9})
    outcomes.record_outcome(store, project.id, run_id)


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("source") / "home"
    store = open_store(home)
    small_home(store)
    out = tmp_path_factory.mktemp("exports") / "export"
    exchange.export_home(store, out)
    return out


@pytest.fixture
def forged(export, tmp_path) -> Path:
    copy = tmp_path / "forged"
    shutil.copytree(export, copy, symlinks=True)
    return copy


def rewrite(path: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    pq.write_table(change(pq.read_table(path)), path)


def set_cell(table: str, column: str, value, type_=None, row: int = 0) -> Callable[[Path], None]:
    def forge(export: Path) -> None:
        def change(t: pa.Table) -> pa.Table:
            values = t.column(column).to_pylist()
            if type_ == pa.string():
                values = [str(v) for v in values]
            values[row] = value
            i = t.column_names.index(column)
            return t.set_column(i, column, pa.array(values, type=type_ or t.schema[i].type))

        rewrite(export / f"{table}.parquet", change)

    return forge


def add_column(export: Path) -> None:
    rewrite(export / "people.parquet", lambda t: t.append_column("is_admin", pa.array([True] * 2)))


def drop_column(export: Path) -> None:
    rewrite(export / "credences.parquet", lambda t: t.drop_columns(["reason"]))


def duplicate_row(export: Path) -> None:
    rewrite(export / "cruxes.parquet", lambda t: pa.concat_tables([t, t]))


def truncate(export: Path) -> None:
    path = export / "credences.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def link_out(export: Path) -> None:
    (export / "runs" / "7").symlink_to("/etc")


def link_inside_run(export: Path) -> None:
    (export / "runs" / "1" / "passwd").symlink_to("/etc/passwd")


def stray_folder(export: Path) -> None:
    (export / "runs" / "99").mkdir()


def unknown_table(export: Path) -> None:
    shutil.copy(export / "people.parquet", export / "admins.parquet")


FORGERIES = {
    "credence 5.0": (set_cell("credences", "value", 5.0), "row 1 of credences: value"),
    "extra column": (add_column, "people has columns this cruxlab does not know (is_admin)"),
    "missing column": (drop_column, "credences lacks columns (reason)"),
    "duplicate ids": (duplicate_row, "cruxes has two rows with id 1"),
    "role admin": (set_cell("people", "role", "admin"), "row 1 of people: role"),
    "negated id": (set_cell("credences", "crux_id", -1), "row 1 of credences: crux_id"),
    "dangling id": (set_cell("credences", "crux_id", 42), "refers to cruxes id 42"),
    "text for a number": (
        set_cell("credences", "value", "0.5", pa.string()),
        "row 1 of credences: value",
    ),
    "negated run": (set_cell("run_metrics", "run_id", -1), "row 1 of run_metrics: run_id"),
    # Number and time columns are checked by their extremes, a NaN and a null: each is found.
    "credence NaN": (
        set_cell("credences", "value", float("nan"), row=1),
        "row 2 of credences: value",
    ),
    "credence null": (set_cell("credences", "value", None, row=1), "row 2 of credences: value"),
    "run seed 2**64": (
        set_cell("runs", "seed", 2**64 - 1, pa.uint64()),
        "row 1 of runs: seed",
    ),
    "no creation time": (
        set_cell("people", "created_at", None, row=1),
        "row 2 of people: created_at",
    ),
    "truncated parquet": (truncate, "credences.parquet is not a readable Parquet file"),
    "symlink out": (link_out, "runs/7 is a symbolic link (to /etc)"),
    "symlink inside": (link_inside_run, "runs/1/passwd is a symbolic link"),
    "stray run folder": (stray_folder, "runs/99 is not the folder of a run it holds"),
    "unknown table": (unknown_table, "tables this cruxlab does not know (admins)"),
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_export_is_refused_in_one_sentence_and_changes_nothing(forged, store, forgery):
    forge, message = FORGERIES[forgery]
    forge(forged)
    before = dump(store)
    with pytest.raises(InvalidInput) as refused:
        exchange.import_home(store, forged)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert dump(store) == before
    assert list(store.path.parent.glob("runs/*")) == []


def test_a_forged_export_from_the_cli_is_one_line_on_stderr(forged, home):
    set_cell("people", "role", "admin")(forged)
    proc = subprocess.run([CRUXLAB, "import", str(forged)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: The export is refused: row 1 of people: role ")
    assert proc.stderr.count("\n") == 1


def test_a_failing_folder_copy_rolls_the_tables_back(export, store, monkeypatch):
    copy = exchange.copy_run_folders

    def broken(source, target, names, *, link):  # the disk fills after the first folder
        copy(source, target, names[:1], link=link)
        raise OSError("No space left on device")

    monkeypatch.setattr(exchange, "copy_run_folders", broken)
    before = dump(store)
    with pytest.raises(OSError, match="No space left"):
        exchange.import_home(store, export)
    assert dump(store) == before
    assert [p.name for p in (store.path.parent / "runs").iterdir()] == []


def crash(home: Path, module: str, name: str, action: str, after: int = 1) -> None:
    """Run ``action`` in a process that is SIGKILLed when ``module.name`` is called."""
    code = textwrap.dedent(f"""
        import importlib, os, signal
        from cruxes.workspace import open_store
        target = importlib.import_module({module!r})
        real, calls = getattr(target, {name!r}), []
        def dying(*args, **kwargs):
            calls.append(1)
            if len(calls) >= {after}:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        setattr(target, {name!r}, dying)
        store = open_store({str(home)!r})
    """) + textwrap.dedent(action)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def test_a_crash_in_the_middle_of_an_import_leaves_nothing(export, store, home):
    before = dump(store)
    action = f"""
        from cruxes import exchange
        exchange.import_home(store, {str(export)!r})
    """
    crash(home, "db.exchange", "continue_sequences", action)  # after every table is loaded
    assert dump(open_store(home)) == before


def test_a_crash_in_the_middle_of_a_dialogue_import_leaves_nothing(store, home):
    people.add_person(store, "Mara", "mentor")
    before = dump(store)
    action = f"""
        from cruxes import dialogues
        dialogues.import_dialogue(store, {TALK!r}, add_speakers=True)
    """
    crash(home, "db.dialogues", "insert_candidates", action)  # turns and speakers are in
    assert dump(open_store(home)) == before
    assert dialogues.import_dialogue(store, TALK).created  # and it imports cleanly afterwards


def test_a_crash_in_the_middle_of_applying_updates_leaves_nothing(store, home):
    small_home(store)
    before = dump(store)
    action = """
        from cruxes import outcomes
        outcomes.apply_update(store, 1)
    """
    crash(home, "db.beliefs", "insert_credence", action, after=2)  # after the first credence
    assert dump(open_store(home)) == before
    assert len(outcomes.apply_update(store, 1)) == 2


def test_backup_while_the_app_writes_is_consistent_and_round_trips(home, tmp_path, monkeypatch):
    running = owner.start(home)  # the app's server owns the database
    try:
        small_home(running.store)
        stop = threading.Event()

        def keep_writing() -> None:
            while not stop.is_set():
                beliefs.add_credence(running.store, 1, "Theo", 0.5, reason="meanwhile")

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            backup = subprocess.run(
                [CRUXLAB, "backup", str(tmp_path / "backup")], capture_output=True, text=True
            )
        finally:
            stop.set()
            writer.join()
        assert backup.returncode == 0, backup.stderr
        assert "restore with `cruxlab import" in backup.stdout
        assert running.requests == 1  # the owner made the copy
    finally:
        owner.stop(home)
    copied = Store(tmp_path / "backup" / "cruxlab.duckdb")
    ids = [c.id for c in beliefs.get_crux(copied, 1).history]
    assert ids == list(range(1, len(ids) + 1))  # one moment: no write half in
    expected = dump(copied)
    restored_home = tmp_path / "restored"
    monkeypatch.setenv("CRUXLAB_HOME", str(restored_home))
    restore = subprocess.run(
        [CRUXLAB, "import", str(tmp_path / "backup")], capture_output=True, text=True
    )
    assert restore.returncode == 0, restore.stderr
    restored = dump(open_store(restored_home))
    assert {t: rows for t, rows in restored.items() if t != "schema_migrations"} == {
        t: rows for t, rows in expected.items() if t != "schema_migrations"
    }
    assert os.path.isdir(restored_home / "runs" / "1")
