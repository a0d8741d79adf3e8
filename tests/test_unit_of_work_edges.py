"""Edges of the unit of work, from three attacks on session 24's changes: an update before its first step, a first
write that fails (in its function, at its commit, before its load), an expired step, and the error handler, which
does no database work."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update as sql_update
from sqlalchemy.exc import OperationalError
from telegram.error import NetworkError

from bot.fakeapi import UpdateFactory
from core.logctx import current
from db import Database
from db.migrate import upgrade
from db.models import ChatUser, ConversationStep
from db.session import UnitOfWork, make_engine
from domain import accounts, conversation
from domain.clock import utcnow
from domain.reachability import mark_blocked
from handlers import context as ctx_mod
from handlers.text_router import NOTHING_OPEN
from tests import builders as build
from tests.conftest import BotHarness, link

USER_ID = 555001
CODE = "ATK0001"
PHONE = "0912345777"


@pytest.fixture
def linked(database: Database) -> Database:
    def add(session: Any) -> None:
        commune = build.unit(session, "XA1", level="Xã")
        build.cadre(session, commune, CODE, telegram_user_id=USER_ID, phone=PHONE)

    database.run(add)
    return database


class _Seen(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, int | None, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), *current()))

    def errors(self) -> list[tuple[str, int | None, str | None]]:
        """The error handler's lines, with the update id and the cadre their log context names."""
        return [s for s in self.seen if s[0].startswith("Unhandled error")]


@pytest.fixture
def logged() -> Iterator[_Seen]:
    handler = _Seen()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


async def test_an_error_before_any_step_is_logged_with_the_actor(
        bot: BotHarness, linked: Database, user: UpdateFactory, logged: _Seen) -> None:
    """A linked cadre sends a sticker and the answer fails (network): the error's log line (and the operator's
    alert) names the cadre, as every log line of an update does."""
    await bot.send(user.text("/menu"))
    bot.api.fail("sendMessage", NetworkError("connection reset"))
    await bot.send(user.sticker())
    errors = logged.errors()
    assert errors, logged.seen
    assert errors[0][2] == CODE, errors


async def test_a_blocked_user_who_sends_a_sticker_is_reachable_again(
        bot: BotHarness, linked: Database, user: UpdateFactory) -> None:
    await bot.send(user.text("/menu"))
    linked.run(mark_blocked, USER_ID)
    await bot.send(user.sticker())
    assert linked.run(lambda s: s.get(ChatUser, USER_ID).blocked) is False


async def test_an_unknown_phone_still_records_the_chat(bot: BotHarness, roster: Database,
                                                       user: UpdateFactory) -> None:
    """A contact that links nobody: the chat that wrote is recorded all the same (its record was written in the
    link's transaction, and rolled back with it)."""
    await link(bot, user, "0900000000")
    assert roster.run(lambda s: s.get(ChatUser, USER_ID)) is not None


async def test_a_blocked_user_whose_contact_fails_is_reachable_again(
        bot: BotHarness, linked: Database, user: UpdateFactory) -> None:
    """Someone who blocked the bot comes back with a contact the bot refuses: they are reachable again."""
    other = UpdateFactory(user_id=555009)
    await bot.send(other.sticker())
    linked.run(mark_blocked, 555009)
    await link(bot, other, "0900000000")
    assert linked.run(lambda s: s.get(ChatUser, 555009).blocked) is False


def test_reading_an_expired_step_takes_no_write_lock(tmp_path: Path) -> None:
    """A chat back after a day: its first read finds the expired step. Deleting it there made the read hold SQLite's
    write lock until the update ended (across its reply), while writers waited in the worker threads it needs."""
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    upgrade(engine)
    db = Database(engine)
    db.run(lambda s: s.add(ConversationStep(telegram_user_id=1, chat_id=1, step="review-comment",
                                            payload="{}", updated_at=utcnow() - timedelta(days=2))))
    work = db.unit_of_work()
    try:
        assert work.call(conversation.waiting, 1, 1) is None  # expired: no step
        other = sqlite3.connect(tmp_path / "lock.db", timeout=0.1, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" while the read holds the write lock
            other.execute("ROLLBACK")
        finally:
            other.close()
    finally:
        work.close()
        engine.dispose()


async def test_an_error_outside_an_update_leaves_no_unit_of_work_open(bot: BotHarness, linked: Database) -> None:
    """A polling error (no network) reaches the error handler with no update: nothing to name, and no connection
    taken from the pool that nothing would give back."""
    from bot.app import on_error
    from handlers.context import UpdateContext

    context = UpdateContext.from_error(None, NetworkError("no network"), bot.app)
    await on_error(None, context)
    assert context.units_begun == 0


async def test_the_error_handler_does_no_database_work(bot: BotHarness, linked: Database,
                                                      user: UpdateFactory) -> None:
    """The error's context is not the update's: a unit of work opened on it would be closed by nothing, and a
    database that is the error itself would delay the report. The cadre is named by the update's own load."""
    from telegram import Update

    from bot.app import on_error
    from handlers.context import UpdateContext

    update = Update.de_json(user.sticker(), bot.app.bot)
    context = UpdateContext.from_error(update, NetworkError("connection reset"), bot.app)
    await on_error(update, context)
    assert context.units_begun == 0


def _age(database: Database, hours: int) -> None:
    database.run(lambda s: s.execute(sql_update(ConversationStep).values(updated_at=utcnow() - timedelta(hours=hours))))


async def test_cancel_after_an_expired_step_says_nothing_was_open(bot: BotHarness, linked: Database,
                                                                  user: UpdateFactory) -> None:
    """A prompt left a day ago is forgotten ("the next message is read afresh"): /cancel must not claim it
    cancelled something. The first read of /cancel no longer deletes the expired row, and close_step deletes any
    non-keyboard row whatever its age, so it returns True."""
    await bot.send(user.text("/menu"))
    linked.run(conversation.open_step, USER_ID, USER_ID, "course-capacity", {"argument": "A"})
    _age(linked, 25)
    texts = await bot.send(user.text("/cancel"))
    assert texts[-1] == NOTHING_OPEN, texts


async def test_an_error_writes_a_new_chat_record_once(bot: BotHarness, database: Database,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A first-time (unlinked) user's sticker whose answer fails: on_error's context loads the actor again (the
    actor is None, so the log context has no cadre) and registers itself with the update's scope; its finish()
    finds the chat stale too and records it a second time (a second write transaction per error)."""
    touches: list[int] = []
    real = ctx_mod.touch_chat_user

    def counting(session: Any, user_id: int, chat_id: int) -> None:
        touches.append(user_id)
        real(session, user_id, chat_id)

    monkeypatch.setattr(ctx_mod, "touch_chat_user", counting)
    stranger = UpdateFactory(user_id=555077)
    bot.api.fail("sendMessage", NetworkError("connection reset"))
    await bot.send(stranger.sticker())
    assert touches == [555077], touches


async def test_an_error_of_an_unlinked_user_loads_no_actor_twice(bot: BotHarness, database: Database,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """An unlinked user's update that read the actor (None) and then failed: the error handler reads it again
    (another worker-thread trip and transaction per error), since 'no cadre in the log context' is taken for
    'not loaded yet'."""
    stranger = UpdateFactory(user_id=555078)
    await bot.send(stranger.text("/menu"))  # chat recorded
    loads: list[int] = []
    real = ctx_mod.actor_for

    def counting(*args: Any) -> Any:
        loads.append(1)
        return real(*args)

    monkeypatch.setattr(ctx_mod, "actor_for", counting)
    bot.api.fail("sendMessage", NetworkError("connection reset"))
    await bot.send(stranger.text("/menu"))
    assert len(loads) == 1, loads


async def test_a_write_failing_at_commit_still_records_the_chat(bot: BotHarness, database: Database) -> None:
    """(Older than e4beb33; its fix is incomplete.) A write whose failure surfaces at commit (the flush of a pending
    insert: a unique or NOT NULL violation) rolls the chat record back with it, but _in_session had already
    returned, so chat_stale stays False and finish() does not write it."""
    from telegram import Update

    from db.models import ChatUser
    from handlers.context import UpdateContext, UpdateScope

    stranger = UpdateFactory(user_id=555079)
    update = Update.de_json(stranger.text("xin chào"), bot.app.bot)

    def bad(session: Any) -> None:
        session.add(ConversationStep(telegram_user_id=555079, chat_id=555079, step=None, payload="{}",
                                     updated_at=utcnow()))  # NOT NULL: fails at the commit's flush

    with pytest.raises(Exception):  # noqa: B017
        async with UpdateScope():
            context = UpdateContext.from_update(update, bot.app)
            await context.step(bad, write=True)
    assert database.run(lambda s: s.get(ChatUser, 555079)) is not None


async def test_the_error_report_goes_out_when_the_database_is_down(
        bot: BotHarness, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError
    from telegram.ext import CommandHandler

    from bot.app import ALERTS_KEY
    from bot.ops.alerts import OperatorAlerts

    def down(*_args: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    async def boom(_update: Any, _context: Any) -> None:
        raise RuntimeError("boom")

    bot.app.bot_data[ALERTS_KEY] = OperatorAlerts((880001,), window_s=1.5)
    bot.app.add_handler(CommandHandler("boom", boom), group=-10)
    monkeypatch.setattr(ctx_mod, "actor_for", down)
    texts = await bot.send(UpdateFactory(user_id=555080).text("/boom"))
    assert any("đã có lỗi" in t for t in texts), texts
    assert [c for c in bot.api.sent(chat_id=880001)], "no operator alert"
    await bot.app.bot_data[ALERTS_KEY].close()


async def test_the_error_report_does_not_wait_for_the_database(
        bot: BotHarness, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database hangs (PostgreSQL pool exhausted: the error itself was QueuePool's 30 s timeout; a black-holed
    host): on_error now waits for a worker thread and a connection before it logs, alerts operators or tells the
    user; each error report is late by the pool timeout, and holds one of the 4 worker threads meanwhile."""
    import time

    from telegram import Update

    from bot.app import ALERTS_KEY, on_error
    from bot.ops.alerts import OperatorAlerts
    from handlers.context import UpdateContext

    def hangs(*_args: Any) -> Any:
        time.sleep(1.5)
        return None

    bot.app.bot_data[ALERTS_KEY] = OperatorAlerts((880001,), window_s=1.5)
    monkeypatch.setattr(ctx_mod, "actor_for", hangs)
    update = Update.de_json(UpdateFactory(user_id=555081).sticker(), bot.app.bot)
    context = UpdateContext.from_error(update, NetworkError("pool timeout"), bot.app)
    start = time.perf_counter()
    await on_error(update, context)
    elapsed = time.perf_counter() - start
    await bot.app.bot_data[ALERTS_KEY].close()
    assert elapsed < 0.5, elapsed


async def test_an_error_in_a_linked_users_contact_link_names_the_cadre(
        bot: BotHarness, linked: Database, user: UpdateFactory, logged: _Seen,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard skips the early load for a contact; the link's step loads the actor (ATK0001) inside itself, but
    step() binds the log context only after a step that succeeded: the link failing (a database error, a bug)
    leaves the error's log line and the operators' alert without the cadre, which the commit promises ("every log
    line of the update (an error's too) names the cadre") and which 5c6e31f did (guard's load first)."""
    def broken(*_args: Any) -> Any:
        raise RuntimeError("link failed")

    monkeypatch.setattr(accounts, "link_by_contact", broken)
    await bot.send(user.own_contact(PHONE))
    assert [actor for _, _, actor in logged.errors()] == [CODE], logged.seen


async def test_a_contact_whose_first_step_fails_before_the_load_still_records_the_chat(
        bot: BotHarness, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new user's shared contact: the link write is the update's first step. If it fails before _in_session runs
    (SQLite: BEGIN IMMEDIATE times out on the write lock; PostgreSQL: no connection from the pool), the chat's
    staleness was never read, and finish() makes its `_nothing` step only when no unit of work exists: the chat is
    not recorded. Any other update (and a contact at 5c6e31f) had the guard's read first, so finish() wrote it."""
    real = UnitOfWork._session_for
    failed: list[int] = []

    def locked(self: UnitOfWork, write: bool) -> Any:
        if write and not failed:
            failed.append(1)
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        return real(self, write)

    monkeypatch.setattr(UnitOfWork, "_session_for", locked)
    stranger = UpdateFactory(user_id=555091)
    await bot.send(stranger.own_contact("0912345091"))
    assert failed
    assert database.run(lambda s: s.get(ChatUser, 555091)) is not None


def test_close_step_with_a_step_row_held_in_the_session(database: Database) -> None:
    """close_step's new expiry clause is an ORM bulk DELETE (synchronize_session 'auto' -> 'evaluate'): SQLAlchemy
    compares `updated_at < now - MAX_AGE` in Python against every ConversationStep held in the identity map. On
    SQLite a loaded row's updated_at is naive and utcnow() aware: TypeError. Latent: no caller holds the row today
    (take_step/open_step drop theirs on return), but any domain function that keeps one and then closes breaks."""
    database.run(conversation.open_step, USER_ID, USER_ID, "course-capacity", {"argument": "A"})

    def look_then_close(session: Any) -> bool:
        row = session.get(ConversationStep, (USER_ID, USER_ID))
        assert row is not None and row.step == "course-capacity"
        return conversation.close_step(session, USER_ID, USER_ID)

    assert database.run(look_then_close) is True
