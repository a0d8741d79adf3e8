"""Edges of the unit of work, from a second attack on session 24's changes: an expired step, a write failing at its
commit, the error handler and the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update as sql_update
from telegram.error import NetworkError

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import ConversationStep
from domain import conversation
from domain.clock import utcnow
from handlers import context as ctx_mod
from handlers.text_router import NOTHING_OPEN
from tests import builders as build
from tests.conftest import BotHarness

USER_ID = 555001


@pytest.fixture
def linked(database: Database) -> Database:
    def add(session: Any) -> None:
        commune = build.unit(session, "XA1", level="Xã")
        build.cadre(session, commune, "ATK0001", telegram_user_id=USER_ID)

    database.run(add)
    return database


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
