"""Which writing systems a text uses, counted fast: the script half of language identification.

Serves GB/T 45654-2025 4.1.2 / B.2.1.1.2 (language diversity of the training data): the report
counts records per language, and a language is only as good as the evidence under it. Scripts
are that evidence: Hangul is Korean, kana is Japanese, Han without kana is Chinese, and whether
Chinese is written in simplified or traditional characters is visible in the characters alone.

Scripts are ISO 15924 codes. Every code point maps to one script class through a numpy table
built once per process from `unicodedata` names (a letter named `CYRILLIC ...` is Cyrillic), so
profiling a 1 KB text is one UTF-32 encode, one table lookup and one `bincount`: a few
microseconds, with no per-character Python.

Han characters are split three ways, from OpenCC's character tables (the converter the project
already ships): *traditional markers* change under traditional -> simplified conversion (發, 們),
*simplified markers* change under simplified -> traditional, -> Taiwan and -> Hong Kong standard
(发, 们), and the rest are shared by both (中, 人, 山). Characters whose conversion depends on
the word are not markers: `T2S_AMBIGUOUS` (乾: 乾隆 keeps it in simplified text) and
`S2T_AMBIGUOUS` (后: 皇后 keeps it in traditional text). More traditional than simplified
markers is Hant, more simplified is Hans, neither is Hani (Han, variant undetermined: 床前明月光
is the same in both).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from corpusgate.transforms.harm.fold import T2S_AMBIGUOUS

__all__ = [
    "CLASS_COUNT",
    "NONE",
    "S2T_AMBIGUOUS",
    "SINGLE_LANGUAGE_SCRIPTS",
    "ScriptCounts",
    "ScriptProfile",
    "byte_weights",
    "class_code",
    "class_index",
    "count_scripts",
    "han_variant",
    "profile_scripts",
]

# Characters OpenCC 1.4.2's STCharacters lists as possibly staying themselves (`后\t後 后`):
# the entries whose candidate list holds the character and whose first candidate differs.
# Dumped with the wheel's `opencc_dict`; `test_s2t_ambiguous_is_what_opencc_dictionary_says`
# re-derives it. Without this list, 里, 后, 台 and 干 in traditional text would count as
# simplified evidence (measured: 4 of 3,000 Tang poem lines wrong instead of 19).
S2T_AMBIGUOUS = frozenset(
    "㐹万丑丰于云亘仆价伙余佣党准几凶划占厂厘台叶吁吃后咨咸唇夸尸岩岳帘干广征愿挂据斗朴杠杰极"
    "柜涂涌淀游熏皂确种筑胜腊腌膻苹范荐虫蚝蜡蝎跖辟适郁采里雇"
)

# Classes of the lookup table. NONE is everything that is not a letter of a script: digits,
# punctuation, spaces, symbols, emoji, combining marks shared by scripts. SKIP is what no
# consumer may see: lone surrogates (legal in a str, not encodable as UTF-8).
NONE = 0
SKIP = 1
_LETTERS_FROM = 2
_CLASSES: tuple[str, ...] = (
    "",  # NONE
    "-",  # SKIP
    "Latn",
    "Hani",  # Han, shared by simplified and traditional
    "Hant",  # Han, a traditional marker
    "Hans",  # Han, a simplified marker
    "Kana",  # hiragana and katakana
    "Hang",
    "Bopo",  # bopomofo, Mandarin phonetics (Taiwan)
    "Cyrl",
    "Arab",
    "Grek",
    "Hebr",
    "Thai",
    "Deva",
    "Beng",
    "Guru",
    "Gujr",
    "Orya",
    "Taml",
    "Telu",
    "Knda",
    "Mlym",
    "Sinh",
    "Tibt",
    "Mymr",
    "Khmr",
    "Laoo",
    "Geor",
    "Armn",
    "Ethi",
    "Mong",
    "Yiii",
    "Thaa",
    "Syrc",
    "Zzzz",  # a letter of a script not listed here
)
_CLASS = {code: i for i, code in enumerate(_CLASSES)}

# Leading word(s) of a Unicode character name -> script. Names whose first word says only
# how the character is drawn (CJK, FULLWIDTH, ...) are keyed by their first two words.
_NAME_KEYS: dict[str, str] = {
    "LATIN": "Latn",
    "FULLWIDTH LATIN": "Latn",
    "CJK UNIFIED": "Hani",
    "CJK COMPATIBILITY": "Hani",
    "IDEOGRAPHIC ITERATION": "Hani",  # 々
    "HIRAGANA": "Kana",
    "KATAKANA": "Kana",
    "KATAKANA-HIRAGANA": "Kana",  # the prolonged sound mark ー
    "HALFWIDTH KATAKANA": "Kana",
    "HANGUL": "Hang",
    "HALFWIDTH HANGUL": "Hang",
    "BOPOMOFO": "Bopo",
    "CYRILLIC": "Cyrl",
    "ARABIC": "Arab",
    "GREEK": "Grek",
    "HEBREW": "Hebr",
    "THAI": "Thai",
    "DEVANAGARI": "Deva",
    "BENGALI": "Beng",
    "GURMUKHI": "Guru",
    "GUJARATI": "Gujr",
    "ORIYA": "Orya",
    "TAMIL": "Taml",
    "TELUGU": "Telu",
    "KANNADA": "Knda",
    "MALAYALAM": "Mlym",
    "SINHALA": "Sinh",
    "TIBETAN": "Tibt",
    "MYANMAR": "Mymr",
    "KHMER": "Khmr",
    "LAO": "Laoo",
    "GEORGIAN": "Geor",
    "ARMENIAN": "Armn",
    "ETHIOPIC": "Ethi",
    "MONGOLIAN": "Mong",
    "YI": "Yiii",
    "THAANA": "Thaa",
    "SYRIAC": "Syrc",
}
_TWO_WORD_NAMES = frozenset({"CJK", "FULLWIDTH", "HALFWIDTH", "IDEOGRAPHIC"})

# Scripts that (in practice) write one language: the script alone names it.
SINGLE_LANGUAGE_SCRIPTS: dict[str, str] = {
    "Hang": "ko",
    "Thai": "th",
    "Grek": "el",
    "Hebr": "he",
    "Geor": "ka",
    "Armn": "hy",
    "Khmr": "km",
    "Laoo": "lo",
    "Mymr": "my",
    "Sinh": "si",
    "Tibt": "bo",
    "Gujr": "gu",
    "Guru": "pa",
    "Orya": "or",
    "Taml": "ta",
    "Telu": "te",
    "Knda": "kn",
    "Mlym": "ml",
    "Thaa": "dv",
    # Scripts of languages of China beside Chinese: Tibetan (above), Mongolian in its
    # traditional script, Nuosu Yi. Uyghur is written in Arabic script: the model tells it.
    "Mong": "mn",
    "Yiii": "ii",
}
# Every other script (Latin, Cyrillic, Arabic, Devanagari, Bengali, Ethiopic, ...) is shared
# by several languages: the model tells them apart.

# Weight of one letter: the UTF-8 bytes a letter of the script typically takes. Bytes make
# scripts comparable (an English word of ~5 letters and a Chinese word of ~1.7 characters
# both weigh ~5), and they are what CLD2 counts too.
_ONE_BYTE = frozenset({"Latn"})
_TWO_BYTES = frozenset({"Cyrl", "Arab", "Grek", "Hebr", "Armn", "Syrc", "Thaa"})

# Han ranges whose characters can be simplified/traditional markers: the unified ideographs
# and extension A (OpenCC's character tables live there; the extensions beyond are rare).
_MARKER_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))
# Planes 2 and 3 hold only CJK ideographs (extensions B-H, compatibility supplement): they are
# Han without looking each one up. Code points past them (private use planes) are clipped to
# the table's last entry, which is NONE.
_IDEOGRAPHIC_PLANES = 0x20000
_IDEOGRAPHIC_END = 0x323B0
_TABLE_SIZE = _IDEOGRAPHIC_END + 1


@dataclass(frozen=True)
class ScriptProfile:
    """Letters of one text by script. Han is split into shared, traditional and simplified."""

    letters: dict[str, int]  # script -> number of letters (Hani/Hant/Hans kept apart)

    def han_variant(self) -> str:
        """Hant, Hans or Hani (no marker either way), from the marker counts."""
        return han_variant(self.letters.get("Hant", 0), self.letters.get("Hans", 0))


def han_variant(traditional: int, simplified: int) -> str:
    """Hant when traditional markers outnumber simplified ones, Hans the other way, else Hani."""
    if traditional == simplified == 0:
        return "Hani"
    # A tie is read as simplified: false markers are about as rare in text of either kind,
    # and simplified is by far the commoner in the corpora this runs on.
    return "Hant" if traditional > simplified else "Hans"


def _script_of(char: str) -> str | None:
    category = unicodedata.category(char)
    if category[0] not in "LM":
        return None
    first, _, rest = unicodedata.name(char, "").partition(" ")
    if first in _TWO_WORD_NAMES:
        first = f"{first} {rest.partition(' ')[0]}"
    script = _NAME_KEYS.get(first)
    if script is not None:
        return script
    # An unlisted script's letter still counts as a letter; a stray combining mark does not.
    return "Zzzz" if category[0] == "L" else None


def _han_markers() -> tuple[frozenset[str], frozenset[str]]:
    """(traditional markers, simplified markers) from OpenCC's one-character conversions."""
    import opencc  # imported here: the table is built at first use, not at import

    chars = [chr(cp) for lo, hi in _MARKER_RANGES for cp in range(lo, hi + 1)]
    # One call per converter: characters separated by newlines convert one by one (OpenCC's
    # phrase tables never match across a line break).
    joined = "\n".join(chars)
    converted = {
        name: opencc.OpenCC(f"{name}.json").convert(joined).split("\n")
        for name in ("t2s", "s2t", "s2tw", "s2hk")
    }
    if any(len(column) != len(chars) for column in converted.values()):
        raise ValueError("OpenCC changed the number of lines; cannot derive Han markers")
    traditional: set[str] = set()
    simplified: set[str] = set()
    for i, char in enumerate(chars):
        to_simple = converted["t2s"][i]
        to_trad = converted["s2t"][i]
        if to_simple != char and to_trad == char and char not in T2S_AMBIGUOUS:
            traditional.add(char)
        elif (
            to_simple == char
            and to_trad != char
            and converted["s2tw"][i] != char
            and converted["s2hk"][i] != char
            and char not in S2T_AMBIGUOUS
        ):
            simplified.add(char)
    if not traditional or not simplified:
        raise ValueError("OpenCC gave no character conversions; is its data installed?")
    return frozenset(traditional), frozenset(simplified)


@lru_cache(maxsize=1)
def _tables() -> tuple[Any, Any]:
    """(code point -> class table, class -> byte weight), built once per process (~0.5 s)."""
    import numpy as np

    classes = [_CLASS.get(_script_of(chr(cp)) or "", NONE) for cp in range(_IDEOGRAPHIC_PLANES)]
    table = np.full(_TABLE_SIZE, _CLASS["Hani"], dtype=np.uint8)
    table[:_IDEOGRAPHIC_PLANES] = classes
    table[_IDEOGRAPHIC_END:] = NONE
    table[0xD800:0xE000] = SKIP
    traditional, simplified = _han_markers()
    for char in traditional:
        table[ord(char)] = _CLASS["Hant"]
    for char in simplified:
        table[ord(char)] = _CLASS["Hans"]
    weights = np.array(
        [0] * _LETTERS_FROM
        + [1 if c in _ONE_BYTE else 2 if c in _TWO_BYTES else 3 for c in _CLASSES[_LETTERS_FROM:]],
        dtype=np.int64,
    )
    return table, weights


def class_index(code: str) -> int:
    return _CLASS[code]


def class_code(index: int) -> str:
    return _CLASSES[index]


CLASS_COUNT = len(_CLASSES)


def byte_weights() -> list[int]:
    """UTF-8 byte weight of one letter, per class (0 for NONE and SKIP)."""
    return [int(w) for w in _tables()[1]]


@dataclass(frozen=True)
class ScriptCounts:
    """Letters per script class of a batch of texts, and what is needed to cut them out again.

    `counts[i, c]` is the number of code points of class `c` in text i (numpy, n x
    CLASS_COUNT); `units`, `classes` and `owner` hold every text's code points, their classes
    and the index of the text they belong to, end to end.
    """

    counts: Any  # numpy int64, one row per text
    units: Any  # numpy uint32
    classes: Any  # numpy uint8
    owner: Any  # numpy intp

    def select(self, rows: Sequence[int], keep: Any) -> list[str]:
        """Per text i, its code points whose class `keep[rows[i]]` marks (numpy bool table,
        one row per selection, one column per class), in one pass over the whole batch."""
        import numpy as np

        # Flat indices into the table: cheaper than indexing it with two arrays.
        row_of_char = np.asarray(rows, dtype=np.intp)[self.owner]
        mask = keep.ravel()[row_of_char * CLASS_COUNT + self.classes]
        kept = self.units[mask].tobytes().decode("utf-32-le")
        ends = np.cumsum(np.bincount(self.owner[mask], minlength=len(rows))).tolist()
        return [kept[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def count_scripts(texts: Sequence[str]) -> ScriptCounts:
    """Script classes of every code point of `texts`, counted per text, in one numpy pass."""
    import numpy as np

    table, _ = _tables()
    # UTF-32 gives one code unit per character; "surrogatepass" carries lone surrogates
    # (legal in a str) through, and the table classes them SKIP.
    units = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = table[np.minimum(units, _TABLE_SIZE - 1)]
    owner = np.repeat(np.arange(len(texts), dtype=np.intp), [len(t) for t in texts])
    flat = np.bincount(owner * CLASS_COUNT + classes, minlength=len(texts) * CLASS_COUNT)
    return ScriptCounts(flat.reshape(len(texts), CLASS_COUNT), units, classes, owner)


def profile_scripts(text: str) -> ScriptProfile:
    """Letters of `text` by script (Han split into Hani / Hant / Hans markers)."""
    row = count_scripts([text]).counts[0].tolist()
    return ScriptProfile({_CLASSES[c]: n for c, n in enumerate(row) if c >= _LETTERS_FROM and n})
