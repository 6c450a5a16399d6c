"""The personal-information step of `curate`: detect, look up consent, keep / redact / drop.

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

Outputs: kept records (redacted where the policy says so; lineage `pii` and `consent` filled),
quarantine rows (`pii_no_consent`, `sensitive_pii_no_separate_consent`; text redacted), and
pairs ("pii_subjects", subject_key, record_id) for every identifier left in a kept record,
written to `OUTPUT/index/pii_subjects/`: the index `corpusgate forget` uses to find a
subject's records without rescanning the text.

The consent table is read whole in `DoFn.setup` (one dict per worker). That suits consent tables
up to a few million grants; beyond that, look up per bundle instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from corpusgate.schemas import reasons
from corpusgate.schemas.records import Record, add_decision, to_quarantine
from corpusgate.source_registry.consent import (
    ConsentKeyError,
    ConsentStore,
    load_key,
    read_consent_file,
)
from corpusgate.transforms.pii.consent import ConsentIndex, subject_key_of_normalized
from corpusgate.transforms.pii.consent_lookup import decide, with_class_actions
from corpusgate.transforms.pii.engine import LANGUAGES, PiiPolicy
from corpusgate.transforms.spine.checks import PAIRS, QUARANTINE, RECORDS, CheckContext

__all__ = ["SUBJECTS", "DetectPii", "language_of", "make_check"]

log = logging.getLogger("corpusgate.pii")
SUBJECTS = "pii_subjects"  # summary kind: (SUBJECTS, subject_key, record_id)
SETTINGS = frozenset({"enabled", "consent_key_file", "consent_files", "policy", "class_actions"})
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


class _PiiFn(beam.DoFn):
    def __init__(
        self,
        policy_path: str | None,
        class_actions: dict[str, str] | None,
        key: bytes,
        store_url: str,
        languages: dict[str, tuple[str, ...]],
    ) -> None:
        self._policy_path = policy_path
        self._class_actions = class_actions
        # The key travels inside the pickled DoFn; on a remote runner the staging bucket must
        # be as private as the key file (see the report's limits).
        self._key = key
        self._store_url = store_url
        self._languages = languages
        self._seen = Metrics.counter("pii", "seen")
        self._kept = Metrics.counter("pii", "kept")
        self._redacted = Metrics.counter("pii", "redacted")
        self._dropped = Metrics.counter("pii", "quarantined")

    def setup(self) -> None:
        from corpusgate.transforms.pii.engine import shared_detector
        from corpusgate.transforms.pii.redact import redact

        self._detector = shared_detector(self._policy_path)
        base = PiiPolicy.load(self._policy_path) if self._policy_path else PiiPolicy.load()
        self._policy = with_class_actions(base, self._class_actions)
        self._index = ConsentStore(self._store_url).load_index() if self._key else ConsentIndex()
        self._redact = redact

    def _keyer(self, normalized: str) -> str:
        return subject_key_of_normalized(self._key, normalized)

    def process(self, record: Record) -> Iterator[Any]:
        self._seen.inc()
        lineage = record["lineage"]
        language = language_of(
            record["text"], lineage.get("language"), self._languages.get(record["source_id"], ())
        )
        entities = self._detector.detect(record["text"], language)
        d = decide(
            record["text"],
            entities,
            self._policy,
            self._index,
            self._keyer,
            lineage.get("collected_at"),
            self._redact,
        )
        lineage["pii"] = {"entities": d.entities, "redactions": d.redactions}
        lineage["consent"] = d.consent
        record["text"] = d.text
        if d.outcome == reasons.FAIL:
            self._dropped.inc()
            Metrics.counter("pii", f"quarantined_{d.reason}").inc()
            yield TaggedOutput(
                QUARANTINE, to_quarantine(record, reasons.CONSENT, d.reason, d.detail)
            )
            return
        add_decision(record, reasons.PII, d.outcome, d.detail)
        if d.consent:
            add_decision(
                record,
                reasons.CONSENT,
                reasons.PASS,
                f"{len(d.consent)} consent(s) held at collection time",
            )
        (self._redacted if d.outcome == reasons.REDACT else self._kept).inc()
        for key in d.kept_subjects:
            yield TaggedOutput(PAIRS, (SUBJECTS, key, record["record_id"]))
        yield record


class DetectPii(beam.PTransform):
    """Records → {records, quarantine, pairs}: detect PII, look up consent, apply policy."""

    def __init__(
        self,
        *,
        key: bytes,
        store_url: str,
        policy_path: str | None = None,
        class_actions: dict[str, str] | None = None,
        languages: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        super().__init__()
        # Fail at build time, on the driver, for a bad policy or override.
        base = PiiPolicy.load(policy_path) if policy_path else PiiPolicy.load()
        with_class_actions(base, class_actions)
        self._fn = _PiiFn(policy_path, class_actions, key, store_url, languages or {})

    def expand(self, records):  # type: ignore[no-untyped-def]
        out = records | "DetectPii" >> beam.ParDo(self._fn).with_outputs(
            QUARANTINE, PAIRS, main=RECORDS
        )
        return {RECORDS: out[RECORDS], QUARANTINE: out[QUARANTINE], PAIRS: out[PAIRS]}


def make_check(ctx: CheckContext) -> DetectPii:
    """The stage for a run: checks settings, resolves the key, imports consent files."""
    settings = ctx.settings
    unknown = set(settings) - SETTINGS
    if unknown:
        raise ValueError(f"pii: unknown setting(s) {sorted(unknown)}; expected {sorted(SETTINGS)}")
    key_file = settings.get("consent_key_file")
    try:
        key = load_key(config_key_file=ctx.path(str(key_file)) if key_file else None)
    except ConsentKeyError:
        if settings:
            raise
        # A run config with no `pii` section and no key in the environment: no consent can be
        # shown, so every identifier is treated as without consent (redacted or dropped) and
        # no subject index is written. Stricter than with a key, never laxer.
        log.warning("no consent key: personal information is handled as without consent")
        key = b""
    policy = settings.get("policy")
    policy_path = ctx.path(str(policy)) if policy else None
    files = settings.get("consent_files") or []
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ValueError("pii.consent_files must be a list of file paths")
    if files:
        store = ConsentStore(ctx.store_url)
        for name in files:
            store.add_grants(read_consent_file(ctx.path(name), key))
    return DetectPii(
        key=key,
        store_url=ctx.store_url,
        policy_path=policy_path,
        class_actions=settings.get("class_actions"),
        languages={sid: f.languages for sid, f in ctx.facts.items()},
    )
