"""One unit of work per update: the actor loaded once, database work off the event loop, users in parallel."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from telegram import Update

from bot.fakeapi import UpdateFactory
from bot.updates import PerUserUpdateProcessor
from db import Database
from domain import accounts
from handlers import common, guard
from tests import builders as build
from tests.conftest import BotHarness

USER_ID = 555001  # the `user` fixture's Telegram id


@pytest.fixture
def linked(database: Database) -> Database:
    """One linked cadre in one commune: all these tests need."""
    def add(session: Any) -> None:
        commune = build.unit(session, "XA1", level="Xã")
        build.cadre(session, commune, telegram_user_id=USER_ID)

    database.run(add)
    return database


async def test_the_actor_is_loaded_once_per_update(bot: BotHarness, linked: Database, user: UpdateFactory,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counting(*args: Any) -> Any:
        calls.append(1)
        return accounts.actor_for(*args)

    monkeypatch.setattr(common, "actor_for", counting)
    monkeypatch.setattr(guard, "actor_for", counting)
    for update in (user.text("/gaps"), user.text("/menu"), user.callback("menu:gaps"), user.text("/courses")):
        calls.clear()
        texts = await bot.send(update)
        assert texts and len(calls) == 1


async def test_database_work_runs_off_the_event_loop(bot: BotHarness, linked: Database, user: UpdateFactory,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    loop_thread = threading.current_thread()
    threads: list[threading.Thread] = []
    real_run = Database.run

    def recording(self: Database, fn: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return real_run(self, fn, *args, **kwargs)

    monkeypatch.setattr(Database, "run", recording)
    for update in (user.text("/gaps"), user.text("/courses"), user.text("/eval"), user.text("/menu")):
        await bot.send(update)
    assert threads and all(t is not loop_thread for t in threads)


async def test_users_run_concurrently_and_each_users_updates_in_order() -> None:
    processor = PerUserUpdateProcessor(8)
    events: list[str] = []

    def update(user_id: int, n: int) -> Update:
        return Update.de_json({"update_id": n, "message": {
            "message_id": n, "date": 0, "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "A"}, "text": "x"}}, None)

    async def work(name: str, delay: float) -> None:
        events.append(f"start {name}")
        await asyncio.sleep(delay)
        events.append(f"end {name}")

    async with processor:
        await asyncio.gather(
            processor.process_update(update(1, 1), work("a1", 0.05)),
            processor.process_update(update(1, 2), work("a2", 0.0)),
            processor.process_update(update(2, 3), work("b1", 0.0)),
        )
    # a2 waits for a1 (same user); b1 does not wait for a1 (another user)
    assert events.index("end a1") < events.index("start a2")
    assert events.index("end b1") < events.index("end a1")
    assert processor._locks == {}  # idle users leave nothing behind


def test_handlers_reach_the_database_only_off_the_loop() -> None:
    """Handlers go through run_tx/read_tx (a worker thread); a direct Database.run would block every user."""
    import re
    from pathlib import Path

    handlers = Path(__file__).resolve().parent.parent / "handlers"
    direct = re.compile(r"(?<!to_thread\()\b(?:db|database)\.(?:run|read)\(")
    offenders = [f"{path.name}:{n}" for path in sorted(handlers.glob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if direct.search(line)]
    assert offenders == []
