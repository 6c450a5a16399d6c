"""The pre-filter: seeds and windows, so each recognizer reads only the text near what it can
match (GB/T 45654-2025 4.2.3 at corpus scale).

Presidio's recognizers scan the whole text, and on web pages the phone and URL recognizers run
at tens of documents per second. `find_seeds` finds *seeds* of eight kinds with cheap regexes (a
run of 5+, 7+ or 8+ digits, a 7-30 digit run that is neither a slash date nor a run of years
for phones, `@`, a domain-like `x.tl`, `::` or a dotted quad, a Bitcoin-like token): a text
with no seed cannot hold any entity the detector finds and is skipped; otherwise each
recognizer runs only on the windows around seeds of its own kind (`ENTITY_KIND`; margins wide
enough for the patterns, cut at a character no pattern looks at), called once per text on that
kind's windows joined by a separator no pattern crosses (`JoinedWindows`). The tests compare
the result with whole-text Presidio; the deliberate differences are two, both about what
libphonenumber never reads: digit runs longer than 30 digits (tables, lists of years) and runs
of years ("1998-2001").
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable
from typing import Any

from corpusgate.transforms.pii.digit_shapes import is_year_list
from corpusgate.transforms.pii.languages import EN, ZH

__all__ = [
    "ALL",
    "ENTITY_KIND",
    "SEED_KINDS",
    "JoinedWindows",
    "find_seeds",
    "kind_of",
    "kind_windows",
    "seed_windows",
    "windows_by_kind",
]


# Seeds: what any entity the detector finds must contain, one *kind* per group of recognizers.
# Kept deliberately loose (a false seed only costs one small window; a missed one would lose a
# detection) and built so Python's regex engine can scan fast: each pattern starts with a digit
# or a literal, because one big alternation over all kinds ran at ~1.2 ms per 7 KB page.
DIGITS = "digits"  # 5+ digits: IBAN, unified social credit code
SEVEN_DIGITS = "seven_digits"  # 7+ digits: CN passport, CN landline
LONG_DIGITS = "long_digits"  # 8+ digits: cards, ID numbers, mobiles, US numbers, NHS
PHONE = "phone"  # 7-30 digits that are not a slash date: libphonenumber, phone layouts
IP = "ip"
EMAIL = "email"
URL_KIND = "url"
CRYPTO = "crypto"
ALL = "all"  # a recognizer this module does not know: run it on every window
SEED_KINDS = (DIGITS, SEVEN_DIGITS, LONG_DIGITS, PHONE, IP, EMAIL, URL_KIND, CRYPTO)

# The fewest digits (joined by separators of at most two characters) each recognizer's patterns
# need. On web pages most digit runs are 5-7 digits (years with a separator, "1,000"), so the
# recognizers of 8+ digits (US passport "A12345678" is the shortest) get a kind of their own and
# are not called there. An IBAN's digits may be split by letters ("BG80 BNBG 9661 10AB ..."),
# a credit code's by its letters ("N2110000MJ..."): they keep 5. A CN passport has 7 digits
# ("EA1234567"), a landline's local number 7 after an area code in full-width brackets.
ENTITY_KIND = {
    "PHONE_NUMBER": PHONE,
    "IP_ADDRESS": IP,
    "EMAIL_ADDRESS": EMAIL,
    "URL": URL_KIND,
    "CRYPTO": CRYPTO,
    "IBAN_CODE": DIGITS,
    "CN_USCC": DIGITS,
    "CN_PASSPORT": SEVEN_DIGITS,
    "CN_LANDLINE": SEVEN_DIGITS,
    **{
        e: LONG_DIGITS
        for e in (
            "CREDIT_CARD",
            "US_SSN",
            "US_ITIN",
            "US_PASSPORT",
            "US_BANK_NUMBER",
            "UK_NHS",
            "CN_RESIDENT_ID",
            "CN_MOBILE",
            "CN_BANK_CARD",
        )
    },
}

# Digit-led seeds in one scan: a run of 5+ digits with separators of up to two characters (as
# in "(212) 555-1234"), a dotted quad, or a Bitcoin address starting 1 or 3. The shared leading
# `\d` lets the regex engine skip non-digits fast (three top-level branches ran 3x slower).
# In the `zh` profile every pattern reads ASCII digits only, and the seed scan does too: on
# Chinese text it runs twice as fast as with Unicode `\d`.
_DIGIT_SEED_PATTERN = (
    r"\d(?:(?:[ \-./()+]{0,2}\d){4,}"
    r"|\d{0,2}\.\d{1,3}\.\d{1,3}\.\d"
    r"|(?<=[13])(?P<crypto>[a-zA-HJ-NP-Z0-9]{25}))"
)
_DIGIT_SEED = {EN: re.compile(_DIGIT_SEED_PATTERN), ZH: re.compile(_DIGIT_SEED_PATTERN, re.ASCII)}
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d")
_CRYPTO_SEED = re.compile(r"(?:bc1|[13])[a-zA-HJ-NP-Z0-9]{25}")
_BC1_SEED = re.compile(r"bc1[a-zA-HJ-NP-Z0-9]{23}")
# Every IPv6 form either compresses with "::" or has seven colons, so it holds ":h:".
_IPV6_SEED = re.compile(r":(?::|[0-9A-Fa-f]{1,4}:)")
_EMAIL_SEED = re.compile("@")
# Presidio's URL pattern needs a scheme, "www" or a host ending in a dot and two letters. Three
# scans, each led by a literal the regex engine searches for fast: one alternation starting with
# three different characters tests every position and cost 6x as much.
_URL_SEEDS = (
    re.compile("://"),
    re.compile(r"www\d{0,3}\."),
    re.compile(r"\.(?<=[A-Za-z0-9-]\.)[A-Za-z]{2}"),
)
# libphonenumber accepts no number with fewer than 7 digits for the default regions, and rejects
# outright any candidate holding a slash date (its `_SLASH_SEPARATED_DATES`), so a run that is
# only a date ("11/03/2006", the commonest 7+ digit run on web pages) cannot seed a phone.
_SLASH_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}")
# Nor can a run of years ("1998-2001", "1682 -1745"): the layouts reject it, and on Wikipedia
# libphonenumber read such ranges as numbers valid somewhere (a deliberate departure from
# whole-text Presidio, like the 30-digit limit below).
_DIGIT_GROUP = re.compile(r"\d+")
# A deliberate departure from whole-text Presidio: a run of more than this many digits joined by
# short separators is a table or a list of years ("1896 1897 1898 ..."), not a phone number, and
# libphonenumber's inner-match search over it cost 80% of the time on web pages. A phone number
# has at most 15 digits (E.164) plus an extension.
_MAX_PHONE_RUN_DIGITS = 30

# Context words are looked up in the whole text, so margins only need to hold the match itself.
# 48 covers the widest reach left of a seed (an IBAN's country code and bank letters, written
# with spaces: 34 characters + 8 spaces); e-mail and URL matches cannot hold whitespace, and the
# snap to whitespace below covers their reach.
_LEFT_MARGIN = 48
_RIGHT_MARGIN = 48
# libphonenumber re-parses every digit group in its window for each of its 8 regions, so phone
# windows are as narrow as its candidate can be: it starts at most a few lead characters ("+1 (")
# before the seed's first digit, and it checks the character before and the three after
# (letters, a time-stamp suffix ":mm"); an extension ("ext. 12345") follows it.
_PHONE_MARGINS = (12, 24)
_MAX_SNAP = 512  # stop extending a window to a cut point after this many characters
# A window may end only before one of these (Presidio's URL path runs to whitespace or quote).
_RIGHT_CUT = frozenset(" \t\r\n\f\v()<>\"'")
# The last cut point before a position, found by one backward-greedy match in C rather than a
# character loop: `match(text, lo, hi)` ends just after the last cut character in [lo, hi).
# The `en` profile keeps Presidio's Unicode semantics, where a letter of any script is a word
# character, so only whitespace is safe; every `zh` pattern has ASCII semantics, so a CJK
# character or a full-width form looks like the start of the text to it (not "€" or "£": the
# phone layouts look for them).
_LAST_LEFT_CUT = {
    EN: re.compile(r".*\s", re.DOTALL),
    ZH: re.compile(
        r".*[\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
        r"\U00020000-\U0003ffff]",
        re.DOTALL,
    ),
}
_NO_RIGHT_CUT = re.compile(r"[^ \t\r\n\f\v()<>\"']*")


def find_seeds(text: str, profile: str = EN) -> dict[str, list[tuple[int, int]]]:
    """Seed spans by kind, each list in text order; kinds without a seed are absent."""
    digits_: list[tuple[int, int]] = []
    seven: list[tuple[int, int]] = []
    long_: list[tuple[int, int]] = []
    phone: list[tuple[int, int]] = []
    ip: list[tuple[int, int]] = []
    crypto: list[tuple[int, int]] = []
    n = len(text)
    isdigit = str.isdigit
    for m in _DIGIT_SEED[profile].finditer(text):
        start, end = span = m.span()
        run = m.group()
        if m.group("crypto"):
            crypto.append(span)
            continue
        # A separator-free run (most of them) needs no count. Only a dotted quad can hold
        # fewer than 5 digits.
        digits = end - start if run.isdigit() else sum(map(isdigit, run))
        if digits >= 5:
            digits_.append(span)
        if digits >= 7:
            seven.append(span)
            if digits >= 8:
                long_.append(span)
            if (
                digits <= _MAX_PHONE_RUN_DIGITS
                and not _SLASH_DATE.fullmatch(run)
                and not is_year_list(_DIGIT_GROUP.findall(run))
            ):
                phone.append(span)
        if "." in run and _IPV4.search(run):
            ip.append(span)
        # An address may start inside a digit run the scan has consumed: it is 26 characters
        # without a separator, so it either fills the run or goes on past its end.
        if (end < n and text[end].isalnum()) or end - start >= 26:
            c = _CRYPTO_SEED.search(text, start, end + 26)
            if c:
                crypto.append(c.span())
    crypto += [m.span() for m in _BC1_SEED.finditer(text)]
    ip += [m.span() for m in _IPV6_SEED.finditer(text)]
    url = [m.span() for rx in _URL_SEEDS for m in rx.finditer(text)]
    email = [m.span() for m in _EMAIL_SEED.finditer(text)] if "@" in text else []
    found = (
        (DIGITS, digits_),
        (SEVEN_DIGITS, seven),
        (LONG_DIGITS, long_),
        (PHONE, phone),
        (IP, ip),
        (EMAIL, email),
        (URL_KIND, url),
        (CRYPTO, crypto),
    )
    return {kind: spans for kind, spans in found if spans}


def _merge_windows(
    spans: Iterable[tuple[int, int]],
    text: str,
    profile: str,
    margins: tuple[int, int] = (_LEFT_MARGIN, _RIGHT_MARGIN),
) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    n = len(text)
    left, right = margins
    last_left_cut = _LAST_LEFT_CUT[profile].match
    right_cut = _NO_RIGHT_CUT.match
    last_end = -1
    for s, e in sorted(spans):
        start = max(0, s - left)
        # Seeds cluster (a list of numbers, a URL's dots): one whose reach starts inside the
        # open window extends it and needs no left cut point.
        if start > last_end and start:
            lo = max(0, start - _MAX_SNAP)
            cut = last_left_cut(text, lo, start)
            start = cut.end() if cut else lo
        end = min(n, e + right)
        end = right_cut(text, end, min(n, end + _MAX_SNAP)).end()
        if windows and start <= last_end:
            if end > last_end:
                windows[-1] = (windows[-1][0], end)
                last_end = end
        else:
            windows.append((start, end))
            last_end = end
    return windows


def kind_of(entities: Iterable[str]) -> str:
    """The seed kind a recognizer of these entity types needs (`ALL` when they differ or one
    is unknown: such a recognizer reads every window)."""
    kinds = {ENTITY_KIND.get(e, ALL) for e in entities}
    return kinds.pop() if len(kinds) == 1 else ALL


def windows_by_kind(
    text: str, profile: str, kinds: Iterable[str]
) -> dict[str, list[tuple[int, int]]]:
    """Merged [start, end) windows for each of `kinds` that has a seed in `text`."""
    seeds = find_seeds(text, profile)
    if not seeds:
        return {}
    out = {}
    for kind in kinds:
        if kind == ALL:
            out[ALL] = _merge_windows([s for spans in seeds.values() for s in spans], text, profile)
        elif kind in seeds:
            out[kind] = _merge_windows(
                seeds[kind], text, profile, *((_PHONE_MARGINS,) if kind == PHONE else ())
            )
    return out


def kind_windows(text: str, profile: str) -> dict[str, list[tuple[int, int]]]:
    """Merged [start, end) windows per seed kind (plus `all`, their union); empty when no
    entity can occur."""
    return windows_by_kind(text, profile, (*SEED_KINDS, ALL))


def seed_windows(text: str, profile: str) -> list[tuple[int, int]]:
    """Merged [start, end) windows around every seed; empty when no entity can occur."""
    return kind_windows(text, profile).get(ALL, [])


# ---------------------------------------------------------------------------------------------
# One recognizer call per seed kind and text

# Between two windows joined into one text. No pattern of the shipped recognizers consumes a
# line break (their separators are spaces, dots, dashes; a URL path stops at whitespace) or
# looks more than one character past its match, and every character a window borders in its text
# is whitespace or a cut character, so each window matches in the joined text exactly as on its
# own. The NUL keeps a future pattern that crosses one line break from joining two windows;
# a result that still spans a separator sends that recognizer back to one call per window.
_WINDOW_SEPARATOR = "\n\x00\n"


class JoinedWindows:
    """The windows of one seed kind joined into a single text, so each recognizer is called
    once per text rather than once per window (Presidio's per-call overhead — a timestamp and a
    debug log per pattern, a duplicate pass — cost more than the matching on small windows)."""

    __slots__ = ("joined", "spans", "starts", "text")

    def __init__(self, text: str, spans: list[tuple[int, int]]) -> None:
        self.text = text
        self.spans = spans
        if len(spans) == 1:
            start, end = spans[0]
            self.joined = text[start:end]
            self.starts = [0]
            return
        pieces = [text[start:end] for start, end in spans]
        self.joined = _WINDOW_SEPARATOR.join(pieces)
        self.starts = list(
            itertools.accumulate((len(p) + len(_WINDOW_SEPARATOR) for p in pieces[:-1]), initial=0)
        )

    def analyze(self, recognizer: Any, entities: list[str], artifacts: Any) -> list[Any]:
        """The recognizer's results on every window, at text offsets."""
        found = (
            recognizer.analyze(text=self.joined, entities=entities, nlp_artifacts=artifacts) or []
        )
        if len(self.spans) == 1:
            offset = self.spans[0][0]
            for r in found:
                r.start += offset
                r.end += offset
            return found
        starts, spans = self.starts, self.spans
        for r in found:
            i = bisect.bisect_right(starts, r.start) - 1
            if r.end > starts[i] + spans[i][1] - spans[i][0]:
                return self._one_call_per_window(recognizer, entities, artifacts)
            offset = spans[i][0] - starts[i]
            r.start += offset
            r.end += offset
        return found

    def _one_call_per_window(
        self, recognizer: Any, entities: list[str], artifacts: Any
    ) -> list[Any]:
        out: list[Any] = []
        for start, end in self.spans:
            for r in (
                recognizer.analyze(
                    text=self.text[start:end], entities=entities, nlp_artifacts=artifacts
                )
                or ()
            ):
                r.start += start
                r.end += start
                out.append(r)
        return out
