"""Time in one place, so tests and jobs can use a controllable clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; treat them as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def today_in(tz: tzinfo) -> date:
    """The calendar date where the users are (deadlines are dates in Vietnam, not UTC)."""
    return datetime.now(tz).date()
