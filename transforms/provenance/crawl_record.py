"""Crawl records of self-collected sources, and the robots.txt check of each page (4.1.3 b).

A self-collected source's registry entry references one crawl record file (by path and
sha256). The record holds, per host, the robots.txt snapshots the crawler fetched; each page's
collection time comes with the page. A page is judged by the snapshot *in force* when it was
collected: the newest snapshot fetched at or before that time, read with the user agent the
record names.

Format (YAML; file paths are relative to the crawl record file)::

    user_agent: corpusgate-demo-bot        # the crawler's product token ([A-Za-z_-]+)
    hosts:
      example.org:                         # host, or host:port for a non-default port
        - file: robots/example.org-2024-05-01.txt
          sha256: 9f86d081884c7d65...      # of the file's bytes; checked on load
          fetched_at: 2024-05-01T00:00:00Z # timezone required
          status: 200                      # final HTTP status of the robots.txt fetch
        - fetched_at: 2024-06-01T00:00:00Z
          status: 503                      # 5xx: everything disallowed until the next snapshot
        - fetched_at: 2024-07-01T00:00:00Z
          status: unreachable              # no HTTP answer (DNS, timeout): disallowed
        - fetched_at: 2024-08-01T00:00:00Z
          status: 404                      # 4xx: no robots.txt, everything allowed

`file` and `sha256` are required for a 2xx status and optional otherwise (a 404 body is
evidence worth keeping but is not parsed). A host matches the URL's host case-insensitively,
for either scheme; ports 80 and 443 are the default ones. Status rules: see
`corpusgate.transforms.provenance.robots.robots_for_status`.

RobotsResult reasons: `robots_disallowed`; `no_crawl_record` (no snapshot for the host, or the page
was collected before the first one); `no_collection_time`. Page URLs are normalised first
(non-ASCII percent-encoded as UTF-8), since datasets often store IRIs while the crawler fetched
the encoded URI.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from corpusgate.schemas.reasons import NO_COLLECTION_TIME, NO_CRAWL_RECORD, ROBOTS_DISALLOWED
from corpusgate.transforms.provenance.robots import (
    RobotsTxt,
    normalize_url,
    robots_for_status,
    user_agent_token,
)

__all__ = ["CrawlRecord", "RobotsResult", "RobotsSnapshot", "load_crawl_record"]

UNREACHABLE = "unreachable"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class RobotsResult:
    ok: bool
    reason: str = ""  # a code from corpusgate.schemas.reasons when not ok
    detail: str = ""
    snapshot_sha256: str | None = None  # evidence reference for the record's lineage


@dataclass(frozen=True)
class RobotsSnapshot:
    host: str
    fetched_at: datetime
    status: int | None  # None = unreachable
    path: Path | None
    sha256: str | None
    # The verified bytes themselves: parsing re-reads nothing that could change after the check.
    content: bytes | None = field(default=None, repr=False)

    def describe(self) -> str:
        status = UNREACHABLE if self.status is None else str(self.status)
        sha = f"sha256 {self.sha256[:12]}, " if self.sha256 else ""
        return f"robots.txt snapshot ({sha}fetched {_iso(self.fetched_at)}, status {status})"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _host_key(host: str, port: int | None, scheme: str | None = None) -> str:
    host = host.lower().rstrip(".")
    # A host IDNA cannot encode stays as written: it then matches nothing else.
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    default = _DEFAULT_PORTS.get(scheme) if scheme else None
    if port is None or port == default or (scheme is None and port in (80, 443)):
        return host
    return f"{host}:{port}"


class CrawlRecord:
    """Snapshots per host; `check_page` answers one page. Parses each snapshot once."""

    def __init__(
        self, user_agent: str, snapshots: dict[str, list[RobotsSnapshot]], source: str = "<memory>"
    ) -> None:
        if not user_agent.strip():
            raise ValueError(f"{source}: user_agent is empty; give the crawler's name")
        self.user_agent = user_agent
        self.source = source
        self._snapshots = {h: sorted(s, key=lambda x: x.fetched_at) for h, s in snapshots.items()}
        self._times = {h: [x.fetched_at for x in s] for h, s in self._snapshots.items()}
        self._parsed: dict[tuple[str, int], RobotsTxt] = {}

    @property
    def hosts(self) -> list[str]:
        return sorted(self._snapshots)

    def snapshot_for(self, host: str, collected_at: datetime) -> RobotsSnapshot | None:
        times = self._times.get(host)
        if not times:
            return None
        i = bisect.bisect_right(times, _aware(collected_at))
        return self._snapshots[host][i - 1] if i else None

    def check_page(self, url: str, collected_at: datetime | None) -> RobotsResult:
        if collected_at is None:
            return RobotsResult(False, NO_COLLECTION_TIME, "the page has no collection time")
        collected_at = _aware(collected_at)
        try:
            parts = urlsplit(url)
            host = _host_key(parts.hostname or "", parts.port, parts.scheme.lower())
        except ValueError:
            host = ""
        if not host or host not in self._snapshots:
            return RobotsResult(
                False,
                NO_CRAWL_RECORD,
                f"no robots.txt snapshot for host {host or '(none)'!r} in {self.source}",
            )
        index = bisect.bisect_right(self._times[host], collected_at)
        if index == 0:
            first = self._snapshots[host][0]
            return RobotsResult(
                False,
                NO_CRAWL_RECORD,
                f"collected {_iso(collected_at)}, before the first robots.txt snapshot "
                f"of {host} ({_iso(first.fetched_at)})",
            )
        snapshot = self._snapshots[host][index - 1]
        agent = user_agent_token(self.user_agent)
        verdict = self._robots(host, index - 1).verdict_for(normalize_url(url), agent)
        why = f"{verdict.rule} (line {verdict.line})" if verdict.rule is not None else verdict.note
        named = (
            self.user_agent
            if agent.token == self.user_agent.lower()
            else (f"{self.user_agent} (matched as {agent.token!r})")
        )
        detail = f"{snapshot.describe()}, user agent {named}: {why}"
        if verdict.allowed:
            return RobotsResult(True, "", detail, snapshot.sha256)
        return RobotsResult(False, ROBOTS_DISALLOWED, detail, snapshot.sha256)

    def _robots(self, host: str, index: int) -> RobotsTxt:
        key = (host, index)
        robots = self._parsed.get(key)
        if robots is None:
            snap = self._snapshots[host][index]
            robots = robots_for_status(snap.status, snap.content)
            self._parsed[key] = robots
        return robots


def _aware(moment: datetime) -> datetime:
    # Records' collected_at is normalised to UTC upstream; a naive value is taken as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def load_crawl_record(path: str | Path, expected_sha256: str | None = None) -> CrawlRecord:
    """Load and verify a crawl record: the file's own sha256 (when the registry gives it) and
    every snapshot file's. Raises ValueError naming the file, host and line of a problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ValueError(f"crawl record {path}: cannot read ({err.strerror})") from err
    if expected_sha256 is not None and hashlib.sha256(raw).hexdigest() != expected_sha256.lower():
        raise ValueError(f"crawl record {path}: sha256 differs from the registry entry's")
    try:
        root = yaml.compose(raw.decode("utf-8"), Loader=yaml.SafeLoader)
        data = yaml.safe_load(raw)
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ValueError(f"crawl record {path}: not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"crawl record {path}: expected a mapping with user_agent and hosts")
    unknown = set(data) - {"user_agent", "hosts"}
    if unknown:
        raise ValueError(f"crawl record {path}: unknown key(s) {sorted(unknown)}")
    user_agent = data.get("user_agent")
    if not isinstance(user_agent, str):
        raise ValueError(f"crawl record {path}: user_agent is missing or not a string")
    hosts = data.get("hosts")
    if not isinstance(hosts, dict) or not hosts:
        raise ValueError(f"crawl record {path}: hosts must be a non-empty mapping")
    lines = _snapshot_lines(root)
    snapshots: dict[str, list[RobotsSnapshot]] = {}
    for host_value, entries in hosts.items():
        where = f"crawl record {path}, host {host_value}"
        host = _parse_host(str(host_value), where)
        if host in snapshots:
            raise ValueError(f"{where}: host listed twice (as {host})")
        if not isinstance(entries, list) or not entries:
            raise ValueError(f"{where}: expected a non-empty list of snapshots")
        host_snaps = []
        for i, entry in enumerate(entries):
            line = lines.get((str(host_value), i))
            at = f"{where}, snapshot {i + 1}" + (f" (line {line})" if line else "")
            host_snaps.append(_snapshot(entry, host, path.parent, at))
        times = [s.fetched_at for s in host_snaps]
        if len(set(times)) != len(times):
            raise ValueError(f"{where}: two snapshots share a fetched_at")
        snapshots[host] = host_snaps
    return CrawlRecord(user_agent, snapshots, source=str(path))


def _parse_host(value: str, where: str) -> str:
    candidate = value.strip()
    if not candidate or any(c in candidate for c in "/?#@ ") or "://" in candidate:
        raise ValueError(f"{where}: expected a host name (or host:port), not {value!r}")
    try:
        parts = urlsplit("//" + candidate)
        return _host_key(parts.hostname or "", parts.port)
    except ValueError as err:
        raise ValueError(f"{where}: bad host {value!r}: {err}") from err


def _snapshot(entry: Any, host: str, base: Path, at: str) -> RobotsSnapshot:
    if not isinstance(entry, dict):
        raise ValueError(f"{at}: expected a mapping with fetched_at and status")
    unknown = set(entry) - {"file", "sha256", "fetched_at", "status"}
    if unknown:
        raise ValueError(f"{at}: unknown key(s) {sorted(unknown)}")
    fetched_at = _fetched_at(entry.get("fetched_at"), at)
    if "status" not in entry:
        raise ValueError(f"{at}: status is missing (an HTTP code, or '{UNREACHABLE}')")
    status = _status(entry["status"], at)
    file_value, sha = entry.get("file"), entry.get("sha256")
    if status is not None and 200 <= status < 300 and file_value is None:
        raise ValueError(f"{at}: status {status} needs the robots.txt file and its sha256")
    if file_value is None:
        if sha is not None:
            raise ValueError(f"{at}: sha256 given without a file")
        return RobotsSnapshot(host, fetched_at, status, None, None)
    if not isinstance(sha, str) or len(sha) != 64:
        raise ValueError(f"{at}: file {file_value} needs its sha256 (64 hex digits)")
    file_path = (base / str(file_value)).resolve()
    try:
        content = file_path.read_bytes()
    except OSError as err:
        raise ValueError(
            f"{at}: robots.txt file {file_path} is missing or unreadable ({err.strerror})"
        ) from err
    if hashlib.sha256(content).hexdigest() != sha.lower():
        raise ValueError(
            f"{at}: sha256 of {file_path} does not match the record "
            "(the snapshot was changed after it was recorded)"
        )
    return RobotsSnapshot(host, fetched_at, status, file_path, sha.lower(), content)


def _fetched_at(value: Any, at: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as err:
            raise ValueError(f"{at}: fetched_at {value!r} is not an ISO 8601 time") from err
    if not isinstance(value, datetime):
        raise ValueError(f"{at}: fetched_at is missing or not a time ({value!r})")
    if value.tzinfo is None:
        raise ValueError(f"{at}: fetched_at {value.isoformat()} has no timezone (add Z or +08:00)")
    return value


def _status(value: Any, at: str) -> int | None:
    if value == UNREACHABLE:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise ValueError(f"{at}: status {value!r} is neither an HTTP code nor '{UNREACHABLE}'")
    return value


def _snapshot_lines(root: yaml.Node | None) -> dict[tuple[str, int], int]:
    """1-based line of each snapshot entry, so errors point into the file."""
    lines: dict[tuple[str, int], int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if getattr(key, "value", None) != "hosts" or not isinstance(value, yaml.MappingNode):
            continue
        for host_node, seq in value.value:
            if isinstance(seq, yaml.SequenceNode):
                for i, item in enumerate(seq.value):
                    lines[(str(host_node.value), i)] = item.start_mark.line + 1
    return lines
