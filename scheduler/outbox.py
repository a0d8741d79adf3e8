"""Delivering the outbox within Telegram's limits. Claim, send, confirm.

- a global pace below Telegram's ~30 messages/s and at most one message per second per chat;
- RetryAfter pauses everyone for the time Telegram asks; network errors back off per row;
- Forbidden (the user blocked the bot) marks the row and the person unreachable, until they
  write to the bot again;
- quiet hours and holidays hold everything but urgent kinds;
- a claim is a lease (owner, expiry) that the sender renews while it sends: only an expired
  lease goes back to the queue, so a second sender (a standby, `cadrebot dispatch`) never re-sends
  what a live process is sending, and a row claimed by a process that died is sent again only if
  it was never confirmed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import secrets
import socket
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from core.config import SchedulerSettings
from core.quiet import is_quiet
from core.redact import redact
from db import Database
from db.models import ChatUser, Evaluation, Outbox, Unit
from domain import conversation
from domain.clock import utcnow
from domain.evaluation import submitted_sql
from domain.exports import chart_png
from domain.report import build_report

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BURST_S = 0.05  # the limiter may catch up this much time after a late wake-up
# Delivery needs only success, so the dispatcher skips building a Message from each answer;
# PTB suggests send_message for that call, which is exactly what we avoid here.
warnings.filterwarnings("ignore", message=r"Please use 'Bot.send(Message|Photo|Document)'", category=PTBUserWarning)
# Reminders about something the person has since done are dropped at send time.
EVALUATION_KINDS = ("eval-open", "eval-reminder")
DEFAULT_LEASE_S = 30.0
# A broadcast waits this long at most, per batch, while people are being answered (core.services.busy).
MAX_YIELD_S = 5.0
YIELD_STEP_S = 0.05
ButtonsSent = Callable[[int], None]  # told the chat id of a notice sent with buttons (core.services.buttons_sent)
_owner: tuple[int, str] | None = None


def process_owner() -> str:
    """This process's name on its claims: host, pid and a random part (a pid can be reused)."""
    global _owner
    if _owner is None or _owner[0] != os.getpid():  # a forked child is another owner
        _owner = (os.getpid(), f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}")
    return _owner[1]


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    payload: str
    attempts: int


# --- database steps (each its own short transaction) ----------------------------------------------


def _already_done(session: Session, rows: list[Row[Any]]) -> set[int]:
    """Ids of evaluation reminders whose month the person has submitted since (one query a batch)."""
    wanted: dict[tuple[int, int, int], list[int]] = {}
    for row in rows:
        if row.kind in EVALUATION_KINDS and row.cadre_id is not None:
            period = json.loads(row.payload).get("period", "")
            if period:
                year, month = (int(x) for x in period.split("-"))
                wanted.setdefault((row.cadre_id, year, month), []).append(row.id)
    if not wanted:
        return set()
    submitted = session.execute(select(Evaluation.cadre_id, Evaluation.year, Evaluation.month).where(
        Evaluation.cadre_id.in_({key[0] for key in wanted}), submitted_sql()))
    return {row_id for cadre_id, year, month in submitted for row_id in wanted.get((cadre_id, year, month), [])}


def claim_due(session: Session, limit: int, urgent_only: bool = False,
              urgent_kinds: frozenset[str] = frozenset(), owner: str | None = None,
              lease_s: float = DEFAULT_LEASE_S) -> list[Claimed]:
    """Mark due rows 'sending', leased to `owner` (PostgreSQL: SKIP LOCKED, so processes share the work)."""
    query = select(Outbox.id, Outbox.chat_id, Outbox.cadre_id, Outbox.kind, Outbox.payload, Outbox.attempts).where(
        Outbox.status == "pending", Outbox.due_at <= utcnow())
    if urgent_only:
        query = query.where(Outbox.kind.in_(urgent_kinds))
    rows = session.execute(query.order_by(Outbox.due_at, Outbox.id).limit(limit)
                           .with_for_update(skip_locked=True)).all()
    if not rows:
        return []
    blocked = set(session.scalars(select(ChatUser.chat_id).where(
        ChatUser.blocked.is_(True), ChatUser.chat_id.in_({r.chat_id for r in rows}))))
    done = _already_done(session, list(rows))
    held = [r.id for r in rows if r.chat_id in blocked]
    skipped = [r.id for r in rows if r.id in done and r.chat_id not in blocked]
    claimed = [Claimed(r.id, r.chat_id, r.payload, r.attempts + 1) for r in rows
               if r.chat_id not in blocked and r.id not in done]
    if held:
        session.execute(update(Outbox).where(Outbox.id.in_(held)).values(status="unreachable",
                                                                          last_error="blocked the bot"))
    if skipped:
        session.execute(update(Outbox).where(Outbox.id.in_(skipped)).values(status="skipped"))
    if claimed:
        session.execute(update(Outbox).where(Outbox.id.in_([c.id for c in claimed]))
                        .values(status="sending", attempts=Outbox.attempts + 1, claimed_by=owner or process_owner(),
                                lease_until=utcnow() + timedelta(seconds=lease_s)))
    return claimed


def renew_leases(session: Session, owner: str, lease_s: float) -> int:
    """The heartbeat of a sender: its rows still 'sending' stay its own for lease_s more."""
    result = session.execute(update(Outbox).where(Outbox.status == "sending", Outbox.claimed_by == owner)
                             .values(lease_until=utcnow() + timedelta(seconds=lease_s)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release(session: Session, ids: list[int], owner: str | None = None) -> None:
    """Claimed rows this process will not send after all (it is stopping): back to the queue."""
    session.execute(update(Outbox).where(Outbox.id.in_(ids), Outbox.status == "sending",
                                         Outbox.claimed_by == (owner or process_owner()))
                    .values(status="pending", attempts=Outbox.attempts - 1, claimed_by=None, lease_until=None))


def requeue_expired(session: Session, now: datetime | None = None) -> int:
    """Rows whose sender stopped renewing its lease (it died) go back to the queue; live claims stay.

    A row without a lease was claimed before leases existed: nobody is renewing it.
    """
    expired = or_(Outbox.lease_until.is_(None), Outbox.lease_until < (now or utcnow()))
    result = session.execute(update(Outbox).where(Outbox.status == "sending", expired)
                             .values(status="pending", claimed_by=None, lease_until=None))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_CONFIRM = update(Outbox).where(Outbox.id == bindparam("row_id")).values(status="sent", sent_at=bindparam("at"))


def confirm_sent(database: Database, row_id: int) -> None:
    """The hot path: one small prepared UPDATE, committed at once, right after Telegram accepted the message."""
    database.execute(_CONFIRM, {"row_id": row_id, "at": utcnow()})


def _note_buttons(database: Database, chat_id: int, rows: list[list[tuple[str, str]]]) -> bool:
    """A notice with buttons is now the chat's last message with buttons: typing a label presses one, as for any
    answer (a private chat's id is its user's). Best effort, after the row is confirmed: this races the bot's
    own writes of the chat's row, and losing only means a typed label does not press the notice's button."""
    try:
        database.run(conversation.note_keyboard, chat_id, chat_id, rows)
    except Exception:
        log.warning("Could not record a notice's buttons for a chat", exc_info=True)
        return False
    return True


# A unit's chart, drawn once per (unit, date) for all its managers' digests; bounded so a long-running
# sender does not keep every chart of every week.
_CHARTS: dict[tuple[int, str], bytes | None] = {}
_CHARTS_KEPT = 4096


def _unit_chart(session: Session, unit_id: int, as_of: str) -> bytes | None:
    unit = session.get(Unit, unit_id)
    return None if unit is None else chart_png(build_report(session, unit, date.fromisoformat(as_of)))


async def _chart_content(database: Database, chart: dict[str, Any]) -> bytes | None:
    key = (int(chart["unit_id"]), str(chart["as_of"]))
    if key not in _CHARTS:
        if len(_CHARTS) >= _CHARTS_KEPT:
            _CHARTS.clear()
        # Reading the report and drawing take a worker thread: the event loop keeps serving users.
        _CHARTS[key] = await asyncio.to_thread(database.read, _unit_chart, key[0], key[1])
    return _CHARTS[key]


async def _send(bot: Bot, item: Claimed, database: Database) -> list[list[tuple[str, str]]] | None:
    """sendMessage without building a Message object from the answer: delivery needs only success.

    A row with a "file" (domain.outbox.enqueue_file) is a photo or a document, its text the caption: the same
    claim, lease, retry and rate rules apply, as it is one row and one API call like any other."""
    payload = json.loads(item.payload)
    if "chart" in payload:  # domain.outbox.enqueue_unit_chart: drawn now, not when queued
        content = await _chart_content(database, payload["chart"])
        if content is None:  # the unit is gone: nothing to draw
            return None
        payload["content"] = base64.b64encode(content).decode("ascii")
    if "file" in payload:
        await _send_file(bot, item.chat_id, payload)
        return None
    kwargs: dict[str, Any] = {"chat_id": item.chat_id, "text": payload["text"], "parse_mode": ParseMode.HTML}
    markup = _markup(payload)
    if markup is not None:
        kwargs["reply_markup"] = markup
    await bot.do_api_request("sendMessage", api_kwargs=kwargs)
    return [[(str(t), str(d)) for t, d in row] for row in payload["buttons"]] if markup is not None else None


async def _send_file(bot: Bot, chat_id: int, payload: dict[str, Any]) -> None:
    method = "sendPhoto" if payload["file"] == "photo" else "sendDocument"
    field = "photo" if method == "sendPhoto" else "document"
    upload = InputFile(base64.b64decode(payload["content"]), filename=payload.get("filename") or field)
    await bot.do_api_request(method, api_kwargs={"chat_id": chat_id, field: upload, "caption": payload.get("text", ""),
                                                 "parse_mode": ParseMode.HTML})


def mark(session: Session, row_id: int, status: str, error: str | None = None, delay_s: float = 0) -> None:
    row = session.get(Outbox, row_id)
    if row is None:
        return
    # Telegram's error text can quote the request (the token is in its URL) or a phone: kept redacted.
    row.status, row.last_error = status, redact(error) if error is not None else None
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
            # A sleep that overshot may be made up, but never by more than a short burst.
            slot = max(self.next_slot, now - BURST_S)
            start = max(slot, now, self.chat_next.get(chat_id, 0.0))
            self.next_slot = slot + self.interval
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


async def deliver(bot: Bot, database: Database, item: Claimed,
                  on_retry_after: Callable[[float], None] | None = None,
                  on_buttons_sent: ButtonsSent | None = None) -> bool:
    """Send one claimed row and record the outcome; the one place delivery errors are handled."""
    try:
        buttons = await _send(bot, item, database)
    except Forbidden as exc:
        await asyncio.to_thread(database.run, mark, item.id, "unreachable", str(exc))
        return False
    except RetryAfter as exc:
        delay = _retry_after_seconds(exc)
        if on_retry_after is not None:
            on_retry_after(delay)
        await asyncio.to_thread(database.run, mark, item.id, "pending", str(exc), delay)
        return False
    except BadRequest as exc:  # the message itself is wrong: retrying will not help
        await asyncio.to_thread(database.run, mark, item.id, "failed", str(exc))
        return False
    except TelegramError as exc:  # network: back off, try again later
        status = "failed" if item.attempts >= MAX_ATTEMPTS else "pending"
        await asyncio.to_thread(database.run, mark, item.id, status, str(exc), min(2.0 ** item.attempts, 600))
        return False
    await asyncio.to_thread(confirm_sent, database, item.id)
    # Only beside the bot (the hook keeps its cache of chats without buttons true); a standby sender leaves it.
    if (buttons and item.chat_id > 0 and on_buttons_sent is not None
            and await asyncio.to_thread(_note_buttons, database, item.chat_id, buttons)):
        on_buttons_sent(item.chat_id)
    return True


class Dispatcher:
    def __init__(self, bot: Bot, database: Database, settings: SchedulerSettings,
                 local_now: Callable[[], datetime], limiter: RateLimiter | None = None,
                 owner: str | None = None, on_buttons_sent: ButtonsSent | None = None,
                 busy: Callable[[], bool] | None = None) -> None:
        self.bot, self.database, self.settings, self.local_now = bot, database, settings, local_now
        self.on_buttons_sent = on_buttons_sent
        self.busy = busy  # True while updates wait or run: their replies go first
        self.yield_until = 0.0
        self.limiter = limiter or RateLimiter(settings.global_rate_per_s, settings.per_chat_interval_s)
        self.stopping = asyncio.Event()
        self.owner = owner or process_owner()
        self.lease_s = settings.claim_lease_s
        self.next_requeue = 0.0  # monotonic time of the next look for expired leases

    def quiet(self) -> bool:
        return is_quiet(self.local_now(), self.settings)

    async def send_one(self, item: Claimed) -> bool:
        await self._after_live_updates()
        await self.limiter.acquire(item.chat_id)
        return await deliver(self.bot, self.database, item, on_retry_after=self.limiter.pause,
                             on_buttons_sent=self.on_buttons_sent)

    async def _after_live_updates(self) -> None:
        """People waiting for an answer come before a broadcast (they share Telegram's global limit and the
        bot's one core): wait while updates are in flight, until the batch's yield time is used up."""
        clock, sleep = self.limiter.clock, self.limiter.sleep
        while self.busy is not None and self.busy() and clock() < self.yield_until:
            await sleep(YIELD_STEP_S)

    async def requeue_expired(self) -> None:
        """Now and then (not every batch): take back the rows of senders that died."""
        if time.monotonic() < self.next_requeue:
            return
        self.next_requeue = time.monotonic() + self.lease_s / 2
        count = await asyncio.to_thread(self.database.run, requeue_expired)
        if count:
            log.info("Re-queued %d outbox messages whose sender stopped (lease expired)", count)

    async def _renew_leases(self) -> None:
        """While a batch is sending, renew its lease well before it expires (a third of the lease)."""
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                await asyncio.to_thread(self.database.run, renew_leases, self.owner, self.lease_s)
            except Exception:  # the next beat tries again; the lease has two more thirds to go
                log.warning("Could not renew outbox leases", exc_info=True)

    async def run_once(self, limit: int = 200) -> int:
        """Claim one batch and send it; returns how many were delivered."""
        s = self.settings
        await self.requeue_expired()
        claimed = await asyncio.to_thread(self.database.run, claim_due, limit, self.quiet(), s.urgent_kinds,
                                          self.owner, self.lease_s)
        if not claimed:
            return 0
        renewer = asyncio.get_running_loop().create_task(self._renew_leases())
        self.yield_until = self.limiter.clock() + MAX_YIELD_S
        try:
            return await self._send_batch(claimed)
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _send_batch(self, claimed: list[Claimed]) -> int:
        s = self.settings
        semaphore = asyncio.Semaphore(s.concurrent_sends)
        not_started: list[int] = []

        async def guarded(item: Claimed) -> bool:
            async with semaphore:
                if self.stopping.is_set():  # a graceful stop sends nothing new, so it duplicates nothing
                    not_started.append(item.id)
                    return False
                return await self.send_one(item)

        results = await asyncio.gather(*(guarded(item) for item in claimed))
        if not_started:
            await asyncio.to_thread(self.database.run, release, not_started, self.owner)
        return sum(results)

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 1.0) -> None:
        self.stopping = stop
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
                       now: datetime, limit: int = 30, on_buttons_sent: ButtonsSent | None = None) -> int:
    """Send at once what a person's action just queued for someone (the dispatcher does the rest).

    Only the kinds the action produces; in quiet hours only the urgent ones among them.
    """
    if is_quiet(now, settings):
        kinds = kinds & settings.urgent_kinds
    if not kinds:
        return 0
    sent = 0
    for item in await asyncio.to_thread(database.run, claim_due, limit, True, kinds, None, settings.claim_lease_s):
        sent += await deliver(bot, database, item, on_buttons_sent=on_buttons_sent)
    return sent
