"""Retention ([retention] in config.toml): a daily job deletes what is no longer needed.

- outbox messages delivered, dropped as no longer needed, or failed for good, after outbox_days
  (pending, sending and unreachable ones wait for their person, so they stay);
- chat records of people who wrote to the bot but never linked a cadre record, after chat_users_days
  without a message;
- conversation steps and remembered buttons a day old (domain.conversation.MAX_AGE: never read again);
- the audit log after audit_days, the longest of all (validated at start).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.config import Settings
from db import Database
from db.models import AuditLog, Cadre, ChatUser, Outbox
from domain import conversation

log = logging.getLogger(__name__)
FINISHED = ("sent", "skipped", "failed")


def purge(session: Session, now: datetime, settings: Settings) -> dict[str, int]:
    keep = settings.retention
    outbox = session.execute(delete(Outbox).where(
        Outbox.status.in_(FINISHED), Outbox.created_at < now - timedelta(days=keep.outbox_days)))
    linked = select(Cadre.telegram_user_id).where(Cadre.telegram_user_id.is_not(None))
    chats = session.execute(delete(ChatUser).where(
        ChatUser.last_seen < now - timedelta(days=keep.chat_users_days), ChatUser.telegram_user_id.not_in(linked)))
    audit = session.execute(delete(AuditLog).where(AuditLog.at < now - timedelta(days=keep.audit_days)))
    return {"outbox": int(outbox.rowcount or 0), "chat_users": int(chats.rowcount or 0),  # type: ignore[attr-defined]
            "audit_log": int(audit.rowcount or 0),  # type: ignore[attr-defined]
            "conversation_steps": conversation.purge_expired(session, now)}


def retention(database: Database, at: datetime, settings: Settings) -> int:
    """The scheduled job: returns how many rows it deleted (recorded in job_runs)."""
    deleted = database.run(purge, at.astimezone(UTC), settings)
    log.info("Retention: deleted %s", deleted)
    return sum(deleted.values())
