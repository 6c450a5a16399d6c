"""Run-config section `dedup`: what counts as a duplicate and which copy stays (GB/T 45654-2025
4.2.1, 4.2.2: duplicates are removed so the corpus a provider defends holds each text once).

```yaml
dedup:
  enabled: true
  exact: true                # normalised-text hash (NFKC, case, whitespace)
  near: true                 # MinHash (or SimHash) similarity
  method: minhash            # default method: minhash | simhash
  methods_by_kind: {user_input: simhash}   # per source kind (schemas.sources.KINDS)
  threshold: 0.6             # estimated Jaccard at or above which two records are near copies
  shingles: {chars: 3, words: 3, fold_chinese: true}
  minhash: {num_perm: 128, seed: 42}       # bands/rows derived from the threshold unless set
  simhash: {max_distance: 3, match_blocks: 2}
  keeper_sources: [zh-wiki-cmrc2018, web-crawl-2024-04]   # preferred first
  partitions: 64             # how finely each shuffle is cut (see below)
  against: [../out/2024-05]  # published outputs this run must not repeat (incremental)
```

Defaults and why:
- `threshold: 0.6` on 3-gram shingles: a text still counts as a copy with about one token in
  twelve changed (J = (1 - 3p) / (1 + 3p) for p spread edits), or when it shares three
  quarters of its shingles with a longer one: where edited reposts, template pages with
  another date and variant editions of one poem sit. Unrelated paragraphs of one genre stay
  under 0.3 (measured on WikiText and on 全唐诗); `benchmarks/dedup_poetry_eval.py` prints
  precision and recall at any threshold. At 0.5 / 0.6 / 0.7 on poetry: precision against
  the same work 1.00 at all three, recall of variant editions 0.97 / 0.93 / 0.87; decisions
  whose exact Jaccard to their keeper reaches the threshold 0.99 / 0.98 / 0.97.
- `chars: 3` for text in scripts written without spaces (Chinese, Japanese, Thai, ...) and
  `words: 3` for the others: three Chinese characters carry about what two or three English
  words do, so one threshold means about the same edit distance in both.
- `fold_chinese`: traditional and simplified forms of one character compare equal in the
  shingles (not in the exact hash), so a text reposted in the other script is a near copy.
- `minhash.num_perm: 128`: the estimate's standard error at J = 0.6 is 0.04; bands and rows
  are the fewest bands (the cheapest shuffle) that make a pair at the threshold a candidate
  with probability >= 0.98 (`lsh_shape`); candidates are verified by estimated Jaccard.
- `simhash.max_distance: 3` of 64 bits is Manku et al.'s setting for near-duplicate pages;
  the 64 bits are cut into `max_distance + match_blocks` blocks and two fingerprints are
  candidates when some `match_blocks` blocks agree (pigeonhole: no pair within the distance
  is missed).
- `partitions: 64`: every shuffle is cut into this many parts, and one worker holds one part
  of one step at a time: about records x bands / partitions band entries (24 bytes each)
  and records / partitions node rows (~0.7 KB). 64 keeps a part under ~200 MB up to ~30
  million records; raise it with the corpus (4,096 for two billion). Each part costs a
  little per step, so more than needed slows small runs (measured: 20,000 records took
  5.5 s with 64, 8.1 s with 256).
- `spill_mb: 8`: what a step buffers per worker before writing a run file; with the part
  size above, it is what bounds a worker's memory (measured on the local runner: peak RSS
  302 MB at 20,000 records, 317 MB at 80,000 with 8; 325 / 524 MB with 32). Large clusters
  of workers want fewer, larger files: raise it with `partitions` (e.g. 256 with 4,096).
- `against: []`: published outputs (folders, gs:// or s3:// prefixes; relative paths are
  relative to the run config) whose current run's signature files this run reads: a record
  that repeats one of their records is removed, whatever its source, so a new crawl is
  deduplicated against last month's corpus without re-reading it. Empty by default: a run
  into the output it re-publishes must not find its own earlier records there.
- Keeper: a record already published by an earlier run always stays; then the source listed
  first in `keeper_sources` (unlisted sources after all listed ones); then the smallest
  record id. The rule is total, so every run picks the same keeper.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from pydantic import Field, model_validator

from corpusgate.schemas.sources import KINDS
from corpusgate.transforms.common.settings import Settings

__all__ = [
    "METHODS",
    "DedupSettings",
    "DedupSpec",
    "Method",
    "MinHashSettings",
    "ShingleSettings",
    "SimHashSettings",
]

Method = Literal["minhash", "simhash"]
METHODS: tuple[str, ...] = ("minhash", "simhash")
Kind = Literal["open_source", "self_collected", "commercial", "user_input"]
assert set(KINDS) == set(Kind.__args__)  # type: ignore[attr-defined]

# The order key holds the priority in five digits.
MAX_KEEPER_SOURCES = 99_999


class ShingleSettings(Settings):
    """Shingle sizes, per script (see `shingles.py` for how a record's script is chosen)."""

    chars: int = Field(3, ge=1, le=32)  # character n-grams: zh, ja, th, lo, km, my, bo
    words: int = Field(3, ge=1, le=32)  # word n-grams: languages written with spaces
    fold_chinese: bool = True  # traditional -> simplified before shingling


class MinHashSettings(Settings):
    num_perm: int = Field(128, ge=8, le=1024)
    bands: int | None = Field(None, ge=1)
    rows: int | None = Field(None, ge=1)
    seed: int = Field(42, ge=0)

    @model_validator(mode="after")
    def _shape(self) -> MinHashSettings:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither (derived from the threshold)")
        used = (self.bands or 0) * (self.rows or 0)
        if used > self.num_perm:
            raise ValueError(f"bands x rows = {used} exceeds num_perm = {self.num_perm}")
        return self


class SimHashSettings(Settings):
    max_distance: int = Field(3, ge=0, le=16)  # Hamming distance of 64-bit fingerprints
    match_blocks: int = Field(2, ge=1, le=4)


class DedupSettings(Settings):
    """Run config section `dedup` (module docstring: keys, defaults and why)."""

    enabled: bool = True
    exact: bool = True
    near: bool = True
    method: Method = "minhash"
    methods_by_kind: dict[Kind, Method] = Field(default_factory=dict)
    threshold: float = Field(0.6, gt=0.0, le=1.0)
    shingles: ShingleSettings = Field(default_factory=ShingleSettings)
    minhash: MinHashSettings = Field(default_factory=MinHashSettings)
    simhash: SimHashSettings = Field(default_factory=SimHashSettings)
    keeper_sources: list[str] = Field(default_factory=list)
    partitions: int = Field(64, ge=1, le=1 << 20)
    max_rounds: int = Field(10, ge=1, le=64)  # large-star + small-star rounds (`graph.py`)
    # What one step of one worker buffers before it writes a run file: the memory dedup needs
    # beyond one partition's data, whatever the corpus size.
    spill_mb: int = Field(8, ge=1, le=4096)
    against: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _keepers(self) -> DedupSettings:
        if len(set(self.keeper_sources)) != len(self.keeper_sources):
            raise ValueError("keeper_sources lists a source twice")
        if len(self.keeper_sources) > MAX_KEEPER_SOURCES:
            raise ValueError(f"keeper_sources may list at most {MAX_KEEPER_SOURCES} sources")
        return self

    def band_shape(self) -> tuple[int, int]:
        """(bands, rows) of the MinHash LSH: as configured, else derived from the threshold."""
        from corpusgate.transforms.dedup.minhash import lsh_shape

        if self.minhash.bands is not None and self.minhash.rows is not None:
            return self.minhash.bands, self.minhash.rows
        return lsh_shape(self.threshold, self.minhash.num_perm)


@dataclass(frozen=True)
class DedupSpec:
    """The settings settled with what the registry says: each source's kind (for the method)
    and, from `keeper_sources`, its keeper priority. Small and picklable: it rides in DoFns."""

    settings: DedupSettings
    kinds: Mapping[str, str] = field(default_factory=dict)  # source_id -> kind

    def __post_init__(self) -> None:
        bad = sorted(kind for kind in set(self.kinds.values()) if kind not in KINDS)
        if bad:
            raise ValueError(f"unknown source kind(s) {bad}; known: {', '.join(KINDS)}")

    @cached_property
    def _priority(self) -> dict[str, int]:
        return {source: i for i, source in enumerate(self.settings.keeper_sources)}

    def method_for(self, source_id: str) -> str:
        kind = self.kinds.get(source_id, "")
        return self.settings.methods_by_kind.get(kind, self.settings.method)  # type: ignore[call-overload]

    def priority_for(self, source_id: str) -> int:
        """0 for the first source in `keeper_sources`; unlisted sources come after all listed."""
        return self._priority.get(source_id, len(self._priority))
