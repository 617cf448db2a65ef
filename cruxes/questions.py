"""Top-level questions: the agenda's cruxes are grouped under the question they bear on.

Every crux starts under the default question, "Is mechanistic interpretability
useful?"; a person can add questions and move a crux under one (a versioned
edit of the crux, refused if someone changed it meanwhile).
"""

from __future__ import annotations

from cruxes import team
from cruxes.beliefs import require_crux, stale
from cruxes.models import DEFAULT_QUESTION, Crux, Question, QuestionIn, parse
from db import beliefs as beliefs_table
from db.errors import Conflict, NotFound
from db.store import Store


def add_question(store: Store, text: str, *, actor: str | int | None = None) -> Question:
    """Add a top-level question; texts are unique (case-insensitive)."""
    text = parse(QuestionIn, "question", text=text).text
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.EDIT_CRUXES)
        if text.lower() == DEFAULT_QUESTION.lower() or beliefs_table.find_question(cur, text):
            raise Conflict(f"The question {text!r} already exists.")
        question = Question(**beliefs_table.insert_question(cur, text))
        me.record(cur, team.Action.EDIT_CRUXES, "question", question.id)
        return question


def list_questions(store: Store) -> list[Question]:
    """The default question first, then every added question, oldest first."""
    with store.cursor() as cur:
        rows = beliefs_table.list_questions(cur)
    return [Question(text=DEFAULT_QUESTION), *(Question(**r) for r in rows)]


def set_question(
    store: Store,
    crux_id: int,
    question_id: int | None,
    *,
    expected_version: int | None = None,
    actor: str | int | None = None,
) -> Crux:
    """Put a crux under a question (None: the default question)."""
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.EDIT_CRUXES)
        crux = require_crux(cur, crux_id)
        if question_id is not None and beliefs_table.get_question(cur, question_id) is None:
            raise NotFound(f"No question {question_id}; see `cruxlab question list`.")
        version = crux.version if expected_version is None else expected_version
        row = beliefs_table.update_crux_question(cur, crux_id, question_id, version)
        if row is None:
            raise stale(crux_id)
        me.record(cur, team.Action.EDIT_CRUXES, "crux", crux_id)
        return Crux(**row)
