"""What happens to a record's personal information: keep (with consent), redact, or drop.

Pure Python: entities in (from `PiiDetector`), a decision out. Per entity, the policy's action
for its type decides, with the consent the entity's class needs (`general` for personal,
`separate` for sensitive, PIPL art. 29) at the record's collection time:

| action              | consent held | no consent                                  |
|---------------------|--------------|---------------------------------------------|
| `keep_with_consent` | keep         | redact                                      |
| `drop`              | keep         | drop the record (`pii_no_consent`, or       |
|                     |              | `sensitive_pii_no_separate_consent`)        |
| `redact`            | redact       | redact (the policy never keeps this type)   |

The result names entity types, counts, actions and consent references (subject keys: keyed
hashes) and never a value; a dropped record's text is redacted before it reaches the
quarantine, so the quarantine holds no detected identifier either.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from corpusgate.schemas import reasons
from corpusgate.transforms.pii.consent import GENERAL, SEPARATE, ConsentHit, ConsentIndex
from corpusgate.transforms.pii.entity import PiiEntity
from corpusgate.transforms.pii.policy import ACTIONS, CLASSES, SENSITIVE, PiiPolicy

__all__ = ["DROPPED", "KEEP", "REDACTED", "PiiDecision", "decide", "with_class_actions"]

# Per-entity actions as the lineage records them.
KEEP = "keep"
REDACTED = "redact"
DROPPED = "drop"


def with_class_actions(
    policy: PiiPolicy, class_actions: Mapping[str, Any] | None, where: str = "pii.class_actions"
) -> PiiPolicy:
    """The policy with its per-class actions overridden (a run config's choice). The version
    gains a suffix, so lineage shows the rules that applied were not the file's alone."""
    if not class_actions:
        return policy
    if not isinstance(class_actions, Mapping):
        raise ValueError(f"{where} must map classes {list(CLASSES)} to actions")
    merged = dict(policy.class_action)
    for klass, action in class_actions.items():
        if klass not in CLASSES:
            raise ValueError(f"{where}: unknown class {klass!r}; expected one of {list(CLASSES)}")
        if action not in ACTIONS:
            raise ValueError(f"{where}.{klass}: action {action!r} is not one of {list(ACTIONS)}")
        merged[klass] = action
    suffix = ",".join(f"{k}={merged[k]}" for k in CLASSES if merged[k] != policy.class_action[k])
    version = f"{policy.version}+{suffix}" if suffix else policy.version
    return dataclasses.replace(policy, class_action=merged, version=version)


@dataclass
class PiiDecision:
    outcome: str  # reasons.PASS | reasons.REDACT | reasons.FAIL (drop)
    text: str  # the text to publish (or, when dropped, to quarantine): redacted as decided
    entities: list[dict[str, Any]] = field(default_factory=list)  # lineage pii.entities
    redactions: int = 0
    consent: list[dict[str, str]] = field(default_factory=list)  # lineage consent
    kept_subjects: list[str] = field(default_factory=list)  # identifiers left in `text`
    reason: str = ""  # quarantine reason when dropped
    detail: str = ""


def decide(
    text: str,
    entities: Sequence[PiiEntity],
    policy: PiiPolicy,
    index: ConsentIndex,
    keyer: Callable[[str], str],
    collected_at: datetime | None,
    redactor: Callable[[str, Sequence[PiiEntity]], str],
) -> PiiDecision:
    """Decide every entity; `keyer` turns a normalised value into its subject key."""
    if not entities:
        return PiiDecision(reasons.PASS, text, detail=f"no personal information ({policy.version})")
    actions: list[str] = []
    hits: dict[str, ConsentHit] = {}
    kept_subjects: list[str] = []
    drop_classes: set[str] = set()
    for e in entities:
        action = policy.action(e.entity_type)
        needed = SEPARATE if e.pii_class == SENSITIVE else GENERAL
        hit = None
        if action != "redact":
            key = keyer(e.normalized)
            hit = index.lookup(key, needed, collected_at)
        if hit is not None:
            actions.append(KEEP)
            hits.setdefault(hit.subject_key + hit.ref, hit)
            kept_subjects.append(hit.subject_key)
        elif action == "drop":
            actions.append(DROPPED)
            drop_classes.add(e.pii_class)
        else:
            actions.append(REDACTED)

    counts = Counter(
        (e.entity_type, e.pii_class, a) for e, a in zip(entities, actions, strict=True)
    )
    summary = [
        {"entity_type": t, "category": c, "count": n, "action": a}
        for (t, c, a), n in sorted(counts.items())
    ]
    consent = [
        {"subject_key": h.subject_key, "scope": h.scope, "ref": h.ref}
        for h in sorted(hits.values(), key=lambda h: (h.subject_key, h.ref))
    ]
    described = ", ".join(f"{d['entity_type']} {d['count']} {d['action']}" for d in summary)
    detail = f"{policy.version}: {described}"

    if drop_classes:
        # The quarantine keeps the record for review, but not the identifiers.
        return PiiDecision(
            reasons.FAIL,
            redactor(text, entities),
            summary,
            len(entities),
            consent,
            [],
            reason=(
                reasons.SENSITIVE_PII_NO_SEPARATE_CONSENT
                if SENSITIVE in drop_classes
                else reasons.PII_NO_CONSENT
            ),
            detail=detail,
        )
    to_redact = [e for e, a in zip(entities, actions, strict=True) if a == REDACTED]
    return PiiDecision(
        reasons.REDACT if to_redact else reasons.PASS,
        redactor(text, to_redact) if to_redact else text,
        summary,
        len(to_redact),
        consent,
        sorted(set(kept_subjects)),
        detail=detail,
    )
