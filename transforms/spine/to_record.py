"""Map a raw record to the record contract (DESIGN §4), or to a quarantine row.

Pure core: no Beam. `SourceContext` carries the few picklable facts about the source that
every record needs, so a worker never reloads the registry entry per record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from corpusgate.schemas import reasons
from corpusgate.schemas.records import QuarantineRow, Record, add_decision, new_lineage
from corpusgate.transforms.spine.identity import record_id
from corpusgate.transforms.spine.readers import Locator, RawFailure, RawRecord, ReadItem
from corpusgate.transforms.spine.readers.base import clip_raw

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class SourceContext:
    source_id: str
    entry_sha256: str
    fields: tuple[tuple[str, str], ...]  # logical name -> raw field name
    licence: str | None
    evidence: tuple[tuple[str, str, str], ...]  # (role, path, sha256)
    run_id: str
    config_sha256: str

    def field(self, name: str) -> str | None:
        return self._field_map.get(name)

    @cached_property
    def _field_map(self) -> dict[str, str]:
        # Asked several times per record: a dict, built once (the first mapping of a name wins).
        found: dict[str, str] = {}
        for logical, raw in self.fields:
            found.setdefault(logical, raw)
        return found


def _lineage(ctx: SourceContext, locator: Locator):  # type: ignore[no-untyped-def]
    lineage = new_lineage(
        registry_entry_sha256=ctx.entry_sha256,
        origin={"uri": locator.uri, "kind": locator.kind, "position": locator.position},
        run_id=ctx.run_id,
        config_sha256=ctx.config_sha256,
    )
    lineage["evidence"] = [{"role": r, "path": p, "sha256": s} for r, p, s in ctx.evidence]
    if ctx.licence:
        lineage["licence"] = {"expression": ctx.licence}
    return lineage


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 text (a trailing Z allowed), epoch seconds, or a datetime; naive means UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parsed = datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError(f"expected ISO 8601 text or epoch seconds, got {type(value).__name__}")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def failure_to_quarantine(item: RawFailure, ctx: SourceContext) -> QuarantineRow:
    row: QuarantineRow = {
        "record_id": record_id(ctx.source_id, item.locator.key()),
        "source_id": ctx.source_id,
        "text": None,
        "raw": item.raw,
        "check": reasons.READ,
        "reason": item.reason,
        "detail": item.detail,
        "lineage": _lineage(ctx, item.locator),
    }
    add_decision(row, reasons.READ, reasons.FAIL, f"{item.reason}: {item.detail}")
    return row


def normalize(item: ReadItem, ctx: SourceContext) -> tuple[bool, Record | QuarantineRow]:
    """(True, record) for a usable record; (False, quarantine row) otherwise."""
    if isinstance(item, RawFailure):
        return False, failure_to_quarantine(item, ctx)
    return _normalize_record(item, ctx)


def _native_id(item: RawRecord, ctx: SourceContext) -> Any:
    id_field = ctx.field("id")
    return item.fields.get(id_field) if id_field else None


def id_of(item: RawRecord, ctx: SourceContext) -> str:
    """The record id `normalize` gives the item, without building the record: a pass that
    wants only some ids (the gate's sample) skips the rest this cheaply."""
    return _record_id(_native_id(item, ctx), item, ctx)


def _record_id(native: Any, item: RawRecord, ctx: SourceContext) -> str:
    native_key = f"id={native}" if native not in (None, "") else item.locator.key()
    return record_id(ctx.source_id, native_key)


def _normalize_record(item: RawRecord, ctx: SourceContext) -> tuple[bool, Record | QuarantineRow]:
    fields = item.fields
    native = _native_id(item, ctx)
    rid = _record_id(native, item, ctx)
    lineage = _lineage(ctx, item.locator)
    text_field = ctx.field("text") or "text"
    text = fields.get(text_field)
    record: Record = {
        "record_id": rid,
        "source_id": ctx.source_id,
        "text": text if isinstance(text, str) else "",
        "lineage": lineage,
    }
    url = fields.get(ctx.field("url") or "url")
    lineage["url"] = str(url) if url not in (None, "") else None
    licence_field = ctx.field("licence")
    if licence_field and fields.get(licence_field):
        lineage["licence"] = {"expression": str(fields[licence_field])}
    if item.extras:
        record["_extras"] = item.extras  # type: ignore[typeddict-unknown-key]
    user_field = ctx.field("user_id")
    if user_field and fields.get(user_field) not in (None, ""):
        record["_user_id"] = str(fields[user_field])  # type: ignore[typeddict-unknown-key]

    if text is None or not isinstance(text, str):
        found = "absent" if text is None else f"a {type(text).__name__}, not text"
        return False, _reject(
            record, item, reasons.MISSING_TEXT, f"field '{text_field}' is {found}"
        )
    if not text.strip():
        return False, _reject(record, item, reasons.EMPTY_TEXT, f"field '{text_field}' is blank")
    # A JSON "\ud800" escape decodes to a lone surrogate: valid JSON, but no character, and
    # neither Parquet nor the detectors can hold it.
    for name, value in (("text", text), ("url", lineage["url"]), ("id", native)):
        # ASCII text holds no surrogate (a C-level flag, no scan).
        if (
            isinstance(value, str)
            and not value.isascii()
            and (bad := _LONE_SURROGATE.search(value))
        ):
            return False, _reject(
                record,
                item,
                reasons.INVALID_UTF8,
                f"field '{name}' holds a lone surrogate (U+{ord(bad.group()):04X}) "
                f"at character {bad.start()}",
            )
    try:
        lineage["collected_at"] = parse_timestamp(
            fields.get(ctx.field("collected_at") or "collected_at")
        )
    except (ValueError, TypeError, OverflowError) as err:
        return False, _reject(record, item, reasons.BAD_COLLECTED_AT, str(err))
    add_decision(record, reasons.NORMALIZE, reasons.PASS)
    return True, record


def _reject(record: Record, item: RawRecord, reason: str, detail: str) -> QuarantineRow:
    raw, cut = clip_raw(_raw_of(item))  # the 1 MiB raw limit holds here too (issue 9)
    detail += cut
    add_decision(record, reasons.NORMALIZE, reasons.FAIL, f"{reason}: {detail}")
    return {
        "record_id": record["record_id"],
        "source_id": record["source_id"],
        "text": record["text"] or None,
        "raw": raw,
        "check": reasons.NORMALIZE,
        "reason": reason,
        "detail": detail,
        "lineage": record["lineage"],
    }


def _raw_of(item: RawRecord) -> bytes:
    import json

    return json.dumps(item.fields, ensure_ascii=False, default=str).encode("utf-8", "replace")
