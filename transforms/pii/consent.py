"""Consent as the PII stage sees it (GB/T 45654-2025 4.2.3): keyed subject hashes, grants and
the in-memory lookup.

A data subject is known only by `subject_key` = HMAC-SHA256(key, normalised identifier), so a
lineage or a leaked table names nobody. `ConsentIndex` answers "which consent covering this
scope held when the record was collected"; it is built on the launcher from the store
(`corpusgate.source_registry.consent.ConsentStore`) and shipped to workers, which never open
the store. Pure core: no Beam, no database.

Scopes: `separate` consent (PIPL art. 29, needed for sensitive information) also counts as
`general` consent; `general` consent never counts as `separate`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from corpusgate.transforms.pii.identifiers import (
    check_bank_card,
    check_landline,
    check_mobile,
    check_passport,
    check_resident_id,
    check_uscc,
    normalize_value,
)
from corpusgate.transforms.pii.policy import PiiPolicy

GENERAL = "general"
SEPARATE = "separate"
SCOPES = (GENERAL, SEPARATE)


def subject_key(key: bytes, identifier_type: str, value: str) -> str:
    """HMAC-SHA256 of the identifier's normalised form. The type only chooses the normaliser, so
    a mobile number found as CN_MOBILE in Chinese text and as PHONE_NUMBER (+86...) in English
    text gives one key."""
    normalized = normalize_value(identifier_type, value)
    return hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()


def subject_key_of_normalized(key: bytes, normalized: str) -> str:
    """The same keyed hash for a value already normalised (`PiiEntity.normalized`)."""
    return hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------------
# Identifier types accepted on import

# Friendly names a consent file may use, besides the policy's entity types themselves.
TYPE_ALIASES = {
    "mobile": "CN_MOBILE",
    "cn_mobile": "CN_MOBILE",
    "手机": "CN_MOBILE",
    "landline": "CN_LANDLINE",
    "phone": "PHONE_NUMBER",
    "email": "EMAIL_ADDRESS",
    "e-mail": "EMAIL_ADDRESS",
    "邮箱": "EMAIL_ADDRESS",
    "resident_id": "CN_RESIDENT_ID",
    "id_card": "CN_RESIDENT_ID",
    "身份证": "CN_RESIDENT_ID",
    "passport": "CN_PASSPORT",
    "bank_card": "CN_BANK_CARD",
    "uscc": "CN_USCC",
    "ip": "IP_ADDRESS",
    "url": "URL",
}

_VALIDATORS = {
    "CN_RESIDENT_ID": check_resident_id,
    "CN_MOBILE": check_mobile,
    "CN_LANDLINE": check_landline,
    "CN_PASSPORT": check_passport,
    "CN_BANK_CARD": check_bank_card,
    "CREDIT_CARD": check_bank_card,
    "CN_USCC": check_uscc,
}


def known_types() -> frozenset[str]:
    return frozenset(PiiPolicy.load().entity_class)


def resolve_type(name: str, types: frozenset[str]) -> str | None:
    """The entity type a consent file or `forget` names, or None when unknown."""
    cleaned = name.strip()
    if cleaned.upper() in types:
        return cleaned.upper()
    return TYPE_ALIASES.get(cleaned.lower())


def identifier_problem(identifier_type: str, value: str) -> str | None:
    """Why a value cannot be an identifier of this type (a reason, never the value)."""
    if not value.strip():
        return "empty identifier"
    if identifier_type == "EMAIL_ADDRESS" and "@" not in value:
        return "not an e-mail address (no @)"
    check = _VALIDATORS.get(identifier_type)
    reason = check(value) if check else None
    return f"not a valid {identifier_type} ({reason})" if reason else None


def guess_type(value: str) -> str | None:
    """The type of a bare identifier given to `forget` without one, when it is unambiguous."""
    v = value.strip()
    if "@" in v:
        return "EMAIL_ADDRESS"
    if check_resident_id(v) is None:
        return "CN_RESIDENT_ID"
    if check_mobile(v) is None:
        return "CN_MOBILE"
    if check_passport(v) is None:
        return "CN_PASSPORT"
    if check_bank_card(v) is None:
        return "CN_BANK_CARD"
    if check_landline(v) is None:
        return "CN_LANDLINE"
    return None


# ---------------------------------------------------------------------------------------------
# Grants and lookup


@dataclass(frozen=True)
class Grant:
    subject_key: str
    identifier_type: str
    scope: str
    granted_at: datetime
    revoked_at: datetime | None
    evidence_ref: str
    imported_from: str = ""

    def holds_at(self, when: datetime) -> bool:
        return self.granted_at <= when and (self.revoked_at is None or when < self.revoked_at)

    def covers(self, scope: str) -> bool:
        return self.scope == scope or self.scope == SEPARATE


@dataclass(frozen=True)
class ConsentHit:
    subject_key: str
    scope: str
    ref: str


class ConsentIndex:
    """Grants and withdrawals in memory, for lookups per detected identifier."""

    def __init__(self, grants: Iterable[Grant] = (), withdrawn: Iterable[str] = ()) -> None:
        # Newest row per (subject, scope, evidence) is the grant's current state.
        current: dict[tuple[str, str, str], Grant] = {}
        for g in grants:
            current[(g.subject_key, g.scope, g.evidence_ref)] = g
        self._by_subject: dict[str, list[Grant]] = {}
        for g in current.values():
            self._by_subject.setdefault(g.subject_key, []).append(g)
        self._withdrawn = frozenset(withdrawn)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_subject.values())

    def is_withdrawn(self, key: str) -> bool:
        return key in self._withdrawn

    def lookup(self, key: str, scope: str, when: datetime | None) -> ConsentHit | None:
        """The consent covering `scope` that held at `when`, or None. No time, no consent:
        without a collection time nobody can show the consent came first."""
        if when is None or key in self._withdrawn:
            return None
        for g in sorted(
            self._by_subject.get(key, ()), key=lambda g: (g.scope != scope, g.granted_at)
        ):
            if g.covers(scope) and g.holds_at(when):
                return ConsentHit(key, g.scope, g.evidence_ref)
        return None
