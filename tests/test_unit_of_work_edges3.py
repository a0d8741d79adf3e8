"""Edges of the unit of work, from a third attack on session 24's changes: a contact whose link fails, and close_step
with a step row held in the session."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.fakeapi import UpdateFactory
from core.logctx import current
from db import Database
from db.models import ChatUser, ConversationStep
from db.session import UnitOfWork
from domain import accounts, conversation
from tests import builders as build
from tests.conftest import BotHarness

USER_ID = 555001
PHONE = "0912345777"


@pytest.fixture
def linked(database: Database) -> Database:
    def add(session: Any) -> None:
        commune = build.unit(session, "XA1", level="Xã")
        build.cadre(session, commune, "ATK0001", telegram_user_id=USER_ID, phone=PHONE)

    database.run(add)
    return database


class _Names(logging.Handler):
    """What core.logctx names (update id, cadre) when bot.app logs an error."""

    def __init__(self) -> None:
        super().__init__()
        self.actors: list[str | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.actors.append(current()[1])


@pytest.fixture
def error_names() -> Any:
    handler = _Names()
    logger = logging.getLogger("bot.app")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


async def test_an_error_in_a_linked_users_contact_link_names_the_cadre(
        bot: BotHarness, linked: Database, user: UpdateFactory, error_names: _Names,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard skips the early load for a contact; the link's step loads the actor (ATK0001) inside itself, but
    step() binds the log context only after a step that succeeded: the link failing (a database error, a bug)
    leaves the error's log line and the operators' alert without the cadre, which the commit promises ("every log
    line of the update (an error's too) names the cadre") and which 5c6e31f did (guard's load first)."""
    def broken(*_args: Any) -> Any:
        raise RuntimeError("link failed")

    monkeypatch.setattr(accounts, "link_by_contact", broken)
    await bot.send(user.own_contact(PHONE))
    assert error_names.actors == ["ATK0001"], error_names.actors


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
