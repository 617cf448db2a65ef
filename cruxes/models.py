"""Pydantic models: the one schema for rows, forms, CLI input and LLM output.

Field descriptions double as help text in the app and the CLI.
"""

from __future__ import annotations

import base64
import math
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)

from db.errors import InvalidInput

Role = Literal["mentor", "scholar"]
Stance = Literal["for", "against", "unsure"]
Op = Literal[">", ">=", "<", "<="]
OPS: tuple[str, ...] = get_args(Op)
EVIDENCE_TOLERANCE = 0.05  # largest gap between implied prior and credence left unflagged
CredenceSource = Literal["manual", "dialogue", "outcome"]
CandidateStatus = Literal["pending", "accepted", "merged", "rejected"]
CANDIDATE_STATUSES: tuple[str, ...] = CandidateStatus.__args__
ProjectStatus = Literal["proposed", "assigned", "running", "in_review", "done"]
PROJECT_STATUSES: tuple[str, ...] = ProjectStatus.__args__
RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
RUN_STATUSES: tuple[str, ...] = RunStatus.__args__
TagKind = Literal["crux", "project", "run"]
NoteKind = Literal["project", "run"]
DEFAULT_QUESTION = "Is mechanistic interpretability useful?"


def _probability(value: Any) -> float:
    """Accept 0–1 as a number or numeric text; refuse NaN, infinities and words."""
    if isinstance(value, bool):
        raise ValueError("must be a number between 0 and 1")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(f"must be a number between 0 and 1, not {text!r}") from None
    if not isinstance(value, int | float) or math.isnan(value) or not 0 <= value <= 1:
        raise ValueError(f"must be a number between 0 and 1 (got {value})")
    return float(value)


Probability = Annotated[float, BeforeValidator(_probability)]
NonEmpty = Annotated[str, Field(min_length=1)]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_strip), Field(min_length=1)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse(model: type[Model], what: str, **data: Any) -> Any:
    """Validate ``data`` into ``model``; a failure is one InvalidInput sentence."""
    try:
        return model(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or what
        message = err["msg"].removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]  # "effort days input should be …"
        raise InvalidInput(f"Invalid {what}: {field.replace('_', ' ')} {message}.") from None


def _email(value: Any) -> str | None:
    """An email in lower case (they compare case-insensitively); blank means none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().lower()
    if len(text) > 254 or not re.fullmatch(r"[^@\s]+@[^@\s]+", text):
        raise ValueError(f"must be an email address like name@example.org, not {value!r}")
    return text


Email = Annotated[str | None, BeforeValidator(_email)]


class Person(Model):
    id: int
    name: str = Field(description="How the person is called in dialogues and the UI.")
    role: Role = Field(description="mentor or scholar.")
    email: str | None = Field(default=None, description="The email they sign in with in team mode.")
    created_at: datetime


class PersonIn(Model):
    name: Text = Field(max_length=80, description="Display name, unique.")
    role: Role = Field(description="mentor or scholar.")
    email: Email = Field(
        default=None,
        description="The email they sign in with (team mode maps a sign-in to a person by it).",
    )


class Turn(Model):
    idx: int
    speaker: str
    start: int = Field(description="Character offset where the turn's text starts.")
    end: int = Field(description="Character offset where the turn's text ends.")
    text: str


class Candidate(Model):
    id: int
    dialogue_id: int
    kind: Literal["crux", "project"]
    speaker: str
    quote: str = Field(description="Verbatim text from the dialogue.")
    start_offset: int
    end_offset: int
    summary: str = Field(description="Proposed crux statement or project title.")
    stance: Stance | None = None
    credence: float | None = None
    score: float
    status: CandidateStatus
    crux_id: int | None = None
    project_id: int | None = None
    reviewed_at: datetime | None = None
    created_at: datetime


class Dialogue(Model):
    id: int
    title: str
    format: str
    text: str
    content_hash: str
    created_at: datetime
    turns: list[Turn] = []
    speakers: dict[str, str | None] = Field(
        default={}, description="Speaker label → the person it maps to (or None)."
    )


class Crux(Model):
    id: int
    statement: str = Field(description="A claim people can hold a credence in.")
    question_id: int | None = Field(
        default=None, description="The top-level question it bears on (None: the default)."
    )
    dialogue_id: int | None = None
    candidate_id: int | None = None
    speaker: str | None = None
    quote: str | None = None
    quote_start: int | None = None
    quote_end: int | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class CredenceIn(Model):
    value: Probability = Field(description="Probability (0–1) that the crux is true.")
    reason: str | None = Field(default=None, description="What moved you (optional).")


class EnteredBy:
    """For rows about a person that also record who typed them in (``entered_by_name``)."""

    @property
    def entered_for(self) -> str:
        """ " (entered by X)" when someone other than the person it is about typed it in."""
        name = self.entered_by_name
        return f" (entered by {name})" if name and name != self.person_name else ""


class Credence(Model, EnteredBy):
    id: int
    crux_id: int
    person_id: int
    person_name: str
    value: float
    reason: str | None = None
    source: CredenceSource
    dialogue_id: int | None = None
    outcome_id: int | None = None
    run_id: int | None = None
    entered_by: int | None = Field(default=None, description="Who typed it in (its id).")
    entered_by_name: str | None = None
    created_at: datetime

    @property
    def cause(self) -> str:
        """A short human description of what produced this credence."""
        if self.source == "outcome":
            return f"outcome {self.outcome_id} of run {self.run_id}"
        if self.source == "dialogue":
            return f"dialogue {self.dialogue_id}"
        return self.reason or "manual entry"


class SpreadPoint(Model):
    at: datetime
    spread: float | None = Field(
        description="Highest minus lowest credence held at that moment (None: fewer than two)."
    )


class CruxDetail(Model):
    crux: Crux
    current: dict[str, float] = Field(description="Person name → latest credence.")
    history: list[Credence]
    project_ids: list[int]
    mentions: list[Candidate] = Field(
        default=[], description="The candidates accepted as, or merged into, this crux."
    )
    spread: list[SpreadPoint] = Field(default=[], description="The spread after each change.")
    tags: list[str] = []


class QuestionIn(Model):
    text: Text = Field(max_length=300, description="A top-level question cruxes bear on.")


class Question(Model):
    id: int | None = Field(default=None, description="None for the default question.")
    text: str
    created_at: datetime | None = None


class ProjectPlan(Model):
    effort_days: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="Estimated effort in days."
    )
    due_date: date | None = Field(default=None, description="When the project should be done.")
    blind_predictions: bool = Field(
        default=False,
        description="Hide other people's predictions from each person until they have "
        "entered their own (until predictions freeze).",
    )


class ProjectIn(ProjectPlan):
    title: Text = Field(max_length=200, description="What the project sets out to find.")
    summary: str = Field(default="", description="Method and why it informs the cruxes.")


class Project(Model):
    id: int
    title: str
    summary: str
    mentor_id: int | None = None
    mentor_name: str | None = None
    assignee_id: int | None = None
    assignee_name: str | None = None
    status: ProjectStatus
    predictions_frozen_at: datetime | None = None
    effort_days: float | None = None
    due_date: date | None = None
    blind_predictions: bool = False
    version: int
    created_at: datetime
    updated_at: datetime
    crux_ids: list[int] = []


class PredictionIn(Model):
    metric: NonEmpty = Field(description="A template metric name, e.g. max_induction_score.")
    op: Op = Field(description="Comparator that defines a positive result.")
    threshold: float = Field(allow_inf_nan=False, description="Value the metric is compared to.")
    p_positive: Probability = Field(description="Your probability that the result is positive.")
    if_positive: Probability = Field(description="Your credence in the crux if positive.")
    if_negative: Probability = Field(description="Your credence in the crux if negative.")
    note: str | None = None


class Prediction(Model, EnteredBy):
    id: int
    project_id: int
    crux_id: int
    person_id: int
    person_name: str
    metric: str
    op: Op
    threshold: float
    p_positive: float
    if_positive: float
    if_negative: float
    note: str | None = None
    entered_by: int | None = Field(default=None, description="Who typed it in (its id).")
    entered_by_name: str | None = None
    created_at: datetime
    is_current: bool = True

    @property
    def implied_prior(self) -> float:
        """P·c₊ + (1−P)·c₋: the credence these conditionals imply before the result."""
        return self.p_positive * self.if_positive + (1 - self.p_positive) * self.if_negative

    def is_positive(self, value: float) -> bool:
        """Whether a metric value counts as a positive result."""
        return {
            ">": value > self.threshold,
            ">=": value >= self.threshold,
            "<": value < self.threshold,
            "<=": value <= self.threshold,
        }[self.op]

    @property
    def rule(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


class EvidenceCheck(Model):
    """Conservation of expected evidence: the implied prior should match the current credence."""

    prediction_id: int
    person_name: str
    crux_id: int
    implied_prior: float
    current: float | None
    gap: float | None
    flagged: bool = Field(description="True when the gap exceeds the tolerance.")
    tolerance: float = Field(EVIDENCE_TOLERANCE, description="The largest gap left unflagged.")


class Evaluation(Model):
    outcome_id: int
    prediction_id: int
    person_id: int
    person_name: str
    crux_id: int
    crux_statement: str
    metric: str
    op: Op
    threshold: float
    p_positive: float
    value: float
    positive: bool
    credence_before: float | None
    proposed: float
    applied: bool


class Outcome(Model):
    id: int
    project_id: int
    run_id: int
    note: str | None = None
    created_at: datetime
    evaluations: list[Evaluation] = []


class RunView(Model):
    id: int
    project_id: int | None = None
    template: str
    config: dict[str, Any]
    seed: int
    status: RunStatus
    device: str | None = None
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: float = 0.0
    message: str = ""
    metrics: dict[str, float | None] = Field(default={}, description="Final value per metric.")
    artifacts: list[str] = Field(default=[], description="Paths of the run's artifact files.")
    folder: str
    recorded: bool = Field(False, description="Whether the result is in the database yet.")
    executor: str | None = Field(None, description="Where the worker runs (local, slurm, …).")
    job_id: str | None = Field(None, description="The executor's handle for the worker.")
    heartbeat_at: datetime | None = Field(None, description="When the worker last reported.")

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")


MAX_COMPARED = 1000


class RunQuery(Model):
    """What the runs table shows: filters, a sort and a page (all applied in SQL)."""

    project_id: int | None = Field(None, description="Only this project's runs.")
    template: str | None = Field(None, description="Only runs of this template.")
    status: RunStatus | None = Field(None, description="Only runs in this state.")
    tag: str | None = Field(None, description="Only runs carrying this tag.")
    person: str | None = Field(None, description="Only runs of projects assigned to this person.")
    since: date | None = Field(None, description="Created on or after this day (UTC).")
    until: date | None = Field(None, description="Created on or before this day (UTC).")
    metrics: list[str] = Field(
        [], description="Metric filters on final values, e.g. 'faithfulness > 0.9'."
    )
    params: list[str] = Field(
        [], description="Config filters, e.g. 'n_sequences = 64' or 'model = organism:modadd-1l'."
    )
    sort: str = Field("id", description="A column (id, created_at, status, …) or a metric name.")
    descending: bool = Field(True, description="Largest (newest) first.")
    limit: int | None = Field(50, ge=1, description="Runs per page; None for all.")
    offset: int = Field(0, ge=0, description="Runs to skip before the page.")


def _arrow_to_wire(table: Any) -> str:
    """An Arrow table as base64 Arrow IPC (how a table crosses the owner's socket)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def _arrow_from_wire(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    import pyarrow as pa

    return pa.ipc.open_stream(base64.b64decode(value)).read_all()


# A pyarrow.Table field; in JSON (over the owner's socket) it travels as Arrow IPC.
ArrowTable = Annotated[
    Any,
    BeforeValidator(_arrow_from_wire),
    PlainSerializer(_arrow_to_wire, when_used="json"),
]


class RunPage(Model):
    """One page of the runs table as an Arrow table, with counts over every matching run."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    query: RunQuery
    table: ArrowTable = Field(description="pyarrow.Table: one row per run, one column per metric.")
    metric_columns: dict[str, str] = Field(description="Metric name → its column in the table.")
    total: int = Field(description="Runs matching every filter.")
    by_status: dict[str, int] = Field(description="Runs per state, every filter but the state.")
    by_template: dict[str, int] = Field(description="Runs per template matching every filter.")

    def rows(self) -> list[dict[str, Any]]:
        """The page as JSON-ready dicts, each metric under ``metrics``."""
        columns = set(self.metric_columns.values())
        out = []
        for row in self.table.to_pylist():
            metrics = {name: row[col] for name, col in self.metric_columns.items()}
            base = {k: v for k, v in row.items() if k not in columns}
            out.append({**base, "metrics": {k: v for k, v in metrics.items() if v is not None}})
        return out


class Comparison(Model):
    """Runs side by side: the config keys that differ, and every final metric."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    ids: list[int]
    same: dict[str, Any] = Field(description="Config keys with one value across all the runs.")
    differing: list[str] = Field(description="Config keys whose values differ between runs.")
    table: ArrowTable = Field(
        description="pyarrow.Table: id, template, status, each differing key, each metric."
    )
    metric_columns: dict[str, str] = Field(description="Metric name → its column in the table.")


def _tag_text(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class TagIn(Model):
    tag: Annotated[str, BeforeValidator(_tag_text)] = Field(
        pattern=r"^[a-z0-9][a-z0-9_.:/-]*$",
        max_length=40,
        description="A short label: letters, digits and - _ . : / (no spaces).",
    )


class NoteIn(Model):
    body: Text = Field(max_length=20_000, description="Markdown.")


class Note(Model, EnteredBy):
    id: int
    kind: NoteKind
    entity_id: int
    person_id: int | None = None
    person_name: str | None = None
    body: str = Field(description="Markdown.")
    entered_by: int | None = Field(default=None, description="Who typed it in (its id).")
    entered_by_name: str | None = None
    created_at: datetime


class Activity(Model):
    id: int
    person_id: int | None = Field(
        default=None, description="Who made the write (None: nobody named)."
    )
    person_name: str | None = None
    action: str = Field(description="What kind of write it was (the role matrix's action).")
    kind: str = Field(description="What it wrote: crux, credence, project, run, …")
    entity_id: int | None = None
    created_at: datetime


# ---------------------------------------------------------------- agenda views


class CruxPosition(Model):
    crux_id: int
    statement: str
    tags: list[str] = []
    positions: dict[str, float] = Field(description="Person name → current credence.")
    spread: float | None = Field(description="Highest minus lowest current credence.")


class QuestionGroup(Model):
    question: Question
    cruxes: list[CruxPosition]


class Move(Model):
    credence: Credence = Field(description="The credence row that made the move.")
    statement: str
    before: float = Field(description="The person's previous credence in the crux.")
    delta: float = Field(description="New minus previous credence.")


class OutcomeEvent(Model):
    outcome_id: int
    project_id: int
    project_title: str
    run_id: int
    template: str
    note: str | None = None
    created_at: datetime
    n_evaluations: int
    n_positive: int
    n_applied: int = Field(description="Credence updates applied from this outcome.")


class Agenda(Model):
    since: date | None = None
    until: date | None = None
    people: list[str] = Field(description="Everyone holding a credence, by name.")
    questions: list[QuestionGroup]
    moves: list[Move] = Field(description="The largest credence changes in the period.")
    outcomes: list[OutcomeEvent] = Field(description="Outcomes recorded in the period.")


class PersonForecast(Model):
    person_name: str
    credence: float | None = Field(description="Current credence (None: none recorded).")
    p_positive: float
    if_positive: float
    if_negative: float
    expected_update: float = Field(description="P·|c₊ − c| + (1 − P)·|c₋ − c|.")


class CruxForecast(Model):
    """What one project's pre-registered predictions say about one crux."""

    project_id: int
    project_title: str
    project_status: ProjectStatus
    crux_id: int
    statement: str
    people: list[PersonForecast]
    expected_update: float = Field(description="Summed over the people who predicted.")
    spread_now: float | None
    spread_if_positive: float | None
    spread_if_negative: float | None
    mean_p_positive: float | None = Field(description="Mean P over the people who predicted.")
    expected_reduction: float | None = Field(
        description="Spread now minus the spread expected after the result."
    )

    @property
    def brings_closer(self) -> bool:
        """Whether either result would leave people closer together than now."""
        if self.spread_now is None:
            return False
        after = (self.spread_if_positive, self.spread_if_negative)
        return any(s is not None and s < self.spread_now - 1e-12 for s in after)


class ProjectValue(Model):
    project_id: int
    title: str
    status: ProjectStatus
    mentor_name: str | None = None
    assignee_name: str | None = None
    effort_days: float | None = None
    due_date: date | None = None
    blind_predictions: bool = False
    expected_update: float = Field(description="E|Δ| summed over people and cruxes.")
    expected_reduction: float = Field(description="Expected fall in spread, summed over cruxes.")
    per_person: dict[str, float] = Field(description="Person → E|Δ| summed over cruxes.")
    cruxes: list[CruxForecast]
    hidden: int = Field(0, description="Predictions hidden until the viewer enters theirs.")


class CruxDisagreement(Model):
    crux_id: int
    statement: str
    positions: dict[str, float]
    spread: float
    projects: list[CruxForecast] = Field(
        description="Open projects whose results would bring people closer, best first."
    )


class CalibrationBin(Model):
    lower: float
    upper: float
    count: int
    mean_predicted: float | None = None
    observed: float | None = Field(None, description="Fraction of these that came out positive.")


class Score(Model):
    person_name: str | None = Field(description="None: everyone together.")
    n: int
    brier: float | None = Field(description="Mean (P − outcome)²; 0 is perfect, lower is better.")
    log_score: float | None = Field(
        description="Mean ln of the probability given to what happened; 0 is perfect, higher "
        "is better."
    )
    bins: list[CalibrationBin]


class ResolvedPrediction(Model):
    outcome_id: int
    run_id: int
    prediction_id: int
    project_id: int
    project_title: str
    crux_id: int
    person_name: str
    p_positive: float
    positive: bool
    resolved_at: datetime


class Calibration(Model):
    tag: str | None = None
    overall: Score
    people: list[Score]
    resolved: list[ResolvedPrediction]


# ---------------------------------------------------------------- the project board


class CruxRef(Model):
    id: int
    statement: str


class Card(Model):
    project_id: int
    title: str
    status: ProjectStatus
    mentor_name: str | None = None
    assignee_name: str | None = None
    cruxes: list[CruxRef] = []
    tags: list[str] = []
    effort_days: float | None = None
    due_date: date | None = None
    overdue: bool = Field(False, description="Past its due date and not done.")
    n_runs: int = 0
    latest_run_id: int | None = None
    latest_run_status: RunStatus | None = None
    latest_run_template: str | None = None
    n_notes: int = 0
    latest_note: str | None = None


class Board(Model):
    statuses: list[ProjectStatus] = list(PROJECT_STATUSES)
    cards: list[Card]

    def column(self, status: str) -> list[Card]:
        """The cards in one status column."""
        return [c for c in self.cards if c.status == status]


class RunRow(Model):
    id: int
    project_id: int | None = None
    project_title: str | None = None
    template: str
    status: RunStatus
    created_at: datetime
    finished_at: datetime | None = None
    tags: list[str] = []
    n_notes: int = 0
    latest_note: str | None = None
    outcome_id: int | None = None


class ProjectDetail(Model):
    """One project as its page and ``cruxlab project show`` present it."""

    project: Project
    predictions: list[Prediction] = Field(
        description="Every prediction the viewer may see, superseded ones included."
    )
    hidden_predictions: int = Field(description="Current predictions hidden from the viewer.")
    evidence_checks: list[EvidenceCheck]
    runs: list[RunRow] = Field(description="The project's runs, newest first.")
    outcomes: list[Outcome]
    tags: list[str]
    notes: list[Note]


class AwaitingPrediction(Model):
    project_id: int
    project_title: str
    project_status: ProjectStatus
    crux_id: int
    statement: str


class PersonPage(Model):
    person: Person
    projects: list[Card] = Field(description="Projects assigned to them.")
    runs: list[RunRow] = Field(description="Runs of those projects, newest first (at most 50).")
    n_runs: int = Field(0, description="All runs of those projects.")
    awaiting: list[AwaitingPrediction] = Field(
        description="Open projects' cruxes they have not predicted yet."
    )


class Coverage(Model):
    cruxes_without_project: list[Crux]
    projects_without_run: list[Card]
    runs_without_outcome: list[RunRow] = Field(
        description="The newest succeeded runs with no outcome (at most 50)."
    )
    n_runs_without_outcome: int = Field(0, description="All succeeded runs with no outcome.")


class ExchangeResult(Model):
    directory: str
    tables: dict[str, int] = Field(description="Table → rows written or restored.")
    run_folders: int
    report: str | None = None


DemoState = Literal["seeding", "complete", "failed"]


class DemoProgress(Model):
    """Where ``cruxlab demo`` stands, as its process last wrote it (``demo.json`` in the home)."""

    state: DemoState
    step: int = Field(description="The step under way (or the last one), from 1.")
    steps: int = Field(description="How many steps seeding the demo takes.")
    label: str = Field(description="What the step does.")
    fraction: float = Field(description="Overall progress in [0, 1], steps weighted by time.")
    message: str = Field("", description="The latest progress message of the step.")
    pid: int = Field(description="The process seeding the demo.")
    updated_at: datetime
    error: str | None = None
    alive: bool = Field(False, description="Whether that process was running when this was read.")
