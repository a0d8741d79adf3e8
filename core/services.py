"""The services an update or a job works with: the database, the settings and the clock.

The scheduler fills `notify_now` at start, so a handler that queued a notification for someone
else can have it sent at once without importing the scheduler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from core.config import Settings
from db import Database

# notify_now(bot, kinds): send queued outbox messages of these kinds now (bot is telegram.Bot).
NotifyNow = Callable[[Any, frozenset[str]], Awaitable[None]]


@dataclass
class Services:
    db: Database
    settings: Settings
    clock: Callable[[], date] | None = None  # tests and `run-job --at` fix "today"
    notify_now: NotifyNow | None = None  # filled by the scheduler when it registers
    # filled by handlers.last_buttons: a notice sent with buttons (chat id) became that chat's last buttons
    buttons_sent: Callable[[int], None] | None = None
    busy: Callable[[], bool] | None = None  # filled by bot.app: True while updates wait or run

    def today(self) -> date:
        """Today's date where the users are (deadlines and evaluation windows are Vietnamese dates)."""
        return self.clock() if self.clock else datetime.now(self.settings.timezone).date()

    def now(self) -> datetime:
        """Local time; with a fixed clock, 10:00 that day (outside quiet hours)."""
        if self.clock:
            return datetime.combine(self.clock(), time(10, 0), tzinfo=self.settings.timezone)
        return datetime.now(self.settings.timezone)
