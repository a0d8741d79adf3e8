"""The buttons of the last message the bot sent to each chat, remembered in the database.

handlers.common.reply() hands every answer's inline buttons here (a message without buttons ends
them); handlers.text_router presses the one a typed label names. The record is a row of
conversation_steps (domain.conversation.KEYBOARD), so a restart loses nothing.

Writing it costs a transaction per answer. Under load the writes are grouped: while one
transaction runs, the answers sent meanwhile wait and go into the next one together, so 16
concurrent updates take one or two transactions instead of 16. Each answer still waits until its
buttons are committed before its update ends: the next message of that chat always finds them.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from core.services import Services
from db import Database
from domain import conversation

log = logging.getLogger(__name__)
LEDGER_KEY = "last_buttons.ledger"
Who = tuple[int, int]  # (telegram user id, chat id)
Rows = list[list[tuple[str, str]]]


class ButtonsLedger:
    """Groups the chats' button records into as few transactions as the load allows (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.none_remembered: set[Who] = set()  # chats known to have no buttons recorded: a plain answer is free
        self._pending: dict[Who, Rows | None] = {}  # the latest record per chat; None forgets
        self._waiters: list[asyncio.Future[None]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, who: Who, rows: Rows | None) -> None:
        """Record `rows` (None: no buttons) as the chat's last buttons; returns once committed."""
        if rows:
            self.none_remembered.discard(who)
        elif who in self.none_remembered:
            return
        self._pending[who] = rows
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await waiter

    def notice_with_buttons(self, chat_id: int) -> None:
        """The dispatcher recorded a notice's buttons as the chat's last: a plain answer must now forget them."""
        self.none_remembered.discard((chat_id, chat_id))

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            waiters, self._waiters = self._waiters, []
            try:
                await asyncio.to_thread(self.db.run, conversation.record_keyboards, batch)
                # a chat with a newer record pending keeps it: that one decides
                self.none_remembered.update(who for who, rows in batch.items() if not rows and who not in self._pending)
            except Exception:  # the answer was sent; only typing its labels will not press them
                log.warning("Could not remember the buttons of %d chats", len(batch), exc_info=True)
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)


_LEDGER: ContextVar[ButtonsLedger | None] = ContextVar("last_buttons_ledger", default=None)


def track(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Make reply() remember buttons for the update being processed (text_router calls it first thing for
    every update, as reply() has no context of its own). Each update runs in its own task: its own value."""
    ledger = context.application.bot_data.get(LEDGER_KEY)
    if ledger is None:
        services: Services = context.application.bot_data["services"]
        ledger = context.application.bot_data[LEDGER_KEY] = ButtonsLedger(services.db)
        services.buttons_sent = ledger.notice_with_buttons
    _LEDGER.set(ledger)


def button_rows(markup: object) -> Rows:
    """A markup's pressable inline buttons as (label, data) rows; [] for none or a reply keyboard."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    rows = [[(b.text, b.callback_data) for b in row if isinstance(b.callback_data, str)]
            for row in markup.inline_keyboard]
    return [row for row in rows if row]


async def remember(update: Update, markup: object) -> None:
    """After an answer was sent: its buttons are now the chat's last ones (none: the previous ones end)."""
    ledger, user, chat = _LEDGER.get(), update.effective_user, update.effective_chat
    if ledger is not None and user is not None and chat is not None:
        await ledger.record((user.id, chat.id), button_rows(markup) or None)
