"""Which language profile a record gets: context words, regex semantics, names (4.2.3).

Every identifier recognizer runs on every record, whatever its language: a resident ID, a card
or a phone number is the same string in an English, Chinese or Japanese text, and a checksum or
a layout says what it is. What depends on the language is small and lives in a *profile*:

- the context words that raise a weak match (电话 before a number in Chinese text, "phone" in
  English text; each recognizer module holds its own language's words);
- regex semantics: CJK text writes identifiers against ideographs without a space
  (`邮箱zhang@example.cn电话`), so the `zh` profile runs every pattern with ASCII word
  boundaries; the `en` profile keeps Presidio's own (Unicode) semantics;
- the name one identifier gets when two recognizers find it: a Luhn-valid card is CN_BANK_CARD
  in Chinese text and CREDIT_CARD in English text (`detector.NATIVE`).

Two profiles exist, `en` and `zh`. A record's language is an ISO 639-1 code from language
identification, or None. Chinese, Japanese and Korean get `zh` (CJK script: the ASCII
boundaries matter most, and the Chinese lists also hold the English words such text uses);
English gets `en`; any other code, or none, gets the profile of the text's script: `zh` when a
tenth of its visible characters are CJK, else `en` (Latin-script languages share "tel", "fax",
"passport" with English more than with Chinese).
"""

from __future__ import annotations

import functools
import re

__all__ = ["EN", "PROFILES", "ZH", "profile_for"]

EN = "en"
ZH = "zh"
PROFILES = (EN, ZH)

_BY_CODE = {"en": EN, "zh": ZH, "ja": ZH, "ko": ZH}
# Runs of CJK ideographs (BMP and supplementary), CJK punctuation, kana, Hangul syllables and
# full-width forms. Counted as runs, not characters: Chinese text is a few long runs.
_CJK_RUN = re.compile(
    r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
    r"\U00020000-\U0003134f]+"
)
# The script of a text's beginning is the script of the text, for this choice.
_SAMPLE_CHARS = 4096


@functools.lru_cache(maxsize=512)
def _profile_of_code(language: str) -> str | None:
    primary = language.strip().replace("_", "-").split("-", 1)[0].lower()
    return _BY_CODE.get(primary)


def profile_for(language: str | None, text: str) -> str:
    """The profile for a record: by its language code (`zh-Hant`, `EN` and `en_GB` work too),
    else by the script of its text."""
    if language:
        known = _profile_of_code(language)
        if known:
            return known
    sample = text[:_SAMPLE_CHARS]
    visible = len(sample) - sample.count(" ") - sample.count("\n")
    cjk = sum(map(len, _CJK_RUN.findall(sample)))
    return ZH if cjk * 10 >= max(visible, 1) else EN
