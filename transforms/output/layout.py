"""Where a run's output lives, and how its files are cut.

    OUTPUT/
      manifest.json              the publication: a copy of the current run's manifest plus
                                 `run_dir`; written last, atomically (the pointer)
      runs/RUN_ID/
        shards/part-00000.parquet        kept records
        quarantine/part-00000.parquet    removed records, each with check, reason, raw bytes
        index/<bucket>.parquet           record_id -> file + row, sorted (what `audit` reads)
        index/<kind>/<bucket>.parquet    lookups a check asked for (pii_subjects for `forget`)
        reports/sources.{txt,json,html}  the per-source report
        files.parquet                    every file: kind, path, rows, bytes, sha256
        manifest.json                    this run's totals and per-source counts (small)
        _run/                            what the launcher settled for the workers, the summary
        _tmp/                            pieces and sorted runs before finalizing (deleted)

A run never writes outside its own folder until it publishes by replacing OUTPUT/manifest.json,
so a kill at any moment leaves the previous publication whole, and earlier runs stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, field_validator

from corpusgate.transforms.common.files import join
from corpusgate.transforms.common.settings import Settings

MANIFEST = "manifest.json"
FILES_TABLE = "files.parquet"
RUNS = "runs"
SHARDS = "shards"
QUARANTINE = "quarantine"
SIGNATURES = "signatures"  # dedup signatures of the kept records (transforms/dedup/published.py)
INDEX = "index"
REPORTS = "reports"


class ShardSettings(Settings):
    """Run config section `shards`: how output files are cut (the manifest records it)."""

    target_mb: float = Field(default=128.0, gt=0)  # written (compressed) size a shard aims at
    num_shards: int | None = Field(default=None, ge=1)  # exactly this many files per kind
    max_rows: int = Field(default=1_000_000, ge=1)  # no shard holds more rows than this
    row_group_rows: int = Field(default=5_000, ge=1)  # rows per Parquet row group, at most
    # A row group also closes once its rows hold this much text and raw bytes: each piece
    # writer (the shards' and one per quarantining stage) holds one row group in memory, and
    # 5,000 web pages can be hundreds of MiB. At 32 a run's memory grew until every writer's
    # group filled (461 -> 591 MiB from 5k to 50k records, checks off); at 4 it is flat (428
    # -> 471 MiB) and faster, and an `audit` reads a smaller row group.
    row_group_mb: float = Field(default=4.0, gt=0)

    @property
    def target_bytes(self) -> int:
        return int(self.target_mb * (1 << 20))

    @property
    def row_group_bytes(self) -> int:
        return int(self.row_group_mb * (1 << 20))


class IndexSettings(Settings):
    """Run config section `index`: the audit index's bucket count (a power of 16). The
    repeated-id pass cuts ids as finely, up to 256 partitions (`unique_ids`)."""

    # 4,096 buckets hold about 250,000 ids each at 10^9 records: `audit` reads one small file.
    buckets: int = 4096

    @field_validator("buckets")
    @classmethod
    def _power_of_16(cls, value: int) -> int:
        if value not in (16, 256, 4096, 65536):
            raise ValueError("must be 16, 256, 4096 or 65536 (one to four hex digits of the id)")
        return value

    @property
    def digits(self) -> int:
        return {16: 1, 256: 2, 4096: 3, 65536: 4}[self.buckets]


def bucket_of(key: str, digits: int) -> str:
    """The bucket of a hex key (a record id, a subject key): its first `digits` hex digits."""
    return key[:digits]


@dataclass(frozen=True)
class RunLayout:
    """The locations of one run under an output (local folder or bucket prefix)."""

    output: str
    run_id: str

    @property
    def pointer(self) -> str:
        return join(self.output, MANIFEST)

    @property
    def run_dir(self) -> str:
        return join(self.output, RUNS, self.run_id)

    def path(self, relative: str) -> str:
        """A location inside the run folder from a path relative to it."""
        return join(self.run_dir, relative)

    @property
    def tmp(self) -> str:
        return join(self.run_dir, "_tmp")

    @property
    def settled(self) -> str:
        return join(self.run_dir, "_run", "settled")

    @property
    def summary(self) -> str:
        return join(self.run_dir, "_run", "summary.json")

    @property
    def owner(self) -> str:
        return join(self.run_dir, "_run", "owner.json")

    @property
    def manifest(self) -> str:
        return join(self.run_dir, MANIFEST)

    @property
    def files_table(self) -> str:
        return join(self.run_dir, FILES_TABLE)
