"""Edges of the unit of work: an update before its first step, a first write that fails, a read that finds an
expired step. (From an attack on session 24's changes.)"""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.error import NetworkError

from bot.fakeapi import UpdateFactory
from core.logctx import current
from db import Database
from db.migrate import upgrade
from db.models import ChatUser, ConversationStep
from db.session import make_engine
from domain import conversation
from domain.clock import utcnow
from domain.reachability import mark_blocked
from tests import builders as build
from tests.conftest import BotHarness, link

USER_ID = 555001
CODE = "ATK0001"


@pytest.fixture
def linked(database: Database) -> Database:
    def add(session: Any) -> None:
        commune = build.unit(session, "XA1", level="Xã")
        build.cadre(session, commune, CODE, telegram_user_id=USER_ID)

    database.run(add)
    return database


class _Seen(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, int | None, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), *current()))


async def test_an_error_before_any_step_is_logged_with_the_actor(
        bot: BotHarness, linked: Database, user: UpdateFactory) -> None:
    """A linked cadre sends a sticker and the answer fails (network): the error's log line (and the operator's
    alert) names the cadre, as every log line of an update does."""
    await bot.send(user.text("/menu"))
    handler = _Seen()
    logging.getLogger().addHandler(handler)
    try:
        bot.api.fail("sendMessage", NetworkError("connection reset"))
        await bot.send(user.sticker())
    finally:
        logging.getLogger().removeHandler(handler)
    errors = [s for s in handler.seen if s[0].startswith("Unhandled error")]
    assert errors, handler.seen
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
