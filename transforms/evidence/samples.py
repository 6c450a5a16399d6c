"""Sample sizes B.2.1 prescribes, and reproducible samples of the prescribed size.

Each evaluation method of GB/T 45654-2025 B.2.1 names a size: a share of the population
(">= 10 percent"), a count (">= 1,000", "4,000"), or either ("no fewer than 10 percent ... or
no fewer than 1,000": either satisfies the method, so the smaller is prescribed). A population
smaller than the size is taken whole, and the sample says so.

Samples are bottom-k samples on a keyed hash of (seed, item id), the gate's and the spot
checks' sampler (`BottomK`): an assessor given the seed re-derives the same items, and the
sample of the manual spot check is the one `corpusgate spotcheck export --seed` writes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from corpusgate.transforms.harm.gate.statistics import BottomK

__all__ = ["Sample", "SampleSize", "Sampler", "draw", "method_seed"]

T = TypeVar("T")


@dataclass(frozen=True)
class SampleSize:
    """A prescribed size: `fraction` of the population, `count` items, or (both given) the
    smaller of the two, since meeting either satisfies the method."""

    fraction: float | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.fraction is None and self.count is None:
            raise ValueError("a sample size needs a fraction, a count or both")
        if self.fraction is not None and not 0.0 < self.fraction <= 1.0:
            raise ValueError(f"fraction {self.fraction!r} must be in (0, 1]")
        if self.count is not None and self.count < 1:
            raise ValueError(f"count {self.count!r} must be at least 1")

    def of(self, population: int) -> int:
        """Items to draw from a population of this size (all of it when it is smaller)."""
        if population <= 0:
            return 0
        wanted = [
            *([math.ceil(population * self.fraction)] if self.fraction is not None else []),
            *([self.count] if self.count is not None else []),
        ]
        return min(population, max(1, min(wanted)))

    def describe(self) -> str:
        parts = []
        if self.fraction is not None:
            parts.append(f">= {self.fraction:.0%} of the population")
        if self.count is not None:
            parts.append(f">= {self.count:,} items")
        return " or ".join(parts)


@dataclass(frozen=True)
class Sample(Generic[T]):
    seed: str
    size: SampleSize
    population: int
    prescribed: int  # what the rule asks of this population (before taking it whole)
    items: tuple[tuple[str, T], ...]  # (id, payload), smallest rank first

    @property
    def whole_population(self) -> bool:
        return len(self.items) >= self.population

    def note(self) -> str:
        if self.population == 0:
            return "empty population: nothing to sample"
        if self.whole_population:
            return (
                f"population of {self.population:,} is not larger than the prescribed "
                f"{self.size.describe()}: sampled whole"
            )
        return f"{len(self.items):,} of {self.population:,} ({self.size.describe()})"


def method_seed(seed: str, method: str) -> str:
    """The seed of one method's sample: independent of the other methods', re-derivable."""
    return f"{seed}/{method}"


class Sampler(Generic[T]):
    """One method's sample, fed one population item at a time (one pass feeds many).

    A prescribed size depends on the population. When the rule has a count, or the
    population is known beforehand (the manifest counts records written), the sampler keeps
    only the bottom `cap` items; otherwise (small populations: store records, datasets) it
    keeps every candidate until the pass ends and cuts to the prescribed size then."""

    def __init__(
        self,
        seed: str,
        size: SampleSize,
        accepts: Callable[[T], bool] = lambda _: True,
        *,
        population: int | None = None,
    ) -> None:
        self.seed = seed
        self.size = size
        self.accepts = accepts
        self.population = 0
        self._expected = population
        cap = size.of(population) if population is not None else size.count
        self._bottom: BottomK | None = BottomK(cap, seed) if cap else None
        self._all: dict[str, T] = {}

    def offer(self, item_id: str, payload: T) -> None:
        if not self.accepts(payload):
            return
        self.population += 1
        if self._bottom is not None:
            self._bottom.add(item_id, payload)
        else:
            self._all[item_id] = payload

    def sample(self) -> Sample[T]:
        if self._expected is not None and self._expected != self.population:
            raise ValueError(
                f"sample {self.seed!r}: the population was announced as {self._expected:,} "
                f"items but {self.population:,} were offered"
            )
        prescribed = self.size.of(self.population)
        if self._bottom is not None:
            chosen = [(rid, payload) for _, rid, payload in self._bottom.items()]
        elif prescribed:
            bottom: BottomK = BottomK(prescribed, self.seed)
            for item_id, payload in self._all.items():
                bottom.add(item_id, payload)
            chosen = [(rid, payload) for _, rid, payload in bottom.items()]
        else:
            chosen = []
        return Sample(self.seed, self.size, self.population, prescribed, tuple(chosen[:prescribed]))


def draw(items: Iterable[tuple[Hashable, T]], size: SampleSize, seed: str) -> Sample[T]:
    """The sample of a small population given whole (store records, datasets, contracts)."""
    sampler: Sampler[T] = Sampler(seed, size)
    for item_id, payload in items:
        sampler.offer(str(item_id), payload)
    return sampler.sample()
