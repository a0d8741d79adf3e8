"""Where a user's conversation waits: one open step per Telegram user and chat, in the database.

A step has a name ("review-comment", "course-capacity", "roster-confirm", …) and a JSON payload
(its argument, or for a step that waits for a button choice the offered buttons). It is written
in the transaction of the update that opened it, so a restart between two steps loses nothing.
A step left untouched for a day is forgotten: the next message is read afresh.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from db.models import ConversationStep
from domain.clock import as_utc, utcnow

MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class Step:
    name: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def argument(self) -> str:
        return str(self.data.get("argument", ""))


def open_step(session: Session, user_id: int, chat_id: int, name: str, data: dict[str, Any] | None = None) -> None:
    """Make `name` the step this user's chat waits at, replacing any other."""
    payload = json.dumps(data or {}, ensure_ascii=False)
    row = session.get(ConversationStep, (user_id, chat_id), with_for_update=True)
    if row is None:
        session.add(ConversationStep(telegram_user_id=user_id, chat_id=chat_id, step=name, payload=payload,
                                     updated_at=utcnow()))
    else:
        row.step, row.payload, row.updated_at = name, payload, utcnow()
    session.flush()


def current_step(session: Session, user_id: int, chat_id: int, now: datetime | None = None) -> Step | None:
    """The open step, or None (an expired one is dropped)."""
    row = session.get(ConversationStep, (user_id, chat_id))
    if row is None:
        return None
    if as_utc(row.updated_at) < (now or utcnow()) - MAX_AGE:
        session.delete(row)
        session.flush()
        return None
    return Step(row.step, json.loads(row.payload or "{}"))


def take_step(session: Session, user_id: int, chat_id: int, names: Collection[str]) -> Step | None:
    """Close the step and return it, if the chat waits at one of `names` (locks the row first)."""
    row = session.get(ConversationStep, (user_id, chat_id), with_for_update=True)
    if row is None or row.step not in names or as_utc(row.updated_at) < utcnow() - MAX_AGE:
        return None
    step = Step(row.step, json.loads(row.payload or "{}"))
    session.delete(row)
    session.flush()
    return step


def close_step(session: Session, user_id: int, chat_id: int) -> bool:
    """Forget the open step; True if there was one."""
    result = session.execute(delete(ConversationStep).where(
        ConversationStep.telegram_user_id == user_id, ConversationStep.chat_id == chat_id))
    return bool(getattr(result, "rowcount", 0))
