"""The personal-information step of `curate` (GB/T 45654-2025 4.2.3, B.2.1.2.3): detect, look
up consent, keep / redact / drop.

Run-config section (all optional except a consent key, which may come from the environment;
with no `pii` section and no key at all, nothing is kept under consent and no subject index is
written):

```yaml
pii:
  consent_key_file: ../demo/consent/DEMO-ONLY.key  # or $CORPUSGATE_CONSENT_KEY (wins)
  consent_files: [../demo/consent/grants.csv]      # imported (idempotently) before the run
  policy: my-pii-policy.yaml                       # default: the packaged policies/pii.yaml
  class_actions: {sensitive: drop}                 # override the policy's per-class actions
```

The launcher imports the consent files into the store, reads the consent index from it and
settles it with the policy into `PiiSpec`; workers receive that and never open the store.

Outputs: kept records (redacted where the policy says so; lineage `pii` and `consent` filled),
quarantine rows (`sensitive_pii_no_separate_consent`, `pii_no_consent`; text redacted), and
pairs ("pii_subjects", subject_key) for every identifier left in a kept record: the index
`corpusgate forget` uses to find a subject's records without rescanning text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from corpusgate.schemas import reasons
from corpusgate.schemas.records import Record
from corpusgate.transforms.pii.consent import ConsentIndex, subject_key_of_normalized
from corpusgate.transforms.pii.consent_lookup import decide
from corpusgate.transforms.pii.detector import DETECTOR_VERSION, PiiDetector
from corpusgate.transforms.pii.languages import PROFILES as LANGUAGES
from corpusgate.transforms.pii.policy import PiiPolicy
from corpusgate.transforms.pii.redact import redact
from corpusgate.transforms.pii.settings import PiiSettings
from corpusgate.transforms.spine.checks import RecordCheck, Verdict, decision, keep, quarantine
from corpusgate.transforms.spine.settled import Settled, settle

__all__ = [
    "SUBJECTS",
    "PiiCheck",
    "PiiSettings",
    "PiiSpec",
    "language_of",
]

NAME = "pii"
SUBJECTS = "pii_subjects"  # the pair index of subject keys left in published records
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def language_of(text: str, declared: str | None, source_languages: tuple[str, ...]) -> str:
    """The recognizer set to run: the record's language when known, else the source's only
    language, else Chinese when a tenth of the non-space characters are CJK."""
    if declared in LANGUAGES:
        return declared  # type: ignore[return-value]
    known = [lang for lang in source_languages if lang in LANGUAGES]
    if len(known) == 1:
        return known[0]
    visible = len(text) - text.count(" ")
    return "zh" if len(_CJK.findall(text)) * 10 >= max(visible, 1) else "en"


@dataclass(frozen=True)
class PiiSpec:
    """What workers receive: the policy, the key and the consent index, settled."""

    policy: PiiPolicy
    policy_path: str | None
    key: bytes  # the consent key travels in the job: the staging bucket must be as private
    index: Settled[ConsentIndex]
    languages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    name: str = NAME

    @classmethod
    def settle(
        cls,
        settings: PiiSettings,
        *,
        key: bytes,
        index: ConsentIndex,
        languages: Mapping[str, tuple[str, ...]],
        folder: str | None = None,
    ) -> PiiSpec:
        policy = settings.load_policy()
        path = str(settings.policy) if settings.policy else None
        return cls(policy, path, key, settle(index, "consent_index", folder), dict(languages))

    def build(self) -> PiiCheck:
        # The detector is built from the settled policy, never from the launcher's file.
        return PiiCheck(self, PiiDetector(self.policy), self.index.load())


class PiiCheck(RecordCheck):
    batch_size = 1

    def __init__(self, spec: PiiSpec, detector: Any, index: ConsentIndex) -> None:
        self._spec = spec
        self._detector = detector
        self._index = index

    def _keyer(self, normalized: str) -> str:
        return subject_key_of_normalized(self._spec.key, normalized)

    def check(self, record: Record, *side: Any) -> Verdict:
        lineage = record["lineage"]
        text = record["text"]
        # The language stage's answer when there is one; the profile's script rule otherwise.
        language = lineage.get("language") or language_of(
            text, None, self._spec.languages.get(record["source_id"], ())
        )
        entities = self._detector.detect(text, language)
        d = decide(
            text,
            entities,
            self._spec.policy,
            self._index,
            self._keyer,
            lineage.get("collected_at"),
            redact,
        )
        changes = {
            "pii": {"entities": d.entities, "redactions": d.redactions},
            "consent": d.consent,
        }
        new_text = d.text if d.text != text else None
        if d.outcome == reasons.FAIL:
            return quarantine(reasons.CONSENT, d.reason, d.detail, text=new_text, lineage=changes)
        pairs = tuple((SUBJECTS, key) for key in d.kept_subjects)
        if d.consent:
            return keep(
                reasons.CONSENT,
                f"{len(d.consent)} consent(s) held at collection time",
                passed=(decision(reasons.PII, d.outcome, d.detail),),
                text=new_text,
                lineage=changes,
                pairs=pairs,
            )
        return keep(
            reasons.PII,
            f"{d.detail} ({DETECTOR_VERSION})",
            outcome=d.outcome,
            text=new_text,
            lineage=changes,
            pairs=pairs,
        )

    def check_batch(self, records: Sequence[Record], *side: Any) -> list[Verdict]:
        return [self.check(record, *side) for record in records]
