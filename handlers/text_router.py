"""Where a plain text message goes: to the form the user has open, else to the default reply.

Features register the forms they open (a prompt waiting for one typed value) by name; the
open form is a conversation step in the database (domain.conversation), keyed by user and chat,
so a restart between the prompt and the answer loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from core.services import Services
from domain import conversation
from handlers.common import friendly, reply, run_tx

FormHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, str, str], Coroutine[Any, Any, None]]
TextHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
FORMS_KEY, DEFAULT_KEY = "text_router.forms", "text_router.default"
INTERCEPTORS_KEY, CANCEL_HOOKS_KEY = "text_router.interceptors", "text_router.cancel_hooks"
AWAITS_KEY = "text_router.awaits"
Interceptor = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, bool]]
AwaitsText = Callable[[Application, int], Coroutine[Any, Any, bool]]


def add_interceptor(app: Application, handler: Interceptor, awaits: AwaitsText | None = None) -> None:
    """A feature whose state lives in the database (a draft) may claim free text first.

    `awaits(app, user_id)` says, without an update, whether the interceptor would claim that user's text.
    """
    app.bot_data.setdefault(INTERCEPTORS_KEY, []).append(handler)
    if awaits is not None:
        app.bot_data.setdefault(AWAITS_KEY, []).append(awaits)


async def awaits_text(app: Application, user_id: int, chat_id: int | None = None) -> bool:
    """Whether a typed line from this user goes to a prompt (an open form, a draft) rather than a menu."""
    svc: Services = app.bot_data["services"]
    forms = app.bot_data.get(FORMS_KEY, {})
    step = svc.db.read(conversation.current_step, user_id, user_id if chat_id is None else chat_id)
    if step is not None and step.name in forms:
        return True
    for check in app.bot_data.get(AWAITS_KEY, []):
        if await check(app, user_id):
            return True
    return False


def add_cancel_hook(app: Application, handler: Interceptor) -> None:
    """Called by /cancel; returns True if it paused something."""
    app.bot_data.setdefault(CANCEL_HOOKS_KEY, []).append(handler)


def add_form(app: Application, name: str, handler: FormHandler) -> None:
    app.bot_data.setdefault(FORMS_KEY, {})[name] = handler


def set_default(app: Application, handler: TextHandler) -> None:
    """What plain text does when no form is open; the first feature to claim it keeps it."""
    app.bot_data.setdefault(DEFAULT_KEY, handler)


def chat_key(update: Update) -> tuple[int, int] | None:
    """The conversation a step belongs to: this user in this chat."""
    user, chat = update.effective_user, update.effective_chat
    return (user.id, chat.id) if user and chat else None


async def open_form(update: Update, context: ContextTypes.DEFAULT_TYPE, name: str, argument: str = "",
                    data: dict[str, Any] | None = None) -> None:
    """The next plain text from this user in this chat goes to form `name` (data: extra JSON for the step)."""
    who = chat_key(update)
    if who is not None:
        run_tx(context, conversation.open_step, *who, name, {**(data or {}), "argument": argument})


async def close_form(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Forget the open form (or any other open step); True if there was one."""
    who = chat_key(update)
    return who is not None and run_tx(context, conversation.close_step, *who)


@friendly
async def route_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.message.text if update.message and update.message.text else ""
    forms: dict[str, FormHandler] = context.application.bot_data.get(FORMS_KEY, {})
    who = chat_key(update)
    step = run_tx(context, conversation.take_step, *who, forms.keys()) if who else None
    if step is not None:
        await forms[step.name](update, context, step.argument, text.strip())
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
    had = await close_form(update, context)
    for hook in context.application.bot_data.get(CANCEL_HOOKS_KEY, []):
        had = await hook(update, context) or had
    await reply(update, CANCELLED if had else NOTHING_OPEN)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("cancel", cancel_form))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, route_text))
