"""Crux extraction: a dialogue's turns → candidate cruxes and candidate projects.

Every extractor returns an ``ExtractionResult``: candidates with the speaker, a
verbatim quote and its character offsets in the transcript, a stance and a
credence where the speaker stated one, and a score for ranking. ``verify_quotes``
keeps only candidates whose quote is verbatim source text (placing a quote
given without offsets), and counts the rest. Nothing becomes a crux until a
person accepts it.

``extract_rules`` is the offline default. It reads each sentence the way a
careful note-taker would:

* a **crux** is a claim someone commits to: a belief frame ("I think", "I doubt",
  "I'm skeptical that", "I'd bet"), a stated probability ("70%", "very
  unlikely"), or a sentence that names the disagreement ("that is our crux: …");
* a **project** is concrete work someone proposes ("we could train …", "I'd be
  excited about …", "test whether …") or an open question an experiment could
  answer;
* small talk, acknowledgements and questions to the other person score low.

Scores add up the cues; a short sentence that only announces ("Here's a
project: an auditing game.") takes the next sentence with it, and a sentence
that names the crux lends weight to the claim it points at. Near-duplicates by
the same speaker are merged into the best-scoring one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from cruxes.models import Model, Stance, Turn

# ----------------------------------------------------------------- the schema


class CandidateOut(Model):
    """One extracted candidate; the field descriptions are also the LLM's instructions."""

    kind: Literal["crux", "project"] = Field(
        description="crux: a claim a participant asserts, doubts or would bet on. project: "
        "concrete work someone proposes or would be excited about, or an open question "
        "an experiment could answer."
    )
    speaker: str = Field(description="The speaker label exactly as it appears in the transcript.")
    quote: str = Field(
        description="The speaker's own words, copied character for character from the "
        "transcript (one or two sentences; no speaker label, no ellipses, no edits)."
    )
    start_offset: int | None = Field(
        None, ge=0, description="Where the quote starts in the transcript (filled in by cruxlab)."
    )
    end_offset: int | None = Field(
        None, ge=0, description="Where the quote ends in the transcript (filled in by cruxlab)."
    )
    summary: str = Field(
        description="For a crux, the claim as one self-contained sentence someone could hold "
        "a credence in; for a project, a short title."
    )
    stance: Stance | None = Field(
        None, description="For a crux: whether the speaker is for, against or unsure of the claim."
    )
    credence: float | None = Field(
        None,
        ge=0,
        le=1,
        description="For a crux: the probability the speaker gives the claim, only if they "
        "state a number or a strong verbal probability (e.g. 'very unlikely').",
    )
    score: float = Field(0.0, description="Ranking score; higher is a stronger candidate.")


class ExtractionResult(Model):
    """Candidate cruxes and candidate projects found in a transcript."""

    cruxes: list[CandidateOut] = Field(default=[], description="Candidate cruxes (kind crux).")
    projects: list[CandidateOut] = Field(
        default=[], description="Candidate projects (kind project)."
    )

    def candidates(self) -> list[CandidateOut]:
        return [*self.cruxes, *self.projects]


def result_of(candidates: list[CandidateOut]) -> ExtractionResult:
    """Candidates sorted into an ``ExtractionResult``, best first within each kind."""
    ranked = sorted(candidates, key=lambda c: (-c.score, c.start_offset or 0))
    return ExtractionResult(
        cruxes=[c for c in ranked if c.kind == "crux"],
        projects=[c for c in ranked if c.kind == "project"],
    )


# ----------------------------------------------------------------- sentences

ABBREVIATIONS = re.compile(
    r"\b(?:e\.g|i\.e|etc|vs|cf|approx|Dr|Mr|Ms|Mrs|Prof|al|Fig|No|St)\.$", re.I
)
SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)")
BULLET = re.compile(r"[ \t]*(?:[-*•+]|\d{1,2}[.)])[ \t]+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentences(text: str, turn: Turn) -> Iterator[Span]:
    """Each sentence (or list item) of a turn, as offsets into the transcript."""
    pos = turn.start
    for raw_line in text[turn.start : turn.end].split("\n"):
        line_start, pos = pos, pos + len(raw_line) + 1
        bullet = BULLET.match(raw_line)
        cursor = line_start + (bullet.end() if bullet else 0)
        line_end = line_start + len(raw_line)
        for m in SENTENCE_END.finditer(text, cursor, line_end):
            if ABBREVIATIONS.search(text, cursor, m.start() + 1):
                continue
            yield from _trimmed(text, cursor, m.end())
            cursor = m.end()
        yield from _trimmed(text, cursor, line_end)


def _trimmed(text: str, start: int, end: int) -> Iterator[Span]:
    raw = text[start:end]
    start += len(raw) - len(raw.lstrip())
    end = start + len(raw.strip())
    if end - start >= 3:
        yield Span(start, end)


# ----------------------------------------------------------------- cues

BELIEF = re.compile(
    r"\b(?:i (?:really |still |strongly |honestly |kind of |sort of )?(?:think|believe|expect|"
    r"suspect|doubt|guess|claim|predict|reckon|bet)\b|i'?d (?:still )?(?:bet|say|put|give|guess|"
    r"argue|estimate|be surprised)|i'?m (?:\w+ )?(?:skeptical|sceptical|confident|convinced|"
    r"unconvinced|optimistic|pessimistic|doubtful|worried|sure|certain)\b|i am (?:\w+ )?"
    r"(?:skeptical|confident|convinced|unconvinced|optimistic|pessimistic|sure)\b|"
    r"i don'?t (?:think|believe|buy|expect)|i do not (?:think|believe|expect)|"
    r"my (?:\w+ )?(?:view|guess|claim|position|bet|credence|worry|prediction|take) is|"
    r"my (?:\w+ )?(?:view|claim|position|take):|i (?:agree|disagree)\b|"
    r"seems? (?:very |quite )?(?:likely|unlikely|plausible|implausible)|"
    r"i'?m at \d|(?:probability|chance|odds) (?:that|of|is)|i'?m not sold)",
    re.I,
)
POINTER = re.compile(
    r"\b(?:(?:the|our|a|main|real|key|central) crux|(?:main|real|core|key|central) "
    r"disagreement|that(?:'s| is) (?:what|where) we disagree|where we disagree)\b",
    re.I,
)
CLAIM_VERB = re.compile(
    r"\b(?:will|won'?t|would|wouldn'?t|can|can'?t|cannot|could|is|isn'?t|are|aren'?t|does|"
    r"doesn'?t|do|don'?t|holds?|works?|scales?|beats?|wins?|helps?|matters?|recovers?|"
    r"reflects?|explains?|suffices?|generali[sz]es?|transfers?|fails?|comes? from)\b",
    re.I,
)
HEDGED = re.compile(r"\b(?:might|may|won't|will never|can't|cannot|never)\b", re.I)
PROPOSAL = re.compile(
    r"\b(?:we could|we should (?:also )?(?:test|try|measure|run|check|build|train|compare|"
    r"study|look|see|ablate|replicate|benchmark)|someone should|one could|you could (?:test|"
    r"try|measure|check)|i'?d (?:be )?(?:more |really |very )?excited|i'?d love to see|"
    r"i'?d like to see|i would love|(?:a|one|another|the) (?:\w+ )?(?:project|experiment|study|"
    r"benchmark)\b|experiment i'?d|it would be (?:\w+ )?(?:useful|great|interesting|valuable|"
    r"good|nice) to|would be worth|worth trying|open question|(?:test|check|see|measure|ask) "
    r"(?:whether|if|how|what)\b|head-to-head|let'?s (?:test|try|measure|run|train|build))",
    re.I,
)
EXPERIMENT_WORDS = re.compile(
    r"\b(?:train|measure|compare|benchmark|held-out|baseline|ablat\w*|probe|dataset|"
    r"evaluate|eval|score|label|track|replicate|run|fine-?tune|model|models|toy|team|"
    r"game|intervention|steer\w*|activation\w*|prompts?|features?|circuits?)\b",
    re.I,
)
SMALL_TALK = re.compile(
    r"^(?:ok(?:ay)?|yes|yeah|yep|sure|great|thanks|thank you|fair|cool|right|agreed|good|"
    r"fine|noted|hm+|hmm|nice|interesting|got it|sounds good|makes sense|quick recap|"
    r"let'?s (?:write|draft|do|move|book|start|wrap|talk)|i'?ll |can i |happy to|"
    r"i want to start|i've been)\b",
    re.I,
)
# fmt: off
STOPWORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "if", "then", "so", "of", "to", "in", "on", "at",
    "by", "for", "with", "from", "as", "is", "are", "was", "were", "be",
    "been", "being", "it", "its", "this", "that", "these", "those", "there", "here", "i", "you",
    "we", "they", "he", "she", "me", "my", "our", "your",
    "their", "them", "us", "his", "her", "not", "no", "do", "does", "did", "done", "have",
    "has", "had", "would", "could", "should", "will", "can",
    "just", "very", "really", "also", "about", "into", "than", "too", "more", "most", "much",
    "many", "some", "any", "what", "which", "who",
    "whom", "how", "why", "when", "where", "all", "each", "both", "either", "less", "only",
    "own", "same", "such", "even", "still",
    "maybe", "i'm", "i'd", "i've", "it's", "that's", "don't", "doesn't", "isn't", "won't",
    "can't", "think",
})
# fmt: on
WORD = re.compile(r"[a-z0-9][a-z0-9'’\-]*", re.I)

# ----------------------------------------------------------------- credence & stance

PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?(?:%|percent\b)(?!\s*(?:of|accuracy)\b)")
PROBABILITY = re.compile(
    r"\b(?:probability|credence|chance|odds|p)\s*(?:of|is|=|at|around|about)?\s*(0?\.\d+|1\.0)\b",
    re.I,
)
ONE_IN = re.compile(r"\b(\d{1,2}) in (\d{1,3})(?: chance)?\b")
VERBAL = [  # strong verbal probabilities only; "probably" states no number
    (re.compile(r"\balmost certainly not\b|\bno way\b", re.I), 0.03),
    (re.compile(r"\b(?:almost|near(?:ly)?|virtually) certain(?:ly)?\b", re.I), 0.97),
    (re.compile(r"\b(?:extremely|highly|very) unlikely\b", re.I), 0.1),
    (re.compile(r"\b(?:extremely|highly|very) likely\b", re.I), 0.9),
    (re.compile(r"\b(?:coin ?flip|toss-?up|50/50|fifty-fifty)\b", re.I), 0.5),
]
UNSURE = re.compile(
    r"\b(?:not sure|unsure|uncertain|hard to say|on the fence|could go either way|"
    r"i don'?t know)\b",
    re.I,
)
AGAINST = re.compile(  # frames that put the speaker against the claim they frame
    r"\b(?:skeptical|sceptical|doubt|doubtful|pessimistic|unconvinced|not convinced|"
    r"don'?t (?:think|believe|buy|expect)|do not (?:think|believe|expect)|disagree|"
    r"less optimistic|seems? (?:very |quite )?unlikely|i'?d be surprised|not sold)\b",
    re.I,
)


def stated_credence(sentence: str) -> float | None:
    """A probability the sentence states as a number or a strong verbal phrase."""
    if (m := PERCENT.search(sentence)) and float(m[1]) <= 100:
        return round(float(m[1]) / 100, 4)
    if m := PROBABILITY.search(sentence):
        return float(m[1])
    if (m := ONE_IN.search(sentence)) and 0 < int(m[1]) <= int(m[2]):
        return round(int(m[1]) / int(m[2]), 4)
    for pattern, value in VERBAL:
        if pattern.search(sentence):
            return value
    return None


def stance_of(sentence: str, credence: float | None = None) -> Stance:
    """For, against or unsure: from the stated credence if any, else from the wording."""
    if credence is not None:
        return "for" if credence >= 0.6 else "against" if credence <= 0.4 else "unsure"
    sentence = sentence.replace("’", "'")
    if UNSURE.search(sentence):
        return "unsure"
    return "against" if AGAINST.search(sentence) else "for"


# ----------------------------------------------------------------- summaries

LEAD = re.compile(
    r"^(?:(?:so|well|okay|ok|honestly|and|but|also|still|then|yes|no|hm+|right|fair|maybe|"
    r"first|second|third|a second disagreement|my rough view|roughly|in short)\b[,:]?\s+)+",
    re.I,
)
FRAME = re.compile(
    r"^(?:(?:i (?:really |still |strongly |honestly )?(?:think|believe|expect|suspect|doubt|"
    r"guess|claim|predict|reckon)|i don'?t (?:think|believe|expect)|i do not (?:think|"
    r"believe|expect)|i'?m (?:\w+ )?(?:skeptical|sceptical|confident|convinced|unconvinced|"
    r"optimistic|pessimistic|sure|not sure|worried)|i am (?:\w+ )?(?:skeptical|confident|"
    r"convinced|unconvinced|optimistic|pessimistic|sure)|my (?:\w+ )?(?:view|guess|claim|"
    r"position|bet|worry|prediction|take) is|i'?d (?:still )?(?:bet|say|put|give|guess|argue)"
    r"(?: (?:maybe |about |around )?\d{1,3}%)?(?: on)?(?: the claim)?|"
    r"i'?m at \d{1,3}%(?: on (?:that|this|it))?|i'?d be (?:\w+ )?excited (?:about|by|to see)|"
    r"(?:another|one) (?:\w+ )?experiment would be to|"
    r"(?:that|this) (?:seems|sounds) like (?:the|our) crux\.?|(?:then )?that(?:'s| is) "
    r"(?:probably )?(?:our|the) (?:main |real )?(?:crux|disagreement)|a project i'?d be excited "
    r"about|here'?s a project i'?d be excited about|one experiment i'?d like|"
    r"an? (?:\w+ )?(?:question|experiment) (?:we could answer \w+|i'?d like)|"
    r"we could(?: also)?|we should(?: also)?|someone should|i'?d love to see|"
    r"it would be (?:\w+ )?(?:useful|great|interesting|valuable|good) to)(?:\s+that\b)?[,:]?\s+)",
    re.I,
)
TRAILING_CREDENCE = re.compile(
    r"[;,:]\s*(?:maybe|perhaps|about|around|roughly|say|i'?d say|at)?\s*(?:\d{1,3}%|very "
    r"(?:un)?likely)[^;]*$",
    re.I,
)


def summarise(quote: str, kind: str) -> str:
    """The claim (or project title) inside a quote, without its belief frame."""
    text = " ".join(quote.replace("’", "'").split())
    text = LEAD.sub("", text)
    for _ in range(2):
        text = LEAD.sub("", FRAME.sub("", text, count=1))
    if kind == "crux":
        text = TRAILING_CREDENCE.sub("", text)
        head = text.split(";", 1)[0]
        if len(content_words(head)) >= 5:
            text = head
    text = text.strip(" ;,:-")
    if not text:
        return " ".join(quote.split())[:200]
    text = text[0].upper() + text[1:]
    if kind == "crux" and text[-1] not in ".!?":
        text += "."
    return text[:200]


# ----------------------------------------------------------------- scoring


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning, lightly stemmed."""
    out = set()
    for word in WORD.findall(text.lower().replace("’", "'")):
        if word not in STOPWORDS and len(word) > 2:
            out.add(stem(word))
    return out


def stem(word: str) -> str:
    """A crude suffix-stripping stemmer: enough to match 'features' with 'feature'."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@dataclass
class Scored:
    kind: str
    span: Span
    score: float
    credence: float | None
    speaker: str
    turn: int
    summary: str | None = None  # when the quote alone does not say what the claim is


def _crux_score(sentence: str, n_content: int, credence: float | None) -> float:
    score = 0.0
    if BELIEF.search(sentence):
        score += 2.0
    if credence is not None:
        score += 2.0 if n_content >= 3 else 1.0
    if POINTER.search(sentence):
        score += 1.5
    if CLAIM_VERB.search(sentence):
        score += 0.5
    if HEDGED.search(sentence):
        score += 1.0
    score += min(n_content, 12) / 8
    return score


def _project_score(sentence: str, n_content: int) -> float:
    cues = len(PROPOSAL.findall(sentence))
    if not cues and not (sentence.rstrip().endswith("?") and _open_question(sentence)):
        return 0.0
    return 1.5 + cues + min(len(EXPERIMENT_WORDS.findall(sentence)), 4) / 2 + n_content / 10


def _open_question(sentence: str) -> bool:
    starts = re.match(
        r"^(?:and |so |but )?(?:do|does|can|will|would|is|are|could)\b", sentence, re.I
    )
    return bool(starts) and len(EXPERIMENT_WORDS.findall(sentence)) >= 2


def _penalty(sentence: str, n_content: int) -> float:
    penalty = 0.0
    if SMALL_TALK.search(sentence):
        penalty += 1.5
    if n_content < 4:
        penalty += 1.5
    if sentence.rstrip().endswith("?"):
        penalty += 1.0
    return penalty


CRUX_THRESHOLD = 3.0
PROJECT_THRESHOLD = 3.0
ANNOUNCE_WORDS = 8  # a project sentence this short takes the next sentence with it
REASON_ONLY = re.compile(r"^(?:(?:mostly|partly|largely|just) )?(?:because|since)\b", re.I)


def extract_rules(text: str, turns: list[Turn]) -> ExtractionResult:
    """Offline extraction: ranked candidate cruxes and projects with verbatim quotes."""
    found: list[Scored] = []
    plain = text.replace("’", "'")  # cues are written with ASCII apostrophes; same offsets
    for turn in turns:
        spans = list(sentences(text, turn))
        previous: Scored | None = None  # the last crux found in this turn
        for i, span in enumerate(spans):
            sentence = plain[span.start : span.end]
            words = content_words(sentence)
            credence = stated_credence(sentence)
            following = spans[i + 1] if i + 1 < len(spans) else None
            project = _project_score(sentence, len(words))
            crux = _crux_score(sentence, len(words), credence)
            penalty = _penalty(sentence, len(words))
            if project and project >= crux - 1:
                if len(words) < ANNOUNCE_WORDS and following:
                    span = Span(span.start, following.end)
                    project += 1.0
                found.append(
                    Scored("project", span, project - penalty / 2, None, turn.speaker, turn.idx)
                )
            elif credence is not None and len(words) < 3 and previous is not None:
                # "Maybe 20%." states the credence of the claim just made.
                claim = plain[previous.span.start : previous.span.end]
                previous.summary = previous.summary or summarise(claim, "crux")
                previous.span = Span(previous.span.start, span.end)
                previous.credence = credence
                previous.score += 2.0
            elif POINTER.search(sentence) and len(words) < 6:
                _lend_weight(found, turn, following, plain, span)
            else:
                previous = Scored("crux", span, crux - penalty, credence, turn.speaker, turn.idx)
                if i < 2 and _needs_context(sentence, credence):
                    previous.summary = _answered(found, turn, plain)
                    if previous.summary:  # a reply that states a credence in their claim
                        previous.score = crux
                found.append(previous)
    kept = [
        s for s in found if s.score >= (CRUX_THRESHOLD if s.kind == "crux" else PROJECT_THRESHOLD)
    ]
    candidates = [_candidate(text, s) for s in kept]
    return result_of(merge_near_duplicates(candidates))


def _needs_context(sentence: str, credence: float | None) -> bool:
    """A credence or reply that does not restate the claim ("I'd say 65%, because …")."""
    claim = summarise(sentence, "crux")
    return REASON_ONLY.match(claim) is not None or (
        credence is not None and len(content_words(claim)) < 3
    )


def _answered(found: list[Scored], turn: Turn, text: str) -> str | None:
    """The claim another speaker made in the last two turns, which this turn answers."""
    earlier = [
        s
        for s in found
        if s.kind == "crux" and s.speaker != turn.speaker and s.turn >= turn.idx - 2
    ]
    if not earlier:
        return None
    best = max(earlier, key=lambda s: s.score)
    return best.summary or summarise(text[best.span.start : best.span.end], "crux")


def _lend_weight(
    found: list[Scored], turn: Turn, following: Span | None, text: str, span: Span
) -> None:
    """'That is our crux.' adds weight to the claim it names: the next sentence, else the last."""
    if following is not None:
        claim = text[following.start : following.end]
        words = content_words(claim)
        credence = stated_credence(claim)
        score = _crux_score(claim, len(words), credence) + 1.5
        found.append(
            Scored(
                "crux",
                Span(span.start, following.end),
                score,
                credence,
                turn.speaker,
                turn.idx,
                summarise(claim, "crux"),
            )
        )
        return
    recent = [s for s in found if s.kind == "crux" and s.turn >= turn.idx - 2]
    if recent:
        max(recent, key=lambda s: s.score).score += 2.0


def _candidate(text: str, s: Scored) -> CandidateOut:
    quote = text[s.span.start : s.span.end]
    return CandidateOut(
        kind=s.kind,
        speaker=s.speaker,
        quote=quote,
        start_offset=s.span.start,
        end_offset=s.span.end,
        summary=s.summary or summarise(quote, s.kind),
        stance=stance_of(quote, s.credence) if s.kind == "crux" else None,
        credence=s.credence,
        score=round(s.score, 3),
    )


# ----------------------------------------------------------------- merging & checking

DUPLICATE_OVERLAP = 0.6


def overlap(a: set[str], b: set[str]) -> float:
    """How much of the smaller word set the larger one shares (0–1)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def merge_near_duplicates(candidates: list[CandidateOut]) -> list[CandidateOut]:
    """Drop a candidate that repeats a better one by the same speaker (same kind)."""
    kept: list[tuple[CandidateOut, set[str]]] = []
    for c in sorted(candidates, key=lambda c: -c.score):
        words = content_words(c.summary)
        if any(
            k.kind == c.kind and k.speaker == c.speaker and overlap(words, w) >= DUPLICATE_OVERLAP
            for k, w in kept
        ):
            continue
        kept.append((c, words))
    return [c for c, _ in kept]


def verify_quotes(text: str, result: ExtractionResult) -> tuple[ExtractionResult, int]:
    """Keep candidates whose quote is verbatim source text; count those dropped.

    A quote given with offsets must be the text at those offsets; one given
    without offsets is placed at its first occurrence.
    """
    kept = []
    for c in result.candidates():
        if not c.quote.strip():
            continue
        if c.start_offset is None or c.end_offset is None:
            start = text.find(c.quote)
            if start < 0:
                continue
            c = c.model_copy(update={"start_offset": start, "end_offset": start + len(c.quote)})
        if text[c.start_offset : c.end_offset] == c.quote:
            kept.append(c)
    return result_of(kept), len(result.candidates()) - len(kept)
