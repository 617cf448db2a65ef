"""Every stored table's rows as pydantic models: what ``cruxlab import`` accepts.

An export (or a backup) is data from outside: it may be truncated, edited or
forged. Before a single row is written, every row of every table is validated
here — the same field types and ranges as the domain's models (a credence is a
probability, a role is mentor or scholar, ids are positive), no extra or
missing columns, no duplicate keys — and every reference must point at a row
of the export. Types are strict: a credence stored as text is refused, not
converted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from cruxes.models import (
    CandidateStatus,
    CredenceSource,
    NoteKind,
    Op,
    ProjectStatus,
    Role,
    RunStatus,
    Stance,
    TagKind,
)
from db.errors import InvalidInput

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Offset = Annotated[int, Field(ge=0, le=2**31 - 1)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1)]


def _json_object(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        raise ValueError("must be a JSON object") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return text


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PersonRecord(Record):
    id: Id
    name: Name
    role: Role
    created_at: datetime
    email: Annotated[str, Field(pattern=r"^[^@\sA-Z]+@[^@\sA-Z]+$", max_length=254)] | None


class DialogueRecord(Record):
    id: Id
    title: Name
    format: Name
    text: str
    content_hash: Name
    created_at: datetime


class TurnRecord(Record):
    id: Id
    dialogue_id: Id
    idx: Offset
    speaker: str
    start_offset: Offset
    end_offset: Offset


class SpeakerRecord(Record):
    dialogue_id: Id
    speaker: str
    person_id: Id | None


class CandidateRecord(Record):
    id: Id
    dialogue_id: Id
    kind: Literal["crux", "project"]
    speaker: str
    quote: str
    start_offset: Offset
    end_offset: Offset
    summary: str
    stance: Stance | None
    credence: Probability | None
    score: Finite
    status: CandidateStatus
    crux_id: Id | None
    project_id: Id | None
    reviewed_at: datetime | None
    created_at: datetime


class CruxRecord(Record):
    id: Id
    statement: Name
    dialogue_id: Id | None
    candidate_id: Id | None
    speaker: str | None
    quote: str | None
    quote_start: Offset | None
    quote_end: Offset | None
    version: Id
    created_at: datetime
    updated_at: datetime
    question_id: Id | None


class CredenceRecord(Record):
    id: Id
    crux_id: Id
    person_id: Id
    value: Probability
    reason: str | None
    source: CredenceSource
    dialogue_id: Id | None
    outcome_id: Id | None
    created_at: datetime
    entered_by: Id | None


class ProjectRecord(Record):
    id: Id
    title: Name
    summary: str
    mentor_id: Id | None
    assignee_id: Id | None
    status: ProjectStatus
    predictions_frozen_at: datetime | None
    version: Id
    created_at: datetime
    updated_at: datetime
    effort_days: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None
    due_date: date | None
    blind_predictions: bool | None


class ProjectCruxRecord(Record):
    project_id: Id
    crux_id: Id


class PredictionRecord(Record):
    id: Id
    project_id: Id
    crux_id: Id
    person_id: Id
    metric: Name
    op: Op
    threshold: Finite
    p_positive: Probability
    if_positive: Probability
    if_negative: Probability
    note: str | None
    created_at: datetime
    entered_by: Id | None


class RunRecord(Record):
    id: Id
    project_id: Id | None
    template: Name
    config: Annotated[str, AfterValidator(_json_object)]
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)]
    status: RunStatus
    device: str | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    ingested_at: datetime | None
    executor: Name | None
    job_id: Name | None
    heartbeat_at: datetime | None
    progress: Probability | None
    message: str | None


class MetricRecord(Record):
    run_id: Id
    name: Name
    step: Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
    value: float | None


class OutcomeRecord(Record):
    id: Id
    project_id: Id
    run_id: Id
    note: str | None
    created_at: datetime


class EvaluationRecord(Record):
    outcome_id: Id
    prediction_id: Id
    person_id: Id
    crux_id: Id
    metric: Name
    value: float
    positive: bool
    credence_before: Probability | None
    proposed: Probability


class QuestionRecord(Record):
    id: Id
    text: Name
    created_at: datetime


class TagEventRecord(Record):
    id: Id
    kind: TagKind
    entity_id: Id
    tag: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.:/-]*$", max_length=40)]
    added: bool
    created_at: datetime


class NoteRecord(Record):
    id: Id
    kind: NoteKind
    entity_id: Id
    person_id: Id | None
    body: Name
    created_at: datetime
    entered_by: Id | None


class ActivityRecord(Record):
    id: Id
    person_id: Id | None
    action: Name
    kind: Name
    entity_id: Id | None
    created_at: datetime


class MigrationRecord(Record):
    version: Annotated[int, Field(ge=1, le=2**31 - 1)]
    name: Name
    applied_at: datetime


RECORDS: dict[str, type[Record]] = {
    "people": PersonRecord,
    "dialogues": DialogueRecord,
    "turns": TurnRecord,
    "dialogue_speakers": SpeakerRecord,
    "candidates": CandidateRecord,
    "cruxes": CruxRecord,
    "credences": CredenceRecord,
    "projects": ProjectRecord,
    "project_cruxes": ProjectCruxRecord,
    "predictions": PredictionRecord,
    "runs": RunRecord,
    "run_metrics": MetricRecord,
    "run_finals": MetricRecord,  # each metric's value at its last step
    "outcomes": OutcomeRecord,
    "outcome_evaluations": EvaluationRecord,
    "questions": QuestionRecord,
    "tag_events": TagEventRecord,
    "notes": NoteRecord,
    "activity": ActivityRecord,
    "schema_migrations": MigrationRecord,
}
# A row's identity in its table (default: its id).
KEYS: dict[str, tuple[str, ...]] = {
    "dialogue_speakers": ("dialogue_id", "speaker"),
    "project_cruxes": ("project_id", "crux_id"),
    "run_metrics": ("run_id", "name", "step"),
    "run_finals": ("run_id", "name"),
    "outcome_evaluations": ("outcome_id", "prediction_id"),
    "schema_migrations": ("version",),
}
UNIQUE: dict[str, tuple[str, ...]] = {
    "people": ("name", "email"),
    "questions": ("text",),
}
# column → the table its value must be an id of.
REFERENCES: dict[str, dict[str, str]] = {
    "turns": {"dialogue_id": "dialogues"},
    "dialogue_speakers": {"dialogue_id": "dialogues", "person_id": "people"},
    "candidates": {"dialogue_id": "dialogues", "crux_id": "cruxes", "project_id": "projects"},
    "cruxes": {
        "dialogue_id": "dialogues",
        "candidate_id": "candidates",
        "question_id": "questions",
    },
    "credences": {
        "crux_id": "cruxes",
        "person_id": "people",
        "dialogue_id": "dialogues",
        "outcome_id": "outcomes",
        "entered_by": "people",
    },
    "projects": {"mentor_id": "people", "assignee_id": "people"},
    "project_cruxes": {"project_id": "projects", "crux_id": "cruxes"},
    "predictions": {
        "project_id": "projects",
        "crux_id": "cruxes",
        "person_id": "people",
        "entered_by": "people",
    },
    "runs": {"project_id": "projects"},
    "run_metrics": {"run_id": "runs"},
    "run_finals": {"run_id": "runs"},
    "outcomes": {"project_id": "projects", "run_id": "runs"},
    "outcome_evaluations": {
        "outcome_id": "outcomes",
        "prediction_id": "predictions",
        "person_id": "people",
        "crux_id": "cruxes",
    },
    "notes": {"person_id": "people", "entered_by": "people"},
    "activity": {"person_id": "people"},
}
# Tags and notes name their entity by kind.
ENTITY_TABLES = {"crux": "cruxes", "project": "projects", "run": "runs"}


def _refuse(where: str, what: str) -> InvalidInput:
    return InvalidInput(f"The export is refused: {where} {what}; nothing was imported.")


def check_columns(table: str, columns: Iterable[str], expected: Iterable[str]) -> None:
    """Refuse a table whose columns are not exactly the database's."""
    got, want = list(columns), set(expected)
    extra = [c for c in got if c not in want]
    missing = sorted(want - set(got))
    if extra:
        raise _refuse(f"{table} has columns this cruxlab does not know", f"({', '.join(extra)})")
    if missing:
        raise _refuse(f"{table} lacks columns", f"({', '.join(missing)})")
    if table not in RECORDS:
        raise _refuse(f"{table} is a table", "this cruxlab cannot check")


def _column_adapter(model: type[Record], field: str) -> TypeAdapter:
    annotation = model.model_fields[field].rebuild_annotation()
    return TypeAdapter(list[annotation], config=ConfigDict(strict=True))  # type: ignore[valid-type]


def _first(mask: Any) -> int:
    """The index of the first true value of a boolean Arrow array."""
    import pyarrow.compute as pc

    return pc.index(mask.fill_null(False), True).as_py()


def _row_error(table: str, model: type[Record], arrow: Any, index: int) -> InvalidInput:
    """Pydantic's own sentence for the row at ``index`` of a table."""
    try:
        model.model_validate(arrow.slice(index, 1).to_pylist()[0])
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "a value"
        shown = repr(err.get("input"))
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        message = err["msg"][:1].lower() + err["msg"][1:]
        return _refuse(f"row {index + 1} of {table}:", f"{field} {message} (got {shown})")
    return _refuse(f"row {index + 1} of {table}", "is not valid")


def _representatives(column: Any) -> Any:
    """The values of a column that stand for all of them under its field's rules.

    A number, date or time field's rules are a type and a range (``Id``, ``Offset``,
    ``Probability``, a finite float): a column of one Arrow type meets them when its
    least and greatest values do, and a null or a NaN, where there is one. Those few
    values are checked, not the 100,000 distinct timestamps of a year of runs. Any
    other column (text, JSON, choices) gives its distinct values.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_temporal(kind)):
        return pc.unique(column)
    ends = pc.min_max(column)
    values = [ends["min"].as_py(), ends["max"].as_py()] if ends["min"].is_valid else []
    if column.null_count:
        values.append(None)
    if pa.types.is_floating(kind) and pc.any(pc.is_nan(column)).as_py():
        values.append(float("nan"))
    return pa.array(values, type=kind)


def check_rows(
    table: str, arrow: Any, duplicate: Callable[[Any, tuple[str, ...]], tuple | None]
) -> None:
    """Validate every row of one table (a pyarrow Table) and refuse duplicate keys, which
    ``duplicate(arrow, columns)`` finds (the database groups them).

    A record's fields are independent of one another, so each column's
    representative values are validated against its field's type: the same strict
    pydantic rules as a whole row, at a cost that grows with the distinct values,
    not the rows (see ``_representatives``).
    """
    import pyarrow.compute as pc

    model = RECORDS[table]
    for field in model.model_fields:
        column = arrow.column(field)
        values = _representatives(column)
        try:
            _column_adapter(model, field).validate_python(values.to_pylist())
        except ValidationError as exc:
            bad = values[exc.errors()[0]["loc"][0]]
            if not bad.is_valid:
                found = pc.is_null(column)
            elif bad.as_py() != bad.as_py():  # NaN equals nothing, itself included
                found = pc.is_nan(column)
            else:
                found = pc.equal(column, bad)
            raise _row_error(table, model, arrow, _first(found)) from None
    # A unique column may be empty (a person with no sign-in email): nulls never clash.
    for key in (KEYS.get(table, ("id",)), *((c,) for c in UNIQUE.get(table, ()))):
        value = duplicate(arrow, key)
        if value is not None:
            shown = ", ".join(f"{c} {v!r}" for c, v in zip(key, value, strict=True))
            raise _refuse(f"{table} has two rows with", shown)


def check_references(tables: dict[str, Any]) -> None:
    """Refuse a reference to a row the export does not hold (a dangling or forged id)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = {t: arrow.column("id") for t, arrow in tables.items() if t not in KEYS}
    none = pa.array([], pa.int64())
    for table, arrow in tables.items():
        checks = [(column, target, arrow) for column, target in REFERENCES.get(table, {}).items()]
        if table in ("tag_events", "notes"):  # their entity is named by kind
            for kind, target in ENTITY_TABLES.items():
                checks.append(("entity_id", target, arrow.filter(pc.equal(arrow["kind"], kind))))
        for column, target, rows in checks:
            values = rows.column(column)
            held = pc.is_in(values, value_set=ids.get(target, none).combine_chunks())
            dangling = pc.and_(pc.is_valid(values), pc.invert(held))
            if pc.any(dangling).as_py():
                value = values[_first(dangling)].as_py()
                raise _refuse(
                    f"{table} refers to {target} id {value} ({column}),",
                    "which the export does not hold",
                )
