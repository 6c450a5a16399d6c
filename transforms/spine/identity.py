"""Deterministic record ids: the same source and native key always give the same id."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

# 128 bits: collisions stay negligible at trillions of records, and ids stay short to read aloud
# to an auditor. The first two hex digits also pick the audit index bucket.
ID_HEX_DIGITS = 32


def record_id(source_id: str, native_key: str) -> str:
    digest = hashlib.sha256(f"{source_id}\x1f{native_key}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:ID_HEX_DIGITS]


def is_record_id(value: str) -> bool:
    return len(value) == ID_HEX_DIGITS and all(c in "0123456789abcdef" for c in value)


def index_bucket(record_id: str) -> str:
    """The audit-index file a record id lives in: its first two hex digits (256 buckets)."""
    return record_id[:2]


def origin_order(origin: Mapping[str, Any] | None) -> str:
    """Where a record was read, as a key whose order is reading order: file, then position.
    Of several records that share an id (a native id repeated in a source), the one with the
    smallest key is the record; the others are `duplicate_record_id`."""
    if not origin:
        return ""
    return f"{origin.get('uri') or ''}\x00{int(origin.get('position') or 0):020d}"


def origin_parts(key: str) -> tuple[str, int]:
    """(file, position) of an `origin_order` key."""
    uri, _, position = key.partition("\x00")
    return uri, int(position or 0)
