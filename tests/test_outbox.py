"""Delivery through the outbox: limits, retries, blocked users, quiet hours, crashes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from telegram.error import NetworkError

from benchmarks.synthetic import write_course
from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Cadre, ChatUser, Outbox, Registration
from domain import registration as reg
from domain.courses import import_courses
from domain.outbox import enqueue
from scheduler.outbox import Dispatcher, RateLimiter, claim_due, requeue_expired
from tests.conftest import TODAY, BotHarness, link

DAY = datetime(2026, 11, 26, 10, 0)


class FakeTime:
    """A clock the limiter reads and sleeps on, without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.starts: list[tuple[float, int]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def dispatcher(bot: BotHarness, db: Database, settings, at: datetime = DAY) -> Dispatcher:  # type: ignore[no-untyped-def]
    fake = FakeTime()
    limiter = RateLimiter(settings.scheduler.global_rate_per_s, settings.scheduler.per_chat_interval_s,
                          fake.clock, fake.sleep)
    return Dispatcher(bot.app.bot, db, settings.scheduler, lambda: at.replace(tzinfo=settings.timezone), limiter)


def queue(db: Database, code: str, kind: str, key: str, text: str = "Xin chào", period: str | None = None) -> bool:
    def work(session):  # type: ignore[no-untyped-def]
        cadre = session.scalars(select(Cadre).where(Cadre.code == code)).one()
        return enqueue(session, key, cadre, kind, text, period=period)

    return db.run(work)


def status(db: Database) -> list[str]:
    return db.run(lambda s: s.scalars(select(Outbox.status).order_by(Outbox.id)).all())


@pytest.fixture
async def linked(bot: BotHarness, roster: Database) -> UpdateFactory:
    user = UpdateFactory(user_id=702)
    await link(bot, user, "0912345017")  # MAU017
    bot.api.clear()
    return user


async def test_sends_and_confirms_once(bot: BotHarness, roster: Database, settings, linked: UpdateFactory) -> None:  # type: ignore[no-untyped-def]
    assert queue(roster, "MAU017", "digest", "k1", "Bản tin")
    assert not queue(roster, "MAU017", "digest", "k1", "Bản tin")  # the same key twice: queued once
    d = dispatcher(bot, roster, settings)
    assert await d.run_once() == 1
    assert await d.run_once() == 0
    assert status(roster) == ["sent"]
    assert [c.text for c in bot.api.sent(chat_id=linked.chat_id)] == ["Bản tin"]


async def test_network_failure_backs_off_then_sends(bot: BotHarness, roster: Database, settings,  # type: ignore[no-untyped-def]
                                                    linked: UpdateFactory) -> None:
    queue(roster, "MAU017", "digest", "k1")
    bot.api.fail("sendMessage", NetworkError("connection reset"))
    d = dispatcher(bot, roster, settings)
    assert await d.run_once() == 0
    row = roster.run(lambda s: s.scalars(select(Outbox)).one())
    assert row.status == "pending" and row.attempts == 1 and "connection reset" in row.last_error
    roster.run(lambda s: s.execute(update(Outbox).values(due_at=row.created_at)))  # the backoff has passed
    assert await d.run_once() == 1


async def test_a_delivery_error_is_kept_redacted(bot: BotHarness, roster: Database, settings,  # type: ignore[no-untyped-def]
                                                 linked: UpdateFactory) -> None:
    """The error text is stored; a token in a quoted URL or a phone number in it is not."""
    queue(roster, "MAU017", "digest", "k1")
    bot.api.fail("sendMessage", NetworkError(
        "POST https://api.telegram.org/bot123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ/sendMessage 0912345017 reset"))
    assert await dispatcher(bot, roster, settings).run_once() == 0
    error = roster.run(lambda s: s.scalars(select(Outbox.last_error)).one())
    assert "reset" in error and "ABCDEFGHIJ" not in error and "0912345017" not in error


async def test_retry_after_pauses_everyone(bot: BotHarness, roster: Database, settings, linked: UpdateFactory) -> None:  # type: ignore[no-untyped-def]
    queue(roster, "MAU017", "digest", "k1")
    bot.api.fail("sendMessage", 429)
    d = dispatcher(bot, roster, settings)
    assert await d.run_once() == 0
    assert status(roster) == ["pending"]
    assert d.limiter.next_slot >= 3  # Telegram asked for 3 s


async def test_blocked_user_unreachable_until_they_write_again(bot: BotHarness, roster: Database, settings,  # type: ignore[no-untyped-def]
                                                                linked: UpdateFactory) -> None:
    queue(roster, "MAU017", "digest", "k1")
    bot.api.fail("sendMessage", 403)
    d = dispatcher(bot, roster, settings)
    await d.run_once()
    assert status(roster) == ["unreachable"]
    assert roster.run(lambda s: s.get(ChatUser, linked.user_id).blocked) is True
    queue(roster, "MAU017", "digest", "k2")
    await d.run_once()  # not even tried while blocked
    assert status(roster) == ["unreachable", "unreachable"]
    await bot.send(linked.text("/menu"))  # they are back
    bot.api.clear()
    assert await d.run_once() == 2


async def test_crash_after_claim_is_resent_once(bot: BotHarness, roster: Database, settings,  # type: ignore[no-untyped-def]
                                                linked: UpdateFactory) -> None:
    queue(roster, "MAU017", "digest", "k1")
    assert len(roster.run(claim_due, 10)) == 1  # the process claims, then dies before sending
    d = dispatcher(bot, roster, settings)
    assert await d.run_once() == 0  # a claimed row is not due for anyone else
    assert roster.run(requeue_expired) == 0  # its lease is still running: nobody takes it
    later = datetime.now(UTC) + timedelta(seconds=settings.scheduler.claim_lease_s + 1)
    assert roster.run(requeue_expired, later) == 1  # nobody renewed it: the lease expired
    assert await d.run_once() == 1
    assert await d.run_once() == 0
    assert len(bot.api.sent(chat_id=linked.chat_id)) == 1


async def test_quiet_hours_and_holidays_hold_all_but_urgent(bot: BotHarness, roster: Database, settings,  # type: ignore[no-untyped-def]
                                                            linked: UpdateFactory) -> None:
    queue(roster, "MAU017", "digest", "k1")
    queue(roster, "MAU017", "waitlist-promoted", "k2")
    night = dispatcher(bot, roster, settings, datetime(2026, 11, 26, 22, 30))
    assert await night.run_once() == 1
    assert status(roster) == ["pending", "sent"]
    tet = replace(settings, scheduler=replace(settings.scheduler, holidays=frozenset({date(2027, 2, 6)})))
    assert await dispatcher(bot, roster, tet, datetime(2027, 2, 6, 10, 0)).run_once() == 0
    early = dispatcher(bot, roster, settings, datetime(2026, 11, 27, 6, 59))
    assert await early.run_once() == 0
    assert await dispatcher(bot, roster, settings, datetime(2026, 11, 27, 7, 0)).run_once() == 1


async def test_reminder_dropped_once_the_person_submitted(bot: BotHarness, roster: Database, settings,  # type: ignore[no-untyped-def]
                                                          linked: UpdateFactory) -> None:
    from domain import evaluation as ev
    from domain.evaluation import Window

    queue(roster, "MAU017", "eval-reminder", "eval-reminder:2026-11:MAU017:1", period="2026-11")
    cid = roster.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == "MAU017")))
    w = Window(25, 5)
    v = roster.run(ev.start_or_resume, cid, TODAY, w)
    roster.run(ev.add_results, cid, v.id, "Việc", w, TODAY)
    roster.run(ev.set_self_rating, cid, v.id, 1, w, TODAY)
    roster.run(ev.submit, cid, v.id, w, TODAY)
    assert await dispatcher(bot, roster, settings).run_once() == 0
    assert status(roster) == ["skipped"]


def test_rate_limiter_paces_globally_and_per_chat() -> None:
    fake = FakeTime()
    limiter = RateLimiter(25.0, 1.0, fake.clock, fake.sleep)
    starts = []

    async def go() -> None:
        for chat in (1, 2, 3, 1, 1):
            await limiter.acquire(chat)
            starts.append(round(fake.now, 3))

    asyncio.run(go())
    assert starts[:3] == [0.0, 0.04, 0.08]  # 25/s
    assert starts[3] == 1.0 and starts[4] == 2.0  # one per second to the same chat


async def test_action_notifications_go_out_at_once(bot: BotHarness, roster: Database, tmp_path: Path,
                                                   linked: UpdateFactory) -> None:
    roster.run(import_courses, write_course(tmp_path / "one.csv", "ONE", 1, date(2027, 1, 20)))
    first = UpdateFactory(user_id=701)
    await link(bot, first, "0912345016")

    def place(session):  # type: ignore[no-untyped-def]
        for code in ("MAU016", "MAU017"):
            reg.register(session, session.scalars(select(Cadre).where(Cadre.code == code)).one(), "ONE", TODAY, code)

    roster.run(place)
    await bot.send(first.callback("course:cancelok:ONE"))
    assert any("Đã có chỗ cho bạn" in c.text for c in bot.api.sent(chat_id=linked.chat_id))
    assert roster.run(lambda s: s.scalar(select(Registration.status).where(Registration.promoted_at.is_not(None)))) \
        == "registered"


async def test_graceful_stop_returns_unsent_claims(bot: BotHarness, roster: Database, settings,  # type: ignore[no-untyped-def]
                                                   linked: UpdateFactory) -> None:
    queue(roster, "MAU017", "digest", "k1")
    d = dispatcher(bot, roster, settings)
    d.stopping.set()
    assert await d.run_once() == 0
    row = roster.run(lambda s: s.scalars(select(Outbox)).one())
    assert (row.status, row.attempts) == ("pending", 0)
    assert bot.api.sent() == []


async def test_photos_and_documents_follow_the_same_rules(bot: BotHarness, roster: Database, settings,  # type: ignore[no-untyped-def]
                                                          linked: UpdateFactory) -> None:
    from domain.outbox import enqueue_file

    def put(session, key: str, kind: str, content: bytes) -> bool:  # type: ignore[no-untyped-def]
        cadre = session.scalars(select(Cadre).where(Cadre.code == "MAU017")).one()
        return enqueue_file(session, key, cadre, "digest", "Biểu đồ <b>x</b>", kind, f"{kind}.bin", content)

    assert roster.run(put, "p1", "photo", b"\x89PNG\r\n\x1a\nfake")
    assert not roster.run(put, "p1", "photo", b"other")  # the same key twice: queued once
    assert roster.run(put, "d1", "document", b"PK\x03\x04")
    bot.api.fail("sendPhoto", NetworkError("connection reset"))
    d = dispatcher(bot, roster, settings)
    assert await d.run_once() == 1  # the document went; the photo backs off like a text would
    roster.run(lambda s: s.execute(update(Outbox).values(due_at=s.scalar(select(Outbox.created_at)))))
    assert await d.run_once() == 1
    assert await d.run_once() == 0
    calls = [c for c in bot.api.calls if c.method in ("sendPhoto", "sendDocument") and c.files]
    assert sorted(c.method for c in calls) == ["sendDocument", "sendPhoto"]
    photo = next(c for c in calls if c.method == "sendPhoto")
    assert photo.files["photo"][1] == b"\x89PNG\r\n\x1a\nfake" and photo.params["caption"] == "Biểu đồ <b>x</b>"
    assert status(roster) == ["sent", "sent"]


async def test_a_unit_chart_is_drawn_by_the_sender_once_per_unit(bot: BotHarness, roster: Database, settings,  # type: ignore[no-untyped-def]
                                                                 linked: UpdateFactory) -> None:
    from datetime import date

    from domain.outbox import enqueue_unit_chart

    def put(session, key: str, code: str) -> bool:  # type: ignore[no-untyped-def]
        cadre = session.scalars(select(Cadre).where(Cadre.code == code)).one()
        return enqueue_unit_chart(session, key, cadre, "digest", "Biểu đồ", cadre.unit_id, date(2026, 11, 30))

    assert roster.run(put, "c1", "MAU017")
    assert not roster.run(put, "c1", "MAU017")  # once per key
    row = roster.run(lambda s: s.scalars(select(Outbox)).one())
    assert "content" not in row.payload  # nothing drawn or stored when queued
    assert await dispatcher(bot, roster, settings).run_once() == 1
    photo = next(c for c in bot.api.calls if c.method == "sendPhoto")
    assert photo.files["photo"][1][:8] == b"\x89PNG\r\n\x1a\n" and photo.params["caption"] == "Biểu đồ"
    assert status(roster) == ["sent"]


async def test_a_notice_with_buttons_becomes_the_chats_last_buttons(bot: BotHarness, roster: Database,
                                                                    settings) -> None:  # type: ignore[no-untyped-def]
    """The course deadline notice's "🎓 Xem lớp": typing its label after it presses it, as for any answer's
    buttons, also when the chat's last answer had none (the bot's cache of that must not hide the notice)."""
    from scheduler import dispatcher_for
    from scheduler.jobs import run_job

    roster.run(import_courses, Path(__file__).resolve().parent.parent / "bot" / "demo_data" / "courses.csv")
    user = UpdateFactory(user_id=7013)
    await link(bot, user, "0912345013")
    await bot.send(user.text("/cancel"))  # an answer without buttons: none recorded
    run_job(roster, "course-notices", datetime(2026, 12, 25, 8, 30, tzinfo=settings.timezone), settings)
    sender = dispatcher_for(bot.app, lambda: DAY.replace(tzinfo=settings.timezone))
    assert await sender.run_once() >= 1
    texts = await bot.send(user.text("xem lớp"))
    assert "Sở Khoa học và Công nghệ" in texts[-1]


async def test_notices_wait_while_people_are_being_answered_but_not_for_long(  # type: ignore[no-untyped-def]
        bot: BotHarness, roster: Database, settings, linked: UpdateFactory) -> None:
    """Replies to people waiting come before a broadcast: while updates are in flight the batch waits, at most
    MAX_YIELD_S (a broadcast is never starved), and sends once they are done."""
    from scheduler.outbox import MAX_YIELD_S

    busy = {"now": True}
    fake = FakeTime()
    limiter = RateLimiter(1000.0, 0.0, fake.clock, fake.sleep)
    d = Dispatcher(bot.app.bot, roster, settings.scheduler, lambda: DAY.replace(tzinfo=settings.timezone), limiter,
                   busy=lambda: busy["now"])
    queue(roster, "MAU017", "digest", "k1")
    assert await d.run_once() == 1  # still busy after MAX_YIELD_S: sent anyway
    assert MAX_YIELD_S <= fake.now < MAX_YIELD_S + 1
    queue(roster, "MAU017", "digest", "k2")
    start = fake.now

    async def answered(seconds: float) -> None:
        fake.now += seconds
        if fake.now - start >= 0.5:
            busy["now"] = False  # the people were answered after half a second

    limiter.sleep = answered
    assert await d.run_once() == 1
    assert 0.5 <= fake.now - start < 1.0


async def test_the_bots_dispatcher_knows_when_updates_are_in_flight(bot: BotHarness) -> None:
    from scheduler import dispatcher_for

    sender = dispatcher_for(bot.app, lambda: DAY)
    assert sender.busy is not None and not sender.busy()
    seen: list[bool] = []

    async def work() -> None:
        seen.append(sender.busy())

    await bot.app.update_processor.process_update(object(), work())
    assert seen == [True] and not sender.busy()


async def test_a_notice_is_marked_sent_even_if_its_buttons_cannot_be_recorded(  # type: ignore[no-untyped-def]
        bot: BotHarness, roster: Database, settings, linked: UpdateFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recording the buttons races the bot's own writes of the chat's row; losing that race must not leave a
    sent notice pending (it would be sent again when its lease ran out)."""
    from sqlalchemy.exc import IntegrityError

    from domain import conversation
    from scheduler import dispatcher_for

    def clash(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise IntegrityError("INSERT conversation_steps", {}, Exception("duplicate key"))

    monkeypatch.setattr(conversation, "note_keyboard", clash)
    roster.run(lambda s: enqueue(s, "k1", s.scalars(select(Cadre).where(Cadre.code == "MAU017")).one(), "digest",
                                 "Bản tin", buttons=[[("🎓 Xem lớp", "course:view:CDS-01")]]))
    assert await dispatcher_for(bot.app, lambda: DAY.replace(tzinfo=settings.timezone)).run_once() == 1
    assert status(roster) == ["sent"]
