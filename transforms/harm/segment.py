"""Word boundaries for short Chinese terms (GB/T 45654-2025 B.1.1: a keyword must match a word).

Chinese is written without spaces, so a two-character term fires inside longer words and across
them: `情欲` in `之情欲`-like readings of 《...之情，欲...》, `人弹` in `诗人弹琴`. jieba, the
segmenter Chinese NLP work reaches for first, decides whether a hit starts and ends on word
boundaries; only a window around the hit is segmented, so the cost is paid per hit, not per
text. jieba's dictionary loads once per process (~1 s, cached by jieba in the temp folder).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["on_word_boundaries"]

_WINDOW = 12  # characters of context either side; jieba's choices are local


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import logging
    import warnings

    with warnings.catch_warnings():
        # jieba 0.42 imports pkg_resources, whose deprecation notes say nothing to a user.
        warnings.simplefilter("ignore")
        import jieba

    jieba.setLogLevel(logging.WARNING)  # its load message is not the user's business
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def on_word_boundaries(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` starts and ends where jieba puts word boundaries."""
    lo = max(0, start - _WINDOW)
    hi = min(len(text), end + _WINDOW)
    cuts = {lo}
    pos = lo
    for token in _tokenizer().cut(text[lo:hi], HMM=False):
        pos += len(token)
        cuts.add(pos)
    return start in cuts and end in cuts
