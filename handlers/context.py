"""The context of one update: its services, and its unit of work with the actor loaded inside it.

python-telegram-bot builds one CallbackContext per update and passes it to the handler of every group
(button step, guard, feature, ...); with `ContextTypes(context=UpdateContext)` that object carries the
update's unit of work (db.session.UnitOfWork). Its first step, whichever group takes it, loads the actor
(linked cadre, roles) and whether the chat record is current, then runs what was asked, in the same
transaction; later steps (the feature's read or write) reuse it. A write commits and ends it, reloading the
actor first (linking or unlinking changes who the actor is); whatever is still open when the update is done
is closed by `finish()` (bot.updates.UnitOfWorkApplication). A chat record that needs writing is written
with the update's write, or at the end, grouped with other updates' (ChatTouches).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackContext, ExtBot

from core.logctx import bind_actor
from core.services import Services
from db import Database
from db.session import UnitOfWork
from domain.accounts import Actor, actor_for, chat_user_is_current, touch_chat_user

log = logging.getLogger(__name__)
T = TypeVar("T")
TOUCHES_KEY = "context.chat_touches"
# The contexts of the update being processed that opened a unit of work (UpdateScope finishes them).
_OPEN: ContextVar[list[UpdateContext] | None] = ContextVar("cadrebot_open_units", default=None)


class UpdateContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], chat_id: int | None = None,
                 user_id: int | None = None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.actor_loaded = False
        self.actor: Actor | None = None
        self.track_chat = False  # a private chat's update: its chat record is kept current
        self.chat_stale = False  # ... and needs writing
        # The press is a button of the step the chat waits at (text_router.end_button_step): a confirmation that
        # must act once checks it (handlers.common.require_live_press); an older copy of it finds no such step.
        self.live_press = False
        self._work: UnitOfWork | None = None
        self._touch_uncommitted = False  # the chat record was written in the step running now, not yet committed

    @classmethod
    def from_update(cls, update: object, application: Application[Any, Any, Any, Any, Any, Any]) -> UpdateContext:
        context = super().from_update(update, application)
        if isinstance(update, Update):
            chat = update.effective_chat
            context.track_chat = (chat is not None and chat.type == ChatType.PRIVATE
                                  and update.effective_user is not None and update.my_chat_member is None
                                  and update.edited_message is None)
        return context

    @property
    def services(self) -> Services:
        svc: Services = self.application.bot_data["services"]
        return svc

    def remember_actor(self, actor: Actor | None) -> None:
        self.actor, self.actor_loaded = actor, True
        bind_actor(actor.code if actor else None)  # log lines of this update name the cadre (never the phone)

    def forget_actor(self) -> None:
        self.actor, self.actor_loaded = None, False

    def finish_at_end(self) -> None:
        """Have finish() run when the update is done (UpdateScope), whether or not a step opens a unit of work."""
        opened = _OPEN.get()
        if opened is not None and self not in opened:
            opened.append(self)

    async def load_actor(self) -> Actor | None:
        """The actor, loaded by the unit of work's first step (this one if none ran yet)."""
        if not self.actor_loaded:
            await self.step(_nothing)
        return self.actor

    async def step(self, fn: Callable[..., T], *args: Any, write: bool = False, final: bool = False) -> T:
        """fn(session, *args) in a worker thread, in this update's unit of work (`final`: its last step, which
        ends the unit in the same trip; a step that comes after all begins a new transaction)."""
        if self._work is None:
            self._work = self.services.db.unit_of_work()
            self.finish_at_end()
        actor_before = (self.actor_loaded, self.actor)
        self._touch_uncommitted = False
        try:
            return await asyncio.to_thread(self._work.call, self._in_session, fn, args, write, write=write,
                                           final=final)
        except BaseException:
            if self._touch_uncommitted:  # rolled back with the write (in it or at its commit): finish() writes it
                self.chat_stale = True
            raise
        finally:
            if (self.actor_loaded, self.actor) != actor_before:  # loaded in a step that failed after: still named
                bind_actor(self.actor.code if self.actor else None)  # (the worker thread's context is a copy)

    def _in_session(self, session: Session, fn: Callable[..., T], args: tuple[Any, ...], write: bool) -> T:
        if not self.actor_loaded:
            self._load(session)
        if write and self.chat_stale:
            self._touch(session)
            self._touch_uncommitted = True
        result = fn(session, *args)
        if write:
            self._load(session, chat=False)
        return result

    def _load(self, session: Session, chat: bool = True) -> None:
        user_id = self._user_id
        hr_ids = self.services.settings.telegram.hr_telegram_ids
        self.actor = actor_for(session, user_id, hr_ids) if user_id is not None else None
        self.actor_loaded = True
        if chat and self.track_chat and user_id is not None and self._chat_id is not None:
            self.chat_stale = not chat_user_is_current(session, user_id, self._chat_id)

    def _touch(self, session: Session) -> None:
        assert self._user_id is not None and self._chat_id is not None
        touch_chat_user(session, self._user_id, self._chat_id)
        self.chat_stale = False

    async def finish(self) -> None:
        """The update is done: write the chat record if it still needs it, and end the unit of work. An update
        whose actor no step loaded (a forwarded contact, refused at once) makes one here, so that its chat is
        recorded all the same."""
        if not self.actor_loaded and self.track_chat and self._user_id is not None and self._chat_id is not None:
            try:  # also after a first step that failed before its load (the database locked or unreachable)
                await self.step(_nothing, final=True)
            except Exception:
                log.warning("Could not read whether the chat is recorded", exc_info=True)
        work = self._work
        if work is None:
            return
        if work.open:
            await asyncio.to_thread(work.close)
        if self.chat_stale and self._user_id is not None and self._chat_id is not None:
            touches = self.application.bot_data.get(TOUCHES_KEY)
            if touches is None:
                touches = self.application.bot_data[TOUCHES_KEY] = ChatTouches(self.services.db)
            await touches.record(self._user_id, self._chat_id)
            self.chat_stale = False

    @property
    def units_begun(self) -> int:
        return self._work.begun if self._work is not None else 0


class ChatTouches:
    """Chat records that updates without a write of their own found stale (a first message, an hour since
    the last): written together, so 300 new chats at once take a few transactions instead of 300 that
    each wait for SQLite's write lock. Each update still waits until its record is committed."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: dict[int, int] = {}  # telegram user id -> chat id
        self._waiters: list[asyncio.Future[None]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, user_id: int, chat_id: int) -> None:
        self._pending[user_id] = chat_id
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await waiter

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            waiters, self._waiters = self._waiters, []
            try:
                await self._commit(batch)
            finally:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)

    async def _commit(self, batch: dict[int, int]) -> None:
        """One transaction for the batch (in user id order); if it fails, each on its own, so one bad row (another
        process recorded the chat meanwhile) costs only itself. A record not written is retried by a later update."""
        try:
            await asyncio.to_thread(self.db.run, _touch_batch, batch)
            return
        except Exception:
            log.warning("Could not record %d chats together; one by one", len(batch), exc_info=True)
        for user in sorted(batch):
            try:
                await asyncio.to_thread(self.db.run, touch_chat_user, user, batch[user])
            except Exception:
                log.warning("Could not record a chat", exc_info=True)


def _touch_batch(session: Session, batch: dict[int, int]) -> None:
    for user in sorted(batch):
        touch_chat_user(session, user, batch[user])


def _nothing(_session: Session) -> None:
    return None


class UpdateScope:
    """Around one update's processing: the units of work its contexts opened are finished at the end."""

    def __init__(self) -> None:
        self.contexts: list[UpdateContext] = []

    async def __aenter__(self) -> UpdateScope:
        self._token = _OPEN.set(self.contexts)
        return self

    async def __aexit__(self, *exc: object) -> None:
        _OPEN.reset(self._token)
        for context in self.contexts:
            await context.finish()
