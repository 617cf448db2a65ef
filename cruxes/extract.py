"""Crux extraction: a dialogue's turns → candidate cruxes and candidate projects.

Every extractor returns an ``ExtractionResult``: candidates with the speaker, a
verbatim quote and its character offsets in the transcript, a proposed
statement, a stance and a credence where the speaker stated one, and a score
for ranking. ``verify_quotes`` keeps only candidates whose quote is verbatim
source text (placing a quote given without offsets), and counts the rest.
Nothing becomes a crux until a person accepts it.

``extract_rules`` is the offline default. It proposes every sentence that reads
like a claim or a proposal, and ranks them by evidence, the way a careful
note-taker skims a discussion:

* a **crux** is a claim someone commits to or doubts: evaluative or modal
  language ("far from useful", "won't be sufficient", "seems impossible"),
  comparisons, predictions, reasons ("1 is wrong, because …"), a belief frame
  ("I think", "I'm skeptical that", "I'd bet"), a stated probability ("70%",
  "very unlikely"), a claim reported to be doubted ("some say …"), a numbered
  or bulleted position, or a sentence that names the disagreement;
* a **project** is concrete work someone proposes ("we could train …", "maybe
  we should study …", "I'd be excited about …", "test whether …"), an
  imperative or gerund opening an item under "projects of the following
  forms:", or an open question an experiment could answer (a bulleted question
  above all);
* small talk, acknowledgements, questions to the other person and meta-talk
  about the conversation itself ("I'd be excited if this dialogue …") rank low.

A sentence's place counts too: a line ending in ":" (or "the following")
announces a list, and the lines under it are items of what it announces
(projects, positions, or talk about the dialogue). A short sentence that only
announces ("Here's a project: an auditing game.") takes the next sentence with
it, and a sentence that names the crux lends weight to the claim it points at.

The proposed statement is the claim as one sentence someone could hold a
credence in: discourse markers, hedges and first-person frames are stripped
("In particular, I think that X" → "X"), a quoted claim is taken out of its
frame, and a project reads as an imperative or a question. The stance stays
separate. Near-duplicates by the same speaker are merged into the best-scoring
one. Everything is one pass over the sentences (linear in the transcript's
length), and merging compares a candidate only with those sharing its rarer
words.
"""

from __future__ import annotations

import math
import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
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
BULLET = re.compile(r"[ \t]*(?:[-*•+–]|\d{1,2}[.)]|\(?[a-z0-9]{1,2}\))[ \t]+")
# A line that announces a list: "… projects of the following forms:", "… both of the following".
LEAD_IN = re.compile(r"(?::|\b(?:the following|as follows|below))[ \t]*$", re.I)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Unit:
    """A sentence in its place in the turn."""

    span: Span
    item: bool = False  # the first sentence of a list item (bulleted, or under a lead-in)
    lead: str | None = None  # what the list's lead-in announces: project, claim or meta
    lead_in: bool = False  # the sentence announces a list itself


def units(text: str, turn: Turn) -> Iterator[Unit]:
    """Each sentence (or list item) of a turn, with its place in the turn's lists."""
    pos = turn.start
    lead: str | None = None
    in_list = bulleted = gap = False
    for raw in text[turn.start : turn.end].split("\n"):
        line_start, pos = pos, pos + len(raw) + 1
        if not raw.strip():
            gap = True
            continue
        bullet = BULLET.match(raw)
        if gap and not (bullet and in_list):
            in_list, lead, bulleted = False, None, False
        if bulleted and not bullet:  # prose after a bulleted list ends it
            in_list, lead, bulleted = False, None, False
        gap = False
        is_item = in_list or bullet is not None
        bulleted = bulleted or bullet is not None
        announces = LEAD_IN.search(raw) is not None
        spans = list(_line_sentences(text, line_start, raw, bullet))
        for k, span in enumerate(spans):
            yield Unit(
                span,
                item=is_item and k == 0,
                lead=lead if is_item and k == 0 else None,
                lead_in=announces and k == len(spans) - 1,
            )
        if announces and spans:  # what the list is, from the sentence that announces it
            lead, in_list, bulleted = lead_kind(text[spans[-1].start : spans[-1].end]), True, False


def _line_sentences(
    text: str, line_start: int, raw: str, bullet: re.Match | None
) -> Iterator[Span]:
    cursor = line_start + (bullet.end() if bullet else 0)
    line_end = line_start + len(raw)
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
    # An aside left open at the sentence's end ("… methods (I'm fine with X.") is cut off.
    piece = text[start:end]
    if piece.count("(") > piece.count(")"):
        cut = piece.rfind("(")
        if len(piece[:cut].split()) >= 4:
            end = start + len(piece[:cut].rstrip(" ,;:"))
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
    r"my (?:\w+ )?(?:view|guess|claim|position|bet|credence|worry|prediction|take|sense) is|"
    r"my (?:\w+ )?(?:view|claim|position|take):|i (?:agree|disagree)\b|"
    r"seems? (?:very |quite )?(?:likely|unlikely|plausible|implausible)|it seems to me|"
    r"i feel like|i'?ve (?:often |long |always )?felt|in my (?:view|opinion|experience)|"
    r"i'?m at \d|(?:probability|chance|odds) (?:that|of|is)|i'?m not sold)",
    re.I,
)
POINTER = re.compile(
    r"\b(?:(?:the|our|a|main|real|key|central) crux|(?:main|real|core|key|central) "
    r"disagreement|that(?:'s| is) (?:what|where) we disagree|where we disagree)\b",
    re.I,
)
# Single words that carry a cue, looked up once per word (a regex alternation over every
# position of every sentence would dominate extraction time).
# fmt: off
CUE_WORDS: dict[str, tuple[str, ...]] = {
    "claim_verb": (
        "will", "won't", "would", "wouldn't", "can", "can't", "cannot", "could", "is", "isn't",
        "are", "aren't", "does", "doesn't", "do", "don't", "hold", "holds", "work", "works",
        "scale", "scales", "beat", "beats", "win", "wins", "help", "helps", "matter", "matters",
        "recover", "recovers", "reflect", "reflects", "explain", "explains", "suffice",
        "suffices", "generalise", "generalises", "generalize", "generalizes", "transfer",
        "transfers", "fail", "fails", "seem", "seems", "has", "have", "hasn't", "haven't", "was",
        "were", "wasn't", "weren't", "means", "impact", "impacts", "influence", "influences",
        "need", "needs", "require", "requires", "depend", "depends", "make", "makes", "get",
        "gets", "cause", "causes", "lead", "leads", "show", "shows", "feel", "feels", "come",
        "comes",
    ),
    "verb": (  # common verbs beyond the claim verbs: a sentence has one
        "look", "looks", "find", "finds", "found", "suggest", "suggests", "say", "says", "said",
        "take", "takes", "took", "give", "gives", "gave", "go", "goes", "went", "know", "knows",
        "knew", "want", "wants", "tries", "use", "uses", "call", "calls", "point", "points",
        "think", "thinks", "believe", "expect", "become", "becomes", "became", "got", "made",
        "provide", "provides", "allow", "allows", "produce", "produces", "exist", "exists",
        "remain", "remains", "lack", "lacks", "include", "includes", "rely", "relies", "write",
        "writes", "wrote",
    ),
    "evaluative": (
        "useful", "useless", "usefulness", "valuable", "value", "promising", "important",
        "critical", "crucial", "essential", "hard", "harder", "difficult", "easy", "easier",
        "impossible", "possible", "feasible", "tractable", "intractable", "likely", "unlikely",
        "plausible", "implausible", "sufficient", "insufficient", "enough", "necessary",
        "wrong", "right", "correct", "incorrect", "true", "false", "good", "bad", "great",
        "better", "worse", "best", "worst", "reliable", "unreliable", "faithful", "robust",
        "fragile", "safe", "unsafe", "dangerous", "risky", "scary", "misleading", "meaningful",
        "significant", "overrated", "underrated", "worth", "waste", "fail", "fails", "failed",
        "failure", "succeed", "succeeds", "succeeded", "success", "successful", "progress",
        "traction", "reasonable", "poorly", "effective", "ineffective", "powerful", "capable",
        "limited", "limits", "fundamental", "fundamentally", "challenge", "problem", "problems",
        "key", "core", "central", "clear", "unclear", "obvious", "surprising", "simple",
        "complex", "diffuse", "shallow", "opaque", "only", "primarily", "mostly", "fast", "slow",
        "cheap", "expensive", "healthy", "health", "ambitious", "competitive", "real", "fake",
        "spurious", "artefact", "artefacts", "artifact", "artifacts", "interpretable",
        "uninterpretable", "understandable", "predictable", "general", "universal", "linear",
        "sparse", "monosemantic", "polysemantic", "unfaithful", "accurate", "inaccurate", "noisy",
    ),
    "negation": (
        "not", "no", "never", "nothing", "none", "isn't", "aren't", "doesn't", "don't", "won't",
        "can't", "cannot", "wasn't", "weren't", "shouldn't", "wouldn't", "couldn't", "hasn't",
        "haven't", "didn't",
    ),
    "modal": (
        "will", "won't", "would", "wouldn't", "can't", "cannot", "could", "couldn't", "might",
        "may", "must", "should", "shouldn't", "likely", "probably", "certainly", "definitely",
        "surely", "seem", "seems", "appear", "appears", "presumably", "perhaps", "maybe",
        "possibly", "always", "never",
    ),
    "hedged": ("might", "may", "won't", "can't", "cannot", "never"),
    "comparative": ("more", "less", "better", "worse", "fewer", "than", "beat", "beats"),
    "causal": (
        "because", "since", "therefore", "thus", "hence", "implies", "implying", "cause",
        "causes", "if", "impact", "impacts", "affect", "affects", "influence", "influences",
        "determine", "determines", "drive", "drives",
    ),
    "experiment": (
        "train", "measure", "compare", "benchmark", "held-out", "baseline", "probe", "dataset",
        "evaluate", "eval", "score", "label", "track", "replicate", "run", "fine-tune",
        "finetune", "model", "models", "toy", "team", "game", "intervention", "prompt",
        "prompts", "feature", "features", "circuit", "circuits", "metric", "metrics", "method",
        "methods", "technique", "techniques", "study", "experiment", "experiments",
    ),
}
CUE_PREFIXES = (
    ("evaluative", ("vulnerab", "transparen", "trust", "understand", "explain")),
    ("comparative", ("outperform",)),
    ("experiment", ("ablat", "steer", "activation", "monitor", "test")),
)
# fmt: on
CUE_PHRASES = re.compile(  # cues of more than one word, each named by its group
    r"\b(?:(?P<evaluative>far from|close to|out of reach|black box|big deal)|"
    r"(?P<comparative>rather than|compared (?:to|with)|instead of|as \w+ as)|"
    r"(?P<causal>which means|due to|leads? to|makes? me think|so that|in order to|depends? on)|"
    r"(?P<hedged>will never)|(?P<modal>needs? to))\b",
    re.I,
)
CONTRACTED_VERB = ("'ve", "'re", "'s", "'ll", "'d", "'m")
CUE_SETS = {cue: frozenset(words) for cue, words in CUE_WORDS.items()}


@lru_cache(maxsize=1 << 16)
def _word_cues(word: str) -> frozenset[str]:
    """The cues one lower-cased word carries ("verb" also for "we've" and "tested")."""
    cues = {cue for cue, words in CUE_SETS.items() if word in words}
    cues.update(cue for cue, prefixes in CUE_PREFIXES if word.startswith(prefixes))
    if word.endswith(CONTRACTED_VERB) or (len(word) > 4 and word.endswith("ed")):
        cues.add("verb")
    return frozenset(cues)


def cues_of(text: str) -> Counter[str]:
    """How many words of each cue a text has: claim_verb, evaluative, modal, causal, …"""
    words = WORD.findall(text.lower().replace("’", "'"))
    counts = Counter(cue for word in words for cue in _word_cues(word))
    counts.update(m.lastgroup for m in CUE_PHRASES.finditer(text))
    return counts


def _has_verb(text: str, claim_only: bool = False) -> bool:
    wanted = {"claim_verb"} if claim_only else {"claim_verb", "verb"}
    return any(wanted & _word_cues(w) for w in WORD.findall(text.lower().replace("’", "'")))


# A claim put in someone else's mouth, to be weighed: "Some say X", "the claim that X".
REPORTED = re.compile(
    r"\b(?:some(?: people)? (?:say|argue|think|claim|believe)|(?:people|many|critics|others|"
    r"skeptics) (?:say|argue|claim|think|believe)|(?-i:[A-Z]\w+) (?:says|argues|claims|thinks)|"
    r"the (?:claim|argument|view|idea|hypothesis) that)\b",
    re.I,
)
QUOTED = re.compile(r"[\"“]([^\"“”\n]{12,240}?)[.,!?]?[\"”]")
RHETORICAL = re.compile(
    r"\b(?:how (?:can|could|would) (?:we|you|anyone|one)|why would (?:we|you|anyone))\b", re.I
)
TAG_QUESTION = re.compile(
    r",\s*(?:don'?t|doesn'?t|isn'?t|aren'?t|won'?t|wouldn'?t|can'?t|didn'?t|right|no)\b"
    r"[\w ]{0,12}\?[\"'”’)]*$",
    re.I,
)
META = re.compile(
    r"\b(?:(?:this|the|our|today'?s) (?:dialogue|conversation|discussion|debate|chat|call|"
    r"podcast|episode|deep dive|thread|session|meeting|interview|show)|cruxes|"
    r"(?:concrete|great|new) projects|projects (?:we|i)(?:'d| would)|articulat\w+|"
    r"communicat\w+|takes|definition|i mean\b|welcome to|let'?s (?:jump|start|dive|begin|"
    r"take|talk|move|get|wrap|do)|we'?ll (?:see|start|talk|get)|i suggest that|thanks\b|"
    r"thank you|we agree|consensus|excuse to|(?:were|are|been) (?:arguing|discussing|talking) "
    r"about)",
    re.I,
)
# Research verbs: an item or sentence opening with one (or its gerund) proposes work.
# fmt: off
RESEARCH_VERBS = frozenset({
    "ablate", "analyse", "analyze", "apply", "assess", "attribute", "audit", "automate",
    "benchmark", "build", "characterise", "characterize", "check", "collect", "compare",
    "construct", "create", "decompose", "design", "detect", "develop", "distill", "do",
    "enumerate", "establish", "estimate", "evaluate", "examine", "explore", "extend",
    "figure", "find", "fine-tune", "gather", "identify", "investigate", "iterate", "label",
    "localise", "localize", "look", "map", "measure", "monitor", "patch", "plant", "predict",
    "prioritise", "prioritize", "probe", "quantify", "rank", "red-team", "replicate",
    "reproduce", "run", "scale", "search", "simulate", "steer", "study", "test", "trace",
    "train", "try", "use", "validate", "verify", "write", "aim", "focus", "work", "catalogue",
})
# fmt: on
PROPOSAL = re.compile(
    r"\b(?:we (?:could|can|should|might) (?:also |just |maybe |instead |first )?(?:try to )?"
    rf"(?:{'|'.join(sorted(RESEARCH_VERBS))})\b|we can try|someone should|one could|you could "
    r"(?:test|try|measure|check)|i'?d (?:be )?(?:more |really |very |even more )?excited|"
    r"i'?m (?:\w+ )?excited (?:about|by)|i'?d love to see|i'?d like to see|i would love|"
    r"(?:a|one|another|the) (?:\w+ )?(?:project|experiment|study|benchmark)\b|"
    r"experiment i'?d|it would be (?:\w+ )?(?:useful|great|interesting|valuable|good|nice) to|"
    r"would be worth|worth (?:trying|testing|checking|measuring|exploring)|open question|"
    r"(?:test|check|see|measure|ask) (?:whether|if|how|what)\b|head-to-head|"
    r"let'?s (?:test|try|measure|run|train|build)|prioriti[sz]e|"
    r"(?:a|the|one|another) (?:\w+ )?question (?:about|of|is) whether)",
    re.I,
)
SMALL_TALK = re.compile(
    r"^(?:ok(?:ay)?|yes|yeah|yep|sure|great|thanks|thank you|fair|cool|right|agreed|good|"
    r"fine|noted|hm+|hmm|nice|interesting|got it|sounds good|makes sense|quick recap|"
    r"let'?s (?:write|draft|do|move|book|start|wrap|talk|jump|take)|i'?ll |can i |happy to|"
    r"i want to start|i've been|how so)\b",
    re.I,
)
OPEN_QUESTION = re.compile(
    r"^(?:(?:and|so|but) )?(?:do|does|did|can|could|will|would|is|are|was|were|should|how|"
    r"what|which|when|why|where|whether|to what extent)\b",
    re.I,
)
FIRST_WORD = re.compile(r"^[\"'“(]*([a-z][a-z\-]*)\b", re.I)


def _base_verb(word: str) -> str | None:
    """The research verb a word is, or is the gerund of ("trying" → "try")."""
    word = word.lower()
    if word in RESEARCH_VERBS:
        return word
    if word.endswith("ing") and len(word) > 4:
        stem = word[:-3]
        for guess in (stem, stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else ""):
            if guess in RESEARCH_VERBS:
                return guess
    return None


def lead_kind(line: str) -> str:
    """What a list's lead-in announces: projects, claims, or talk about the dialogue."""
    line = line.replace("’", "'")
    if META.search(line):
        return "meta"
    if PROPOSAL.search(line) or re.search(
        r"\b(?:projects?|experiments?|ideas?|questions?|next steps|plans?|to-?dos?|work on|"
        r"would fund|research directions?|open problems)\b",
        line,
        re.I,
    ):
        return "project"
    return "claim"


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
    if not DIGIT.search(sentence) and not _mentions(sentence, VERBAL_WORDS):
        return None  # most sentences: skip the patterns
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


DIGIT = re.compile(r"\d")
VERBAL_WORDS = ("likely", "certain", "no way", "coin", "toss", "50/50", "fifty")
BELIEF_WORDS = (" i ", " i'", " i am", " my ", "seem", "probab", "chance", "odds", " in my ")
POINTER_WORDS = ("crux", "disagree")


def _mentions(sentence: str, words: tuple[str, ...]) -> bool:
    """Whether a (space-padded, lower-cased) sentence contains any of ``words``: a cheap
    test before a long pattern."""
    padded = f" {sentence.lower()} "
    return any(w in padded for w in words)


def stance_of(sentence: str, credence: float | None = None) -> Stance:
    """For, against or unsure: from the stated credence if any, else from the wording."""
    if credence is not None:
        return "for" if credence >= 0.6 else "against" if credence <= 0.4 else "unsure"
    sentence = sentence.replace("’", "'")
    if UNSURE.search(sentence) or (REPORTED.search(sentence) and not BELIEF.search(sentence)):
        return "unsure"  # a claim reported, not endorsed ("some say …")
    return "against" if AGAINST.search(sentence) else "for"


# ----------------------------------------------------------------- statements

LEAD = re.compile(
    r"^(?:(?:so|well|okay|ok|honestly|and|but|also|still|then|yes|yeah|no|hm+|right|fair|"
    r"maybe|perhaps|probably|presumably|possibly|basically|actually|first|second|third|"
    r"finally|additionally|moreover|furthermore|however|instead|indeed|again|similarly|"
    r"anyway|overall|ultimately|importantly|crucially|notably|a second disagreement|"
    r"my rough view|roughly|in short|in particular|that said|of course|for example|"
    r"for instance|e\.g\.|in fact|i mean|you know|all things considered|to be (?:fair|honest|"
    r"clear)|in (?:general|practice|principle|theory|sum|summary|any case|other words)|"
    r"on the other hand|by contrast|as a result|for what it'?s worth|frankly|personally|"
    r"arguably|admittedly|clearly|obviously|after all|at least)\b[,:]?\s+|"
    r"(?:look|see|listen),\s+)+",
    re.I,
)
FRAME = re.compile(
    r"^(?:(?:i (?:really |still |strongly |honestly )?(?:think|believe|expect|suspect|doubt|"
    r"guess|claim|predict|reckon)|i don'?t (?:think|believe|expect)|i do not (?:think|"
    r"believe|expect)|i'?m (?:\w+ )?(?:skeptical|sceptical|confident|convinced|unconvinced|"
    r"optimistic|pessimistic|sure|not sure|worried)|i am (?:\w+ )?(?:skeptical|confident|"
    r"convinced|unconvinced|optimistic|pessimistic|sure)|my (?:\w+ )?(?:view|guess|claim|"
    r"position|bet|worry|prediction|take|sense) is|i'?d (?:still )?(?:bet|say|put|give|guess|"
    r"argue)(?: (?:maybe |about |around )?\d{1,3}%)?(?: on)?(?: the claim)?|"
    r"i'?m at \d{1,3}%(?: on (?:that|this|it))?|i'?d be (?:\w+ )?excited (?:about|by|to see)|"
    r"i'?m (?:\w+ )?excited about|(?:another|one) (?:\w+ )?experiment would be to|"
    r"(?:that|this) (?:seems|sounds) like (?:the|our) crux\.?|(?:then )?that(?:'s| is) "
    r"(?:probably )?(?:our|the) (?:main |real )?(?:crux|disagreement)|a project i'?d be excited "
    r"about|here'?s a project i'?d be excited about|one experiment i'?d like|"
    r"an? (?:\w+ )?(?:question|experiment) (?:we could answer \w+|i'?d like)|"
    r"it seems to me|it seems like|i feel like|i'?ve (?:often |long |always )?felt|"
    r"in my (?:view|opinion|experience)|my sense is|i wrote|some(?: people)? (?:say|argue|"
    r"think|claim|believe)|(?:\w+ )?(?:says|argues|claims)|the (?:claim|argument|view) is|"
    r"it(?:'s| is) (?:clear|possible|likely|plausible))(?:\s+that\b)?[,:]?\s+)",
    re.I,
)
PROJECT_FRAME = re.compile(
    r"^(?:we (?:could|should|can|might|need to)(?: also| maybe| instead| just| probably)?|"
    r"someone should|one could|you could|i'?d love to see|i'?d like to see|"
    r"it would be (?:\w+ )?(?:useful|great|interesting|valuable|good) to)\s+",
    re.I,
)
TRAILING_CREDENCE = re.compile(
    r"[;,:]\s*(?:maybe|perhaps|about|around|roughly|say|i'?d say|at)?\s*(?:\d{1,3}%|very "
    r"(?:un)?likely)[^;]*$",
    re.I,
)
# fmt: off
SUBORDINATORS = frozenset({
    "if", "when", "unless", "although", "though", "because", "while", "since", "as", "once",
    "given", "even", "whether", "whereas", "after", "before", "until", "where", "what", "how",
    "why", "who", "which", "that",
})
# fmt: on
ADVERBIAL = re.compile(r"^([\w' ]{1,40}?),\s+")
ABOUT = re.compile(
    r"^i'?m (?:\w+ )?(?P<attitude>skeptical|sceptical|doubtful|pessimistic|bearish|optimistic|"
    r"bullish|excited) about (?P<what>.+)$",
    re.I,
)
REFERENCE_IS = re.compile(
    r"^(?:\d+|[a-z]|\(\w\)|this|that|it|the (?:first|second|former|latter)(?: \w+)?|claim \d+)"
    r" is (?:wrong|right|true|false|correct|mistaken|incorrect),? because (?P<reason>.+)$",
    re.I,
)
OWN_ACT_BECAUSE = re.compile(
    r"^(?:i|we|let'?s|let me)\b[^,;]{0,80}?\bbecause (?P<reason>.{20,})$", re.I
)
QUESTION_WHETHER = re.compile(
    r"^(?:an? |the |one |another )?(?:\w+ )?question (?:about|of|is) whether\s+", re.I
)
WORK_WHICH = re.compile(
    r"^(?:work|research|projects?|experiments?|studies) (?:which|that) (?:tries|try|aims?|"
    r"attempts?) to\s+",
    re.I,
)


def _quoted_claim(text: str) -> str | None:
    """The claim inside quotes when the rest only frames it (start with "X", Neel says "X")."""
    m = QUOTED.search(text)
    if m is None or len(m[1].split()) < 4 or not _has_verb(m[1], claim_only=True):
        return None
    rest = text[: m.start()] + text[m.end() :]
    return m[1] if len(rest.split()) <= 8 else None


def _strip_frames(text: str, kind: str = "crux") -> str:
    """Discourse markers, first-person frames, adverbials and "X:" lead-ins, repeatedly."""
    for _ in range(6):
        before = text
        text = FRAME.sub("", LEAD.sub("", text), count=1)
        if kind == "project":
            text = PROJECT_FRAME.sub("", text, count=1)
        m = ADVERBIAL.match(text)
        # An adverbial goes when it says nothing ("For 2, …") or frames the speaker's own act
        # ("At the end of the section, I wrote that …"); "On practical tasks, …" stays.
        if (
            m
            and len(m[1].split()) <= 6
            and m[1].split()[0].lower() not in SUBORDINATORS
            and not _has_verb(m[1], claim_only=True)
            and len(text[m.end() :].split()) >= 4
            and (not content_words(m[1]) or FRAME.match(text[m.end() :]))
        ):
            text = text[m.end() :]
        head, colon, tail = text.partition(": ")
        if colon and len(head.split()) <= 8 and len(tail.split()) >= 4:
            text = tail
        if text == before:
            break
    return text


def _imperative(text: str) -> str:
    """A project as work to do: "Doing X" → "Do X", "a question about whether X" → "Test …"."""
    text = WORK_WHICH.sub("", text)
    text = QUESTION_WHETHER.sub("test whether ", text)
    m = FIRST_WORD.match(text)
    if m and m[1].lower().endswith("ing") and (verb := _base_verb(m[1])):
        text = text[: m.start(1)] + verb + text[m.end(1) :]
    return text


def summarise(quote: str, kind: str) -> str:
    """The claim (or project title) inside a quote, without its frame, as one sentence."""
    text = " ".join(quote.replace("’", "'").split()).rstrip(":").strip()
    text = _quoted_claim(text) or text
    if kind == "crux" and (about := ABOUT.match(text)) and about["attitude"] != "excited":
        what = about["what"].rstrip(".!?;: ")
        if not _has_verb(what):  # "skeptical about X": the claim is that X is promising
            text = f"{what} is promising."
    text = _strip_frames(text, kind)
    if kind == "crux":
        # "1 is wrong, because X", "We need to steelman this because X": the claim is X.
        if reason := REFERENCE_IS.match(text) or OWN_ACT_BECAUSE.match(text):
            text = _strip_frames(reason["reason"])
        text = TAG_QUESTION.sub(".", text)
        text = TRAILING_CREDENCE.sub("", text)
        head = text.split(";", 1)[0]
        if len(content_words(head)) >= 5:
            text = head
    else:
        text = _imperative(text)
    text = DANGLING.sub("", _shorten(text.strip(" ;,:-"), LONGEST[kind]).strip(" ;,:-"))
    if not text:
        return _shorten(" ".join(quote.split()), LONGEST[kind])
    text = text[0].upper() + text[1:]
    if kind == "crux" and text[-1] not in ".!?":
        text += "."
    return text


DANGLING = re.compile(r"[,;]?\s+(?:and|or|but|so)$", re.I)  # "…, and" where a list item ends
LONGEST = {"crux": 400, "project": 199}  # a project's title holds 200 characters


def _shorten(text: str, limit: int) -> str:
    """Text cut to ``limit`` characters at the last clause (else word) boundary before it."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(sep, 0, limit) for sep in (", ", "; ", " (", " - ", " — "))
    return text[:cut] if cut > limit // 2 else text[:limit].rsplit(" ", 1)[0]


# ----------------------------------------------------------------- scoring


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning, lightly stemmed."""
    out = set()
    for word in WORD.findall(text.lower().replace("’", "'")):
        if word not in STOPWORDS and len(word) > 2:
            out.add(stem(word))
    return out


@lru_cache(maxsize=1 << 16)
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


def _question(sentence: str) -> bool:
    """A real question: not a tag on a statement ("…, don't they?"), not a rhetorical one."""
    return (
        sentence.rstrip("\"'”’) ").endswith("?")
        and not TAG_QUESTION.search(sentence)
        and not RHETORICAL.search(sentence)
    )


def _opening(sentence: str) -> tuple[str | None, bool]:
    """The research verb a sentence opens with, if any, and whether it is a gerund."""
    text = PROJECT_FRAME.sub("", LEAD.sub("", sentence), count=1)
    text = re.sub(r"^(?:try|trying|aim|aiming|attempt) to\s+", "", text, flags=re.I)
    m = FIRST_WORD.match(text)
    if m is None or (verb := _base_verb(m[1])) is None:
        return None, False
    after = text[m.end() :].split(maxsplit=1)
    if after and _has_verb(after[0], claim_only=True):  # "Work is …", "Scaling will …"
        return None, False
    return verb, m[1].lower().endswith("ing")


def _crux_score(
    sentence: str, n_content: int, credence: float | None, unit: Unit, cues: Counter[str]
) -> float:
    score = 0.0
    if _mentions(sentence, BELIEF_WORDS) and BELIEF.search(sentence):
        score += 2.0
    if credence is not None:
        score += 2.0 if n_content >= 3 else 1.0
    if _mentions(sentence, POINTER_WORDS) and POINTER.search(sentence):
        score += 1.5
    score += 0.5 if cues["claim_verb"] else 0.0
    score += 1.0 if cues["hedged"] else 0.0
    score += min(cues["evaluative"], 3) / 2
    score += sum(0.5 for cue in ("modal", "comparative", "causal", "negation") if cues[cue])
    if REPORTED.search(sentence) or _quoted_claim(sentence) or RHETORICAL.search(sentence):
        score += 1.0
    if unit.item and unit.lead in (None, "claim"):
        score += 1.0  # a numbered or bulleted position
    return score + min(n_content, 12) / 8


def _project_score(
    sentence: str, n_content: int, unit: Unit, after_project: bool, cues: Counter[str]
) -> float:
    points = float(len(PROPOSAL.findall(sentence)))
    verb, gerund = _opening(sentence)
    if verb and (unit.item or after_project or not gerund):
        points += 1.0 if unit.item or after_project else 0.5
    if unit.item and unit.lead == "project":
        points += 1.5
    if _question(sentence) and OPEN_QUESTION.match(LEAD.sub("", sentence)):
        if unit.item:
            points += 2.0  # a listed open question is an experiment someone could run
        elif cues["experiment"] >= 2:
            points += 1.0
    if after_project and EXAMPLE.match(sentence):
        points += 1.0
    if not points:
        return 0.0
    return 1.5 + points + min(cues["experiment"], 4) / 2 + n_content / 10


def _penalty(sentence: str, n_content: int, unit: Unit) -> float:
    penalty = 0.0
    if SMALL_TALK.search(sentence) and len(content_words(LEAD.sub("", sentence))) < 3:
        penalty += 1.5
    if n_content < 4:
        penalty += 1.5
    if _question(sentence):
        penalty += 1.0
    claim = FRAME.sub("", LEAD.sub("", sentence), count=1)  # "I think this even after …"
    if not _has_verb(ASIDE.sub("", claim)):
        penalty += 1.0  # no verb outside its asides: a fragment, not a claim
    if META.search(sentence):
        penalty += 2.5  # talk about the conversation itself
    elif unit.lead == "meta":
        penalty += 1.0
    if unit.lead_in and lead_kind(sentence) != "claim":
        penalty += 1.5  # "… projects of the following forms:" only announces its items
    return penalty


ASIDE = re.compile(r"\([^()]*\)")
CRUX_THRESHOLD = 2.0
PROJECT_THRESHOLD = 3.0
ANNOUNCE_WORDS = 8  # a project sentence this short takes the next sentence with it
RECENT = 32  # cruxes a reply or a pointer may refer back to
EXAMPLE = re.compile(r"^(?:for example|for instance|e\.g\.|such as|say)\b", re.I)
REASON = re.compile(r"\b(?:because|since)\b", re.I)
CONTRAST = re.compile(
    r"(?:however|but|although|though|yet|still|that said|on the other hand|instead)\b", re.I
)
REASON_ONLY = re.compile(r"^(?:(?:mostly|partly|largely|just) )?(?:because|since)\b", re.I)


def extract_rules(text: str, turns: list[Turn]) -> ExtractionResult:
    """Offline extraction: ranked candidate cruxes and projects with verbatim quotes."""
    found: list[Scored] = []
    recent: deque[Scored] = deque(maxlen=RECENT)  # the latest cruxes, for replies and pointers
    plain = text.replace("’", "'")  # cues are written with ASCII apostrophes; same offsets
    for turn in turns:
        placed = list(units(text, turn))
        previous: Scored | None = None  # the last crux found in this turn
        last_kind = None
        for i, unit in enumerate(placed):
            span = unit.span
            sentence = plain[span.start : span.end]
            words = content_words(sentence)
            credence = stated_credence(sentence)
            following = placed[i + 1] if i + 1 < len(placed) else None
            cues = cues_of(sentence)
            project = _project_score(sentence, len(words), unit, last_kind == "project", cues)
            crux = _crux_score(sentence, len(words), credence, unit, cues)
            penalty = _penalty(sentence, len(words), unit)
            if project and project >= crux - 1:
                if len(words) < ANNOUNCE_WORDS and _same_paragraph(plain, unit, following):
                    span = Span(span.start, following.span.end)
                    project += 1.0
                found.append(
                    Scored("project", span, project - penalty / 2, None, turn.speaker, turn.idx)
                )
                last_kind = "project"
            elif credence is not None and len(words) < 3 and previous is not None:
                # "Maybe 20%." states the credence of the claim just made.
                claim = plain[previous.span.start : previous.span.end]
                previous.summary = previous.summary or summarise(claim, "crux")
                previous.span = Span(previous.span.start, span.end)
                previous.credence = credence
                previous.score += 2.0
            elif len(words) < 6 and _mentions(sentence, POINTER_WORDS) and POINTER.search(sentence):
                _lend_weight(found, recent, turn, following and following.span, plain, span)
            else:
                previous = Scored("crux", span, crux - penalty, credence, turn.speaker, turn.idx)
                if i < 2 and _needs_context(sentence, credence):
                    previous.summary = _answered(recent, turn, plain)
                    if previous.summary:  # a reply that states a credence in their claim
                        previous.score = crux
                found.append(previous)
                recent.append(previous)
                last_kind = "crux"
    kept = [
        s for s in found if s.score >= (CRUX_THRESHOLD if s.kind == "crux" else PROJECT_THRESHOLD)
    ]
    candidates = [_candidate(text, s) for s in kept]
    return result_of(merge_near_duplicates(candidates))


def _same_paragraph(text: str, unit: Unit, following: Unit | None) -> bool:
    """Whether the next sentence continues this one: same line, not the next item of a
    list, not a turn to another point ("However, …")."""
    return (
        following is not None
        and not unit.item
        and not following.item
        and "\n" not in text[unit.span.end : following.span.start]
        and not CONTRAST.match(text, following.span.start)
    )


def _needs_context(sentence: str, credence: float | None) -> bool:
    """A credence or reply that does not restate the claim ("I'd say 65%, because …")."""
    if credence is None and not REASON.search(sentence):
        return False
    claim = summarise(sentence, "crux")
    return REASON_ONLY.match(claim) is not None or (
        credence is not None and len(content_words(claim)) < 3
    )


def _answered(recent: deque[Scored], turn: Turn, text: str) -> str | None:
    """The claim another speaker made in the last two turns, which this turn answers."""
    earlier = [s for s in recent if s.speaker != turn.speaker and s.turn >= turn.idx - 2]
    if not earlier:
        return None
    best = max(earlier, key=lambda s: s.score)
    return best.summary or summarise(text[best.span.start : best.span.end], "crux")


def _lend_weight(
    found: list[Scored],
    recent: deque[Scored],
    turn: Turn,
    following: Span | None,
    text: str,
    span: Span,
) -> None:
    """'That is our crux.' adds weight to the claim it names: the next sentence, else the last."""
    if following is not None:
        claim = text[following.start : following.end]
        words = content_words(claim)
        credence = stated_credence(claim)
        score = _crux_score(claim, len(words), credence, Unit(following), cues_of(claim)) + 1.5
        pointed = Scored(
            "crux",
            Span(span.start, following.end),
            score,
            credence,
            turn.speaker,
            turn.idx,
            summarise(claim, "crux"),
        )
        found.append(pointed)
        recent.append(pointed)
        return
    nearby = [s for s in recent if s.turn >= turn.idx - 2]
    if nearby:
        max(nearby, key=lambda s: s.score).score += 2.0


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
    """Drop a candidate that repeats a better one by the same speaker (same kind).

    Two word sets that overlap enough must share one of the smaller set's rarest
    words (prefix filtering), so each candidate is compared only with the kept
    ones that share such a word, not with all of them.
    """
    ordered = sorted(candidates, key=lambda c: -c.score)
    words = [content_words(c.summary) for c in ordered]
    seen = Counter(w for ws in words for w in ws)
    kept: list[tuple[CandidateOut, set[str]]] = []
    by_word: dict[tuple[str, str, str], list[int]] = {}  # (kind, speaker, word) → kept
    by_prefix: dict[tuple[str, str, str], list[int]] = {}
    for c, ws in zip(ordered, words, strict=True):
        rarest = sorted(ws, key=lambda w: (seen[w], w))
        shared = math.ceil(DUPLICATE_OVERLAP * len(rarest) - 1e-9)  # words a duplicate shares
        prefix = rarest[: len(rarest) - shared + 1]
        pool = {k for w in ws for k in by_prefix.get((c.kind, c.speaker, w), ())}
        pool.update(k for w in prefix for k in by_word.get((c.kind, c.speaker, w), ()))
        if any(overlap(ws, kept[k][1]) >= DUPLICATE_OVERLAP for k in pool):
            continue
        for w in ws:
            by_word.setdefault((c.kind, c.speaker, w), []).append(len(kept))
        for w in prefix:
            by_prefix.setdefault((c.kind, c.speaker, w), []).append(len(kept))
        kept.append((c, ws))
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
