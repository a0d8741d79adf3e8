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
TextHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
KEY = "awaiting"
FORMS_KEY, DEFAULT_KEY = "text_router.forms", "text_router.default"
INTERCEPTORS_KEY, CANCEL_HOOKS_KEY = "text_router.interceptors", "text_router.cancel_hooks"
Interceptor = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, bool]]


def add_interceptor(app: Application, handler: Interceptor) -> None:
    """A feature whose state lives in the database (a draft) may claim free text first."""
    app.bot_data.setdefault(INTERCEPTORS_KEY, []).append(handler)


def add_cancel_hook(app: Application, handler: Interceptor) -> None:
    """Called by /cancel; returns True if it paused something."""
    app.bot_data.setdefault(CANCEL_HOOKS_KEY, []).append(handler)


def add_form(app: Application, name: str, handler: FormHandler) -> None:
    app.bot_data.setdefault(FORMS_KEY, {})[name] = handler


def set_default(app: Application, handler: TextHandler) -> None:
    """What plain text does when no form is open; the first feature to claim it keeps it."""
    app.bot_data.setdefault(DEFAULT_KEY, handler)


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
    forms: dict[str, FormHandler] = context.application.bot_data.get(FORMS_KEY, {})
    if pending and pending[0] in forms:
        close_form(context)
        await forms[pending[0]](update, context, pending[1], text.strip())
        return
    for interceptor in context.application.bot_data.get(INTERCEPTORS_KEY, []):
        if await interceptor(update, context):
            return
    default: TextHandler | None = context.application.bot_data.get(DEFAULT_KEY)
    if default is not None:
        await default(update, context)


CANCELLED = "Đã hủy thao tác đang dở. Gõ /menu để mở menu chính."
NOTHING_OPEN = "Không có thao tác nào đang dở. Gõ /menu để mở menu chính."


async def cancel_form(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    had = bool((context.user_data or {}).get(KEY))
    close_form(context)
    for hook in context.application.bot_data.get(CANCEL_HOOKS_KEY, []):
        had = await hook(update, context) or had
    await reply(update, CANCELLED if had else NOTHING_OPEN)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("cancel", cancel_form))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, route_text))
