"""Which known crux a new candidate resembles, so one disagreement is tracked once.

Similarity is lexical: each text becomes its content words, lightly stemmed and
mapped through a small thesaurus of the field's synonyms ("SAE" = "sparse
autoencoder" = "dictionary"), weighted by how rare each word is among the texts
compared (TF-IDF), and two texts score the cosine of their weights (0–1).

On the labelled evaluation set this finds duplicate cruxes across dialogues
better than the all-MiniLM-L6-v2 sentence embedding (see the README, and
``tests/bench/bench_similarity.py`` for the comparison), loads nothing, and
takes microseconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from cruxes.extract import content_words

# Phrases first (longest first), then single words: each maps to one canonical term.
THESAURUS = {
    "sparse autoencoders": "sae",
    "sparse autoencoder": "sae",
    "mechanistic interpretability": "interp",
    "mech interp": "interp",
    "chain of thought": "cot",
    "residual stream": "resid",
    "linear probes": "probe",
    "linearly represented": "linear",
    "autoencoders": "sae",
    "autoencoder": "sae",
    "saes": "sae",
    "dictionary": "sae",
    "dictionaries": "sae",
    "interpretability": "interp",
    "deception": "deceive",
    "deceptive": "deceive",
    "deceiving": "deceive",
    "lying": "deceive",
    "lie": "deceive",
}
PHRASES = re.compile(
    "|".join(
        re.escape(p) for p in sorted((p for p in THESAURUS if " " in p), key=len, reverse=True)
    ),
    re.I,
)
WORDS = {stem: canon for stem, canon in THESAURUS.items() if " " not in stem}
LINK_THRESHOLD = 0.2  # chosen on the evaluation set: shown beside a candidate at or above


def terms(text: str) -> list[str]:
    """A text's comparable terms: content words, stemmed, synonyms made one."""
    text = PHRASES.sub(lambda m: f" {THESAURUS[m[0].lower()]} ", text.replace("’", "'"))
    out = []
    for word in content_words(text):
        out.append(WORDS.get(word, word))
    return out


class Index:
    """Texts to compare a query against, each under a key (e.g. a crux id).

    ``analyse`` turns a text into terms (default: ``terms``; the benchmark also
    measures plain content words, without the thesaurus).
    """

    def __init__(self, items: Iterable[tuple[int, str]], analyse=terms):
        self.analyse = analyse
        self.items = [(key, Counter(analyse(text))) for key, text in items]
        df = Counter(t for _, counts in self.items for t in counts)
        n = len(self.items) + 1
        self.idf = {t: math.log((n + 1) / (d + 1)) + 1 for t, d in df.items()}
        self.default_idf = math.log(n + 1) + 1
        self.vectors = [(key, self._weigh(counts)) for key, counts in self.items]

    def _weigh(self, counts: Counter) -> dict[str, float]:
        weights = {t: c * self.idf.get(t, self.default_idf) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def scores(self, text: str) -> list[tuple[int, float]]:
        """(key, similarity 0–1) for every indexed text, most similar first."""
        query = self._weigh(Counter(self.analyse(text)))
        out = [
            (key, round(sum(w * vec.get(t, 0.0) for t, w in query.items()), 4))
            for key, vec in self.vectors
        ]
        return sorted(out, key=lambda kv: -kv[1])

    def similar(
        self, text: str, *, limit: int = 3, threshold: float = LINK_THRESHOLD
    ) -> list[tuple[int, float]]:
        """The most similar keys scoring at least ``threshold``."""
        return [kv for kv in self.scores(text) if kv[1] >= threshold][:limit]
