"""robots.txt matching (RFC 9309 sections 2.2.1-2.2.3 and 2.3.1 status codes).

`parse_robots(content)` parses once; `RobotsTxt.verdict(url, user_agent)` answers many URLs.
The decision is Google's (robots.cc `disallow()`), which RFC 9309 codifies:

- the groups naming the user agent's product token (case-insensitive) are merged; only when
  none names it do the `*` groups apply (merged too); a group that names the agent but has no
  matching rule allows, it does not fall back to `*` (2.2.1);
- the matching rule with the longest (percent-normalised) pattern wins, `allow` wins a tie
  (2.2.2); `*` matches any run of characters and a final `$` anchors the end (2.2.3); patterns
  are case-sensitive; an empty pattern matches nothing that decides;
- the URL is reduced to path + params + query (no fragment) exactly as Google's
  GetPathParamsQuery does, and is otherwise compared as given: the caller passes a
  percent-encoded URI. `normalize_url` turns an IRI (raw UTF-8, lower-case escapes) into one;
  the crawl-record check and the CLI apply it, the conformance suite does not. The one
  normalisation `verdict` does itself is upper-casing `%xx` escapes (RFC 3986 2.1), as the
  parser does for patterns, so `/a%3cd` meets `Disallow: /a%3Cd`. Escapes of unreserved
  characters are not decoded (`%7E` is not `~`): RFC 9309's table says they should be, but
  Google's reference tests (ID_Encoding) say they are not, and those tests are our reference.

For speed, a user agent's merged rules are indexed once (see `_RuleSet`) and reused; a
verdict costs a few dict probes, not a pass over every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpusgate.transforms.provenance.robots.parser import (
    ParsedRobots,
    Rule,
    extract_product_token,
    first_word,
    parse_robots_txt,
)

__all__ = [
    "AgentToken",
    "RobotsTxt",
    "RobotsVerdict",
    "is_valid_user_agent",
    "normalize_url",
    "parse_robots",
    "path_from_url",
    "robots_for_status",
    "user_agent_token",
]

_VALID_UA_RE = re.compile(r"[A-Za-z_-]+")
_IRI_RE = re.compile(r"%[0-9A-Fa-f]{2}|[^\x00-\x7f]+")
_PATH_START_RE = re.compile(r"[/?;]")
_ESCAPE_RE = re.compile(r"%[0-9a-f][0-9A-Fa-f]|%[0-9A-F][a-f]")


@dataclass(frozen=True, slots=True)
class RobotsVerdict:
    """`rule`/`line` name the deciding rule; both are None when no rule decided."""

    allowed: bool
    rule: str | None = None
    line: int | None = None
    note: str = ""


def is_valid_user_agent(user_agent: str) -> bool:
    """RFC 9309 2.2.1: a crawler's product token is non-empty and only `[A-Za-z_-]`."""
    return bool(_VALID_UA_RE.fullmatch(user_agent))


# `verdict` takes a product token, exactly as RFC 9309 and Google's parser do (an invalid one
# names no group); this prefix asks it to match the user-agent lines' first words instead.
_BY_NAME = "\x00by-name:"


@dataclass(frozen=True)
class AgentToken:
    """How a crawler's name is matched against robots.txt groups."""

    token: str  # what is compared, lower-cased
    by_name: bool  # True: no product token could be read; compared with the lines' first words
    note: str  # "" for a plain product token; else what was done with the name, for a warning


def user_agent_token(user_agent: str) -> AgentToken:
    """The token RFC 9309 2.2.1 and Google's parser match groups by: the name's leading
    letters, '-' and '_' ("Sogou web spider" -> "sogou", "AB42bot" -> "ab",
    "Googlebot/2.1" -> "googlebot"). A name with none ("360Spider") is matched, as a lenient
    extension, with the user-agent lines' first words ("360spider")."""
    name = user_agent.strip()
    if not name:
        raise ValueError("a user agent is needed: the crawler's name, e.g. corpusgate-bot")
    token = extract_product_token(name)
    if token and token == name:
        return AgentToken(token.lower(), False, "")
    if token:
        return AgentToken(
            token.lower(),
            False,
            f"user agent {name!r} is not a product token (RFC 9309 2.2.1: letters, '-', '_'); "
            f"groups are matched by its leading {token!r}, as RFC 9309 and Google's parser do",
        )
    word = first_word(name)
    return AgentToken(
        word.lower(),
        True,
        f"user agent {name!r} has no product token (it does not start with a letter); groups "
        f"are matched by the user-agent lines' first word {word!r} (a lenient extension)",
    )


def path_from_url(url: str) -> str:
    """Path, params and query of `url` (no fragment), always starting with `/`.

    Same results as google/robotstxt GetPathParamsQuery: `example.com?a` -> `/?a`,
    `//a/b/c` -> `/b/c`, `a` -> `/`.
    """
    start = 2 if url.startswith("//") else 0
    m = _PATH_START_RE.search(url, start)
    early = m.start() if m else -1
    proto = url.find("://", start)
    if proto < 0 or (0 <= early < proto):
        path_start = early
    else:
        m = _PATH_START_RE.search(url, proto + 3)
        path_start = m.start() if m else -1
    if path_start < 0:
        return "/"
    hash_pos = url.find("#", start)
    if 0 <= hash_pos < path_start:
        return "/"
    path = url[path_start:] if hash_pos < 0 else url[path_start:hash_pos]
    return path if path[0] == "/" else "/" + path


def normalize_url(url: str) -> str:
    """Percent-encode non-ASCII characters (as UTF-8) and upper-case existing escapes.

    RFC 9309 2.2.2 compares percent-encoded octets; a URL stored as an IRI (`/ツ`) or with
    lower-case escapes (`/%e3%83%84`) would otherwise miss the rule `/%E3%83%84`.
    """
    if url.isascii() and "%" not in url:
        return url
    return _IRI_RE.sub(_encode_iri, url)


def _encode_iri(m: re.Match[str]) -> str:
    s = m.group()
    if s[0] == "%":
        return s.upper()
    return "".join(f"%{b:02X}" for b in s.encode("utf-8", "surrogatepass"))


def _upper(m: re.Match[str]) -> str:
    return m.group().upper()


def _rank(rule: Rule) -> int:
    """Higher ranks win: the longer pattern, then allow over disallow, then the earlier line."""
    return (rule.priority << 33) | (rule.allow << 32) | (0xFFFFFFFF - rule.line)


def _verdict_of(rule: Rule) -> RobotsVerdict:
    # An empty pattern has priority 0: it matches but never decides (disallows).
    return RobotsVerdict(rule.allow or rule.priority == 0, rule.text, rule.line)


_Hit = tuple[int, Rule]
# rank, rule, first piece, its length, ((piece, length), ...), last piece or None
_Wild = tuple[int, Rule, str, int, tuple[tuple[str, int], ...], str | None]


def _wildcard(rule: Rule) -> _Wild:
    """A `*` pattern as literal pieces. Placing each piece leftmost in turn decides a prefix
    match; with a final `$` only the last piece must also sit at the end. Linear: no
    backtracking, however many `*` a hostile file holds."""
    pattern = rule.pattern
    anchored = pattern.endswith("$")
    pieces = (pattern[:-1] if anchored else pattern).split("*")
    rest = pieces[1:-1] if anchored else pieces[1:]
    middle = tuple((p, len(p)) for p in rest if p)
    last = pieces[-1] if anchored else None
    return (_rank(rule), rule, pieces[0], len(pieces[0]), middle, last)


class _RuleSet:
    """The merged rules one user agent obeys, indexed once for many lookups.

    Plain patterns (no `*`, no final `$`) match when they equal `path[:len(pattern)]`, so they
    sit in one dict per length, probed from the longest down; `p$` patterns match only
    `path == p`; wildcard patterns are tried in rank order while they can still beat the best
    match so far. A rule's verdict is built the first time it decides, then reused.
    """

    __slots__ = ("exact", "no_match", "plain", "verdicts", "wildcards")

    def __init__(self, rules: list[Rule], note: str) -> None:
        self.no_match = RobotsVerdict(True, None, None, note)
        self.verdicts: dict[int, RobotsVerdict] = {}
        plain: dict[int, dict[str, _Hit]] = {}
        self.exact: dict[str, _Hit] = {}
        wildcards: list[_Wild] = []
        for rule in rules:
            pattern = rule.pattern
            if "*" in pattern:
                wildcards.append(_wildcard(rule))
                continue
            if pattern.endswith("$"):
                table, key = self.exact, pattern[:-1]
            else:
                table, key = plain.setdefault(len(pattern), {}), pattern
            rank = _rank(rule)
            held = table.get(key)
            if held is None or rank > held[0]:
                table[key] = (rank, rule)
        self.plain = sorted(plain.items(), reverse=True)
        wildcards.sort(key=lambda w: w[0], reverse=True)
        self.wildcards = wildcards

    def decide(self, path: str) -> RobotsVerdict:
        best_rank = -1
        best: Rule | None = None
        n = len(path)
        for length, table in self.plain:
            if length <= n:
                hit = table.get(path[:length])
                if hit is not None:
                    best_rank, best = hit
                    break
        hit = self.exact.get(path)
        if hit is not None and hit[0] > best_rank:
            best_rank, best = hit
        for rank, rule, first, pos, middle, last in self.wildcards:
            if rank < best_rank:
                break
            if not path.startswith(first):
                continue
            for piece, size in middle:
                pos = path.find(piece, pos)
                if pos < 0:
                    break
                pos += size
            else:
                if last is None or (n - len(last) >= pos and path.endswith(last)):
                    best_rank, best = rank, rule
                    break
        if best is None:
            return self.no_match
        verdict = self.verdicts.get(best_rank)
        if verdict is None:
            verdict = self.verdicts[best_rank] = _verdict_of(best)
        return verdict


class RobotsTxt:
    """A parsed robots.txt (or a status-code rule) ready to answer verdicts."""

    def __init__(
        self,
        parsed: ParsedRobots | None,
        *,
        status: int | None = 200,
        fixed: RobotsVerdict | None = None,
    ) -> None:
        self.parsed = parsed
        self.status = status
        self._fixed = fixed
        self._by_agent: dict[str, _RuleSet] = {}
        self._by_groups: dict[tuple[int, ...], _RuleSet] = {}

    @property
    def truncated(self) -> bool:
        return self.parsed is not None and self.parsed.truncated

    @property
    def sitemaps(self) -> list[str]:
        return list(self.parsed.sitemaps) if self.parsed is not None else []

    def verdict(self, url_or_path: str, user_agent: str) -> RobotsVerdict:
        """May `user_agent` fetch `url_or_path`? The URL must be percent-encoded already."""
        if self._fixed is not None:
            return self._fixed
        rules = self._by_agent.get(user_agent)
        if rules is None:
            rules = self._rules_for(user_agent)
            self._by_agent[user_agent] = rules
        path = path_from_url(url_or_path)
        if "%" in path:
            # Escapes are case-insensitive (RFC 3986 2.1); rule patterns were upper-cased.
            path = _ESCAPE_RE.sub(_upper, path)
        return rules.decide(path)

    def verdict_for(self, url_or_path: str, agent: AgentToken) -> RobotsVerdict:
        """The verdict for a crawler named as people name it (see `user_agent_token`)."""
        return self.verdict(
            url_or_path, f"{_BY_NAME}{agent.token}" if agent.by_name else agent.token
        )

    def allowed(self, url_or_path: str, user_agent: str) -> bool:
        return self.verdict(url_or_path, user_agent).allowed

    def _rules_for(self, user_agent: str) -> _RuleSet:
        assert self.parsed is not None
        groups = self.parsed.groups
        # Product tokens are ASCII, so a non-ASCII agent names no group (and Unicode
        # case-folding, e.g. the Kelvin sign to "k", must not make it name one).
        by_name = user_agent.startswith(_BY_NAME)
        if by_name:
            user_agent = user_agent[len(_BY_NAME) :]
        key = user_agent.lower() if user_agent.isascii() else None
        chosen = tuple(i for i, g in enumerate(groups) if key in (g.names if by_name else g.agents))
        if chosen:
            label = f"the group(s) for {user_agent!r}"
        else:
            chosen = tuple(i for i, g in enumerate(groups) if g.is_global)
            label = "the '*' group(s)"
        # Agents falling to the same groups (every unknown agent falls to '*') share one index.
        rules = self._by_groups.get(chosen)
        if rules is None:
            if chosen:
                lines = ", ".join(str(groups[i].line) for i in chosen)
                note = f"no rule matched in {label} (line {lines})"
            else:
                note = f"no group applies to {user_agent!r}"
            rules = _RuleSet([r for i in chosen for r in groups[i].rules], note)
            self._by_groups[chosen] = rules
        return rules


def parse_robots(content: bytes | str) -> RobotsTxt:
    """Parse a robots.txt body fetched with a 2xx status."""
    return RobotsTxt(parse_robots_txt(content))


def robots_for_status(status: int | None, content: bytes | str | None = None) -> RobotsTxt:
    """The rules in force after fetching robots.txt ended with `status` (None = unreachable).

    RFC 9309 2.3.1: 2xx -> parse `content`; 4xx ("unavailable") -> everything allowed;
    5xx or no answer ("unreachable") -> everything disallowed. Choices where the RFC leaves
    room: 429 counts as unreachable (Google does the same: it signals overload, not absence);
    a recorded 3xx means the redirects were not followed to the end, which 2.3.1.2 lets a
    crawler treat as unavailable; 1xx is not a final answer, so unreachable.
    """
    if status is None:
        return _fixed(None, False, "robots.txt unreachable: disallow all (RFC 9309 2.3.1.4)")
    if not 100 <= status <= 599:
        raise ValueError(f"HTTP status {status} is not a status code (100-599)")
    if 200 <= status < 300:
        if content is None:
            raise ValueError(f"HTTP status {status} needs the robots.txt content")
        robots = parse_robots(content)
        robots.status = status
        return robots
    if status == 429 or status >= 500 or status < 200:
        return _fixed(status, False, f"robots.txt status {status}: disallow all (RFC 9309 2.3.1.4)")
    clause = "2.3.1.3" if status >= 400 else "2.3.1.2"
    return _fixed(status, True, f"robots.txt status {status}: allow all (RFC 9309 {clause})")


def _fixed(status: int | None, allowed: bool, note: str) -> RobotsTxt:
    return RobotsTxt(None, status=status, fixed=RobotsVerdict(allowed, None, None, note))
