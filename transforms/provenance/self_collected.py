"""Self-collected data (GB/T 45654-2025 4.1.3 b, B.2.1.1.3 b): did the site let us collect this
page when we collected it?

The page is judged by the robots.txt snapshot in force at its collection time, read as the
user agent the registry entry names (`crawl_record`), then by the page's own opt-out signals
kept from its HTTP response: X-Robots-Tag, robots metas, TDMRep (`optout`). The crawl record
and every snapshot are loaded and verified once, on the launcher; a source whose crawl record
is missing, changed or malformed is refused whole (`no_crawl_record`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corpusgate.schemas.reasons import NO_CRAWL_RECORD, OPTOUT, ROBOTS
from corpusgate.schemas.records import Record
from corpusgate.transforms.common.yamlfile import YamlError, load_yaml
from corpusgate.transforms.provenance.crawl_record import CrawlRecord, load_crawl_record
from corpusgate.transforms.provenance.evidence import Shortener, entry_relative
from corpusgate.transforms.provenance.optout import check_optout
from corpusgate.transforms.provenance.robots import user_agent_token
from corpusgate.transforms.spine.checks import (
    SourceFacts,
    Verdict,
    decision,
    keep,
    quarantine,
)

ROBOTS_SNAPSHOT = "robots_snapshot"  # the evidence role of the snapshot a page was judged by


class SelfCollectedCheck:
    def __init__(self, facts: SourceFacts) -> None:
        self.refusal: Verdict | None = None
        self.crawl: CrawlRecord | None = None
        self.snapshot_files: Mapping[str, str] = {}
        self._shorten = Shortener()
        records = facts.evidence_paths("crawl_record")
        if len(records) != 1:
            self.refusal = quarantine(
                ROBOTS,
                NO_CRAWL_RECORD,
                f"the entry references {len(records)} crawl records; expected exactly one",
            )
            return
        path, recorded = records[0]
        shown = entry_relative(facts, path)
        try:
            crawl = load_crawl_record(path, recorded)
            self.snapshot_files = _snapshot_files(facts, path)
        except (ValueError, YamlError) as err:
            why = str(err).replace(f"crawl record {path}: ", "").replace(path, shown)
            self.refusal = quarantine(
                ROBOTS, NO_CRAWL_RECORD, f"crawl record {shown} unusable: {why}"
            )
            return
        user_agent = facts.extra.get("user_agent")
        if user_agent is not None:
            if not isinstance(user_agent, str) or not user_agent.strip():
                self.refusal = quarantine(
                    ROBOTS,
                    NO_CRAWL_RECORD,
                    f"the entry's user_agent {user_agent!r} names no crawler",
                )
                return
            # The entry names the agent the pages were fetched as; the crawl record's own
            # user_agent is only its default.
            crawl.user_agent = user_agent
        self.crawl = crawl
        self._shorten = Shortener(((crawl.source, shown),))

    def check(self, record: Record) -> Verdict:
        if self.refusal is not None:
            return self.refusal
        assert self.crawl is not None
        lineage = record["lineage"]
        url = lineage.get("url")
        if not url:
            return quarantine(
                ROBOTS,
                NO_CRAWL_RECORD,
                "the page has no URL: no robots.txt snapshot can apply to it",
            )
        robots = self.crawl.check_page(url, lineage.get("collected_at"))
        changes: dict[str, Any] = {}
        if robots.snapshot_sha256:
            snapshot = {
                "role": ROBOTS_SNAPSHOT,
                "path": self.snapshot_files.get(robots.snapshot_sha256, ""),
                "sha256": robots.snapshot_sha256,
            }
            changes["evidence"] = [*lineage["evidence"], snapshot]
        if not robots.ok:
            return quarantine(ROBOTS, robots.reason, self._shorten(robots.detail), lineage=changes)
        passed = (decision(ROBOTS, detail=self._shorten(robots.detail)),)
        extras: Mapping[str, Any] = record.get("_extras") or {}  # type: ignore[assignment]
        if not extras:
            return keep(
                OPTOUT,
                "no response headers or HTML kept: not checked",
                passed=passed,
                lineage=changes,
            )
        optout = check_optout(
            extras.get("http_headers") or [],
            extras.get("html"),
            user_agent_token(self.crawl.user_agent).token,
        )
        if not optout.ok:
            return quarantine(
                OPTOUT,
                optout.reason,
                f"opted out by {optout.detail}",
                passed=passed,
                lineage=changes,
            )
        return keep(
            OPTOUT, "no opt-out signal in headers or HTML head", passed=passed, lineage=changes
        )


def _snapshot_files(facts: SourceFacts, crawl_path: str) -> dict[str, str]:
    """sha256 -> snapshot file (entry-relative), from the crawl record just verified."""
    doc = load_yaml(crawl_path).data
    base = Path(crawl_path).parent
    files: dict[str, str] = {}
    for snapshots in (doc.get("hosts") or {}).values():
        for snap in snapshots or []:
            if isinstance(snap, dict) and snap.get("file") and snap.get("sha256"):
                full = str((base / str(snap["file"])).resolve())
                files[str(snap["sha256"]).lower()] = entry_relative(facts, full)
    return files
