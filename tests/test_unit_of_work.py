"""One unit of work per update: the actor loaded once, database work off the event loop, users in parallel."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from telegram import Update

from bot.fakeapi import UpdateFactory
from bot.updates import PerUserUpdateProcessor
from db import Database
from db.models import Cadre, ChatUser
from db.session import UnitOfWork
from domain import accounts
from handlers import context, last_buttons
from tests import builders as build
from tests.conftest import BotHarness, link

USER_ID = 555001  # the `user` fixture's Telegram id


@pytest.fixture
def linked(database: Database) -> Database:
    """One linked cadre in one commune: all these tests need."""
    def add(session: Any) -> None:
        commune = build.unit(session, "XA1", level="Xã")
        build.cadre(session, commune, telegram_user_id=USER_ID)

    database.run(add)
    return database


@pytest.fixture
def transactions() -> Iterator[list[int]]:
    """Counts the transactions sessions begin (a session joined to the test's outer transaction counts too)."""
    begun: list[int] = []

    def count(*_args: Any) -> None:
        begun.append(1)

    event.listen(Session, "after_begin", count)
    yield begun
    event.remove(Session, "after_begin", count)


async def test_one_transaction_per_update_with_the_actor_loaded_once_inside_it(
        bot: BotHarness, linked: Database, user: UpdateFactory, transactions: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counting(*args: Any) -> Any:
        calls.append(1)
        return accounts.actor_for(*args)

    async def shared_write(*_args: Any) -> None:
        """The chat's last buttons are recorded after the answer, one write for many updates (last_buttons)."""

    monkeypatch.setattr(context, "actor_for", counting)
    monkeypatch.setattr(last_buttons, "remember", shared_write)
    await bot.send(user.text("/menu"))  # the chat record is written once (grouped, at the end), then it is current
    assert linked.run(lambda s: s.get(ChatUser, USER_ID)) is not None
    for update in (user.text("/gaps"), user.text("/menu"), user.callback("menu:gaps"), user.text("/courses")):
        calls.clear()
        transactions.clear()
        texts = await bot.send(update)
        assert texts and len(calls) == 1 and len(transactions) == 1
    # A write (the audit row of /mydata) after the actor's load: the same transaction on PostgreSQL; on SQLite a
    # read transaction cannot turn into a write one, so the write begins afresh (IMMEDIATE) in the same session.
    calls.clear()
    transactions.clear()
    assert await bot.send(user.text("/mydata"))
    assert len(calls) == 1 + 1  # reloaded after the write (linking and unlinking change who the actor is)
    assert len(transactions) == (2 if linked.is_sqlite else 1)


async def test_a_new_chat_is_recorded_in_the_updates_write(bot: BotHarness, roster: Database, user: UpdateFactory,
                                                          transactions: list[int],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Linking: the actor's load, the chat record and the link are one unit of work, in one transaction (the
    write's: nothing reads before it); the menu after it uses the actor reloaded in the write."""
    async def shared_write(*_args: Any) -> None:
        """As above: not part of the update's unit of work."""

    monkeypatch.setattr(last_buttons, "remember", shared_write)
    texts = await link(bot, user, "0912345005")
    assert any("Đã liên kết" in t for t in texts)
    assert len(transactions) == 1  # the actor's load is the link's own first read: no read transaction before it
    assert roster.run(lambda s: s.get(ChatUser, USER_ID)) is not None
    transactions.clear()
    texts = await bot.send(user.text("/menu"))
    assert texts and len(transactions) == 1


async def test_database_work_runs_off_the_event_loop(bot: BotHarness, linked: Database, user: UpdateFactory,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    loop_thread = threading.current_thread()
    threads: list[threading.Thread] = []
    real_run, real_call = Database.run, UnitOfWork.call

    def recording(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        real = real_run if isinstance(self, Database) else real_call
        return real(self, fn, *args, **kwargs)

    monkeypatch.setattr(Database, "run", recording)
    monkeypatch.setattr(UnitOfWork, "call", recording)
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


@pytest.fixture
def cadre_reads() -> Iterator[list[str]]:
    """The statements that load cadre rows (not counts or EXISTS checks over the table)."""
    reads: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("SELECT cadres.id"):
            reads.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield reads
    event.remove(Engine, "before_cursor_execute", record)


async def test_the_actors_row_is_read_once_per_update(bot: BotHarness, linked: Database, user: UpdateFactory,
                                                      cadre_reads: list[str]) -> None:
    """The actor's load reads the cadre with its unit; the handler's own_record and the gaps find that row in the
    session (held for the transaction) instead of reading it again, and a command's draft check uses the actor."""
    await bot.send(user.text("/menu"))
    for command in ("/gaps", "/courses"):
        cadre_reads.clear()
        assert await bot.send(user.text(command))
        assert len(cadre_reads) == 1, cadre_reads


def test_a_write_step_sees_the_actors_row_as_committed_not_as_first_read(linked: Database) -> None:
    """The actor's row is held in the session for the update's reads; before its write, a change committed
    meanwhile by someone else (an HR import, a command) must be seen, not the row as the update first read it."""
    work = linked.unit_of_work()
    actor = work.call(accounts.actor_for, USER_ID)
    assert actor is not None
    linked.run(lambda s: s.execute(sql_update(Cadre).where(Cadre.id == actor.cadre_id).values(full_name="Tên Mới")))
    seen = work.call(lambda s: s.get(Cadre, actor.cadre_id).full_name, write=True)
    assert seen == "Tên Mới"


def test_the_actor_reloaded_after_a_write_has_the_written_unit(linked: Database) -> None:
    """A write that moves the actor's cadre to another unit (as a roster import does, in bulk): the actor loaded
    again after the write names the new unit, not the one the session held."""
    def move(session: Session) -> None:
        other = build.unit(session, "XA2", level="Xã")
        cadre_id = session.scalar(select(Cadre.id).where(Cadre.telegram_user_id == USER_ID))
        session.execute(sql_update(Cadre), [{"id": cadre_id, "unit_id": other.id}])

    work = linked.unit_of_work()
    before = work.call(lambda s: (accounts.actor_for(s, USER_ID), move(s), accounts.actor_for(s, USER_ID))[2],
                       write=True)
    assert before is not None and before.unit_code == "XA2"


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The update's trips to a worker thread for its unit of work (each costs a thread switch both ways)."""
    made: list[str] = []
    real_call, real_close = UnitOfWork.call, UnitOfWork.close

    def call(self: UnitOfWork, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(getattr(args[0], "__name__", "?") if args else "?")
        return real_call(self, fn, *args, **kwargs)

    def close(self: UnitOfWork) -> None:
        made.append("close")
        real_close(self)

    monkeypatch.setattr(UnitOfWork, "call", call)
    monkeypatch.setattr(UnitOfWork, "close", close)
    return made


async def test_a_command_reads_in_two_trips_the_open_step_and_the_leave_checks_with_the_actor(
        bot: BotHarness, linked: Database, user: UpdateFactory, trips: list[str], transactions: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A command first ends whatever the chat was doing: the open step and every leave hook's check (an evaluation
    draft taking free text) are read in the trip that loads the actor, not one trip each; then the handler reads,
    and that read, its last, ends the unit of work in the same trip (no third trip to close it)."""
    async def shared_write(*_args: Any) -> None:
        """The chat's last buttons: one write for many updates, not part of the update's unit of work."""

    monkeypatch.setattr(last_buttons, "remember", shared_write)
    await bot.send(user.text("/menu"))
    for command in ("/gaps", "/courses"):
        trips.clear()
        transactions.clear()
        assert await bot.send(user.text(command))
        assert trips == ["_open_work", "gaps_by_id" if command == "/gaps" else "courses_for"], trips
        assert len(transactions) == 1


def test_a_step_after_the_final_read_begins_a_new_transaction(linked: Database) -> None:
    """`final=True` ends the unit with its read; a step that comes anyway (an error's way back) is not lost: it
    runs in a transaction of its own."""
    work = linked.unit_of_work()
    assert work.call(accounts.actor_for, USER_ID, final=True) is not None
    assert not work.open
    assert work.call(accounts.actor_for, USER_ID) is not None
    assert work.open and work.begun == 2
    work.close()


async def test_linking_is_one_trip_and_an_update_without_database_work_still_records_its_chat(
        bot: BotHarness, roster: Database, user: UpdateFactory, trips: list[str]) -> None:
    """A shared contact's first step is the link itself, which loads the actor (one trip, where the guard's early
    load made two). A contact that makes no step (forwarded: refused at once) gets one at its end, so that its
    chat is recorded all the same."""
    assert any("Đã liên kết" in t for t in await link(bot, user, "0912345005"))
    assert trips == ["link_by_contact"], trips
    other = UpdateFactory(user_id=555002)
    trips.clear()
    assert await bot.send(other.contact("0912345006", contact_user_id=555002, forwarded=True))
    assert trips == ["_nothing"], trips
    assert roster.run(lambda s: s.get(ChatUser, 555002)) is not None


async def test_a_typed_line_without_a_draft_takes_no_write(bot: BotHarness, linked: Database, user: UpdateFactory,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Typing a menu label (or any line) looks for an evaluation draft that takes free text: a read. It was a write
    step, so every line a linked cadre typed took SQLite's write lock and a commit before anything was written."""
    writes: list[str] = []
    real_call = UnitOfWork.call

    def call(self: UnitOfWork, fn: Any, *args: Any, write: bool = False, **kwargs: Any) -> Any:
        if write:
            writes.append(getattr(args[0], "__name__", "?") if args else "?")
        return real_call(self, fn, *args, write=write, **kwargs)

    await bot.send(user.text("/menu"))
    monkeypatch.setattr(UnitOfWork, "call", call)
    texts = await bot.send(user.text("ho so"))
    assert "Hồ sơ" in texts[-1], texts
    assert writes == [], writes
