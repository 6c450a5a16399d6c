"""The one text normaliser of dedup, for both scripts (GB/T 45654-2025 4.2.1/4.2.2: a text
counted twice is removed once), and the exact-duplicate hash built on it.

NFKC folds full- and half-width forms and compatibility characters (`ＡＢＣ１２３` is
`ABC123`); case folding makes `Straße` and `STRASSE` one text; every run of whitespace
becomes one space and the ends are trimmed; zero-width characters go (they are invisible,
so two texts that differ only by them look identical to a reader and to a model).
Punctuation stays: the exact hash says "the same text", not "the same words".
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["EXACT_HASH_BYTES", "exact_hash", "normalize_text"]

EXACT_HASH_BYTES = 16

# Zero-width space / non-joiner / joiner, word joiner, BOM, soft hyphen, Mongolian vowel sep.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")


def normalize_text(text: str) -> str:
    """NFKC, case folded, zero-width characters removed, whitespace runs collapsed to one
    space, trimmed. Idempotent."""
    if text.isascii():
        # ASCII is NFKC already, folds case as `lower` does and holds no zero-width character.
        return " ".join(text.lower().split())
    folded = unicodedata.normalize("NFKC", text).casefold()
    # Case folding can leave text that is no longer NFKC (rare: e.g. some Greek forms).
    if not unicodedata.is_normalized("NFKC", folded):
        folded = unicodedata.normalize("NFKC", folded)
    return " ".join(_INVISIBLE.sub("", folded).split())


def exact_hash(normalized: str) -> bytes:
    """128-bit BLAKE2b of the normalised text's UTF-8: equal exactly when the texts are
    (a collision among 10^12 texts has probability ~1e-15)."""
    data = normalized.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=EXACT_HASH_BYTES).digest()
