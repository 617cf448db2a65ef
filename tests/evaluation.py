"""The labelled sets and the figures measured on them.

* ``tests/data/eval/`` and ``tests/data/heldout/``: the project's own dialogues.
* ``tests/data/real/labels.toml``: the real development set, public texts kept
  outside the repository in ``../shared/`` (the repository root's parent).

Used by tests/unit/test_extraction_quality.py (which holds the extractor to the
README's figures) and tests/bench/bench_similarity.py (lexical vs embedding).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cruxes.extract import CandidateOut, ExtractionResult, extract_rules
from cruxes.formats import parse
from cruxes.models import Turn

EVAL_DIR = Path(__file__).parent / "data" / "eval"
HELDOUT_DIR = Path(__file__).parent / "data" / "heldout"
REAL_DIR = Path(__file__).parent / "data" / "real"
SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"  # beside the repository root
TOP_K_PER_ITEM = 2  # a reviewer reads twice as many candidates as there are real items
TOP_K_REAL = 15  # the first screen of a review queue


def require_shared() -> Path:
    """The shared folder of real texts; skip (fail on CI) when this checkout has none."""
    import pytest

    if SHARED_DIR.is_dir():
        return SHARED_DIR
    message = f"the real texts are not here: no folder {SHARED_DIR}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class Item:
    kind: str
    id: str
    anchors: list[str]

    def matches(self, c: CandidateOut) -> bool:
        quote = c.quote.replace("’", "'").lower()
        anchors = (a.replace("’", "'").lower() for a in self.anchors)
        return self.kind in (c.kind, "any") and any(a in quote for a in anchors)


@dataclass(frozen=True)
class Labelled:
    file: str
    format: str
    speaker: str | None
    speakers: list[str]
    items: list[Item]
    text: str
    turns: list[Turn]
    parsed_format: str


def load_set(folder: Path = EVAL_DIR, texts: Path | None = None) -> list[Labelled]:
    """Every labelled dialogue in ``folder`` (texts in ``texts``), parsed with format detection."""
    labels = tomllib.loads((folder / "labels.toml").read_text())
    out = []
    for d in labels["dialogue"]:
        raw = ((texts or folder) / d["file"]).read_text()
        parsed = parse(raw, speaker=d.get("speaker"))
        turns = [
            Turn(
                idx=i,
                speaker=t.speaker,
                start=t.start,
                end=t.end,
                text=parsed.text[t.start : t.end],
            )
            for i, t in enumerate(parsed.turns)
        ]
        out.append(
            Labelled(
                file=d["file"],
                format=d["format"],
                speaker=d.get("speaker"),
                speakers=d["speakers"],
                items=[Item(i["kind"], i["id"], i["anchors"]) for i in d["item"]],
                text=parsed.text,
                turns=turns,
                parsed_format=parsed.format,
            )
        )
    return out


@dataclass(frozen=True)
class Scores:
    recall: float  # labelled items found among each dialogue's top candidates
    precision: float  # those top candidates that match a labelled item
    found: int
    items: int
    correct: int
    candidates: int
    missed: list[str]
    wrong: list[str]


def ranked(result: ExtractionResult) -> list[CandidateOut]:
    """All candidates of a result, best score first (as the review queue lists them)."""
    return sorted(result.candidates(), key=lambda c: (-c.score, c.start_offset or 0))


def evaluate(extractor=extract_rules, dialogues: list[Labelled] | None = None) -> Scores:
    """Recall and precision among each dialogue's top 2·(items) candidates."""
    found = items = correct = total = 0
    missed, wrong = [], []
    for d in dialogues or load_set():
        candidates = ranked(extractor(d.text, d.turns))
        top = candidates[: TOP_K_PER_ITEM * len(d.items)]
        for item in d.items:
            items += 1
            if any(item.matches(c) for c in top):
                found += 1
            else:
                missed.append(f"{d.file}: {item.kind} {item.id}")
        for c in top:
            total += 1
            if any(item.matches(c) for item in d.items):
                correct += 1
            else:
                wrong.append(f"{d.file}: {c.kind} {c.score:.2f} {c.quote[:90]!r}")
    return Scores(
        recall=found / items,
        precision=correct / total if total else 0.0,
        found=found,
        items=items,
        correct=correct,
        candidates=total,
        missed=missed,
        wrong=wrong,
    )


def load_real() -> list[Labelled]:
    """The real development set (skipped, or failed on CI, without ../shared)."""
    return load_set(REAL_DIR, require_shared())


@dataclass(frozen=True)
class TopScores:
    """One text's figures among its first ``TOP_K_REAL`` candidates."""

    file: str
    found: int  # labelled items matched by a top candidate
    items: int
    correct: int  # top candidates matching a labelled item
    shown: int  # top candidates (fewer than k when fewer were proposed)
    missed: list[str]

    @property
    def recall(self) -> float:
        return self.found / self.items

    @property
    def precision(self) -> float:
        return self.correct / self.shown if self.shown else 0.0


def evaluate_top(
    dialogues: list[Labelled], extractor=extract_rules, k: int = TOP_K_REAL
) -> list[TopScores]:
    """Recall and precision among each text's first ``k`` candidates."""
    out = []
    for d in dialogues:
        top = ranked(extractor(d.text, d.turns))[:k]
        missed = [f"{i.kind} {i.id}" for i in d.items if not any(i.matches(c) for c in top)]
        correct = sum(any(i.matches(c) for i in d.items) for c in top)
        out.append(
            TopScores(d.file, len(d.items) - len(missed), len(d.items), correct, len(top), missed)
        )
    return out


def pooled(scores: list[TopScores]) -> tuple[float, float]:
    """(recall, precision) over a whole set: items and top candidates pooled."""
    found, items = sum(s.found for s in scores), sum(s.items for s in scores)
    correct, shown = sum(s.correct for s in scores), sum(s.shown for s in scores)
    return found / items, correct / shown if shown else 0.0


@dataclass(frozen=True)
class Linking:
    """How well a similarity finds the same crux in other dialogues."""

    hit_at_1: float  # queries with a true duplicate whose most similar crux is one
    average_precision: float  # over every (query, other dialogue's crux) pair, ranked
    precision: float  # pairs at or above the threshold that are duplicates
    recall: float  # duplicate pairs at or above the threshold
    queries: int
    duplicate_pairs: int


def crux_texts() -> list[tuple[str, str, str]]:
    """(dialogue, labelled crux id, candidate text) for each crux candidate matching a label.

    The text is what linking compares: the candidate's summary (the proposed statement).
    """
    out = []
    for d in load_set():
        for c in ranked(extract_rules(d.text, d.turns)):
            item = next((i for i in d.items if i.kind == "crux" and i.matches(c)), None)
            if item is not None:
                out.append((d.file, item.id, c.summary))
    return out


def evaluate_linking(score_pairs, threshold: float) -> Linking:
    """Score every candidate against the cruxes of the other dialogues.

    ``score_pairs(queries, existing)`` returns a matrix of similarities (rows:
    queries, columns: existing texts).
    """
    texts = crux_texts()
    matrix = score_pairs([t for _, _, t in texts], [t for _, _, t in texts])
    pairs, hits, queries = [], 0, 0
    for i, (dialogue, crux_id, _) in enumerate(texts):
        others = [(matrix[i][j], texts[j][1] == crux_id) for j in range(len(texts))]
        others = [o for j, o in enumerate(others) if texts[j][0] != dialogue]
        pairs += others
        if any(same for _, same in others):
            queries += 1
            hits += max(others)[1]
    pairs.sort(key=lambda p: -p[0])
    positives = sum(same for _, same in pairs)
    found, precisions = 0, []
    for rank, (_, same) in enumerate(pairs, 1):
        if same:
            found += 1
            precisions.append(found / rank)
    above = [same for score, same in pairs if score >= threshold]
    return Linking(
        hit_at_1=hits / queries,
        average_precision=sum(precisions) / positives,
        precision=sum(above) / len(above) if above else 0.0,
        recall=sum(above) / positives,
        queries=queries,
        duplicate_pairs=positives,
    )


def lexical_scores(queries: list[str], existing: list[str]) -> list[list[float]]:
    """The similarity cruxlab uses, as a query × existing matrix."""
    from cruxes.similarity import Index

    index = Index(enumerate(existing))
    return [[s for _, s in sorted(index.scores(q))] for q in queries]
