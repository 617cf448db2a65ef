"""Dialogues: read a transcript in any supported format, store it, and extract candidates.

A turn keeps its speaker label and the character offsets of its text in the
stored transcript, so every quote can be checked against the source and
highlighted in it. Speaker labels can be renamed, merged and mapped to people
after import.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pydantic import Field

from cruxes.extract import (
    ExtractionResult,
    extract_rules,
    merge_near_duplicates,
    result_of,
    verify_quotes,
)
from cruxes.formats import parse
from cruxes.models import Candidate, Dialogue, Model, Text, Turn
from cruxes.models import parse as validate
from cruxes.people import resolve
from db import beliefs as beliefs_table
from db import dialogues as dialogues_table
from db import people as people_table
from db.errors import Conflict, InvalidInput, NotFound
from db.store import Cursor, Store

DEFAULT_MAX_MB = 5.0


def max_mb() -> float:
    """The largest transcript accepted, in MB: ``$CRUXLAB_MAX_DIALOGUE_MB`` (default 5)."""
    raw = os.environ.get("CRUXLAB_MAX_DIALOGUE_MB", "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = float("nan")
    if not mb > 0:
        raise InvalidInput(
            f"CRUXLAB_MAX_DIALOGUE_MB must be a positive number of megabytes, not {raw!r}."
        )
    return mb


def max_bytes() -> int:
    """The largest transcript accepted, in bytes."""
    return int(max_mb() * 1024 * 1024)


def _too_large(name: str) -> InvalidInput:
    return InvalidInput(
        f"{name} is larger than {max_mb():g} MB; split it, or raise CRUXLAB_MAX_DIALOGUE_MB."
    )


def check_text(text: str) -> str:
    """Refuse empty, binary or oversized input with one clear message."""
    if "\x00" in text:
        raise InvalidInput(
            "The file looks binary (it contains NUL bytes); import a text transcript."
        )
    if len(text.encode("utf-8", "replace")) > max_bytes():
        raise _too_large("The transcript")
    if not text.strip():
        raise InvalidInput("The transcript is empty.")
    return text


def decode_text(raw: bytes, name: str) -> str:
    """Uploaded or read bytes as transcript text, refusing what cannot be a transcript."""
    if len(raw) > max_bytes():
        raise _too_large(name)
    if b"\x00" in raw:
        raise InvalidInput(f"{name} looks binary (it contains NUL bytes); import a text file.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{name} is not UTF-8 text; save it as UTF-8 and try again.") from None


def read_limited(stream: BinaryIO, name: str, size: int | None = None) -> str:
    """A transcript from an open binary stream (a file, an upload), refused unread when its
    ``size`` is over the limit; never more than the limit is read into memory."""
    limit = max_bytes()
    if size is not None and size > limit:
        raise _too_large(name)
    raw = stream.read(limit + 1)
    if len(raw) > limit:  # the size was not known, or the file grew
        raise _too_large(name)
    return decode_text(raw, name)


def read_text_file(path: str | Path) -> str:
    """A transcript file's text, refusing what cannot be a transcript."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return read_limited(fh, str(path), os.fstat(fh.fileno()).st_size)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise InvalidInput(f"No readable file at {path}.") from None


def content_hash(text: str) -> str:
    """Hash of the transcript with line endings and outer whitespace normalised."""
    normal = text.replace("\r\n", "\n").strip()
    return hashlib.sha256(normal.encode()).hexdigest()


def default_extractor():
    """The LangChain extractor when ``$CRUXLAB_LLM`` names a model, else the offline rules."""
    spec = os.environ.get("CRUXLAB_LLM", "").strip()
    if not spec:
        return extract_rules
    from cruxes.llm import configured_extractor  # LangChain loads only when asked for

    return configured_extractor(spec)


@dataclass(frozen=True)
class ImportResult:
    dialogue: Dialogue
    candidates: list[Candidate]
    created: bool
    dropped: int = 0  # extracted candidates whose quote was not verbatim
    # What reading the text decided for the user (no speakers found, lines left out).
    notices: list[str] = field(default_factory=list)


def import_dialogue(
    store: Store,
    text: str,
    *,
    title: str | None = None,
    add_speakers: bool = False,
    fmt: str = "auto",
    speaker: str | None = None,
    extractor=None,
) -> ImportResult:
    """Store a transcript with its turns and extracted candidates (re-imports are detected).

    ``fmt`` is a format name or ``auto``; a ``speaker`` makes the text a post by
    that one author. Extraction runs before anything is written, so a failure
    leaves the database as it was.
    """
    parsed = parse(check_text(text).replace("\r\n", "\n"), fmt, speaker)
    text = parsed.text
    digest = content_hash(text)
    with store.cursor() as cur:
        existing = dialogues_table.find_dialogue_by_hash(cur, digest)
    if existing is not None:
        dialogue = get_dialogue(store, existing["id"])
        candidates = list_candidates(store, dialogue.id)
        return ImportResult(dialogue, candidates, created=False, notices=parsed.notices)
    turns = [
        Turn(idx=i, speaker=t.speaker, start=t.start, end=t.end, text=text[t.start : t.end])
        for i, t in enumerate(parsed.turns)
    ]
    result: ExtractionResult = (extractor or default_extractor())(text, turns)
    result, dropped = verify_quotes(text, result)
    result = result_of(merge_near_duplicates(result.candidates()))
    title = (title or "").strip() or _default_title(turns)
    with store.transaction() as cur:
        row = dialogues_table.insert_dialogue(cur, title, parsed.format, text, digest)
        dialogues_table.insert_turns(cur, row["id"], [(t.speaker, t.start, t.end) for t in turns])
        dialogues_table.insert_speakers(cur, row["id"], _speaker_people(cur, turns, add_speakers))
        dialogues_table.insert_candidates(
            cur, row["id"], [c.model_dump() for c in result.candidates()]
        )
    dialogue = get_dialogue(store, row["id"])
    candidates = list_candidates(store, dialogue.id)
    return ImportResult(dialogue, candidates, True, dropped, parsed.notices)


def _speaker_people(
    cur: Cursor, turns: list[Turn], add_speakers: bool
) -> list[tuple[str, int | None]]:
    """Each speaker label with the person of that name (any case), created when asked for."""
    labels = sorted({t.speaker for t in turns})
    people: dict[str, int] = {}
    for person in people_table.find_people(cur, labels):
        people.setdefault(person["name"].lower(), person["id"])
    if add_speakers:
        spellings: dict[str, str] = {}  # a name's first spelling becomes the person
        for label in labels:
            spellings.setdefault(label.lower(), label)
        new = [label for key, label in spellings.items() if key not in people]
        for person in people_table.insert_people(cur, new, "scholar"):
            people[person["name"].lower()] = person["id"]
    return [(label, people.get(label.lower())) for label in labels]


def _default_title(turns: list[Turn]) -> str:
    speakers = list(dict.fromkeys(t.speaker for t in turns))
    return "Dialogue: " + " & ".join(speakers[:3]) + (" …" if len(speakers) > 3 else "")


def get_dialogue(store: Store, dialogue_id: int) -> Dialogue:
    """A dialogue with its turns and speaker mapping."""
    with store.cursor() as cur:
        row = _require(cur, dialogue_id)
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


def _require(cur: Cursor, dialogue_id: int) -> dict:
    row = dialogues_table.get_dialogue(cur, dialogue_id)
    if row is None:
        raise NotFound(f"No dialogue {dialogue_id}; see `cruxlab dialogue list`.")
    return row


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


# ----------------------------------------------------------------- speakers


class SpeakerIn(Model):
    label: Text = Field(max_length=80, description="The speaker's name as the transcript shows it.")


def _speaker_mapping(cur: Cursor, dialogue_id: int, label: str) -> dict | None:
    return next(
        (s for s in dialogues_table.list_speakers(cur, dialogue_id) if s["speaker"] == label),
        None,
    )


def _known_speaker(cur: Cursor, dialogue_id: int, label: str) -> dict:
    _require(cur, dialogue_id)
    found = _speaker_mapping(cur, dialogue_id, label)
    if found is None:
        names = ", ".join(s["speaker"] for s in dialogues_table.list_speakers(cur, dialogue_id))
        raise NotFound(f"Dialogue {dialogue_id} has no speaker {label!r}; its speakers: {names}.")
    return found


def _relabel(cur: Cursor, dialogue_id: int, old: str, new: str, person_id: int | None) -> None:
    dialogues_table.relabel_speaker(cur, dialogue_id, old, new)
    beliefs_table.relabel_crux_speaker(cur, dialogue_id, old, new)
    dialogues_table.delete_speaker(cur, dialogue_id, old)
    dialogues_table.set_speaker(cur, dialogue_id, new, person_id)


def rename_speaker(store: Store, dialogue_id: int, old: str, new: str) -> Dialogue:
    """Give a speaker a new label in a dialogue (its turns, candidates and cruxes)."""
    new = validate(SpeakerIn, "speaker name", label=new).label
    with store.transaction() as cur:
        source = _known_speaker(cur, dialogue_id, old)
        if new != old and _speaker_mapping(cur, dialogue_id, new) is not None:
            raise Conflict(
                f"Dialogue {dialogue_id} already has a speaker {new!r}; merge {old!r} into it."
            )
        _relabel(cur, dialogue_id, old, new, source["person_id"])
    return get_dialogue(store, dialogue_id)


def merge_speakers(store: Store, dialogue_id: int, source: str, target: str) -> Dialogue:
    """Make ``source`` the same speaker as ``target`` (e.g. "Ana" and "Ana S.")."""
    with store.transaction() as cur:
        src = _known_speaker(cur, dialogue_id, source)
        dst = _known_speaker(cur, dialogue_id, target)
        if source == target:
            raise InvalidInput(f"{source!r} is the speaker you are merging into.")
        if (
            None not in (src["person_id"], dst["person_id"])
            and src["person_id"] != dst["person_id"]
        ):
            raise Conflict(
                f"{source!r} maps to {src['person_name']} and {target!r} to {dst['person_name']}; "
                "map them to the same person (or unmap one) before merging."
            )
        _relabel(cur, dialogue_id, source, target, dst["person_id"] or src["person_id"])
    return get_dialogue(store, dialogue_id)


def map_speaker(store: Store, dialogue_id: int, label: str, person: str | int | None) -> Dialogue:
    """Map a speaker label to a person (by name or id), or to nobody with ``None``."""
    with store.transaction() as cur:
        _known_speaker(cur, dialogue_id, label)
        person_id = None if person is None else resolve(cur, person).id
        dialogues_table.set_speaker(cur, dialogue_id, label, person_id)
    return get_dialogue(store, dialogue_id)


# ----------------------------------------------------------------- highlighting

# When quotes overlap, the stronger mark shows: accepted beats pending.
MARK_RANK = {"accepted": 2, "merged": 2, "pending": 1}


def marked_turns(store: Store, dialogue_id: int) -> list[tuple[Turn, list[tuple[str, str | None]]]]:
    """Each turn cut into (text, mark) pieces: mark is "accepted", "pending" or None.

    Accepted and merged candidates' quotes are "accepted"; rejected ones are not marked.
    """
    d = get_dialogue(store, dialogue_id)
    spans = [
        (c.start_offset, c.end_offset, "accepted" if c.status == "merged" else c.status)
        for c in list_candidates(store, dialogue_id)
        if c.status in MARK_RANK
    ]
    out = []
    for turn in d.turns:
        inside = [
            (max(s, turn.start), min(e, turn.end), m)
            for s, e, m in spans
            if s < turn.end and e > turn.start
        ]
        cuts = sorted(
            {turn.start, turn.end, *(s for s, _, _ in inside), *(e for _, e, _ in inside)}
        )
        pieces: list[tuple[str, str | None]] = []
        for a, b in zip(cuts, cuts[1:], strict=False):
            marks = [m for s, e, m in inside if s <= a and e >= b]
            mark = max(marks, key=MARK_RANK.get) if marks else None
            if pieces and pieces[-1][1] == mark:
                pieces[-1] = (pieces[-1][0] + d.text[a:b], mark)
            else:
                pieces.append((d.text[a:b], mark))
        out.append((turn, pieces))
    return out
