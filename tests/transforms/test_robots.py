"""RFC 9309 parser/matcher: hand-written cases per clause, a fuzz check of the wildcard matcher
against a direct transcription of the RFC's matching rule, and Google's conformance suites
(from ../shared/data, skipped when absent)."""

from __future__ import annotations

import base64
import json
import random
import re

import pytest

from corpusgate.transforms.provenance.robots import (
    MAX_ROBOTS_BYTES,
    escape_pattern,
    is_valid_user_agent,
    normalize_url,
    parse_robots,
    path_from_url,
    robots_for_status,
)

UA = "FooBot"


def allowed(robots: str | bytes, url: str, ua: str = UA) -> bool:
    return parse_robots(robots).verdict(url, ua).allowed


# --- 2.1 / 2.2: groups and user agents -------------------------------------------------------


@pytest.mark.parametrize(
    ("robots", "ua", "url", "expected"),
    [
        # Product token matched case-insensitively; its version and comment are ignored.
        ("User-agent: FOOBOT/2.1 (+https://x)\nDisallow: /\n", "foobot", "/x", False),
        # Groups naming the agent are merged, wherever they are in the file.
        (
            "user-agent: foobot\ndisallow: /a\nuser-agent: other\ndisallow: /\n"
            "user-agent: FooBot\ndisallow: /b\n",
            UA,
            "/b",
            False,
        ),
        (
            "user-agent: foobot\ndisallow: /a\nuser-agent: other\ndisallow: /\n"
            "user-agent: FooBot\ndisallow: /b\n",
            UA,
            "/c",
            True,
        ),
        # A group naming the agent hides the '*' group, even when none of its rules match.
        ("user-agent: *\ndisallow: /\nuser-agent: foobot\ndisallow: /private\n", UA, "/x", True),
        # Several user-agent lines share the rules that follow them.
        ("user-agent: a\nuser-agent: foobot\ndisallow: /x\n", UA, "/x", False),
        # A user-agent line after a rule starts a new group.
        ("user-agent: foobot\ndisallow: /x\nuser-agent: other\ndisallow: /y\n", UA, "/y", True),
        # Rules before any user-agent line belong to no group.
        ("disallow: /\nuser-agent: foobot\nallow: /x\n", UA, "/y", True),
        # Sitemap and unknown lines do not end a group.
        (
            "user-agent: a\nsitemap: https://x/s.xml\nuser-agent: foobot\ndisallow: /\n",
            UA,
            "/x",
            False,
        ),
        # No group for the agent and no '*' group: everything allowed.
        ("user-agent: other\ndisallow: /\n", UA, "/x", True),
        # Digits are not product-token characters (RFC 9309 ABNF): `Bot2` names `bot`.
        ("user-agent: Bot2\ndisallow: /\n", "Bot", "/x", False),
        # An agent that is not ASCII never names a group (no Unicode case-folding: K -> k).
        ("user-agent: k\ndisallow: /\n", "\u212a", "/x", True),
    ],
)
def test_rfc9309_2_2_1_user_agent_groups(robots: str, ua: str, url: str, expected: bool) -> None:
    assert allowed(robots, url, ua) is expected


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("Foobot", True),
        ("Foo_Bar-baz", True),
        ("", False),
        ("Foobot/2.1", False),
        ("Foo Bar", False),
        ("ツ", False),
        ("Foobot*", False),
        ("bot2", False),
    ],
)
def test_rfc9309_2_2_1_valid_product_token(value: str, valid: bool) -> None:
    assert is_valid_user_agent(value) is valid


# --- 2.2.2 / 2.2.3: longest match, allow on ties, special characters ---------------------------


@pytest.mark.parametrize(
    ("rules", "url", "expected", "line"),
    [
        ("allow: /p\ndisallow: /\n", "/page", True, 2),
        ("allow: /folder\ndisallow: /folder\n", "/folder/page", True, 2),  # tie: allow wins
        ("disallow: /folder\nallow: /folder\n", "/folder/page", True, 3),
        ("allow: /page\ndisallow: /*.html\n", "/page.html", False, 3),  # 7 chars beat 5
        ("allow: /$\ndisallow: /\n", "/", True, 2),
        ("allow: /$\ndisallow: /\n", "/page.htm", False, 3),
        ("disallow: /\nallow: /fish*\n", "/fish.html", True, 3),
        ("disallow: /*.php$\n", "/a.php", False, 2),
        ("disallow: /*.php$\n", "/a.php?x=1", True, None),  # `$` anchors the query too
        ("disallow: /a$b\n", "/a$b/c", False, 2),  # a `$` not at the end is literal
        ("disallow: /x*y*z\n", "/x--y--zz", False, 2),
        ("disallow: /x*y*z\n", "/x--z--y", True, None),
        ("disallow: /Fish\n", "/fish", True, None),  # paths are case-sensitive
        ("disallow:\n", "/anything", True, 2),  # an empty rule matches but never disallows
        ("disallow: /\n", "https://h/page#frag", False, 2),
        ("disallow: /q?a=1\n", "https://h/q?a=1&b=2", False, 2),  # the query is matched
    ],
)
def test_rfc9309_2_2_2_longest_match(
    rules: str, url: str, expected: bool, line: int | None
) -> None:
    verdict = parse_robots("user-agent: *\n" + rules).verdict(url, UA)
    assert verdict.allowed is expected
    assert verdict.line == line


def test_rfc9309_2_2_2_verdict_names_rule_and_line() -> None:
    v = parse_robots("user-agent: *\n\n# c\nDisallow: /private/ # keep out\n").verdict(
        "https://example.org/private/x", "any"
    )
    assert (v.allowed, v.rule, v.line) == (False, "Disallow: /private/", 4)


@pytest.mark.parametrize(
    ("rule", "url", "expected"),
    [
        ("/foo/bar/ツ", "/foo/bar/%E3%83%84", True),
        ("/foo/bar/%e3%83%84", "/foo/bar/%E3%83%84", True),  # escapes upper-cased in rules
        ("/foo/bar/%E3%83%84", "/foo/bar/%e3%83%84", True),  # ... and in URLs
        ("/foo/bar/%E3%83%84", "/foo/bar/ツ", False),  # the URL must come percent-encoded
        ("/foo/bar/%62%61%7A", "/foo/bar/baz", False),  # unreserved escapes are not decoded
        ("/a%3cd.html", "/a%3Cd.html", True),
    ],
)
def test_rfc9309_2_2_2_percent_encoding(rule: str, url: str, expected: bool) -> None:
    robots = f"user-agent: FooBot\ndisallow: /\nallow: {rule}\n"
    assert allowed(robots, "http://foo.bar" + url) is expected


def test_normalize_url_encodes_iris_for_the_pipeline() -> None:
    assert normalize_url("http://h/foo/ツ?q=%e3") == "http://h/foo/%E3%83%84?q=%E3"
    robots = "user-agent: FooBot\ndisallow: /\nallow: /foo/bar/ツ\n"
    assert allowed(robots, normalize_url("http://foo.bar/foo/bar/ツ"))


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("/a/b", "/a/b"), ("á", "%C3%A1"), ("%aa", "%AA"), ("%zz%", "%zz%"), ("%2f%2F", "%2F%2F")],
)
def test_rfc9309_2_2_2_escape_pattern(raw: str, escaped: str) -> None:
    assert escape_pattern(raw.encode("utf-8").decode("latin-1")) == escaped


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("", "/"),
        ("http://www.example.com", "/"),
        ("http://www.example.com/a/b?c=http://d.e/", "/a/b?c=http://d.e/"),
        ("example.com/a/b?c=d&e=f#fragment", "/a/b?c=d&e=f"),
        ("example.com?a", "/?a"),
        ("a/b", "/b"),
        ("//a/b/c", "/b/c"),
        ("/a;b#c", "/a;b"),
        ("http://h#x/y", "/"),
    ],
)
def test_path_from_url(url: str, path: str) -> None:
    assert path_from_url(url) == path


# --- 2.2.4 and line syntax -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("robots", "url", "expected"),
    [
        ("USER-AGENT: FooBot\nDISALLOW: /x\n", "/x", False),  # keys are case-insensitive
        ("user-agent: FooBot\r\ndisallow: /x\r\n", "/x", False),
        ("user-agent: FooBot\rdisallow: /x\r", "/x", False),  # old Mac line ends
        ("\ufeffuser-agent: FooBot\ndisallow: /x\n", "/x", False),  # BOM skipped
        (b"\xef\xbbuser-agent: FooBot\ndisallow: /x\n", "/x", False),  # partial BOM too
        ("user-agent: FooBot # note\ndisallow: /x # note\n", "/x", False),
        ("user-agent FooBot\ndisallow /x\n", "/x", False),  # Google-only: missing colon
        ("user-agent: FooBot\ndissallow: /x\n", "/x", False),  # Google-only: typo accepted
        ("user-agent: FooBot\nfoo: bar baz\ndisallow: /x\n", "/x", False),
        (b"user-agent: FooBot\ndisallow: /x\x00/y\n", "/x", False),  # NUL ends the line
        ("user-agent: FooBot\n   disallow   :   /x   \n", "/x", False),
        ("user-agent: FooBot\nallow: /index.html\ndisallow: /\n", "/", True),  # Google-only
        (b"user-agent: FooBot\ndisallow: /\xff\n", "/%FF", False),  # invalid UTF-8 octets
    ],
)
def test_rfc9309_2_2_4_line_syntax(robots: str | bytes, url: str, expected: bool) -> None:
    assert allowed(robots, url) is expected


def test_google_line_too_long_is_cut() -> None:
    long_rule = "/x/" + "a" * 20000
    robots = f"user-agent: FooBot\ndisallow: {long_rule}\n"
    cut = long_rule[: 16663 - len("disallow: ")]
    assert not allowed(robots, cut + "zzz")
    assert allowed(robots, "/x/b")


def test_rfc9309_2_5_parses_500_kib_and_drops_the_rest() -> None:
    head = "user-agent: FooBot\ndisallow: /early\n"
    filler = "# " + "x" * 98 + "\n"
    body = head + filler * (MAX_ROBOTS_BYTES // len(filler)) + "disallow: /late\n"
    assert len(body.encode()) > MAX_ROBOTS_BYTES
    robots = parse_robots(body)
    assert robots.truncated
    assert not robots.allowed("/early", UA)
    assert robots.allowed("/late", UA)  # beyond the limit: never parsed
    small = parse_robots(head)
    assert not small.truncated


# --- 2.3.1: status codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, False),
        (204, False),
        (301, True),
        (400, True),
        (401, True),
        (403, True),
        (404, True),
        (410, True),
        (429, False),
        (500, False),
        (503, False),
        (599, False),
        (None, False),
        (100, False),
    ],
)
def test_rfc9309_2_3_1_status_codes(status: int | None, expected: bool) -> None:
    robots = robots_for_status(status, b"user-agent: *\ndisallow: /private\n")
    verdict = robots.verdict("https://h/private/x", UA)
    assert verdict.allowed is expected
    if status is None or not 200 <= status < 300:
        assert verdict.rule is None and "RFC 9309 2.3.1" in verdict.note


@pytest.mark.parametrize(("status", "content"), [(0, b""), (600, b""), (200, None), (-1, b"")])
def test_rfc9309_2_3_1_bad_status_raises(status: int, content: bytes | None) -> None:
    with pytest.raises(ValueError, match=str(status)):
        robots_for_status(status, content)


# --- the wildcard matcher against the RFC's rule, transcribed naively --------------------------


def _reference_match(path: str, pattern: str) -> bool:
    """2.2.3: `*` = any sequence, a final `$` = end of path; otherwise a prefix match."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = "".join(".*" if c == "*" else re.escape(c) for c in body)
    return re.match(regex + (r"\Z" if anchored else ""), path, re.DOTALL) is not None


def test_rfc9309_2_2_3_wildcards_match_reference_on_random_cases() -> None:
    rng = random.Random(9309)
    alphabet = "ab/*$"
    for _ in range(3000):
        pattern = "/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        path = "/" + "".join(rng.choice("ab/$") for _ in range(rng.randint(0, 8)))
        expected = not _reference_match(path, pattern)
        # As a full URL: a bare `//b` would read as a host name (path_from_url).
        got = allowed(f"user-agent: *\ndisallow: {pattern}\n", "http://h" + path)
        assert got is expected, (pattern, path)


def test_many_wildcards_do_not_backtrack() -> None:
    robots = parse_robots("user-agent: *\ndisallow: /" + "*a" * 60 + "*b\n")
    assert robots.allowed("/" + "a" * 5000, UA)  # linear scan, returns at once


# --- Google's suites (../shared/data/robotstxt-conformance) ---------------------------------------

# Google-specific rows we deliberately do not follow: none. We follow all of them (missing
# colon, key typos, `* foo` as global, user agent up to the first space, index.html as its
# directory, 16,663-byte lines, BOM prefixes); they only read more files the way site owners
# meant, and the robots_test rows pass as written.
GOOGLE_ROWS_NOT_FOLLOWED: frozenset[str] = frozenset()

SUITES = {
    "google_robotstxt_spec_test.jsonl": 146,
    "google_robotstxt_robots_test.jsonl": 145,
}


@pytest.mark.parametrize(("name", "rows"), SUITES.items())
def test_rfc9309_google_conformance_suite(shared_data, name: str, rows: int) -> None:
    path = shared_data / "robotstxt-conformance" / name
    failures = []
    count = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["semantics"] != "rfc9309+google" or row["id"] in GOOGLE_ROWS_NOT_FOLLOWED:
                continue
            count += 1
            body = base64.b64decode(row["robots_txt_base64"])
            got = parse_robots(body).verdict(row["url"], row["user_agent"]).allowed
            if got != row["expected_allowed"]:
                failures.append(f"{row['id']} {row['test']} {row['url'][:60]!r}")
    assert count == rows
    assert failures == []


def test_realworld_corpus_parses_without_exceptions(shared_data) -> None:
    import gzip

    path = shared_data / "robotstxt-realworld-protego" / "robots_corpus.jsonl.gz"
    parsed = 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 4:  # every 4th file keeps the test quick; the benchmark parses them all
                continue
            row = json.loads(line)
            body = (
                base64.b64decode(row["robots_txt_base64"])
                if "robots_txt_base64" in row
                else row["robots_txt"]
            )
            robots = parse_robots(body)
            robots.verdict(f"https://{row['domain']}/some/path?q=1", "corpusgate-bot")
            parsed += 1
    assert parsed > 1000
