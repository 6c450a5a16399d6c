"""The Provenance stage of `curate` (GB/T 45654-2025 4.1.3): may this record be used at all?

One check per source kind, each in its own module:

    open_source     licence of the record or the entry; an authorization document   (a)
    self_collected  robots.txt snapshot in force at collection; page opt-out signals  (b)
    commercial      contract, commitments and review record on file, unchanged       (c)
    user_input      a standing authorization covering the collection time            (d)

Everything a kind needs is read and verified on the launcher when the stage is built
(`ProvenanceChecker(...)`): evidence hashes, crawl records and their robots.txt snapshots,
authorization tables, the licence policy. The settled checker is what workers receive
(`ProvenanceSpec`); no worker opens a registry path. A source whose evidence is broken never
stops the run: its records are quarantined with a detail saying what is wrong.

Lineage the stage fills: `licence` (open source); `evidence` gains the robots.txt snapshot a
page was judged by (role `robots_snapshot`) and the authorization row that decided a user
record (role `user_authorization`). Kept records leave the page's HTTP headers and HTML here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from corpusgate.schemas.records import Record
from corpusgate.transforms.provenance.commercial import CommercialCheck
from corpusgate.transforms.provenance.licences import LicencePolicy
from corpusgate.transforms.provenance.open_source import OpenSourceCheck
from corpusgate.transforms.provenance.self_collected import SelfCollectedCheck
from corpusgate.transforms.provenance.settings import ProvenanceSettings
from corpusgate.transforms.provenance.user_input import UserInputCheck
from corpusgate.transforms.spine.checks import RecordCheck, SourceFacts, Verdict
from corpusgate.transforms.spine.settled import Settled, settle

__all__ = [
    "CONSUMES",
    "ProvenanceChecker",
    "ProvenanceSettings",
    "ProvenanceSpec",
]

NAME = "provenance"
# Record keys a reader added for this stage only (a page's HTTP headers and HTML, the raw
# user id): they stop here instead of travelling through every later stage to the writers.
CONSUMES = ("_extras", "_user_id")


class _SourceCheck(Protocol):
    def check(self, record: Record) -> Verdict: ...


class ProvenanceChecker(RecordCheck):
    """Decides, per record, whether its source's evidence lets it be used."""

    def __init__(
        self,
        facts: Mapping[str, SourceFacts],
        policy: LicencePolicy,
        *,
        authorization_scope: str | None = None,
    ) -> None:
        self.policy = policy
        self._sources: dict[str, _SourceCheck] = {}
        for source_id, source in facts.items():
            if source.kind == "open_source":
                self._sources[source_id] = OpenSourceCheck(source, policy)
            elif source.kind == "self_collected":
                self._sources[source_id] = SelfCollectedCheck(source)
            elif source.kind == "commercial":
                self._sources[source_id] = CommercialCheck(source)
            elif source.kind == "user_input":
                self._sources[source_id] = UserInputCheck(source, authorization_scope)
            else:
                raise ValueError(f"{source.entry_file}: source kind {source.kind!r} has no check")

    def refusal(self, source_id: str) -> Verdict | None:
        """The whole-source refusal of a source, or None when its records are checked one by one."""
        return getattr(self._sources[source_id], "refusal", None)

    def check(self, record: Record) -> Verdict:
        try:
            source = self._sources[record["source_id"]]
        except KeyError:
            raise ValueError(
                f"record {record['record_id']} comes from source {record['source_id']!r}, "
                "which the provenance stage was not given"
            ) from None
        return source.check(record)


@dataclass(frozen=True)
class ProvenanceSpec:
    """What workers receive: the checker, settled on the launcher."""

    checker: Settled[ProvenanceChecker]
    name: str = NAME

    @classmethod
    def settle(
        cls,
        settings: ProvenanceSettings,
        facts: Mapping[str, SourceFacts],
        folder: str | None = None,
    ) -> ProvenanceSpec:
        """Read every evidence file now, on the launcher. ValueError for a bad policy file."""
        checker = ProvenanceChecker(
            facts,
            LicencePolicy.load(settings.licence_policy),
            authorization_scope=settings.authorization_scope,
        )
        return cls(settle(checker, NAME, folder))

    def build(self) -> ProvenanceChecker:
        return self.checker.load()
