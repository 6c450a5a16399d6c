"""Crawl records: loading and verifying snapshots, and the robots check of each page."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from corpusgate.schemas.reasons import NO_COLLECTION_TIME, NO_CRAWL_RECORD, ROBOTS_DISALLOWED
from corpusgate.transforms.provenance.crawl_record import load_crawl_record

MAY = b"User-agent: *\nDisallow: /private/\n\nUser-agent: corpusgate-demo-bot\nDisallow: /drafts/\n"
JUNE = b"User-agent: *\nDisallow: /\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(tmp_path: Path, record: str, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    path = tmp_path / "crawl.yaml"
    path.write_text(record, encoding="utf-8")
    return path


RECORD = f"""\
user_agent: corpusgate-demo-bot
hosts:
  Example.org:
    - file: robots/example.org-2024-05-01.txt
      sha256: {_sha(MAY)}
      fetched_at: 2024-05-01T00:00:00Z
      status: 200
    - {{file: robots/example.org-2024-06-01.txt, sha256: {_sha(JUNE)},
        fetched_at: "2024-06-01T00:00:00+08:00", status: 200}}
    - {{fetched_at: 2024-07-01T00:00:00Z, status: 503}}
    - {{fetched_at: 2024-08-01T00:00:00Z, status: unreachable}}
    - {{fetched_at: 2024-09-01T00:00:00Z, status: 404}}
  shop.example.com:8080:
    - {{fetched_at: 2024-05-01T00:00:00Z, status: 404}}
"""
FILES = {"robots/example.org-2024-05-01.txt": MAY, "robots/example.org-2024-06-01.txt": JUNE}


@pytest.fixture
def record(tmp_path: Path):
    return load_crawl_record(_write(tmp_path, RECORD, FILES))


def t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "collected", "ok", "reason", "in_detail"),
    [
        ("https://example.org/public", "2024-05-02", True, "", "no rule matched"),
        # The record's user agent has its own group, which hides the '*' group.
        ("https://example.org/private/a", "2024-05-02", True, "", "corpusgate-demo-bot"),
        (
            "https://example.org/drafts/a",
            "2024-05-02",
            False,
            ROBOTS_DISALLOWED,
            "Disallow: /drafts/ (line 5)",
        ),
        ("http://EXAMPLE.ORG:80/drafts/a", "2024-05-02", False, ROBOTS_DISALLOWED, "line 5"),
        # The snapshot in force is the newest at or before collection: June disallows all.
        ("https://example.org/public", "2024-06-15", False, ROBOTS_DISALLOWED, _sha(JUNE)[:12]),
        # Exactly at a fetch time, that snapshot is in force (June 1st +08:00 = May 31st 16:00Z).
        (
            "https://example.org/public",
            "2024-05-31T16:00:00",
            False,
            ROBOTS_DISALLOWED,
            "Disallow: /",
        ),
        ("https://example.org/public", "2024-05-31T15:59:59", True, "", _sha(MAY)[:12]),
        ("https://example.org/public", "2024-07-02", False, ROBOTS_DISALLOWED, "status 503"),
        ("https://example.org/public", "2024-08-02", False, ROBOTS_DISALLOWED, "unreachable"),
        ("https://example.org/drafts/a", "2024-09-02", True, "", "status 404"),
        ("https://example.org/public", "2024-04-30", False, NO_CRAWL_RECORD, "before the first"),
        ("https://other.org/public", "2024-05-02", False, NO_CRAWL_RECORD, "other.org"),
        ("https://shop.example.com:8080/x", "2024-05-02", True, "", "status 404"),
        ("https://shop.example.com/x", "2024-05-02", False, NO_CRAWL_RECORD, "shop.example.com"),
        ("not a url", "2024-05-02", False, NO_CRAWL_RECORD, "(none)"),
    ],
)
def test_check_page(
    record, url: str, collected: str, ok: bool, reason: str, in_detail: str
) -> None:
    verdict = record.check_page(url, t(collected))
    assert (verdict.ok, verdict.reason) == (ok, reason)
    assert in_detail in verdict.detail


def test_no_collection_time(record) -> None:
    verdict = record.check_page("https://example.org/public", None)
    assert (verdict.ok, verdict.reason) == (False, NO_COLLECTION_TIME)


def test_verdict_carries_snapshot_hash_for_lineage(record) -> None:
    assert record.check_page("https://example.org/a", t("2024-05-02")).snapshot_sha256 == _sha(MAY)
    assert record.check_page("https://example.org/a", t("2024-07-02")).snapshot_sha256 is None


def test_iri_urls_are_percent_encoded_before_matching(tmp_path: Path) -> None:
    robots = "User-agent: *\nDisallow: /文档/\n".encode()
    text = f"""user_agent: bot
hosts:
  例子.cn:
    - {{file: r.txt, sha256: {_sha(robots)}, fetched_at: 2024-01-01T00:00:00Z, status: 200}}
"""
    record = load_crawl_record(_write(tmp_path, text, {"r.txt": robots}))
    assert record.check_page("https://例子.cn/文档/a", t("2024-02-01")).reason == ROBOTS_DISALLOWED
    assert (
        record.check_page("https://xn--fsqu00a.cn/%E6%96%87%E6%A1%A3/a", t("2024-02-01")).reason
        == ROBOTS_DISALLOWED
    )
    assert record.check_page("https://例子.cn/其他", t("2024-02-01")).ok


def test_naive_collection_time_is_taken_as_utc(record) -> None:
    naive = datetime(2024, 5, 31, 15, 59, 59)
    assert record.check_page("https://example.org/x", naive).ok
    beijing = datetime(2024, 6, 1, 0, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    assert not record.check_page("https://example.org/x", beijing).ok


def test_snapshot_is_not_reread_after_verification(tmp_path: Path) -> None:
    path = _write(tmp_path, RECORD, FILES)
    record = load_crawl_record(path)
    (tmp_path / "robots/example.org-2024-05-01.txt").write_bytes(b"User-agent: *\nDisallow: /\n")
    assert record.check_page("https://example.org/public", t("2024-05-02")).ok


def test_registry_sha256_of_the_record_itself(tmp_path: Path) -> None:
    path = _write(tmp_path, RECORD, FILES)
    load_crawl_record(path, expected_sha256=_sha(path.read_bytes()))
    with pytest.raises(ValueError, match="registry entry"):
        load_crawl_record(path, expected_sha256="0" * 64)


@pytest.mark.parametrize(
    ("record_text", "files", "message"),
    [
        (
            RECORD.replace(_sha(MAY), "a" * 64),
            FILES,
            r"host Example\.org, snapshot 1 \(line 4\).*sha256",
        ),
        (RECORD, {"robots/example.org-2024-06-01.txt": JUNE}, r"host Example\.org.*missing"),
        (RECORD.replace("2024-05-01T00:00:00Z\n", "2024-05-01T00:00:00\n"), FILES, "no timezone"),
        (RECORD.replace("status: 503", "status: 999"), FILES, r"snapshot 3 .*status 999"),
        (RECORD.replace("status: 503", "status: gone"), FILES, "status 'gone'"),
        (
            RECORD.replace("user_agent: corpusgate-demo-bot", "user_agent: ' '"),
            FILES,
            "user_agent is empty",
        ),
        (RECORD.replace("      status: 200\n", "", 1), FILES, "status is missing"),
        (
            RECORD.replace("fetched_at: 2024-09-01T00:00:00Z", "fetched_at: 2024-08-01T00:00:00Z"),
            FILES,
            "share a fetched_at",
        ),
        (
            "user_agent: bot\nhosts:\n  https://x.org/:\n    - {status: 404, fetched_at: 2024-01-01T00:00:00Z}\n",
            {},
            "expected a host name",
        ),
        (
            "user_agent: bot\nhosts:\n  x.org:\n    - {status: 200, fetched_at: 2024-01-01T00:00:00Z}\n",
            {},
            "needs the robots.txt file",
        ),
        ("user_agent: bot\nhosts: {}\n", {}, "non-empty"),
        ("user_agent: bot\nhost: {}\n", {}, r"unknown key\(s\) \['host'\]"),
        ("- just a list\n", {}, "expected a mapping"),
        ("user_agent: [unclosed\n", {}, "not valid YAML"),
    ],
)
def test_bad_records_raise_naming_the_problem(
    tmp_path: Path, record_text: str, files: dict[str, bytes], message: str
) -> None:
    path = _write(tmp_path, record_text, files)
    with pytest.raises(ValueError, match=message):
        load_crawl_record(path)


def test_missing_record_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_crawl_record(tmp_path / "absent.yaml")
