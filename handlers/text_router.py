"""Where a plain text message goes: to the form the user has open, else to the default reply.

Features register the forms they open (a prompt waiting for one typed value) by name; the
pending form is kept in user_data as (name, argument).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from handlers.common import friendly, reply

FormHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, str, str], Coroutine[Any, Any, None]]
FORMS: dict[str, FormHandler] = {}
DEFAULT: list[Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]] = []
KEY = "awaiting"


def open_form(context: ContextTypes.DEFAULT_TYPE, name: str, argument: str) -> None:
    if context.user_data is not None:
        context.user_data[KEY] = (name, argument)


def close_form(context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.user_data is not None:
        context.user_data.pop(KEY, None)


@friendly
async def route_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    pending = (context.user_data or {}).get(KEY)
    text = update.message.text if update.message and update.message.text else ""
    if pending and pending[0] in FORMS:
        close_form(context)
        await FORMS[pending[0]](update, context, pending[1], text.strip())
        return
    for handler in DEFAULT[:1]:
        await handler(update, context)


CANCELLED = "Đã hủy thao tác đang dở. Gõ /menu để mở menu chính."
NOTHING_OPEN = "Không có thao tác nào đang dở. Gõ /menu để mở menu chính."


async def cancel_form(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    had = bool((context.user_data or {}).get(KEY))
    close_form(context)
    await reply(update, CANCELLED if had else NOTHING_OPEN)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("cancel", cancel_form))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, route_text))
