"""Sending what the outbox holds. Claim, send, confirm: a restart re-sends only unconfirmed rows.

This is the delivery path every feature uses. Rate limits, quiet hours and schedules are the
scheduler issue's; here: claim due rows, send them, and record the outcome.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import Forbidden, RetryAfter, TelegramError

from db import Database
from db.models import ChatUser, Outbox
from domain.clock import utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    payload: str


def claim_due(session: Session, limit: int) -> list[Claimed]:
    """Mark due rows 'sending' (PostgreSQL: SKIP LOCKED, so a standby process can share the work)."""
    rows = session.scalars(
        select(Outbox).where(Outbox.status == "pending", Outbox.due_at <= utcnow())
        .order_by(Outbox.due_at, Outbox.id).limit(limit).with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.status, row.attempts = "sending", row.attempts + 1
    return [Claimed(r.id, r.chat_id, r.payload) for r in rows]


def requeue_unconfirmed(session: Session) -> int:
    """After a crash: rows claimed but never confirmed go back to the queue."""
    rows = session.scalars(select(Outbox).where(Outbox.status == "sending")).all()
    for row in rows:
        row.status = "pending"
    return len(rows)


def _mark(session: Session, row_id: int, status: str, error: str | None = None, delay_s: float = 0) -> None:
    row = session.get(Outbox, row_id)
    if row is None:
        return
    row.status, row.last_error = status, error
    if status == "sent":
        row.sent_at = utcnow()
    if status == "pending":
        row.due_at = utcnow() + timedelta(seconds=delay_s)
    if status == "unreachable":
        chat_user = session.scalar(select(ChatUser).where(ChatUser.chat_id == row.chat_id))
        if chat_user is not None:
            chat_user.blocked = True


def _markup(payload: dict[str, object]) -> InlineKeyboardMarkup | None:
    rows = payload.get("buttons")
    if not isinstance(rows, list) or not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


async def send_one(bot: Bot, database: Database, item: Claimed) -> bool:
    payload = json.loads(item.payload)
    try:
        await bot.send_message(item.chat_id, payload["text"], parse_mode=ParseMode.HTML,
                               reply_markup=_markup(payload))
    except Forbidden as exc:
        database.run(_mark, item.id, "unreachable", str(exc))
        return False
    except RetryAfter as exc:
        delay = exc.retry_after if isinstance(exc.retry_after, int | float) else exc.retry_after.total_seconds()
        database.run(_mark, item.id, "pending", str(exc), float(delay))
        return False
    except TelegramError as exc:
        attempts = database.run(lambda s: s.get(Outbox, item.id).attempts)
        status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        database.run(_mark, item.id, status, str(exc), 2.0 ** attempts)
        return False
    database.run(_mark, item.id, "sent")
    return True


async def flush_outbox(bot: Bot, database: Database, limit: int = 30) -> int:
    """Send what is due now; returns how many were delivered."""
    claimed = database.run(claim_due, limit)
    sent = 0
    for item in claimed:
        sent += await send_one(bot, database, item)
    return sent
