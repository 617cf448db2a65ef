"""Extraction speed: a 50,000-word transcript, the curve up to the size limit, and a
transcript with 20,000 speakers, all offline.

The curve shows extraction is linear in the transcript's length (issue 11: it was
quadratic, 10k / 20k / 40k lines took 3.6 / 9.8 / 31 s); the 20,000-speaker rows
show the write transaction stays short (speakers and turns are written in bulk).
"""

import os
import statistics
import tempfile
import time
from pathlib import Path

from tests.bench.bench_foundation import timed
from tests.evaluation import EVAL_DIR

WORDS = 50_000
CURVE_LINES = (10_000, 20_000, 40_000)  # then as many as the size limit allows
SPEAKERS = 20_000


def transcript(words: int = WORDS, lines: int = 0, size: int = 0) -> str:
    """The plain-format evaluation dialogue, renumbered and repeated to ``words`` words
    (or to ``lines`` lines, or to as many copies as fit in ``size`` bytes)."""
    base = (EVAL_DIR / "sae_probes_call.txt").read_text()
    parts, n_words, n_lines, n_bytes, i = [], 0, 0, 0, 0
    while True:
        part = base.replace("two years", f"{i + 2} years")
        if size and n_bytes + len(part.encode()) + 1 > size:
            break
        parts.append(part)
        n_words += len(part.split())
        n_lines += part.count("\n") + 1
        n_bytes += len(part.encode()) + 1
        i += 1
        if not size and ((n_lines >= lines) if lines else (n_words >= words)):
            break
    return "\n".join(parts)


def row(name: str, seconds: list[float]) -> None:
    print(f"| {name:<52} | {statistics.median(seconds):7.2f} s | {len(seconds):3d} |")


def turns_of(text: str):
    from cruxes.formats import parse
    from cruxes.models import Turn

    return [
        Turn(idx=i, speaker=t.speaker, start=t.start, end=t.end, text=text[t.start : t.end])
        for i, t in enumerate(parse(text).turns)
    ]


def fifty_thousand_words(store) -> None:
    from cruxes.dialogues import import_dialogue
    from cruxes.extract import extract_rules
    from cruxes.formats import parse

    text = transcript()
    turns = turns_of(text)
    n_words, n_candidates = len(text.split()), len(extract_rules(text, turns).candidates())
    print(f"{n_words} words, {len(turns)} turns, {n_candidates} candidates\n")
    print("| what | median | n |\n|---|---|---|")
    row("detect the format and read the turns", timed(lambda: parse(text), 3))
    row("extract candidates (rules)", timed(lambda: extract_rules(text, turns), 3))
    row(
        "`import_dialogue` end to end (new DuckDB file)",
        timed(lambda: import_dialogue(store, text + f"\n{time.time()}"), 1),
    )


def curve(store) -> None:
    """Reading, extraction and import time against length, up to the size limit."""
    from cruxes.dialogues import import_dialogue, max_bytes
    from cruxes.extract import extract_rules
    from cruxes.formats import parse

    # CPU time for the pure-Python steps (it holds on a shared machine); wall time end to end.
    print("\n| lines | MB | read turns (CPU) | extract (CPU) | `import_dialogue` (wall) |")
    print("|---|---|---|---|---|")
    texts = [transcript(lines=lines) for lines in CURVE_LINES]
    for text in [*texts, transcript(size=max_bytes() - 64)]:  # the last: up to the limit
        turns = turns_of(text)
        started = time.process_time()
        parse(text)
        read = time.process_time() - started
        started = time.process_time()
        extract_rules(text, turns)
        extract = time.process_time() - started
        [whole] = timed(lambda text=text: import_dialogue(store, text + f"\n{time.time()}"), 1)
        print(
            f"| {text.count(chr(10)) + 1:,} | {len(text.encode()) / 1e6:.1f} | {read:.2f} s | "
            f"{extract:.2f} s | {whole:.2f} s |"
        )


def many_speakers(store) -> None:
    """A transcript with 20,000 distinct speakers: the write transaction, and the import."""
    from cruxes.dialogues import _speaker_people, import_dialogue
    from cruxes.formats import parse
    from db import dialogues as dialogues_table

    text = "".join(f"Speaker {i}: Hello from row {i}.\n" for i in range(SPEAKERS))
    turns = turns_of(text)

    def write() -> None:
        with store.transaction() as cur:
            d = dialogues_table.insert_dialogue(cur, "bench", "plain", text, str(time.time()))
            dialogues_table.insert_turns(cur, d["id"], [(t.speaker, t.start, t.end) for t in turns])
            dialogues_table.insert_speakers(cur, d["id"], _speaker_people(cur, turns, True))

    print(f"\n{SPEAKERS:,} speakers, one turn each, into a home with no people:\n")
    print("| what | median | n |\n|---|---|---|")
    row("detect the format and read the turns", timed(lambda: parse(text), 3))
    row("write dialogue, turns, speakers, 20,000 new people (the transaction)", timed(write, 1))
    row("the same when the people exist", timed(write, 2))
    row(
        "`import_dialogue --add-speakers` end to end",
        timed(lambda: import_dialogue(store, text + f"\n{time.time()}", add_speakers=True), 1),
    )


def main() -> None:
    from cruxes.workspace import open_store

    home = Path(tempfile.mkdtemp(prefix="cruxlab-bench-extract-"))
    os.environ["CRUXLAB_HOME"] = str(home)
    fifty_thousand_words(open_store(home / "words"))
    curve(open_store(home / "curve"))
    many_speakers(open_store(home / "speakers"))
