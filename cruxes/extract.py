"""Crux extraction: a dialogue's turns → candidate cruxes and candidate projects.

Every extractor returns an ``ExtractionResult``: candidates with the speaker, a
verbatim quote and its character offsets in the transcript, and a stance or
credence where the speaker stated one. ``verify_quotes`` drops any candidate
whose quote is not exactly the source text at its offsets. Nothing becomes a
crux until a person accepts it.

``extract_rules`` is the offline default: it reads each sentence for the cues
people use when they state a belief ("I think", "I'm skeptical", "70%") or
propose work ("a project that", "we could test whether") and ranks sentences
by how many cues they carry.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from cruxes.models import Model, Stance, Turn

SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.M)

CRUX_CUES = re.compile(
    r"\b(i think|i believe|i'm (?:fairly |pretty |very |quite )?(?:skeptical|sceptical|"
    r"confident|convinced|doubtful|not sure|unsure|optimistic|pessimistic)|i doubt|"
    r"i expect|i'd bet|i would bet|my guess|probably|likely|unlikely|crux|disagree|"
    r"i agree|won't|will never|can't|cannot|is useful|isn't useful|not useful)\b",
    re.I,
)
PROJECT_CUES = re.compile(
    r"\b(project|experiment|we could|we should (?:try|test|measure|check|run)|"
    r"i'd be excited|i would be excited|would be (?:great|useful|cool) to|test whether|"
    r"measure|benchmark|compare (?:it |them )?(?:to|with|against)|try to)\b",
    re.I,
)
AGAINST = re.compile(
    r"\b(skeptical|sceptical|doubt|doubtful|unlikely|pessimistic|don't think|do not think|"
    r"won't|will never|isn't|not useful|can't|cannot)\b",
    re.I,
)
UNSURE = re.compile(r"\b(not sure|unsure|uncertain|hard to say|on the fence)\b", re.I)
PERCENT = re.compile(r"\b(\d{1,3}(?:\.\d+)?)\s?%")
VERBAL = [
    (re.compile(r"\balmost certainly not\b", re.I), 0.03),
    (re.compile(r"\balmost certainly\b", re.I), 0.97),
    (re.compile(r"\bvery unlikely\b", re.I), 0.1),
    (re.compile(r"\bvery likely\b", re.I), 0.9),
]


class CandidateOut(Model):
    kind: Literal["crux", "project"]
    speaker: str = Field(description="The speaker label as it appears in the transcript.")
    quote: str = Field(description="A verbatim substring of the transcript.")
    start_offset: int = Field(ge=0, description="Where the quote starts in the transcript.")
    end_offset: int = Field(ge=0, description="Where the quote ends in the transcript.")
    summary: str = Field(description="The crux as a claim, or the project as a title.")
    stance: Stance | None = Field(None, description="The speaker's stance toward the claim.")
    credence: float | None = Field(None, ge=0, le=1, description="A stated probability, if any.")
    score: float = Field(description="Ranking score; higher is a stronger candidate.")


class ExtractionResult(Model):
    cruxes: list[CandidateOut] = []
    projects: list[CandidateOut] = []

    def candidates(self) -> list[CandidateOut]:
        return [*self.cruxes, *self.projects]


def stated_credence(sentence: str) -> float | None:
    """A probability the sentence states as a number or a strong verbal phrase."""
    match = PERCENT.search(sentence)
    if match and float(match[1]) <= 100:
        return float(match[1]) / 100
    for pattern, value in VERBAL:
        if pattern.search(sentence):
            return value
    return None


def stance_of(sentence: str) -> Stance:
    if UNSURE.search(sentence):
        return "unsure"
    return "against" if AGAINST.search(sentence) else "for"


def sentences(text: str, turn: Turn):
    """(start, end) of each sentence in a turn, as offsets into the transcript."""
    for match in SENTENCE.finditer(text, turn.start, turn.end):
        raw = match.group()
        lead = len(raw) - len(raw.lstrip())
        start, end = match.start() + lead, match.start() + len(raw.rstrip())
        if end - start >= 12:
            yield start, end


def extract_rules(text: str, turns: list[Turn]) -> ExtractionResult:
    """Offline rule-based extraction: cue-bearing sentences become ranked candidates."""
    cruxes, projects = [], []
    for turn in turns:
        for start, end in sentences(text, turn):
            quote = text[start:end]
            n_project = len(PROJECT_CUES.findall(quote))
            n_crux = len(CRUX_CUES.findall(quote))
            credence = stated_credence(quote)
            common = dict(
                speaker=turn.speaker,
                quote=quote,
                start_offset=start,
                end_offset=end,
                summary=quote.rstrip(".!? "),
            )
            if n_project and n_project >= n_crux:
                projects.append(CandidateOut(kind="project", score=float(n_project), **common))
            elif n_crux or credence is not None:
                score = n_crux + (1.0 if credence is not None else 0.0)
                cruxes.append(
                    CandidateOut(
                        kind="crux",
                        stance=stance_of(quote),
                        credence=credence,
                        score=score,
                        **common,
                    )
                )
    return ExtractionResult(cruxes=cruxes, projects=projects)


def verify_quotes(text: str, result: ExtractionResult) -> tuple[ExtractionResult, int]:
    """Keep candidates whose quote is the exact source text at its offsets; count the dropped."""

    def ok(c: CandidateOut) -> bool:
        return c.end_offset > c.start_offset and text[c.start_offset : c.end_offset] == c.quote

    kept = ExtractionResult(
        cruxes=[c for c in result.cruxes if ok(c)], projects=[c for c in result.projects if ok(c)]
    )
    return kept, len(result.candidates()) - len(kept.candidates())
