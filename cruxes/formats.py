"""Transcript formats: recognise how a dialogue is written and split it into turns.

Real discussions arrive in several shapes, and each is read line by line:

* **plain** — ``Name: what they said``, optionally with a timestamp
  (``[00:01:02] Name: …`` or ``Name [00:01:02]: …``); lines without a name
  continue the last turn.
* **lesswrong** — a speaker's name alone on a line, their paragraphs below
  (the LessWrong dialogue export).
* **markdown** — ``**Name**`` / ``**Name:** text`` / ``### Name`` headers.
* **stamped** — podcast and captioning exports where a timestamp and a speaker
  open each turn, often several turns run together on one line
  (``00;00;09;01 - 00;00;18;00 Speaker 1 But …`` or ``[00:01:02] Lex Fridman So …``).
* **single** — a post by one author: the whole text is one turn by the speaker
  the user names. Text in which no format finds speakers (a post, a forum
  thread pasted without names) is read this way too, by ``Author``, with a
  notice saying so: the speaker can be renamed after import.
* **html** — an HTML export of any of these: markup is removed (paragraphs and
  line breaks kept) and the remaining text is read as one of the formats above.

A *section heading* — a ``#`` heading, a timestamp alone or with a short title,
or a short unpunctuated line standing right before a speaker's line — belongs
to no turn; text after a heading that is not a speaker's line continues the
last speaker as a new turn. Lines that only repeat (site boilerplate such as
"Link to original article" or "View more", a paragraph said again later, a
truncated teaser of a later paragraph, as text-to-speech renderings have) also
belong to no turn: the text is stored as given, and turns skip them. Every turn
keeps the character offsets of its text in the *stored* text (for HTML, the
text once markup is removed), so quotes can be checked against it and
highlighted in it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Literal

from db.errors import InvalidInput

Format = Literal["auto", "plain", "lesswrong", "markdown", "stamped", "single", "html"]
FORMATS: tuple[str, ...] = Format.__args__
LINE_FORMATS = ("markdown", "plain", "lesswrong", "stamped")  # tried in this order on ties
AUTHOR = "Author"  # the speaker of text in which no speakers were found
MIN_COVERAGE = 0.5  # detected turns must hold this share of the text, else it is one author's

EXPECTED = {
    "plain": "lines like `Name: what they said`",
    "lesswrong": "a speaker's name alone on a line above their paragraphs",
    "markdown": "`**Name**`, `**Name:** text` or `### Name` headers",
    "stamped": "a timestamp and a speaker opening each turn, like "
    "`00;00;09;01 - 00;00;18;00 Speaker 1 …` or `[00:01:02] Name …`",
    "single": "some text (a post by one author)",
}
NO_SPEAKERS = (
    f"No speaker names found: the text was imported as one author, {AUTHOR!r}; "
    "rename the speaker if you know who wrote it."
)

TIMESTAMP = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?[\])]?"
NAME = r"[A-Z][\w.'’\- ]{0,38}?"
PLAIN_SPEAKER = re.compile(
    rf"^[ \t]*(?:{TIMESTAMP}[ \t]+)?(?P<name>{NAME})(?:[ \t]+{TIMESTAMP})?[ \t]*:[ \t]+(?=\S)"
)
BOLD_SPEAKER = re.compile(r"^[ \t]*\*\*(?P<name>[^*\n:]{1,40}?)(?::\*\*|\*\*:|\*\*)[ \t]*(?=\S|$)")
HASH_HEADING = re.compile(r"^[ \t]*(?P<hashes>#{1,6})[ \t]+(?P<name>.*?)[ \t#]*$")
TIMESTAMP_LINE = re.compile(rf"^[ \t]*{TIMESTAMP}[ \t]*$")
# "[00:12:40] Why probes fail" (or the stamp last): a timestamped section title, no sentence.
STAMPED_TITLE = re.compile(
    rf"^[ \t]*(?:{TIMESTAMP}[ \t]+[^.!?:;\n]{{1,80}}|[^.!?:;\n]{{1,80}}?[ \t]+{TIMESTAMP}[ \t]*)$"
)
STAMP_AROUND = re.compile(
    rf"^[ \t]*(?:{TIMESTAMP}[ \t]+)?(?P<label>.*?)(?:[ \t]+{TIMESTAMP})?[ \t]*$"
)
NAME_LIKE = re.compile(
    r"^(?:[A-Z0-9][\w'’.\-]*(?: (?:[A-Z0-9][\w'’.\-]*|de|van|von|der|da|la)){0,3}"
    r"|[a-z][a-z0-9]*[_\-][a-z0-9_\-]+)$"
)
SHORT_LINE = re.compile(r"^[^.!?:;,]{1,100}$")
SENTENCE_DONE = re.compile(r"[.!?][\"'”’)\]]*[ \t]*$")


@dataclass(frozen=True)
class ParsedTurn:
    speaker: str
    start: int
    end: int


@dataclass(frozen=True)
class Parsed:
    """A transcript read in one format: the text to store, its turns, and what to tell the user."""

    format: str
    text: str
    turns: list[ParsedTurn]
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Line:
    start: int
    end: int  # without the newline
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def lines_of(text: str) -> list[Line]:
    """Every line of ``text`` with its offsets."""
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return out


# A line's role: ("speaker", name, inline body start or None), ("heading",), ("body",).
Role = tuple


def _name_like(label: str) -> bool:
    return len(label) <= 40 and bool(NAME_LIKE.match(label))


def _heading(line: Line) -> bool:
    """A ``#`` heading, a timestamp alone, or a timestamped section title."""
    return bool(
        HASH_HEADING.match(line.text)
        or TIMESTAMP_LINE.match(line.text)
        or STAMPED_TITLE.match(line.text)
    )


def _recurring(labels: list[str]) -> set[str]:
    """Labels said more than once; if none recurs, all of them (a two-turn dialogue)."""
    counts = Counter(labels)
    repeated = {k for k, n in counts.items() if n > 1}
    return repeated or set(counts)


def _roles_plain(lines: list[Line]) -> list[Role]:
    roles: list[Role] = []
    for line in lines:
        m = PLAIN_SPEAKER.match(line.text)
        if m and _name_like(m["name"].strip()):
            roles.append(("speaker", m["name"].strip(), line.start + m.end()))
        elif _heading(line):
            roles.append(("heading",))
        else:
            roles.append(("body",))
    _title_is_no_speaker(lines, roles)
    return roles


def _title_is_no_speaker(lines: list[Line], roles: list[Role]) -> None:
    """ "Episode 41: Do we understand anything yet?" opening a dialogue is its title.

    The first line is a title, not a turn, when its label is never said again, a
    blank line follows it, and the dialogue below has speakers who recur.
    """
    labels = Counter(role[1] for role in roles if role[0] == "speaker")
    first = next((i for i, line in enumerate(lines) if not line.blank), None)
    if first is None or roles[first][0] != "speaker" or labels[roles[first][1]] > 1:
        return
    followed_by_blank = first + 1 < len(lines) and lines[first + 1].blank
    if followed_by_blank and sum(n > 1 for n in labels.values()) >= 2:
        roles[first] = ("heading",)


def _roles_lesswrong(lines: list[Line]) -> list[Role]:
    filled = [i for i, line in enumerate(lines) if not line.blank]
    labels = {i: STAMP_AROUND.match(lines[i].text)["label"] for i in filled[:-1]}
    candidates = {i: label for i, label in labels.items() if _name_like(label)}
    recurring = _recurring(list(candidates.values()))
    following = dict(zip(filled, filled[1:], strict=False))
    # A name said once is a speaker when their words follow, a heading when a speaker does.
    speakers = {
        i
        for i, label in candidates.items()
        if label in recurring or candidates.get(following[i]) not in recurring
    }
    roles: list[Role] = []
    for i, line in enumerate(lines):
        if i in speakers:
            roles.append(("speaker", candidates[i], None))
        elif _heading(line):
            roles.append(("heading",))
        else:
            roles.append(("body",))
    return roles


def _roles_markdown(lines: list[Line]) -> list[Role]:
    headings = {
        i: (m["hashes"], m["name"].strip().rstrip(":").strip())
        for i, line in enumerate(lines)
        if (m := HASH_HEADING.match(line.text))
    }
    named = [(level, name) for level, name in headings.values() if _name_like(name)]
    recurring = _recurring([name for _, name in named])
    # Speakers are the name headings at the level where names recur ("### Ana"), not sections.
    levels = {level for level, name in named if name in recurring}
    roles: list[Role] = []
    for i, line in enumerate(lines):
        bold = BOLD_SPEAKER.match(line.text)
        if bold and _name_like(bold["name"].strip()):
            rest = line.text[bold.end() :].strip()
            inline = line.start + bold.end() if rest else None
            roles.append(("speaker", bold["name"].strip(), inline))
        elif i in headings:
            level, name = headings[i]
            is_speaker = level in levels and _name_like(name)
            roles.append(("speaker", name, None) if is_speaker else ("heading",))
        elif _heading(line):
            roles.append(("heading",))
        else:
            roles.append(("body",))
    return roles


ROLE_READERS = {
    "plain": _roles_plain,
    "lesswrong": _roles_lesswrong,
    "markdown": _roles_markdown,
}


def _mark_short_headings(lines: list[Line], roles: list[Role], need_blank_before: bool) -> None:
    """A short unpunctuated line right before a speaker's line is a section heading.

    Where a blank line must come first (plain), a title of three words or more
    right after a finished sentence is a heading too.
    """
    filled = [i for i, line in enumerate(lines) if not line.blank]
    for k, i in enumerate(filled):
        if roles[i][0] != "body" or not SHORT_LINE.match(lines[i].text.strip()):
            continue
        after = filled[k + 1] if k + 1 < len(filled) else None
        before = filled[k - 1] if k > 0 else None
        if after is None or roles[after][0] != "speaker":
            continue
        if need_blank_before and before == i - 1:
            titled = len(lines[i].text.split()) >= 3 and lines[i].text.strip()[0].isupper()
            if not (titled and SENTENCE_DONE.search(lines[before].text)):
                continue
        # A turn whose only line this is keeps it ("Ana / Agreed / Ben").
        if before is not None and roles[before][0] == "speaker" and roles[before][2] is None:
            continue
        roles[i] = ("heading",)


def _assemble(lines: list[Line], roles: list[Role], speaker: str | None = None) -> list[ParsedTurn]:
    turns: list[ParsedTurn] = []
    start = end = None

    def close() -> None:
        nonlocal start, end
        if speaker is not None and start is not None and end is not None and end > start:
            turns.append(ParsedTurn(speaker, start, end))
        start = end = None

    for line, role in zip(lines, roles, strict=True):
        if role[0] == "speaker":
            close()
            speaker = role[1]
            if role[2] is not None:
                start, end = role[2], line.start + len(line.text.rstrip())
        elif role[0] == "heading":
            close()
        elif not line.blank and speaker is not None:
            if start is None:
                start = line.start + len(line.text) - len(line.text.lstrip())
            end = line.start + len(line.text.rstrip())
    close()
    return turns


# ----------------------------------------------------------------- lines that only repeat

# Whole lines a site adds around the text ("View more"), and text-to-speech intros.
BOILERPLATE_LINE = re.compile(
    r"^[ \t]*(?:link to (?:the )?original (?:article|post)|view more|read more|show more|"
    r"see more|load more|show less|continue reading|click to expand|back to top|"
    r"skip to (?:main )?content|permalink|reply|share|report)[ \t.…!:]*$",
    re.I,
)
BOILERPLATE_START = re.compile(
    r"^[ \t]*(?:link to (?:the )?original (?:article|post)|welcome to the nonlinear library|"
    r"thanks for listening\b.*\bnonlinear)|text-to-speech software",
    re.I,
)
TEASER = re.compile(r"(?:\.\.\.|…)[ \t]*$")
REPEAT_WORDS = 8  # a line this long said again later is a repeat, not a second "Agreed."


def repeated_lines(lines: list[Line]) -> tuple[set[int], int, int]:
    """Lines that belong to no turn: (their indexes, repeated paragraphs, boilerplate lines).

    Of a paragraph said twice the last copy is kept (a rendering opens with a
    teaser of what follows); a teaser cut with "..." that a later line completes
    is dropped too, and so is a short line said again later that stands between
    dropped lines (the teaser's heading).
    """
    said = [" ".join(line.text.split()) for line in lines]
    last = {text: i for i, text in enumerate(said) if text}
    by_opening: dict[tuple[str, ...], list[int]] = {}
    for i, text in enumerate(said):
        by_opening.setdefault(tuple(text.split()[:4]), []).append(i)
    boilerplate = {
        i
        for i, line in enumerate(lines)
        if BOILERPLATE_LINE.match(line.text) or BOILERPLATE_START.search(line.text)
    }
    repeats = set()
    for i, text in enumerate(said):
        n_words = text.count(" ") + 1
        if i in boilerplate or not text:
            continue
        if n_words >= REPEAT_WORDS and last[text] != i:
            repeats.add(i)
        elif TEASER.search(text) and n_words >= 5:
            stem = TEASER.sub("", text).strip()
            later = by_opening.get(tuple(stem.split()[:4]), [])
            if any(j > i and said[j].startswith(stem) for j in later):
                repeats.add(i)
    filled = [i for i, text in enumerate(said) if text]
    dropped = boilerplate | repeats
    for before, i, after in zip(filled, filled[1:], filled[2:], strict=False):
        if before in dropped and after in dropped and i not in dropped and last[said[i]] > after:
            repeats.add(i)
    return boilerplate | repeats, len(repeats), len(boilerplate)


# ----------------------------------------------------------------- stamped exports

SMPTE = r"\d{1,2};\d{2};\d{2};\d{2}"
CLOCK = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?"
STAMP = re.compile(
    rf"(?:{SMPTE}(?:[ \t]*-[ \t]*{SMPTE})?"
    rf"|(?m:^)[ \t]*{CLOCK}(?:[ \t]*-->?[ \t]*{CLOCK})?"
    r"|\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\]"
    r"|\(\d{1,2}:\d{2}(?::\d{2})?\))[ \t]+"
)
LABEL_WORD = re.compile(r"[A-Z][\w'’\-]*\.?")
NUMBER = re.compile(r"\d{1,3}")
# Words that open a sentence rather than continue a name ("Speaker 1 Okay, …", "Lex So …").
# fmt: off
STARTERS = frozenset({
    "okay", "ok", "yeah", "yes", "yep", "no", "so", "well", "but", "and", "or", "i", "it",
    "it's", "that", "this", "these", "the", "we", "you", "they", "he", "she", "right",
    "sure", "oh", "um", "uh", "what", "how", "why", "let's", "let", "there", "if", "now",
    "thanks", "thank", "exactly", "absolutely", "great", "good", "hi", "hello", "hey",
    "cool", "wow", "alright", "all", "mm", "hmm", "interesting", "just", "actually",
    "because", "like", "my", "our", "your", "a", "an", "in", "on", "at", "for", "to", "of",
    "as", "when", "where", "who", "which", "do", "does", "did", "is", "are", "was", "were",
    "can", "could", "would", "should", "will", "maybe", "perhaps",
})
# fmt: on


def _stamp_labels(text: str, stamp: re.Match) -> tuple[list[str], str | None]:
    """The speaker labels a stamp could open (shortest first), and one ended by a colon."""
    words = text[stamp.end() : stamp.end() + 60].split()
    labels: list[str] = []
    for word in words[:4]:
        bare = word.rstrip(":")
        if labels and NUMBER.fullmatch(bare):  # "Speaker 1": a number ends the label
            label = f"{labels[-1]} {bare}"
            return [label], label if word.endswith(":") else None
        if not LABEL_WORD.fullmatch(bare) or bare.lower().rstrip(".") in STARTERS:
            break
        labels.append(f"{labels[-1]} {bare}" if labels else bare)
        if word.endswith(":"):
            return labels, labels[-1]
    return labels[:3], None


def parse_stamped(text: str) -> list[ParsedTurn]:
    """The turns of an export where a timestamp and a speaker open each turn."""
    stamps = list(STAMP.finditer(text))
    options = [_stamp_labels(text, m) for m in stamps]
    counts = Counter(label for labels, _ in options for label in labels)
    turns: list[ParsedTurn] = []
    speaker = None
    for k, (m, (labels, colon)) in enumerate(zip(stamps, options, strict=True)):
        # The label most stamps share ("Lex Fridman", not "Lex Fridman So"); longest on ties.
        best = colon or max(labels, key=lambda label: (counts[label], len(label)), default=None)
        start = m.end()
        # A label said once is a speaker only when it is plainly one ("Speaker 2", "Ana:").
        if best is not None and (colon or counts[best] > 1 or best[-1].isdigit()):
            speaker = best
            start += len(best) + (1 if colon else 0)
        end = stamps[k + 1].start() if k + 1 < len(stamps) else len(text)
        body = text[start:end]
        start += len(body) - len(body.lstrip())
        end = start + len(body.strip())
        if speaker is not None and end > start:
            turns.append(ParsedTurn(speaker, start, end))
    return turns


# ----------------------------------------------------------------- reading


def parse_lines(
    text: str, fmt: str, skip: set[int] | frozenset[int] = frozenset()
) -> list[ParsedTurn]:
    """The turns of ``text`` read as a line-based format; lines in ``skip`` belong to no turn."""
    if fmt == "stamped":
        return parse_stamped(text)
    lines = lines_of(text)
    roles = ROLE_READERS[fmt](lines)
    _mark_short_headings(lines, roles, need_blank_before=fmt == "plain")
    for i in skip:
        roles[i] = ("heading",)
    return _assemble(lines, roles)


def parse_single(
    text: str, speaker: str, skip: set[int] | frozenset[int] = frozenset()
) -> list[ParsedTurn]:
    """A post by one author: all of its text, one turn per section, by ``speaker``."""
    lines = lines_of(text)
    roles = [
        ("heading",) if i in skip or _heading(line) else ("body",) for i, line in enumerate(lines)
    ]
    return _assemble(lines, roles, speaker)


BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "section", "article", "header", "footer", "tr", "table", "pre", "hr", "dt", "dd",
}  # fmt: skip
SKIP_TAGS = {"script", "style", "head", "title", "noscript", "template"}
HTML_HINT = re.compile(r"<\s*(?:html|body|p|div|br|h[1-6]|article|section|span|strong)\b", re.I)


class _TextOf(HTMLParser):
    """Collects an HTML document's text, one paragraph per block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in SKIP_TAGS:
            self.skipping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n" if tag == "br" else "\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def looks_like_html(text: str) -> bool:
    """Whether the text is an HTML document or fragment rather than a transcript."""
    return len(HTML_HINT.findall(text[:20000])) >= 2


def html_to_text(html: str) -> str:
    """The text of an HTML export: markup removed, paragraphs and line breaks kept."""
    reader = _TextOf()
    reader.feed(html)
    reader.close()
    lines = [line.strip() for line in unescape("".join(reader.parts)).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text + "\n" if text else ""


def _coverage(text: str, turns: list[ParsedTurn]) -> float:
    """The share of the text (non-space characters) from the first turn on.

    Text before the first speaker belongs to nobody: when that is most of it, the
    "speaker" is a label inside a post ("Edit: …"), not the start of a dialogue.
    """
    if not turns:
        return 0.0
    first = min(t.start for t in turns)
    before = len("".join(text[:first].split()))
    return 1 - before / max(1, before + len("".join(text[first:].split())))


def _detect(text: str, skip: set[int]) -> tuple[str, list[ParsedTurn]]:
    """The format that reads the most turns by recurring speakers (then most turns)."""
    best: tuple[tuple[int, int, int], str, list[ParsedTurn]] | None = None
    for rank, fmt in enumerate(LINE_FORMATS):
        turns = parse_lines(text, fmt, skip)
        counts = Counter(t.speaker for t in turns)
        key = (sum(1 for t in turns if counts[t.speaker] > 1), len(turns), -rank)
        if turns and (best is None or key > best[0]):
            best = (key, fmt, turns)
    return (best[1], best[2]) if best else ("", [])


def _no_turns(fmt: str) -> InvalidInput:
    return InvalidInput(f"No turns found in {fmt} format: expected {EXPECTED[fmt]}.")


def _dropped_notice(repeats: int, boilerplate: int) -> str:
    parts = [
        f"{n} {what}" if n == 1 else f"{n} {plural}"
        for n, what, plural in (
            (repeats, "repeated paragraph", "repeated paragraphs"),
            (boilerplate, "line of site boilerplate", "lines of site boilerplate"),
        )
        if n
    ]
    return f"Left out {' and '.join(parts)}: the text is stored as given; no turn includes them."


def parse(text: str, fmt: str = "auto", speaker: str | None = None) -> Parsed:
    """Read a transcript in ``fmt`` (``auto`` detects it); a named speaker means one author.

    Text in which ``auto`` finds no speakers is one author's, ``Author``, with a
    notice. Raises ``InvalidInput`` naming the format when a format the user
    chose finds no turns.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown format {fmt!r}; formats are {', '.join(FORMATS)}.")
    speaker = (speaker or "").strip() or None
    html = fmt == "html" or (fmt == "auto" and looks_like_html(text))
    if html:
        text = html_to_text(text)
        if not text:
            raise InvalidInput("The HTML export has no text once its markup is removed.")
        fmt = "auto"
    skip, repeats, boilerplate = repeated_lines(lines_of(text))
    notices = [_dropped_notice(repeats, boilerplate)] if skip else []
    if speaker is None and fmt == "auto":
        found, turns = _detect(text, skip)
        if _coverage(text, turns) < MIN_COVERAGE:
            fmt = "single"
    if speaker is not None or fmt == "single":
        if speaker is None:
            notices.append(NO_SPEAKERS)
        turns, found = parse_single(text, speaker or AUTHOR, skip), "single"
    elif fmt != "auto":
        turns, found = parse_lines(text, fmt, skip), fmt
    if not turns and found != "single":
        raise _no_turns(found)
    if not turns:
        raise InvalidInput("No text is left once repeated lines and site boilerplate are left out.")
    return Parsed(f"html/{found}" if html else found, text, turns, notices)
