"""Transcript formats: recognise how a dialogue is written and split it into turns.

Real discussions arrive in several shapes, and each is read line by line:

* **plain** — ``Name: what they said``, optionally with a timestamp
  (``[00:01:02] Name: …`` or ``Name [00:01:02]: …``); lines without a name
  continue the last turn.
* **lesswrong** — a speaker's name alone on a line, their paragraphs below
  (the LessWrong dialogue export).
* **markdown** — ``**Name**`` / ``**Name:** text`` / ``### Name`` headers.
* **single** — a post by one author: the whole text is one turn by the speaker
  the user names.
* **html** — an HTML export of any of these: markup is removed (paragraphs and
  line breaks kept) and the remaining text is read as one of the formats above.

A *section heading* — a ``#`` heading, a timestamp alone on a line, or a short
unpunctuated line standing right before a speaker's line — belongs to no turn;
text after a heading that is not a speaker's line continues the last speaker
as a new turn. Every turn keeps the character offsets of its text in the
*stored* text (for HTML, the text once markup is removed), so quotes can be
checked against it and highlighted in it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Literal

from db.errors import InvalidInput

Format = Literal["auto", "plain", "lesswrong", "markdown", "single", "html"]
FORMATS: tuple[str, ...] = Format.__args__
LINE_FORMATS = ("markdown", "plain", "lesswrong")  # tried in this order on ties

EXPECTED = {
    "plain": "lines like `Name: what they said`",
    "lesswrong": "a speaker's name alone on a line above their paragraphs",
    "markdown": "`**Name**`, `**Name:** text` or `### Name` headers",
    "single": "some text (a post by the one speaker you name)",
}

TIMESTAMP = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?[\])]?"
NAME = r"[A-Z][\w.'’\- ]{0,38}?"
PLAIN_SPEAKER = re.compile(
    rf"^[ \t]*(?:{TIMESTAMP}[ \t]+)?(?P<name>{NAME})(?:[ \t]+{TIMESTAMP})?[ \t]*:[ \t]+(?=\S)"
)
BOLD_SPEAKER = re.compile(r"^[ \t]*\*\*(?P<name>[^*\n:]{1,40}?)(?::\*\*|\*\*:|\*\*)[ \t]*(?=\S|$)")
HASH_HEADING = re.compile(r"^[ \t]*(?P<hashes>#{1,6})[ \t]+(?P<name>.*?)[ \t#]*$")
TIMESTAMP_LINE = re.compile(rf"^[ \t]*{TIMESTAMP}[ \t]*$")
NAME_LIKE = re.compile(
    r"^(?:[A-Z0-9][\w'’.\-]*(?: (?:[A-Z0-9][\w'’.\-]*|de|van|von|der|da|la)){0,3}"
    r"|[a-z][a-z0-9]*[_\-][a-z0-9_\-]+)$"
)
SHORT_LINE = re.compile(r"^[^.!?:;,]{1,60}$")


@dataclass(frozen=True)
class ParsedTurn:
    speaker: str
    start: int
    end: int


@dataclass(frozen=True)
class Parsed:
    """A transcript read in one format: the text to store and its turns."""

    format: str
    text: str
    turns: list[ParsedTurn]


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


def _recurring(labels: list[str]) -> set[str]:
    """Labels said more than once; if none recurs, all of them (a two-turn dialogue)."""
    counts = Counter(labels)
    repeated = {k for k, n in counts.items() if n > 1}
    return repeated or set(counts)


def _roles_plain(lines: list[Line]) -> list[Role]:
    roles = []
    for line in lines:
        m = PLAIN_SPEAKER.match(line.text)
        if m and _name_like(m["name"].strip()):
            roles.append(("speaker", m["name"].strip(), line.start + m.end()))
        elif HASH_HEADING.match(line.text) or TIMESTAMP_LINE.match(line.text):
            roles.append(("heading",))
        else:
            roles.append(("body",))
    return roles


def _roles_lesswrong(lines: list[Line]) -> list[Role]:
    filled = [i for i, line in enumerate(lines) if not line.blank]
    candidates = {
        i: lines[i].text.strip() for i in filled[:-1] if _name_like(lines[i].text.strip())
    }
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
        elif HASH_HEADING.match(line.text) or TIMESTAMP_LINE.match(line.text):
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
        elif TIMESTAMP_LINE.match(line.text):
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
    """A short unpunctuated line right before a speaker's line is a section heading."""
    filled = [i for i, line in enumerate(lines) if not line.blank]
    for k, i in enumerate(filled):
        if roles[i][0] != "body" or not SHORT_LINE.match(lines[i].text.strip()):
            continue
        after = filled[k + 1] if k + 1 < len(filled) else None
        before = filled[k - 1] if k > 0 else None
        if after is None or roles[after][0] != "speaker":
            continue
        if need_blank_before and before == i - 1:
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


def parse_lines(text: str, fmt: str) -> list[ParsedTurn]:
    """The turns of ``text`` read as a line-based format (plain, lesswrong or markdown)."""
    lines = lines_of(text)
    roles = ROLE_READERS[fmt](lines)
    _mark_short_headings(lines, roles, need_blank_before=fmt == "plain")
    return _assemble(lines, roles)


def parse_single(text: str, speaker: str) -> list[ParsedTurn]:
    """A post by one author: all of its text, one turn per section, by ``speaker``."""
    lines = lines_of(text)
    roles = [
        ("heading",)
        if HASH_HEADING.match(line.text) or TIMESTAMP_LINE.match(line.text)
        else ("body",)
        for line in lines
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


def _detect(text: str) -> tuple[str, list[ParsedTurn]]:
    """The line format that reads the most turns by recurring speakers (then most turns)."""
    best: tuple[tuple[int, int, int], str, list[ParsedTurn]] | None = None
    for rank, fmt in enumerate(LINE_FORMATS):
        turns = parse_lines(text, fmt)
        counts = Counter(t.speaker for t in turns)
        key = (sum(1 for t in turns if counts[t.speaker] > 1), len(turns), -rank)
        if turns and (best is None or key > best[0]):
            best = (key, fmt, turns)
    return (best[1], best[2]) if best else ("", [])


def _no_turns(fmt: str, html: bool) -> InvalidInput:
    where = " in this HTML export (once markup is removed)" if html else ""
    if fmt == "auto":
        tried = "; ".join(f"{name} ({EXPECTED[name]})" for name in LINE_FORMATS)
        return InvalidInput(
            f"No dialogue turns found{where}: tried the formats {tried}; "
            "for a post by one author, name its speaker (--speaker NAME)."
        )
    return InvalidInput(f"No turns found{where} in {fmt} format: expected {EXPECTED[fmt]}.")


def parse(text: str, fmt: str = "auto", speaker: str | None = None) -> Parsed:
    """Read a transcript in ``fmt`` (``auto`` detects it); a named speaker means one author.

    Raises ``InvalidInput`` naming the format(s) tried when no turns are found.
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
    if speaker is not None or fmt == "single":
        if speaker is None:
            raise InvalidInput("A single-author post needs its speaker's name (--speaker NAME).")
        turns, found = parse_single(text, speaker), "single"
    elif fmt == "auto":
        found, turns = _detect(text)
    else:
        turns, found = parse_lines(text, fmt), fmt
    if not turns:
        raise _no_turns("auto" if fmt == "auto" else found, html)
    return Parsed(f"html/{found}" if html else found, text, turns)
