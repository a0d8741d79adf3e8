"""Whether a Telegram user can be messaged (they may have blocked the bot)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.models import ChatUser


def mark_blocked(session: Session, telegram_user_id: int) -> None:
    row = session.get(ChatUser, telegram_user_id)
    if row is not None:
        row.blocked = True
