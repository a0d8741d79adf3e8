"""Quiet hours and holidays: when notices other than urgent ones wait (the dispatcher and the replies agree)."""

from __future__ import annotations

from datetime import datetime

from core.config import SchedulerSettings


def is_quiet(now: datetime, settings: SchedulerSettings) -> bool:
    """Quiet hours or a holiday (local time): only urgent kinds go out."""
    if now.date() in settings.holidays:
        return True
    start, end, t = settings.quiet_start, settings.quiet_end, now.time()
    return (t >= start or t < end) if start > end else (start <= t < end)


def held_until(now: datetime, settings: SchedulerSettings, kind: str) -> str | None:
    """When a notice of `kind` queued now waits: when it goes out ("lúc 07:00"); None if it goes out now."""
    if kind in settings.urgent_kinds or not is_quiet(now, settings):
        return None
    if now.date() in settings.holidays:
        return "sau ngày nghỉ"
    return f"lúc {settings.quiet_end:%H:%M}"
