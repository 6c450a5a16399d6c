"""Candidate keywords mined from labelled data, for review (GB/T 45654-2025 B.1.1 a-c).

B.1.1 wants a library that keeps up with how harm is written; labelled corpora show how. For one
Appendix A code, the harmful rows of the matching topic (COLD: race -> A.2.a/A.2.c, region ->
A.2.d, gender -> A.2.e; SWSR sexism -> A.2.e) are compared with the safe rows by the log-odds
ratio with an informative Dirichlet prior (Monroe, Colaresi and Quinn 2008, "Fightin' Words"),
over CJK character n-grams of two to four characters. The top n-grams the library does not hold
become a review sheet with their z-score and counts; nothing enters the library unreviewed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from corpusgate.transforms.harm.library import MENTION, KeywordLibrary
from corpusgate.transforms.harm.review import Candidate, export_rows

__all__ = ["TOPIC_OF_CODE", "log_odds", "suggest_terms"]

# code -> (labelled set, topic or None for the whole set)
TOPIC_OF_CODE: dict[str, list[tuple[str, str | None]]] = {
    "A.2.a": [("cold_train", "race")],
    "A.2.c": [("cold_train", "race")],
    "A.2.d": [("cold_train", "region")],
    "A.2.e": [("cold_train", "gender"), ("swsr_train", None)],
}


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _ngrams(text: str) -> set[str]:
    """CJK n-grams (2-4 characters) of a text, each counted once per document."""
    out: set[str] = set()
    size = len(text)
    for i in range(size):
        if not _is_cjk(text[i]):
            continue
        for n in (2, 3, 4):
            gram = text[i : i + n]
            if len(gram) == n and all(_is_cjk(c) for c in gram):
                out.add(gram)
    return out


def log_odds(
    target: Iterable[str], background: Iterable[str], min_count: int = 5
) -> list[tuple[str, float, int, int]]:
    """(n-gram, z-score, target docs, background docs), highest z first.

    Document frequencies; the prior is the pooled counts (alpha_0 = 1000 pseudo-documents).
    """
    a = Counter(g for t in target for g in _ngrams(t))
    b = Counter(g for t in background for g in _ngrams(t))
    pooled = a + b
    total = sum(pooled.values())
    alpha0 = 1000.0
    na, nb = sum(a.values()), sum(b.values())
    out = []
    for gram, count in pooled.items():
        if a[gram] < min_count:
            continue
        alpha = alpha0 * count / total
        la = math.log((a[gram] + alpha) / (na + alpha0 - a[gram] - alpha))
        lb = math.log((b[gram] + alpha) / (nb + alpha0 - b[gram] - alpha))
        var = 1 / (a[gram] + alpha) + 1 / (b[gram] + alpha)
        out.append((gram, (la - lb) / math.sqrt(var), a[gram], b[gram]))
    out.sort(key=lambda row: (-row[1], row[0]))
    return out


def suggest_terms(data: Path, code: str, library: KeywordLibrary, *, top: int = 100) -> str:
    """A review sheet of the `top` candidates for `code` the library does not hold."""
    from corpusgate.transforms.harm import labelled
    from corpusgate.transforms.harm.classifier import model_input

    if code not in TOPIC_OF_CODE:
        raise ValueError(
            f"no labelled data to mine for {code}; built in for {', '.join(TOPIC_OF_CODE)}"
        )
    harmful: list[str] = []
    safe: list[str] = []
    for name, topic in TOPIC_OF_CODE[code]:
        for row in labelled.labelled_texts(data, name):
            if topic is not None and row.topic != topic:
                continue
            (harmful if row.label else safe).append(model_input(row.text))
    held = {t.term for t in library.terms()}
    rows = []
    for gram, z, n_harm, n_safe in log_odds(harmful, safe):
        if gram in held or any(gram in longer for longer, *_ in rows):
            continue
        rows.append((gram, z, n_harm, n_safe))
        if len(rows) >= top:
            break
    candidates = [
        Candidate(
            gram,
            (code,),
            MENTION,
            1.0,
            "suggest:" + "+".join(name for name, _ in TOPIC_OF_CODE[code]),
            f"log-odds z {z:.2f}; harmful docs {n_harm}, safe docs {n_safe}",
        )
        for gram, z, n_harm, n_safe in rows
    ]
    return export_rows(KeywordLibrary.from_terms({}), candidates)
