"""Pydantic models: the one schema for rows, forms, CLI input and LLM output.

Field descriptions double as help text in the app and the CLI.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from db.errors import InvalidInput

Role = Literal["mentor", "scholar"]
Stance = Literal["for", "against", "unsure"]
Op = Literal[">", ">=", "<", "<="]
CredenceSource = Literal["manual", "dialogue", "outcome"]
CandidateStatus = Literal["pending", "accepted", "merged", "rejected"]
CANDIDATE_STATUSES: tuple[str, ...] = CandidateStatus.__args__
ProjectStatus = Literal["proposed", "assigned", "running", "in_review", "done"]
PROJECT_STATUSES: tuple[str, ...] = ProjectStatus.__args__


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
        raise InvalidInput(f"Invalid {what}: {field.replace('_', ' ')} {message}.") from None


class Person(Model):
    id: int
    name: str = Field(description="How the person is called in dialogues and the UI.")
    role: Role = Field(description="mentor or scholar.")
    created_at: datetime


class PersonIn(Model):
    name: Text = Field(max_length=80, description="Display name, unique.")
    role: Role = Field(description="mentor or scholar.")


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


class Credence(Model):
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
    created_at: datetime

    @property
    def cause(self) -> str:
        """A short human description of what produced this credence."""
        if self.source == "outcome":
            return f"outcome {self.outcome_id} of run {self.run_id}"
        if self.source == "dialogue":
            return f"dialogue {self.dialogue_id}"
        return self.reason or "manual entry"


class CruxDetail(Model):
    crux: Crux
    current: dict[str, float] = Field(description="Person name → latest credence.")
    history: list[Credence]
    project_ids: list[int]
    mentions: list[Candidate] = Field(
        default=[], description="The candidates accepted as, or merged into, this crux."
    )


class ProjectIn(Model):
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


class Prediction(Model):
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
    status: Literal["queued", "running", "succeeded", "failed"]
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

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed")
