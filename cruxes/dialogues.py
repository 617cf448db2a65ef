"""Dialogues: parse a transcript into turns, store it, and extract candidates from it.

A turn keeps its speaker label and the character offsets of its text in the
original transcript, so every quote can be checked against the source and
highlighted in it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cruxes.extract import extract_rules, verify_quotes
from cruxes.models import Candidate, Dialogue, Turn
from db import dialogues as dialogues_table
from db import people as people_table
from db.errors import InvalidInput, NotFound
from db.store import Store

MAX_BYTES = 5 * 1024 * 1024

# "Name: text" at the start of a line; names are short and start with a capital.
SPEAKER_LINE = re.compile(r"^(?P<speaker>[A-Z][\w.'\- ]{0,38}?)[ \t]*:[ \t]+(?=\S)", re.M)


@dataclass(frozen=True)
class ParsedTurn:
    speaker: str
    start: int
    end: int


def parse_plain(text: str) -> list[ParsedTurn]:
    """Turns of a ``Name: text`` transcript; lines without a name continue the last turn."""
    heads = list(SPEAKER_LINE.finditer(text))
    turns = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body_end = head.end() + len(text[head.end() : end].rstrip())
        turns.append(ParsedTurn(head["speaker"].strip(), head.end(), body_end))
    return turns


def check_text(text: str) -> str:
    """Refuse empty, binary or oversized input with one clear message."""
    if "\x00" in text:
        raise InvalidInput(
            "The file looks binary (it contains NUL bytes); import a text transcript."
        )
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise InvalidInput(f"The transcript is larger than {MAX_BYTES // 1024 // 1024} MB.")
    if not text.strip():
        raise InvalidInput("The transcript is empty.")
    return text


def decode_text(raw: bytes, name: str) -> str:
    """Uploaded or read bytes as transcript text, refusing what cannot be a transcript."""
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"{name} is larger than {MAX_BYTES // 1024 // 1024} MB.")
    if b"\x00" in raw:
        raise InvalidInput(f"{name} looks binary (it contains NUL bytes); import a text file.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{name} is not UTF-8 text; save it as UTF-8 and try again.") from None


def read_text_file(path: str | Path) -> str:
    """A transcript file's text, refusing what cannot be a transcript."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InvalidInput(f"{path} is larger than {MAX_BYTES // 1024 // 1024} MB.")
        raw = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise InvalidInput(f"No readable file at {path}.") from None
    return decode_text(raw, str(path))


def content_hash(text: str) -> str:
    """Hash of the transcript with line endings and outer whitespace normalised."""
    normal = text.replace("\r\n", "\n").strip()
    return hashlib.sha256(normal.encode()).hexdigest()


@dataclass(frozen=True)
class ImportResult:
    dialogue: Dialogue
    candidates: list[Candidate]
    created: bool


def import_dialogue(
    store: Store,
    text: str,
    *,
    title: str | None = None,
    add_speakers: bool = False,
    extractor=extract_rules,
) -> ImportResult:
    """Store a transcript with its turns and extracted candidates (re-imports are detected)."""
    text = check_text(text).replace("\r\n", "\n")
    digest = content_hash(text)
    with store.cursor() as cur:
        existing = dialogues_table.find_dialogue_by_hash(cur, digest)
    if existing is not None:
        dialogue = get_dialogue(store, existing["id"])
        return ImportResult(dialogue, list_candidates(store, dialogue.id), created=False)
    parsed = parse_plain(text)
    if not parsed:
        raise InvalidInput(
            "No turns found: expected a transcript with lines like 'Name: what they said'."
        )
    turns = [
        Turn(idx=i, speaker=t.speaker, start=t.start, end=t.end, text=text[t.start : t.end])
        for i, t in enumerate(parsed)
    ]
    result, _dropped = verify_quotes(text, extractor(text, turns))
    title = (title or "").strip() or _default_title(text, turns)
    with store.transaction() as cur:
        row = dialogues_table.insert_dialogue(cur, title, "plain", text, digest)
        dialogues_table.insert_turns(cur, row["id"], [(t.speaker, t.start, t.end) for t in turns])
        for speaker in sorted({t.speaker for t in turns}):
            person = people_table.find_person(cur, speaker)
            if person is None and add_speakers:
                person = people_table.insert_person(cur, speaker, "scholar")
            dialogues_table.set_speaker(cur, row["id"], speaker, person and person["id"])
        for c in result.candidates():
            dialogues_table.insert_candidate(cur, row["id"], c.model_dump())
    dialogue = get_dialogue(store, row["id"])
    return ImportResult(dialogue, list_candidates(store, dialogue.id), created=True)


def _default_title(text: str, turns: list[Turn]) -> str:
    speakers = list(dict.fromkeys(t.speaker for t in turns))
    return "Dialogue: " + " & ".join(speakers[:3]) + (" …" if len(speakers) > 3 else "")


def get_dialogue(store: Store, dialogue_id: int) -> Dialogue:
    """A dialogue with its turns and speaker mapping."""
    with store.cursor() as cur:
        row = dialogues_table.get_dialogue(cur, dialogue_id)
        if row is None:
            raise NotFound(f"No dialogue {dialogue_id}.")
        turns = dialogues_table.list_turns(cur, dialogue_id)
        speakers = dialogues_table.list_speakers(cur, dialogue_id)
    text = row["text"]
    return Dialogue(
        **row,
        turns=[
            Turn(
                idx=t["idx"],
                speaker=t["speaker"],
                start=t["start_offset"],
                end=t["end_offset"],
                text=text[t["start_offset"] : t["end_offset"]],
            )
            for t in turns
        ],
        speakers={s["speaker"]: s["person_name"] for s in speakers},
    )


def list_dialogues(store: Store) -> list[dict]:
    """Every dialogue with its size, turn count and pending candidates."""
    with store.cursor() as cur:
        return dialogues_table.list_dialogues(cur)


def list_candidates(
    store: Store, dialogue_id: int | None = None, status: str | None = None
) -> list[Candidate]:
    """Candidates, best first within each dialogue."""
    with store.cursor() as cur:
        return [Candidate(**r) for r in dialogues_table.list_candidates(cur, dialogue_id, status)]
