"""Retention: the daily job deletes finished outbox messages and unlinked chat records past their
days, keeps what still waits for someone, and keeps the audit log longest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from core.config import Settings
from db import Database
from db.models import AuditLog, Cadre, ChatUser, ConversationStep, Outbox
from scheduler.jobs import JOBS, run_due, run_job

AT = datetime(2026, 11, 26, 3, 30)


def _fill(session, now: datetime) -> None:  # type: ignore[no-untyped-def]
    def outbox(key: str, status: str, days: int) -> Outbox:
        at = now - timedelta(days=days)
        return Outbox(key=key, chat_id=1, kind="digest", payload=json.dumps({"text": "x"}), due_at=at, status=status,
                      attempts=1, created_at=at, sent_at=at if status == "sent" else None)

    session.add_all([outbox("old-sent", "sent", 91), outbox("old-skipped", "skipped", 120),
                     outbox("old-failed", "failed", 100), outbox("new-sent", "sent", 10),
                     outbox("old-pending", "pending", 200), outbox("old-unreachable", "unreachable", 200)])
    for uid, days in ((9001, 181), (9002, 10), (9003, 400)):
        at = now - timedelta(days=days)
        session.add(ChatUser(telegram_user_id=uid, chat_id=uid, first_seen=at, last_seen=at, blocked=False))
    for days in (10, 400, 1826):
        session.add(AuditLog(at=now - timedelta(days=days), actor="cli", action=f"read-{days}"))
    session.flush()
    code = session.scalar(select(Cadre.code).order_by(Cadre.id).limit(1))
    session.execute(update(Cadre).where(Cadre.code == code).values(telegram_user_id=9003, telegram_chat_id=9003))


def test_retention_deletes_only_what_is_past_its_days(roster: Database, settings: Settings) -> None:
    now = AT.replace(tzinfo=settings.timezone).astimezone(UTC)
    roster.run(_fill, now)
    deleted = run_job(roster, "retention", AT.replace(tzinfo=settings.timezone), settings)
    assert deleted == 3 + 1 + 1
    keys = roster.run(lambda s: set(s.scalars(select(Outbox.key))))
    assert keys == {"new-sent", "old-pending", "old-unreachable"}
    chats = roster.run(lambda s: set(s.scalars(select(ChatUser.telegram_user_id))))
    assert {9002, 9003} <= chats and 9001 not in chats  # 9003 is linked to a cadre: kept
    actions = roster.run(lambda s: set(s.scalars(select(AuditLog.action).where(AuditLog.action.like("read-%")))))
    assert actions == {"read-10", "read-400"}


def test_retention_runs_daily_once(roster: Database, settings: Settings) -> None:
    assert "retention" in JOBS
    late = datetime(2026, 11, 26, 4, 0, tzinfo=settings.timezone)
    assert "retention" in run_due(roster, late, settings)
    assert "retention" not in run_due(roster, late + timedelta(minutes=5), settings)


def test_retention_deletes_conversation_rows_a_day_old(roster: Database, settings: Settings) -> None:
    from domain import conversation

    now = AT.replace(tzinfo=settings.timezone).astimezone(UTC)
    roster.run(conversation.note_keyboard, 9101, 9101, [[("👤 Hồ sơ của tôi", "menu:profile")]])
    roster.run(conversation.open_step, 9102, 9102, "ask", {})
    roster.run(lambda s: s.execute(update(ConversationStep).where(ConversationStep.telegram_user_id == 9101)
                                   .values(updated_at=now - timedelta(hours=25))))
    roster.run(lambda s: s.execute(update(ConversationStep).where(ConversationStep.telegram_user_id == 9102)
                                   .values(updated_at=now - timedelta(hours=1))))
    assert run_job(roster, "retention", AT.replace(tzinfo=settings.timezone), settings) == 1
    assert roster.run(lambda s: set(s.scalars(select(ConversationStep.telegram_user_id)))) == {9102}
