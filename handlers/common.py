"""What every handler shares: services from bot_data, replying, and turning domain errors into text."""

from __future__ import annotations

import asyncio
import functools
import io
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import date
from typing import Any, TypeVar

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from core import quiet
from core.services import Services
from domain import conversation, spreadsheet
from domain.accounts import Actor, actor_for, audit_refusal
from domain.errors import DomainError, PermissionDenied
from handlers import last_buttons
from handlers.context import UpdateContext
from views.callbacks import menu as menu_buttons
from views.callbacks.base import LIMIT as CALLBACK_LIMIT
from views.html import esc

log = logging.getLogger(__name__)
T = TypeVar("T")
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None

STALE_BUTTON = "Nút này đã cũ hoặc không còn hiệu lực. Gõ /menu để mở lại menu."
NOT_LINKED = (
    "Bạn chưa liên kết tài khoản Telegram với hồ sơ cán bộ. Gõ /start để liên kết "
    "bằng số điện thoại hoặc đường dẫn mời của Ban Tổ chức."
)


async def deliver_now(context: ContextTypes.DEFAULT_TYPE, *kinds: str) -> None:
    """Send the notifications this update queued for other people, without waiting for the dispatcher."""
    svc = services(context)
    if svc.notify_now is not None:  # no scheduler registered (some tests): the dispatcher sends them later
        await svc.notify_now(context.bot, frozenset(kinds))


def held_until(context: ContextTypes.DEFAULT_TYPE, kind: str) -> str | None:
    """When a notice of `kind` queued now waits for quiet hours or a holiday, when it goes out, so that the
    reply never claims a message was sent while it waits; None if it goes out now."""
    svc = services(context)
    return quiet.held_until(svc.now(), svc.settings.scheduler, kind)


def today(context: ContextTypes.DEFAULT_TYPE) -> date:
    return services(context).today()


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    svc: Services = context.application.bot_data["services"]
    return svc


async def run_tx(context: ContextTypes.DEFAULT_TYPE, fn: Callable[..., T], *args: Any) -> T:
    """The update's write: in its unit of work (after the actor's load, in the same transaction), in a worker
    thread so the event loop keeps serving other users; it commits here, so the reply is sent after it."""
    if isinstance(context, UpdateContext):
        return await context.step(fn, *args, write=True)
    return await asyncio.to_thread(services(context).db.run, fn, *args)


async def run_heavy(context: ContextTypes.DEFAULT_TYPE, fn: Callable[..., T], *args: Any) -> T:
    """An import's or export's transaction in a worker thread, so that other users are answered meanwhile;
    spreadsheet reading in it stops at the configured time limit ([imports] time_limit_s)."""
    svc = services(context)
    with spreadsheet.time_limit(svc.settings.imports.time_limit_s):  # the worker thread gets a copy of it
        if isinstance(context, UpdateContext):
            return await context.step(fn, *args, write=True)
        return await asyncio.to_thread(svc.db.run, fn, *args)


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """CPU work with no database (building a workbook or a chart) off the event loop."""
    return await asyncio.to_thread(fn, *args)


async def read_tx(context: ContextTypes.DEFAULT_TYPE, fn: Callable[..., T], *args: Any, final: bool = False) -> T:
    """A read in the update's unit of work, in a worker thread (on SQLite it does not take the write lock).

    `final`: the handler's last database step (what follows only renders and sends), so the unit ends in the same
    trip instead of one more at the end of the update."""
    if isinstance(context, UpdateContext):
        return await context.step(fn, *args, final=final)
    return await asyncio.to_thread(services(context).db.read, fn, *args)


async def load_actor(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Actor | None:
    """The linked cadre behind this update, with roles re-derived from the database; None if not linked.

    Loaded once per update, inside its unit of work (handlers.context), never taken from button data."""
    if isinstance(context, UpdateContext):
        return await context.load_actor()
    user = update.effective_user
    if user is None:
        return None
    return await read_tx(context, actor_for, user.id, services(context).settings.telegram.hr_telegram_ids)


class StaleButton(Exception):
    """Button data no button of ours carries (forged, truncated or from an older version)."""


def require_live_press(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A confirmation acts once: only while it is the step the chat waits at (text_router sets live_press). An
    older copy pressed later (after it acted, or after what it made was undone) is a stale button."""
    if not getattr(context, "live_press", False):
        raise StaleButton("a confirmation pressed after its step ended")


def pressed(update: Update, parse: Callable[[str], T | None]) -> T:
    """The pressed button's data through its feature's strict parser (views/callbacks/<feature>.py);
    data no button of ours carries is a StaleButton (answered by `friendly`, the refusal recorded)."""
    data = (update.callback_query.data if update.callback_query else None) or ""
    press = parse(data)
    if press is None:
        raise StaleButton(data[:CALLBACK_LIMIT])
    return press


def callback_text(update: Update) -> str:
    """The pressed button's data or the typed command, for a refusal's trace (never a phone or free text)."""
    if update.callback_query:
        return (update.callback_query.data or "")[:CALLBACK_LIMIT]
    text = update.message.text if update.message and update.message.text else ""
    return text.split()[0][:CALLBACK_LIMIT] if text.startswith("/") else ""


async def answer_stale(update: Update) -> None:
    if update.callback_query:
        await update.callback_query.answer(STALE_BUTTON, show_alert=True)


async def record_refusal(update: Update, context: ContextTypes.DEFAULT_TYPE, reason: str) -> None:
    """A refused attempt leaves a trace: a log line, and an audit row (rate-limited per user)."""
    user = update.effective_user
    who = f"tg:{user.id}" if user else "tg:?"
    log.warning("refused %s for %s: %s", callback_text(update) or "(message)", who, reason)
    await run_tx(context, audit_refusal, who, callback_text(update), reason)


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline buttons; a button whose data would break Telegram's 64-byte limit is left out, not sent broken."""
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(t, callback_data=d) for t, d in row if len(d.encode()) <= CALLBACK_LIMIT]
        for row in rows])


async def reply(update: Update, text: str, markup: Markup = None) -> None:
    """Answer in the chat the update came from, whether it was a message or a button press.

    The answer's inline buttons are remembered for the chat (a message without them ends them), so
    that a label typed later presses its button (handlers.text_router)."""
    if update.callback_query:
        await update.callback_query.answer()
    chat = update.effective_chat
    if chat is None:
        return
    await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup,
                            disable_web_page_preview=True)
    await last_buttons.remember(update, markup)


async def send_file(update: Update, content: bytes, filename: str, caption: str, markup: Markup = None, *,
                    as_photo: bool = False) -> None:
    """Answer with a file (a document, or a photo shown inline), its buttons under the caption.

    Like reply(): the press is answered and the buttons are remembered as the chat's last, so that the
    chat is not left with nothing to tap and a typed label still presses them. The caption is HTML, as reply()'s
    text is: whatever a user wrote in it is escaped by the caller."""
    if update.callback_query:
        await update.callback_query.answer()
    chat = update.effective_chat
    if chat is None:
        return
    upload = InputFile(io.BytesIO(content), filename=filename)
    if as_photo:
        await chat.send_photo(upload, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup)
    else:
        await chat.send_document(upload, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup)
    await last_buttons.remember(update, markup)


def friendly(fn: Handler) -> Handler:
    """Show a domain rule's Vietnamese message instead of failing the update; bad button data is a stale button."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await fn(update, context)
        except StaleButton:
            await answer_stale(update)
            await record_refusal(update, context, "malformed button data")
        except PermissionDenied as exc:
            await reply(update, esc(str(exc)), await _way_back(update, context))
            await record_refusal(update, context, str(exc))
        except DomainError as exc:
            await reply(update, esc(str(exc)), await _way_back(update, context))

    return wrapper


MENU_BUTTON = ("⬅️ Về menu", menu_buttons.entry("home"))
FORMS_KEY = "text_router.forms"  # the prompts that take the next typed line (handlers.text_router.add_form)


async def _way_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Markup:
    """A refusal of a press or a command ("/report abc") is not a dead end: the menu is one tap away. A refused
    typed value gets none, nor a press while a prompt is open: the prompt waits for a typed line, and a menu press
    would leave it open behind the menu (the next question would be taken as its value)."""
    text = update.message.text if update.message and update.message.text else ""
    if not (update.callback_query or text.startswith("/")):
        return None
    chat, user = update.effective_chat, update.effective_user
    if update.callback_query and chat and user:
        step = await read_tx(context, conversation.waiting, user.id, chat.id)
        if step is not None and step.name in context.application.bot_data.get(FORMS_KEY, {}):
            return None
    return keyboard([[MENU_BUTTON]])


def linked_only(fn: Callable[[Update, ContextTypes.DEFAULT_TYPE, Actor], Coroutine[Any, Any, None]]) -> Handler:
    """Resolve the linked cadre from the database on every update (never from callback data)."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        actor = await load_actor(update, context)
        if actor is None:
            await reply(update, NOT_LINKED)
            return
        await fn(update, context, actor)

    return friendly(wrapper)
