"""Page-level opt-outs: X-Robots-Tag, meta robots (generic and bot-named), TDMRep."""

from __future__ import annotations

import pytest

from corpusgate.schemas.reasons import OPTOUT_DECLARED
from corpusgate.transforms.provenance.optout import check_optout, optout_signals

BOT = "corpusgate-bot"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("X-Robots-Tag", "noai")], ["x-robots-tag:noai"]),
        ([("x-robots-tag", " NoIndex , nofollow")], ["x-robots-tag:noindex"]),
        ([("X-Robots-Tag", "noai, noimageai")], ["x-robots-tag:noai", "x-robots-tag:noimageai"]),
        ([("X-Robots-Tag", "none")], ["x-robots-tag:none"]),
        ([("X-Robots-Tag", "nofollow, noarchive")], []),
        # Bot-scoped: binds the named bot only; the scope runs to the next bot name.
        ([("X-Robots-Tag", "corpusgate-bot: noai")], ["x-robots-tag:corpusgate-bot:noai"]),
        (
            [("X-Robots-Tag", "CorpusGate-Bot: noindex, noai")],
            ["x-robots-tag:corpusgate-bot:noindex", "x-robots-tag:corpusgate-bot:noai"],
        ),
        ([("X-Robots-Tag", "googlebot: noindex")], []),
        (
            [("X-Robots-Tag", "googlebot: nofollow, corpusgate-bot: noimageai")],
            ["x-robots-tag:corpusgate-bot:noimageai"],
        ),
        # A directive with a value is not a bot name, even with its colon.
        (
            [("X-Robots-Tag", "unavailable_after: 25 Jun 2030 15:00:00 PST, noai")],
            ["x-robots-tag:noai"],
        ),
        ([("X-Robots-Tag", "max-snippet: 20")], []),
        ([("tdm-reservation", "1")], ["tdm-reservation:1"]),
        ([("TDM-Reservation", " 1 ")], ["tdm-reservation:1"]),
        ([("tdm-reservation", "0")], []),  # rights explicitly not reserved
        ([("X-Robots-Tag", "noai"), ("X-Robots-Tag", "noai")], ["x-robots-tag:noai"]),
        ([("Content-Type", "text/html; noai")], []),
        ([], []),
    ],
)
def test_headers(headers: list[tuple[str, str]], expected: list[str]) -> None:
    assert optout_signals(headers, None, BOT) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta name="robots" content="noai, noimageai">',
            ["meta-robots:noai", "meta-robots:noimageai"],
        ),
        ("<META NAME=ROBOTS CONTENT=NOINDEX>", ["meta-robots:noindex"]),
        ("<meta content='noai' name='robots'/>", ["meta-robots:noai"]),
        ('<meta name="robots" content="index, follow">', []),
        ('<meta name="corpusgate-bot" content="noai">', ["meta-corpusgate-bot:noai"]),
        ('<meta name="googlebot" content="noindex">', []),
        ('<meta name="tdm-reservation" content="1">', ["tdm-reservation:1"]),
        ('<meta name="tdm-reservation" content="0">', []),
        ('<meta name="description" content="noai">', []),
        ('<meta property="robots" content="noai">', []),  # `property`, not `name`
        ('<meta name="robots" content="no&#97;i">', ["meta-robots:noai"]),  # entities decoded
        ('<!-- <meta name="robots" content="noai"> -->', []),
        ('<script>document.write(\'<meta name="robots" content="noai">\')</script>', []),
        ('<!-- unterminated <meta name="robots" content="noai">', []),
    ],
)
def test_meta(head: str, expected: list[str]) -> None:
    page = f"<!doctype html><html><head><title>t</title>{head}</head><body>x</body></html>"
    assert optout_signals([], page, BOT) == expected


def test_meta_in_body_is_ignored() -> None:
    page = '<html><head></head><body><meta name="robots" content="noai"></body></html>'
    assert optout_signals([], page, BOT) == []


def test_without_user_agent_only_generic_signals_count() -> None:
    page = '<head><meta name="corpusgate-bot" content="noai"><meta name="robots" content="noindex">'
    headers = [("X-Robots-Tag", "corpusgate-bot: noai")]
    assert optout_signals(headers, page) == ["meta-robots:noindex"]


def test_check_optout_reason_and_detail() -> None:
    verdict = check_optout([("X-Robots-Tag", "noai")], '<meta name="tdm-reservation" content="1">')
    assert (verdict.ok, verdict.reason) == (False, OPTOUT_DECLARED)
    assert verdict.detail == "x-robots-tag:noai, tdm-reservation:1"
    assert check_optout([], "<html><head></head></html>").ok


@pytest.mark.parametrize(
    ("page", "signals"),
    [
        (
            "<html><head>" + "<p>" * 300_000 + '<meta name="robots" content="noai">',
            ["meta-robots:noai"],
        ),
        ("<html><head><title>x</title></head><body>" + "<div>text</div>" * 80_000, []),
        (
            "<html><head>" + "<!-- c -->" * 20_000 + '<meta name="robots" content="noai"></head>',
            ["meta-robots:noai"],
        ),
    ],
)
def test_large_pages_are_read_to_the_end_of_the_head(page: str, signals: list[str]) -> None:
    # The scan is linear (each opener is searched for once per pass); a quadratic one would make
    # these pages take minutes, which the suite's time budget catches rather than a clock assert.
    assert len(page) > 150_000
    assert optout_signals([], page) == signals
