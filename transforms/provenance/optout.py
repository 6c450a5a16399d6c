"""Page-level opt-out signals beyond robots.txt (4.1.3 b): what a WARC response carries.

Signals, as stable strings for lineage and quarantine details:

- `x-robots-tag:<directive>` from an `X-Robots-Tag` header, or
  `x-robots-tag:<bot>:<directive>` when the header scopes it to a bot
  (`X-Robots-Tag: corpusgate-bot: noai`);
- `meta-robots:<directive>` from `<meta name="robots" content=...>`, or
  `meta-<bot>:<directive>` from a bot-named meta (`<meta name="corpusgate-bot" ...>`);
- `tdm-reservation:1` from the TDM Reservation Protocol (W3C TDMRep) header
  `tdm-reservation: 1` or `<meta name="tdm-reservation" content="1">`.

Directives that opt out: `noai`, `noimageai`, `noindex`, and `none` (= noindex, nofollow).
A bot-scoped directive binds only the bot it names: it counts when it names `user_agent`
(case-insensitive); with `user_agent=None` only unscoped ones count. `tdm-reservation: 0`
(rights explicitly not reserved) is not an opt-out. TDMRep's `/.well-known/tdmrep.json` is a
site-level file, not part of a page, and is not read here.

HTML is scanned only up to `</head>` (or `<body>`), where these metas belong, after removing
comments and scripts, with linear-time scans, so a 1 MB page costs about a millisecond.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from corpusgate.schemas.reasons import OPTOUT_DECLARED

__all__ = ["OPTOUT_DIRECTIVES", "OptoutResult", "check_optout", "optout_signals"]

OPTOUT_DIRECTIVES = frozenset({"noai", "noimageai", "noindex", "none"})
# X-Robots-Tag directives that take a value after a colon; anything else before a colon is a bot.
_VALUED_DIRECTIVES = frozenset(
    {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}
)
_META_RE = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR_RE = re.compile(
    r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""", re.IGNORECASE
)
_SCOPE_RE = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*:\s*(.*)", re.DOTALL)


@dataclass(frozen=True)
class OptoutResult:
    ok: bool
    reason: str = ""
    detail: str = ""


def optout_signals(
    headers: Iterable[tuple[str, str]], page_html: str | None, user_agent: str | None = None
) -> list[str]:
    """The opt-out signals of one response, in the order found, without repeats."""
    agent = user_agent.lower() if user_agent else None
    found: list[str] = []
    for name, value in headers:
        lname = name.strip().lower()
        if lname == "x-robots-tag":
            found.extend(_x_robots_tag(value, agent))
        elif lname == "tdm-reservation" and value.strip() == "1":
            found.append("tdm-reservation:1")
    if page_html:
        found.extend(_meta_signals(page_html, agent))
    return list(dict.fromkeys(found))


def check_optout(
    headers: Iterable[tuple[str, str]], page_html: str | None, user_agent: str | None = None
) -> OptoutResult:
    signals = optout_signals(headers, page_html, user_agent)
    if signals:
        return OptoutResult(False, OPTOUT_DECLARED, ", ".join(signals))
    return OptoutResult(True)


def _directives(content: str) -> list[str]:
    return [t.strip().lower() for t in content.split(",") if t.strip()]


def _x_robots_tag(value: str, agent: str | None) -> list[str]:
    """`noindex, noai`, `bot: noai, noimageai`, `unavailable_after: 25 Jun 2030 15:00 PST`."""
    out: list[str] = []
    scope: str | None = None
    for part in value.split(","):
        m = _SCOPE_RE.fullmatch(part)
        if m and m.group(1).lower() not in _VALUED_DIRECTIVES:
            # A bot name starts a scope that runs until the next one (`bot: noindex, nofollow`).
            scope, part = m.group(1).lower(), m.group(2)
        directive = part.strip().lower()
        if directive not in OPTOUT_DIRECTIVES:
            continue
        if scope is None:
            out.append(f"x-robots-tag:{directive}")
        elif scope == agent:
            out.append(f"x-robots-tag:{scope}:{directive}")
    return out


def _head(page: str) -> str:
    lower = page.lower()
    ends = [i for i in (lower.find("</head"), lower.find("<body")) if i >= 0]
    end = min(ends) if ends else len(page)
    return _strip_blocks(page[:end], lower[:end])


def _strip_blocks(text: str, lower: str) -> str:
    """Drop comments and script/style bodies; an unterminated one runs to the end."""
    closers = {"<!--": "-->", "<script": "</script", "<style": "</style"}
    # Next occurrence of each opener, refreshed only once passed: linear in the text.
    next_at = {o: lower.find(o) for o in closers}
    pieces: list[str] = []
    pos = 0
    while True:
        for opener, at in next_at.items():
            if 0 <= at < pos:
                next_at[opener] = lower.find(opener, pos)
        live = [(at, o) for o, at in next_at.items() if at >= 0]
        if not live:
            pieces.append(text[pos:])
            return "".join(pieces)
        start, opener = min(live)
        pieces.append(text[pos:start])
        stop = lower.find(closers[opener], start + len(opener))
        if stop < 0:
            return "".join(pieces)
        pos = stop + len(closers[opener])


def _meta_signals(page: str, agent: str | None) -> list[str]:
    out: list[str] = []
    for tag in _META_RE.finditer(_head(page)):
        attrs: dict[str, str] = {}
        for m in _ATTR_RE.finditer(tag.group(), 5):
            key = m.group(1).lower()
            if key not in attrs:
                value = m.group(2) if m.group(2) is not None else m.group(3) or m.group(4) or ""
                attrs[key] = html.unescape(value)
        name = attrs.get("name", "").strip().lower()
        content = attrs.get("content", "")
        if name == "tdm-reservation":
            if content.strip() == "1":
                out.append("tdm-reservation:1")
        elif name == "robots" or (agent is not None and name == agent):
            prefix = "meta-robots" if name == "robots" else f"meta-{name}"
            out.extend(f"{prefix}:{d}" for d in _directives(content) if d in OPTOUT_DIRECTIVES)
    return out
