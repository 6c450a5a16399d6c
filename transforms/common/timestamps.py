"""Times as every corpusgate input states them, read by one rule.

Accepted: ISO 8601 text (a date, or a date and time; a trailing `Z` allowed), epoch seconds
(int or float), or a `datetime`. **A time without a UTC offset is UTC** — in records, crawl
records, authorization tables, consent files and spot-check sheets alike — so naive and aware
times always compare. Results are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def parse_timestamp(value: Any) -> datetime | None:
    """The UTC datetime `value` states; None for None or blank text. ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            parsed = datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError) as err:
            raise ValueError(f"epoch seconds {value!r} are out of range") from err
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time") from None
    else:
        raise ValueError(f"expected ISO 8601 text or epoch seconds, got {type(value).__name__}")
    return as_utc(parsed)


def as_utc(moment: datetime) -> datetime:
    """A naive datetime read as UTC; an aware one converted to UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
