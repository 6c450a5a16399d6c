"""Context words by characters, not tokens: a weak match counts when a word that names it comes
just before it (GB/T 45654-2025 4.2.3).

Presidio's stock enhancer compares spaCy lemmas in a token window. Offline there is no model: a
blank pipeline has no lemmas (the stock enhancer never fires) and splits Chinese one character
per token, so `身份证` could never be a context word. `TextContextEnhancer` looks for the
recognizer's context words in the characters just before a match instead, over the whole text
(so a window never cuts the look-back short), and for its *labels* (a recognizer's optional
`labels` attribute) right after the match: contact lists and signatures name a line after the
number ("781 1704 office", "555 1234 (mobile)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from presidio_analyzer import RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

__all__ = ["TextContextEnhancer", "context_regex", "label_regex"]

# How far after a match a label may start: a few separators, then the word.
_LABEL_REACH = 24


def context_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for a recognizer's context words; None when it has none."""
    parts = []
    for w in words:
        w = w.lower()
        # ASCII words must start a word ("call" not in "recall"); Chinese words are substrings.
        parts.append(("(?<![a-z])" if w[:1].isascii() and w[:1].isalpha() else "") + re.escape(w))
    return re.compile("|".join(parts)) if parts else None


def label_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """A label right after a match: at most a space, a dash, a slash or an opening bracket
    between, and the whole word ("-office" and " (fax)" count, " officer" does not)."""
    alternatives = "|".join(re.escape(w.lower()) for w in words)
    if not alternatives:
        return None
    return re.compile(r"[ \t]{0,2}(?:[-–/(][ \t]{0,2})?(?:" + alternatives + r")(?![a-z])")


class TextContextEnhancer(ContextAwareEnhancer):
    """Raise a result's score when one of its recognizer's context words appears in the
    `prefix_chars` characters before it (or in the caller's explicit context list): to at least
    `min_score`, by `factor`, at most 1."""

    def __init__(self, prefix_chars: int = 32, factor: float = 0.35, min_score: float = 0.4):
        super().__init__(factor, min_score, prefix_chars, _LABEL_REACH)
        self._compiled: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = {}

    def _regexes_for(
        self, recognizer: Any
    ) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        if recognizer.id not in self._compiled:
            self._compiled[recognizer.id] = (
                context_regex(recognizer.context or []),
                label_regex(getattr(recognizer, "labels", ())),
            )
        return self._compiled[recognizer.id]

    def enhance_using_context(  # type: ignore[override]
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: Any,
        recognizers: list[Any],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        by_id = {r.id: r for r in recognizers}
        extra = " ".join(context or []).lower()
        for result in raw_results:
            meta = result.recognition_metadata or {}
            if meta.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            recognizer = by_id.get(meta.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if recognizer is None:
                continue
            words, labels = self._regexes_for(recognizer)
            found = None
            if words is not None:
                before = text[max(0, result.start - self.context_prefix_count) : result.start]
                found = words.search(before.lower()) or (words.search(extra) if extra else None)
            if found is None and labels is not None:
                after = text[result.end : result.end + self.context_suffix_count]
                found = labels.match(after.lower())
            if not found:
                continue
            result.score = min(
                self.MAX_SCORE,
                max(
                    result.score + self.context_similarity_factor,
                    self.min_score_with_context_similarity,
                ),
            )
            meta[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
            if result.analysis_explanation is not None:
                result.analysis_explanation.set_supportive_context_word(found.group(0).strip())
                result.analysis_explanation.set_improved_score(result.score)
        return raw_results
