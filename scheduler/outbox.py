"""Delivering the outbox within Telegram's limits. Claim, send, confirm.

- a global pace below Telegram's ~30 messages/s and at most one message per second per chat;
- RetryAfter pauses everyone for the time Telegram asks; network errors back off per row;
- Forbidden (the user blocked the bot) marks the row and the person unreachable, until they
  write to the bot again;
- quiet hours and holidays hold everything but urgent kinds;
- a row claimed by a process that died is sent again only if it was never confirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.config import SchedulerSettings
from db import Database
from db.models import ChatUser, Evaluation, Outbox
from domain.clock import utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
# Reminders about something the person has since done are dropped at send time.
EVALUATION_KINDS = ("eval-open", "eval-reminder")


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    payload: str
    attempts: int


# --- database steps (each its own short transaction) ----------------------------------------------


def _no_longer_needed(session: Session, row: Outbox) -> bool:
    if row.kind not in EVALUATION_KINDS or row.cadre_id is None:
        return False
    period = json.loads(row.payload).get("period", "")
    if not period:
        return False
    year, month = (int(x) for x in period.split("-"))
    status = session.scalar(select(Evaluation.status).where(
        Evaluation.cadre_id == row.cadre_id, Evaluation.year == year, Evaluation.month == month))
    return status in ("submitted", "rated")


def claim_due(session: Session, limit: int, urgent_only: bool = False,
              urgent_kinds: frozenset[str] = frozenset()) -> list[Claimed]:
    """Mark due rows 'sending' (PostgreSQL: SKIP LOCKED, so a standby process can share the work)."""
    query = select(Outbox).where(Outbox.status == "pending", Outbox.due_at <= utcnow())
    if urgent_only:
        query = query.where(Outbox.kind.in_(urgent_kinds))
    rows = session.scalars(query.order_by(Outbox.due_at, Outbox.id).limit(limit)
                           .with_for_update(skip_locked=True)).all()
    blocked = set(session.scalars(select(ChatUser.chat_id).where(
        ChatUser.blocked.is_(True), ChatUser.chat_id.in_({r.chat_id for r in rows}))))
    claimed = []
    for row in rows:
        if row.chat_id in blocked:
            row.status, row.last_error = "unreachable", "blocked the bot"
        elif _no_longer_needed(session, row):
            row.status = "skipped"
        else:
            row.status, row.attempts = "sending", row.attempts + 1
            claimed.append(Claimed(row.id, row.chat_id, row.payload, row.attempts))
    return claimed


def requeue_unconfirmed(session: Session) -> int:
    """After a crash: rows claimed but never confirmed go back to the queue."""
    result = session.execute(update(Outbox).where(Outbox.status == "sending").values(status="pending"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def mark(session: Session, row_id: int, status: str, error: str | None = None, delay_s: float = 0) -> None:
    row = session.get(Outbox, row_id)
    if row is None:
        return
    row.status, row.last_error = status, error
    if status == "sent":
        row.sent_at = utcnow()
    elif status == "pending":
        row.due_at = utcnow() + timedelta(seconds=delay_s)
    elif status == "unreachable":
        chat_user = session.scalar(select(ChatUser).where(ChatUser.chat_id == row.chat_id))
        if chat_user is not None:
            chat_user.blocked = True


# --- pacing ---------------------------------------------------------------------------------------


class RateLimiter:
    """A global pace plus a minimum interval per chat; RetryAfter pauses everything."""

    def __init__(self, rate_per_s: float, per_chat_interval_s: float,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.interval = 1.0 / rate_per_s
        self.per_chat = per_chat_interval_s
        self.clock, self.sleep = clock, sleep
        self.next_slot = 0.0
        self.chat_next: dict[int, float] = {}
        self.lock = asyncio.Lock()

    async def acquire(self, chat_id: int) -> None:
        async with self.lock:
            now = self.clock()
            start = max(now, self.next_slot, self.chat_next.get(chat_id, 0.0))
            self.next_slot = start + self.interval
            self.chat_next[chat_id] = start + self.per_chat
        if start > now:
            await self.sleep(start - now)

    def pause(self, seconds: float) -> None:
        self.next_slot = max(self.next_slot, self.clock() + seconds)


def _markup(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    rows = payload.get("buttons")
    if not isinstance(rows, list) or not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


def _retry_after_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return float(value.total_seconds() if isinstance(value, timedelta) else value)


# --- sending --------------------------------------------------------------------------------------


def is_quiet(now: datetime, settings: SchedulerSettings) -> bool:
    """Quiet hours or a holiday (local time): only urgent kinds go out."""
    if now.date() in settings.holidays:
        return True
    start, end, t = settings.quiet_start, settings.quiet_end, now.time()
    return (t >= start or t < end) if start > end else (start <= t < end)


class Dispatcher:
    def __init__(self, bot: Bot, database: Database, settings: SchedulerSettings,
                 local_now: Callable[[], datetime], limiter: RateLimiter | None = None) -> None:
        self.bot, self.database, self.settings, self.local_now = bot, database, settings, local_now
        self.limiter = limiter or RateLimiter(settings.global_rate_per_s, settings.per_chat_interval_s)

    def quiet(self) -> bool:
        return is_quiet(self.local_now(), self.settings)

    async def send_one(self, item: Claimed) -> bool:
        payload = json.loads(item.payload)
        await self.limiter.acquire(item.chat_id)
        try:
            await self.bot.send_message(item.chat_id, payload["text"], parse_mode=ParseMode.HTML,
                                        reply_markup=_markup(payload))
        except Forbidden as exc:
            self.database.run(mark, item.id, "unreachable", str(exc))
            return False
        except RetryAfter as exc:
            delay = _retry_after_seconds(exc)
            self.limiter.pause(delay)
            self.database.run(mark, item.id, "pending", str(exc), delay)
            return False
        except BadRequest as exc:  # the message itself is wrong: retrying will not help
            self.database.run(mark, item.id, "failed", str(exc))
            return False
        except TelegramError as exc:  # network: back off, try again later
            status = "failed" if item.attempts >= MAX_ATTEMPTS else "pending"
            self.database.run(mark, item.id, status, str(exc), min(2.0 ** item.attempts, 600))
            return False
        self.database.run(mark, item.id, "sent")
        return True

    async def run_once(self, limit: int = 200) -> int:
        """Claim one batch and send it; returns how many were delivered."""
        s = self.settings
        claimed = self.database.run(claim_due, limit, self.quiet(), s.urgent_kinds)
        if not claimed:
            return 0
        semaphore = asyncio.Semaphore(s.concurrent_sends)

        async def guarded(item: Claimed) -> bool:
            async with semaphore:
                return await self.send_one(item)

        results = await asyncio.gather(*(guarded(item) for item in claimed))
        return sum(results)

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 1.0) -> None:
        while not stop.is_set():
            try:
                sent = await self.run_once()
            except Exception:  # one bad batch must not stop delivery for good
                log.exception("Outbox dispatch failed; retrying")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_s)


async def flush_outbox(bot: Bot, database: Database, kinds: frozenset[str], settings: SchedulerSettings,
                       now: datetime, limit: int = 30) -> int:
    """Send at once what a person's action just queued for someone (the dispatcher does the rest).

    Only the kinds the action produces; in quiet hours only the urgent ones among them.
    """
    if is_quiet(now, settings):
        kinds = kinds & settings.urgent_kinds
    if not kinds:
        return 0
    sent = 0
    for item in database.run(claim_due, limit, True, kinds):
        sent += await _send_now(bot, database, item)
    return sent


async def _send_now(bot: Bot, database: Database, item: Claimed) -> int:
    payload = json.loads(item.payload)
    try:
        await bot.send_message(item.chat_id, payload["text"], parse_mode=ParseMode.HTML, reply_markup=_markup(payload))
    except Forbidden as exc:
        database.run(mark, item.id, "unreachable", str(exc))
        return 0
    except RetryAfter as exc:
        database.run(mark, item.id, "pending", str(exc), _retry_after_seconds(exc))
        return 0
    except TelegramError as exc:
        database.run(mark, item.id, "pending", str(exc), min(2.0 ** item.attempts, 600))
        return 0
    database.run(mark, item.id, "sent")
    return 1
