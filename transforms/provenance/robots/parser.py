"""robots.txt parser (RFC 9309 section 2.2), kept apart from matching as google/robotstxt does.

The parser turns the bytes of a robots.txt into groups of rules; it never raises on content.
It follows Google's reference parser (google/robotstxt, robots.cc) line for line where
RFC 9309 leaves room, because that parser is what site owners test their files against:

- lines end at CR, LF or CRLF; a UTF-8 byte-order mark (or a prefix of one) at the start is
  skipped; a NUL byte ends the line; `#` starts a comment; lines are cut at 16,663 bytes
  (Google: 8 x the 2,083-byte browser URL limit);
- `key: value`, or `key value` when the colon is missing and there are exactly two words
  (Google-only); keys match by case-insensitive *prefix*, with Google's accepted typos
  (`useragent`, `user agent`, `dissallow`, `dissalow`, `disalow`, `diasllow`, `disallaw`,
  `site-map`);
- allow/disallow values are percent-encoding normalised (2.2.2): octets >= 0x80 are
  percent-encoded and existing `%xx` escapes upper-cased, so `/ツ` and `/%e3%83%84` become
  `/%E3%83%84`; nothing else is decoded (`%62` stays `%62`);
- a group is one or more consecutive user-agent lines followed by rules; a user-agent line
  after a rule starts a new group; rules before any user-agent line are ignored; sitemap and
  unknown lines neither end nor start a group (2.2.4);
- a user-agent value is reduced to its product token, the leading run of `[A-Za-z_-]`
  (`Googlebot/2.1` -> `googlebot`, `Foo Bar` -> `foo`); `*`, or `*` then whitespace, is the
  global group.

Only the first `MAX_ROBOTS_BYTES` (500 KiB, the minimum 2.5 lets a crawler enforce) are parsed;
a line the limit cuts is dropped whole, and `ParsedRobots.truncated` says it happened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_ROBOTS_BYTES",
    "Group",
    "ParsedRobots",
    "Rule",
    "escape_pattern",
    "extract_product_token",
    "parse_robots_txt",
]

MAX_ROBOTS_BYTES = 500 * 1024
# Google keeps kMaxLineLen - 1 bytes of a line, kMaxLineLen = 2083 * 8.
MAX_LINE_BYTES = 2083 * 8 - 1

# absl::StripAsciiWhitespace; str.strip() would also strip \x85 and \xa0 (we decode as latin-1).
_WS = " \t\n\v\f\r"
_BOM = "\xef\xbb\xbf"

_USER_AGENT_KEYS = ("user-agent", "useragent", "user agent")
_ALLOW_KEYS = ("allow",)
_DISALLOW_KEYS = ("disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw")
_SITEMAP_KEYS = ("sitemap", "site-map")

_ESCAPE_RE = re.compile(r"%[0-9A-Fa-f]{2}|[\x80-\xff]")
_NEEDS_ESCAPE_RE = re.compile(r"%[0-9A-Fa-f]?[a-f]|%[a-f][0-9A-Fa-f]|[\x80-\xff]")
_PRODUCT_TOKEN_RE = re.compile(r"[A-Za-z_-]*")
_FIRST_WORD_RE = re.compile(r"[^\s/]*")


@dataclass(frozen=True, slots=True)
class Rule:
    """One allow/disallow line. `pattern` is percent-normalised; `priority` is its length."""

    allow: bool
    pattern: str
    line: int
    # For Google's `Allow: /dir/index.html` -> `/dir/$` alternative: the value as written.
    derived_from: str | None = None

    @property
    def priority(self) -> int:
        return len(self.pattern)

    @property
    def text(self) -> str:
        key = "Allow" if self.allow else "Disallow"
        if self.derived_from is not None:
            return f"{key}: {self.derived_from} (as {self.pattern})"
        return f"{key}: {self.pattern}"


@dataclass(slots=True)
class Group:
    """Consecutive user-agent lines and the rules that follow them."""

    line: int
    agents: set[str] = field(default_factory=set)  # lower-cased product tokens
    # Lower-cased first words of the user-agent lines ("360spider"): how a crawler whose name
    # is no product token at all (it starts with a digit) still finds the group meant for it.
    names: set[str] = field(default_factory=set)
    is_global: bool = False
    rules: list[Rule] = field(default_factory=list)


@dataclass(slots=True)
class ParsedRobots:
    groups: list[Group]
    sitemaps: list[str]
    lines: int
    size: int  # bytes given, before the 500 KiB cut
    truncated: bool


def escape_pattern(value: str) -> str:
    """Google's MaybeEscapePattern on a latin-1-decoded value: %-encode octets >= 0x80 and
    upper-case the hex digits of existing escapes."""
    if not _NEEDS_ESCAPE_RE.search(value):
        return value
    return _ESCAPE_RE.sub(_escape_one, value)


def _escape_one(m: re.Match[str]) -> str:
    s = m.group()
    if s[0] == "%":
        return s.upper()
    return f"%{ord(s):02X}"


def first_word(value: str) -> str:
    """A user-agent value up to its first space or '/' ("Sogou web spider" -> "Sogou")."""
    return _FIRST_WORD_RE.match(value).group()  # type: ignore[union-attr]


def extract_product_token(user_agent: str) -> str:
    """The leading run of `[A-Za-z_-]` (RFC 9309 2.2.1 product token characters)."""
    m = _PRODUCT_TOKEN_RE.match(user_agent)
    return m.group() if m else ""


def _key_type(key: str) -> str:
    k = key.lower()
    if k.startswith(_USER_AGENT_KEYS):
        return "user-agent"
    if k.startswith(_ALLOW_KEYS):
        return "allow"
    if k.startswith(_DISALLOW_KEYS):
        return "disallow"
    if k.startswith(_SITEMAP_KEYS):
        return "sitemap"
    return "unknown"


def _key_value(line: str) -> tuple[str, str] | None:
    nul = line.find("\x00")
    if nul >= 0:
        line = line[:nul]
    hash_pos = line.find("#")
    if hash_pos >= 0:
        line = line[:hash_pos]
    line = line.strip(_WS)
    if not line:
        return None
    sep = line.find(":")
    if sep < 0:
        # Google-only: `Disallow /x` (missing colon) counts when there are exactly two words.
        space, tab = line.find(" "), line.find("\t")
        sep = min(p for p in (space, tab, len(line)) if p >= 0)
        if sep == len(line):
            return None
        rest = line[sep:].lstrip(" \t")
        if " " in rest or "\t" in rest:
            return None
    key = line[:sep].strip(_WS)
    if not key:
        return None
    return key, line[sep + 1 :].strip(_WS)


def _split_lines(text: str) -> list[str]:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _truncate(data: bytes, limit: int) -> bytes:
    cut = data[:limit]
    if data[limit : limit + 1] in (b"\n", b"\r"):
        return cut
    end = max(cut.rfind(b"\n"), cut.rfind(b"\r"))
    return cut[: end + 1] if end >= 0 else cut


def parse_robots_txt(content: bytes | str, *, max_bytes: int = MAX_ROBOTS_BYTES) -> ParsedRobots:
    """Parse a robots.txt body. `str` content is taken as its UTF-8 encoding."""
    if max_bytes < MAX_ROBOTS_BYTES:
        raise ValueError(f"max_bytes={max_bytes}: RFC 9309 2.5 requires at least 500 KiB")
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else bytes(content)
    size = len(data)
    truncated = size > max_bytes
    if truncated:
        data = _truncate(data, max_bytes)
    # latin-1 maps each byte to one code point, so matching stays byte-exact and cannot fail.
    text = data.decode("latin-1")
    for n in (3, 2, 1):
        if text.startswith(_BOM[:n]):
            text = text[n:]
            break

    groups: list[Group] = []
    sitemaps: list[str] = []
    current: Group | None = None
    lines = _split_lines(text)
    for number, raw in enumerate(lines, start=1):
        if len(raw) > MAX_LINE_BYTES:
            raw = raw[:MAX_LINE_BYTES]
        kv = _key_value(raw)
        if kv is None:
            continue
        key, value = kv
        kind = _key_type(key)
        if kind == "user-agent":
            if current is None or current.rules:
                current = Group(line=number)
                groups.append(current)
            if value[:1] == "*" and (len(value) == 1 or value[1] in _WS):
                current.is_global = True
            else:
                current.agents.add(extract_product_token(value).lower())
                current.names.add(first_word(value).lower())
        elif kind in ("allow", "disallow"):
            if current is None:
                continue
            pattern = escape_pattern(value)
            allow = kind == "allow"
            current.rules.append(Rule(allow, pattern, number))
            if allow:
                derived = _index_html_alternative(pattern)
                if derived is not None:
                    current.rules.append(Rule(True, derived, number, derived_from=pattern))
        elif kind == "sitemap":
            sitemaps.append(value)
    return ParsedRobots(groups, sitemaps, len(lines), size, truncated)


def _index_html_alternative(pattern: str) -> str | None:
    """Google-only: `Allow: /dir/index.htm[l]` also allows `/dir/` itself (as `/dir/$`)."""
    slash = pattern.rfind("/")
    if slash >= 0 and pattern.startswith("/index.htm", slash):
        return pattern[: slash + 1] + "$"
    return None
