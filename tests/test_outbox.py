"""The outbox: a crash between 'seat taken' and 'message sent' loses neither."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select, update
from telegram.error import NetworkError

from benchmarks.synthetic import write_course
from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Cadre, ChatUser, Outbox, Registration
from domain import registration as reg
from domain.courses import import_courses
from scheduler.outbox import claim_due, flush_outbox, requeue_unconfirmed
from tests.conftest import BotHarness, link

TODAY = date(2026, 11, 26)


def _setup(db: Database, tmp_path: Path) -> None:
    db.run(import_courses, write_course(tmp_path / "one.csv", "ONE", 1, date(2027, 1, 20)))

    def place(session):  # type: ignore[no-untyped-def]
        a = session.scalars(select(Cadre).where(Cadre.code == "MAU016")).one()
        b = session.scalars(select(Cadre).where(Cadre.code == "MAU017")).one()
        reg.register(session, a, "ONE", TODAY, "x")
        reg.register(session, b, "ONE", TODAY, "x")

    db.run(place)


async def test_network_failure_keeps_message_until_sent(bot: BotHarness, roster: Database, tmp_path: Path) -> None:
    first, second = UpdateFactory(user_id=701), UpdateFactory(user_id=702)
    await link(bot, first, "0912345016")
    await link(bot, second, "0912345017")
    _setup(roster, tmp_path)
    bot.api.fail("sendMessage", NetworkError("connection reset"), times=1)
    await bot.send(first.callback("course:cancelok:ONE"))  # reply fails, the outbox send happens after
    status = roster.run(lambda s: s.scalar(select(Registration.status).where(Registration.promoted_at.is_not(None))))
    assert status == "registered"  # the seat is kept whatever the network does
    pending = roster.run(lambda s: s.scalars(select(Outbox)).one())
    assert pending.kind == "waitlist-promoted"
    await flush_outbox(bot.app.bot, roster)
    row = roster.run(lambda s: s.scalars(select(Outbox)).one())
    assert row.status in ("sent", "pending")
    if row.status == "pending":  # backoff: make it due and try again
        roster.run(lambda s: s.execute(update(Outbox).values(due_at=row.created_at)))
        await flush_outbox(bot.app.bot, roster)
    assert roster.run(lambda s: s.scalar(select(Outbox.status))) == "sent"
    assert sum("Đã có chỗ cho bạn" in c.text for c in bot.api.sent(chat_id=702)) == 1


async def test_crash_after_claim_is_resent_once(bot: BotHarness, roster: Database, tmp_path: Path) -> None:
    second = UpdateFactory(user_id=702)
    await link(bot, second, "0912345017")
    roster.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "MAU016").values(telegram_chat_id=1)))
    _setup(roster, tmp_path)
    roster.run(lambda s: reg.cancel(s, s.scalars(select(Cadre).where(Cadre.code == "MAU016")).one(), "ONE",
                                    TODAY, "x"))
    claimed = roster.run(claim_due, 10)  # the process claims, then dies before sending
    assert len(claimed) == 1
    assert await flush_outbox(bot.app.bot, roster) == 0  # claimed rows are not due for others
    assert roster.run(requeue_unconfirmed) == 1  # the restart
    assert await flush_outbox(bot.app.bot, roster) == 1
    assert await flush_outbox(bot.app.bot, roster) == 0
    assert sum("Đã có chỗ cho bạn" in c.text for c in bot.api.sent(chat_id=702)) == 1


async def test_blocked_recipient_marked_unreachable(bot: BotHarness, roster: Database, tmp_path: Path) -> None:
    second = UpdateFactory(user_id=702)
    await link(bot, second, "0912345017")
    roster.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "MAU016").values(telegram_chat_id=1)))
    _setup(roster, tmp_path)
    roster.run(lambda s: reg.cancel(s, s.scalars(select(Cadre).where(Cadre.code == "MAU016")).one(), "ONE",
                                    TODAY, "x"))
    bot.api.fail("sendMessage", 403)
    await flush_outbox(bot.app.bot, roster)
    assert roster.run(lambda s: s.scalar(select(Outbox.status))) == "unreachable"
    assert roster.run(lambda s: s.get(ChatUser, 702).blocked) is True
