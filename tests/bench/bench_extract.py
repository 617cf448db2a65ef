"""Extraction speed: a 50,000-word transcript read, extracted and imported offline."""

import os
import statistics
import tempfile
import time
from pathlib import Path

from tests.bench.bench_foundation import timed
from tests.evaluation import EVAL_DIR

WORDS = 50_000


def transcript(words: int = WORDS) -> str:
    """The plain-format evaluation dialogue, renumbered and repeated to ``words`` words."""
    base = (EVAL_DIR / "sae_probes_call.txt").read_text()
    parts, n, i = [], 0, 0
    while n < words:
        part = base.replace("two years", f"{i + 2} years")
        parts.append(part)
        n += len(part.split())
        i += 1
    return "\n".join(parts)


def row(name: str, seconds: list[float]) -> None:
    print(f"| {name:<52} | {statistics.median(seconds):7.2f} s | {len(seconds):3d} |")


def main() -> None:
    from cruxes.dialogues import import_dialogue
    from cruxes.extract import extract_rules
    from cruxes.formats import parse
    from cruxes.models import Turn
    from cruxes.workspace import open_store

    text = transcript()
    parsed = parse(text)
    turns = [
        Turn(idx=i, speaker=t.speaker, start=t.start, end=t.end, text=text[t.start : t.end])
        for i, t in enumerate(parsed.turns)
    ]
    n_words, n_candidates = len(text.split()), len(extract_rules(text, turns).candidates())
    print(f"{n_words} words, {len(turns)} turns, {n_candidates} candidates\n")
    print("| what | median | n |\n|---|---|---|")
    row("detect the format and read the turns", timed(lambda: parse(text), 3))
    row("extract candidates (rules)", timed(lambda: extract_rules(text, turns), 3))
    home = Path(tempfile.mkdtemp(prefix="cruxlab-bench-extract-"))
    os.environ["CRUXLAB_HOME"] = str(home)
    store = open_store(home)
    row(
        "`import_dialogue` end to end (new DuckDB file)",
        timed(lambda: import_dialogue(store, text + f"\n{time.time()}"), 1),
    )
