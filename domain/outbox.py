"""Writing notifications to the outbox, in the same transaction as the change they announce.

A crash after the change commits cannot lose the message: the dispatcher sends it later.
The idempotency key makes enqueuing the same notification twice a no-op.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db.models import Cadre, Outbox
from domain import vn
from domain.clock import utcnow

Buttons = list[list[tuple[str, str]]]


def enqueue(
    session: Session, key: str, cadre: Cadre, kind: str, text: str,
    buttons: Buttons | None = None, due_at: datetime | None = None, period: str | None = None,
    key_is_new: bool = False,
) -> bool:
    """Queue a message to a linked cadre; False if they cannot be reached or it was queued already.
    `key_is_new`: the caller looked the key up already (a job, for a whole chunk in one query)."""
    if cadre.telegram_chat_id is None:
        return False
    if not key_is_new and session.scalar(select(Outbox.id).where(Outbox.key == key)) is not None:
        return False
    now = utcnow()
    payload: dict[str, Any] = {"text": text}
    if buttons:
        payload["buttons"] = buttons
    if period:  # lets the dispatcher drop a reminder the person no longer needs
        payload["period"] = period
    session.add(Outbox(key=key, chat_id=cadre.telegram_chat_id, cadre_id=cadre.id, kind=kind,
                       payload=json.dumps(payload, ensure_ascii=False), due_at=due_at or now, status="pending",
                       attempts=0, created_at=now))
    return True


def reach(people: int, told: int) -> str:
    """Of the `people` a change concerns, how many hear of it through the bot (`told`: those linked to Telegram), for
    HR's previews and reports: the others must be told another way, and a count of the told alone hid them."""
    rest = people - told
    missed = f"; {vn.number(rest)} người chưa liên kết Telegram nên không nhận được tin – cần báo cách khác"
    return f"báo qua bot {vn.number(told)} người" + (missed if rest else "")


def enqueue_file(session: Session, key: str, cadre: Cadre, kind: str, caption: str, file_kind: str, filename: str,
                 content: bytes) -> bool:
    """Queue a photo ("photo") or a document ("document") with a caption, delivered like any message."""
    return _enqueue_upload(session, key, cadre, kind, {
        "text": caption, "file": file_kind, "filename": filename,
        "content": base64.b64encode(content).decode("ascii")})


def enqueue_unit_chart(session: Session, key: str, cadre: Cadre, kind: str, caption: str, unit_id: int,
                       as_of: date, key_is_new: bool = False) -> bool:
    """Queue a unit's indicator chart as a photo, drawn by the dispatcher when it sends it.

    A province digest reaches ~8,000 managers: drawing ~2,000 charts inside the job took minutes and stored a
    PNG per row. The row holds the unit and the date instead; the sender draws each chart once (cached)."""
    return _enqueue_upload(session, key, cadre, kind, {
        "text": caption, "file": "photo", "filename": "chi-tieu.png",
        "chart": {"unit_id": unit_id, "as_of": as_of.isoformat()}}, key_is_new)


def _enqueue_upload(session: Session, key: str, cadre: Cadre, kind: str, payload: dict[str, Any],
                    key_is_new: bool = False) -> bool:
    if cadre.telegram_chat_id is None or payload["file"] not in ("photo", "document"):
        return False
    if not key_is_new and session.scalar(select(Outbox.id).where(Outbox.key == key)) is not None:
        return False
    now = utcnow()
    session.add(Outbox(key=key, chat_id=cadre.telegram_chat_id, cadre_id=cadre.id, kind=kind,
                       payload=json.dumps(payload, ensure_ascii=False), due_at=now, status="pending", attempts=0,
                       created_at=now))
    return True


@dataclass(frozen=True)
class Message:
    key: str
    cadre_id: int
    chat_id: int
    kind: str
    text: str
    buttons: Buttons | None = None
    period: str | None = None


def enqueue_many(session: Session, messages: list[Message], chunk: int = 500) -> int:
    """Bulk form of enqueue for jobs that reach thousands: one lookup and one insert per chunk."""
    now = utcnow()
    queued = 0
    for start in range(0, len(messages), chunk):
        part = messages[start:start + chunk]
        existing = set(session.scalars(select(Outbox.key).where(Outbox.key.in_([m.key for m in part]))))
        rows = []
        for m in part:
            if m.key in existing:
                continue
            existing.add(m.key)
            payload: dict[str, Any] = {"text": m.text}
            if m.buttons:
                payload["buttons"] = m.buttons
            if m.period:
                payload["period"] = m.period
            rows.append({"key": m.key, "chat_id": m.chat_id, "cadre_id": m.cadre_id, "kind": m.kind,
                         "payload": json.dumps(payload, ensure_ascii=False), "due_at": now, "status": "pending",
                         "attempts": 0, "created_at": now})
        if rows:
            session.execute(insert(Outbox), rows)
            queued += len(rows)
    return queued


def outbox_counts(session: Session) -> dict[str, Any]:
    """The queue by status, and by kind then status (for `cadrebot outbox`)."""
    by_status: dict[str, int] = {}
    by_kind: dict[str, dict[str, int]] = {}
    for status, kind, n in session.execute(select(Outbox.status, Outbox.kind, func.count()).group_by(
            Outbox.status, Outbox.kind)):
        by_status[status] = by_status.get(status, 0) + n
        by_kind.setdefault(kind, {})[status] = n
    return {"by_status": by_status, "by_kind": by_kind}


def waiting_count(session: Session) -> int:
    """Messages not yet confirmed sent."""
    return session.scalar(select(func.count(Outbox.id)).where(Outbox.status.in_(("pending", "sending")))) or 0
