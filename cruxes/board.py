"""Is each scholar's work on track: the project board, a person's page, and coverage.

* ``board`` — every project as a card (cruxes, tags, effort, due date, latest run,
  notes), filterable by mentor, scholar and tag; a card is *overdue* when its due
  date has passed (UTC) and the project is not done.
* ``person_page`` — the projects assigned to a person, their runs, and the
  predictions awaiting their input: each crux of a project whose predictions are
  not frozen yet (and that is not done) on which they have not predicted.
* ``project_detail`` — one project with its predictions, checks, runs, outcomes,
  tags and notes, as the Projects page and ``cruxlab project show`` present it.
* ``coverage`` — gaps for the mentor: cruxes no project informs, projects with no
  run, and succeeded runs with no recorded outcome (a failed run cannot give one).

Run lists here show the newest ``RUNS_SHOWN`` runs with the count of all of them:
a group's whole history lives on the Runs page, filtered and paginated in SQL.
"""

from __future__ import annotations

from datetime import date

from cruxes import annotations, outcomes, predictions, projects
from cruxes.models import (
    AwaitingPrediction,
    Board,
    Card,
    Coverage,
    Crux,
    PersonPage,
    ProjectDetail,
    RunRow,
    TagIn,
    parse,
)
from cruxes.people import resolve
from db import beliefs as beliefs_table
from db import projects as projects_table
from db import runs as runs_table
from db.store import Cursor, Store
from db.util import now

RUNS_SHOWN = 50


def _cards(cur: Cursor, today: date | None, **filters: object) -> list[Card]:
    today = today or now().date()
    cards = []
    for row in projects_table.cards(cur, **filters):
        due = row["due_date"]
        overdue = due is not None and due < today and row["status"] != "done"
        cards.append(Card(**row, overdue=overdue))
    return cards


def board(
    store: Store,
    *,
    mentor: str | int | None = None,
    scholar: str | int | None = None,
    tag: str | None = None,
    today: date | None = None,
) -> Board:
    """Every project as a card by status, optionally only a mentor's, a scholar's or a tag's."""
    tag = parse(TagIn, "tag", tag=tag).tag if tag else None
    with store.cursor() as cur:
        mentor_id = resolve(cur, mentor).id if mentor is not None else None
        scholar_id = resolve(cur, scholar).id if scholar is not None else None
        cards = _cards(cur, today, mentor_id=mentor_id, assignee_id=scholar_id, tag=tag)
    return Board(cards=cards)


def person_page(store: Store, person: str | int, *, today: date | None = None) -> PersonPage:
    """A person's assigned projects, the runs of those projects, and what awaits their input."""
    with store.cursor() as cur:
        who = resolve(cur, person)
        cards = _cards(cur, today, assignee_id=who.id)
        runs = runs_table.run_rows(cur, assignee_id=who.id, limit=RUNS_SHOWN)
        n_runs = runs_table.count_run_rows(cur, assignee_id=who.id)
        awaiting = projects_table.awaiting_predictions(cur, who.id)
    return PersonPage(
        person=who,
        projects=cards,
        runs=[RunRow(**r) for r in runs],
        n_runs=n_runs,
        awaiting=[AwaitingPrediction(**a) for a in awaiting],
    )


def coverage(store: Store, *, today: date | None = None) -> Coverage:
    """Cruxes with no project, projects with no run, succeeded runs with no outcome."""
    with store.cursor() as cur:
        cruxes = beliefs_table.cruxes_without_project(cur)
        cards = _cards(cur, today)
        runs = runs_table.run_rows(cur, awaiting_outcome=True, limit=RUNS_SHOWN)
        n_runs = runs_table.count_run_rows(cur, awaiting_outcome=True)
    return Coverage(
        cruxes_without_project=[Crux(**c) for c in cruxes],
        projects_without_run=[c for c in cards if c.n_runs == 0],
        runs_without_outcome=[RunRow(**r) for r in runs],
        n_runs_without_outcome=n_runs,
    )


def project_detail(store: Store, project_id: int, viewer: str | int | None = None) -> ProjectDetail:
    """One project with what ``viewer`` may see of its predictions, its runs and outcomes."""
    project = projects.get_project(store, project_id)
    with store.cursor() as cur:
        runs = runs_table.run_rows(cur, project_id=project_id)
    return ProjectDetail(
        project=project,
        predictions=predictions.list_predictions(
            store, project_id, current_only=False, viewer=viewer
        ),
        hidden_predictions=predictions.hidden_count(store, project_id, viewer),
        evidence_checks=predictions.evidence_checks(store, project_id, viewer=viewer),
        runs=[RunRow(**r) for r in runs],
        outcomes=outcomes.list_outcomes(store, project_id),
        tags=annotations.tags_of(store, "project", project_id),
        notes=annotations.list_notes(store, "project", project_id),
    )
