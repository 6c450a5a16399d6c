"""Values settled on the launcher and shipped to workers (DESIGN §8, STYLE §7).

A worker must never open a path on the launcher's disk or the store: what a check needs
(verified evidence, parsed crawl records, authorization and consent tables, policies) is read
once on the launcher and travels in one of two ways. Small values ride inside the pickled
DoFn; a large one (a consent table of millions of grants) would bloat the job graph that
Dataflow accepts, so it is written under the run's staging location and each worker reads it
once through Beam's FileSystems. Either way the bytes carry their sha256, checked on load.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Generic, TypeVar

from corpusgate.transforms.common import files
from corpusgate.transforms.common.hashing import sha256_bytes

T = TypeVar("T")

# Above this a value goes through a file: Dataflow limits a job request to about 20 MB.
INLINE_LIMIT = 1 << 20


@dataclass(frozen=True)
class Settled(Generic[T]):
    name: str
    sha256: str
    payload: bytes | None = None  # the pickled value, when small
    location: str | None = None  # where the pickled value lies, when large

    def load(self) -> T:
        data = self.payload if self.payload is not None else files.read_bytes(str(self.location))
        if sha256_bytes(data) != self.sha256:
            raise RuntimeError(
                f"settled value {self.name!r} at {self.location} does not match its sha256: "
                "the run's staging location was changed while the run was going on"
            )
        return pickle.loads(data)  # our own bytes, verified by sha256 above


def settle(
    value: T, name: str, folder: str | None, *, inline_limit: int = INLINE_LIMIT
) -> Settled[T]:
    """Pickle `value` once; inline when small or when there is no folder, else a file."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    digest = sha256_bytes(data)
    if folder is None or len(data) <= inline_limit:
        return Settled(name, digest, payload=data)
    location = files.join(folder, f"{name}-{digest[:16]}.pkl")
    files.write_bytes(location, data)
    return Settled(name, digest, location=location)
