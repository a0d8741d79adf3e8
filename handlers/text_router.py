"""Where a plain text message goes: to the button it names, to the form the user has open, else to the default.

Features register the forms they open (a prompt waiting for one typed value) by name; the
open form is a conversation step in the database (domain.conversation), keyed by user and chat,
so a restart between the prompt and the answer loses nothing.

A step that offers buttons records them in its step (`offer_buttons`, or `buttons=` on a form).
A typed reply that names one of them (domain.choices) presses it, before any form, draft or
question answering sees the text; at a step that accepts only a choice, anything else gets
"hãy chọn một nút" with the buttons again. A button step that is not a form ends when the user
presses another button or sends a command, so a later question is never taken for a choice; but a
button bound to a step that is not open (`bind_buttons`: an older preview's) can do nothing, so it
ends nothing either: the step's buttons are shown again.

With no step open, the buttons of the last message the bot sent (handlers.last_buttons, in the
database) are a plain menu: a typed reply that names one of them presses it, after any
form or draft had its chance at the text; anything else is a question, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from telegram import CallbackQuery, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from core.services import Services
from domain import conversation
from domain.choices import Match, drop_button_step, match_button, match_menu_label
from domain.errors import DomainError, NotFound, PermissionDenied
from handlers import last_buttons
from handlers.common import FORMS_KEY, esc, friendly, keyboard, read_tx, reply, run_tx

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FormHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, str, str], Coroutine[Any, Any, None]]
TextHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
DEFAULT_KEY = "text_router.default"
INTERCEPTORS_KEY, CANCEL_HOOKS_KEY = "text_router.interceptors", "text_router.cancel_hooks"
AWAITS_KEY, LEAVE_HOOKS_KEY = "text_router.awaits", "text_router.leave_hooks"
BOUND_KEY = "text_router.bound_buttons"
Interceptor = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, bool]]
AwaitsText = Callable[[Application, int], Coroutine[Any, Any, bool]]
Rows = Sequence[Sequence[tuple[str, str]]]
CHOOSE = "Hãy chọn một nút bên dưới (bấm nút, hoặc gõ đúng tên nút)."
STALE_KEPT = "Nút đó thuộc một bước đã kết thúc nên không làm gì; việc đang chờ vẫn giữ nguyên. " + CHOOSE
KEEPS_STEP = ("cancel", "help")  # /cancel says itself what it closed; /help only explains, the step waits
BUTTON_STEP = "buttons:"  # the name of a step opened by offer_buttons, before its own
BUTTONS_GROUP = -3  # before the guard (-1): a press or command ends a button step before any feature runs


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
    step = await asyncio.to_thread(svc.db.read, conversation.current_step, user_id,
                                   user_id if chat_id is None else chat_id)
    if step is not None and step.name in forms:
        return True
    for check in app.bot_data.get(AWAITS_KEY, []):
        if await check(app, user_id):
            return True
    return False


def add_cancel_hook(app: Application, handler: Interceptor) -> None:
    """Called by /cancel; returns True if it paused something."""
    app.bot_data.setdefault(CANCEL_HOOKS_KEY, []).append(handler)


# A leave hook's check runs in the update's first read, beside the open step (one trip to a worker thread for all):
# check(session, context, command) finds what the command leaves (None: nothing); act(update, context, found) then
# deals with it, only when something was found.
LeaveCheck = Callable[["Session", ContextTypes.DEFAULT_TYPE, str], object]
LeaveAct = Callable[[Update, ContextTypes.DEFAULT_TYPE, Any], Coroutine[Any, Any, None]]


def add_leave_hook(app: Application, check: LeaveCheck, act: LeaveAct) -> None:
    """For a command that leaves whatever the chat was doing (not for /cancel or /help, KEEPS_STEP)."""
    app.bot_data.setdefault(LEAVE_HOOKS_KEY, []).append((check, act))


def bind_buttons(app: Application, acts_on_step: Callable[[str], bool], steps: Collection[str]) -> None:
    """Buttons (the callback data `acts_on_step` accepts) that act only on one of `steps`: pressed while the chat
    waits at another step, such a button (an older message's) can do nothing, so it must not end that step."""
    app.bot_data.setdefault(BOUND_KEY, []).append((acts_on_step, frozenset(steps)))


def _can_do_nothing(context: ContextTypes.DEFAULT_TYPE, data: str, step: conversation.Step) -> bool:
    bound = [steps for acts_on_step, steps in context.application.bot_data.get(BOUND_KEY, []) if acts_on_step(data)]
    return bool(bound) and not any(step.name in steps for steps in bound)


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
                    data: dict[str, Any] | None = None, buttons: Rows | None = None) -> None:
    """The next plain text from this user in this chat goes to form `name` (data: extra JSON for the step).

    `buttons`: the buttons the prompt offers beside the typed value; typing one's label presses it.
    """
    who = chat_key(update)
    if who is not None:
        extra = {"buttons": buttons} if buttons else {}
        await run_tx(context, conversation.open_step, *who, name, {**(data or {}), **extra, "argument": argument})


async def offer_buttons(update: Update, context: ContextTypes.DEFAULT_TYPE, name: str, rows: Rows,
                        choice_only: bool = True) -> None:
    """Record that this chat waits at button step `name`; typing a label presses it.

    `choice_only`: any other reply gets "hãy chọn một nút"; else other text goes on as usual (a draft, a question).
    """
    who = chat_key(update)
    if who is not None:
        await run_tx(context, conversation.open_step, *who, f"{BUTTON_STEP}{name}",
                     {"buttons": rows, "choice": choice_only})


async def buttons_of_step(update: Update, context: ContextTypes.DEFAULT_TYPE, choice_only: dict[str, bool],
                          rows: Rows) -> None:
    """The message just sent offers `rows` at the step a feature opened in the domain (one of `choice_only`'s
    names): typing a label presses it, as at any other step with buttons; pressing one of them keeps the step
    for its handler, pressing another button ends it."""
    who = chat_key(update)
    if who is not None:
        plain = [[(str(label), str(data)) for label, data in row] for row in rows]
        await run_tx(context, conversation.attach_buttons, *who, choice_only, plain)


def _own_button(step: conversation.Step, update: Update) -> bool:
    """The press is a button of the feature whose step this is (its handler needs the step and re-checks the
    press against it: a forged or stale one is refused there with its reason)."""
    if step.name.startswith(BUTTON_STEP) or update.callback_query is None:
        return False
    prefixes = {str(data).split(":", 1)[0] for row in step.data.get("buttons", []) for _, data in row}
    return (update.callback_query.data or "").split(":", 1)[0] in prefixes


async def reply_choice(update: Update, context: ContextTypes.DEFAULT_TYPE, name: str, text: str, rows: Rows,
                       choice_only: bool = True) -> None:
    """Send a message with buttons and record it as a button step (see offer_buttons)."""
    await offer_buttons(update, context, name, rows, choice_only)
    await reply(update, text, keyboard(rows))


class TypedPress(CallbackQuery):
    """A button pressed by typing its label: there is no Telegram query to answer, so a notice becomes a message."""

    __slots__ = ()

    async def answer(self, text: str | None = None, *args: Any, **kwargs: Any) -> bool:
        if text and self.message is not None:
            await self.get_bot().send_message(self.message.chat.id, text)
        return True


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE, data: str) -> None:
    """Process a press of the button with `data`, as if the user had tapped it (every check runs again)."""
    user, message = update.effective_user, update.message
    if user is None or message is None:
        return
    query = TypedPress(id=f"typed-{update.update_id}", from_user=user, chat_instance="typed", data=data,
                       message=message)
    query.set_bot(context.bot)
    synthetic = Update(update_id=update.update_id, callback_query=query)
    synthetic.set_bot(context.bot)
    await context.application.process_update(synthetic)


async def typed_button(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                       step: conversation.Step | None) -> bool:
    """Press the button the text names at the current step; True if the text was taken as a choice."""
    rows = step.data.get("buttons") if step and step.name != conversation.KEYBOARD else None
    if not step or not rows:
        return False
    buttons = [(str(label), str(data)) for row in rows for label, data in row]
    choice_only = bool(step.data.get("choice"))
    match = match_button(text, [label for label, _ in buttons], choice_only)
    return await _act_on(update, context, match, buttons, rows, choice_only)


async def typed_menu_label(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                           step: conversation.Step | None) -> bool:
    """Press the last message's button the text names (no step open); True if it did or asked to choose."""
    if step is None or step.name != conversation.KEYBOARD or not step.data.get("buttons"):
        return False
    rows = step.data["buttons"]
    buttons = [(str(label), str(data)) for row in rows for label, data in row]
    match = match_menu_label(text, [label for label, _ in buttons])
    return await _act_on(update, context, match, buttons, rows, choice_only=False)


async def _act_on(update: Update, context: ContextTypes.DEFAULT_TYPE, match: Match,
                  buttons: Sequence[tuple[str, str]], rows: Rows, choice_only: bool) -> bool:
    if match.index is not None:
        await press(update, context, buttons[match.index][1])
        return True
    if match.ambiguous or choice_only:
        await reply(update, CHOOSE, keyboard(rows))
        return True
    return False


def _command(update: Update) -> str | None:
    """'/gaps@cadrebot x' -> 'gaps'; None if the update is not a command."""
    text = update.message.text if update.message and update.message.text else ""
    return text[1:].split(maxsplit=1)[0].split("@")[0].lower() if text.startswith("/") and len(text) > 1 else None


async def end_button_step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Another press ends a button step; a command leaves any open step, form or draft (one place for all).

    A command is a new intention: a prompt left open would take the next unrelated text as its value.
    Leave hooks (an evaluation draft pauses, kept) run for every command but those in KEEPS_STEP.
    """
    last_buttons.track(context)  # first thing for every update: its replies remember their buttons
    command, who = _command(update), chat_key(update)
    if who is None or not (update.callback_query or command):
        return
    leaving = command is not None and command not in KEEPS_STEP
    hooks: list[tuple[LeaveCheck, LeaveAct]] = context.application.bot_data.get(LEAVE_HOOKS_KEY, []) if leaving else []
    step, found = await read_tx(context, _open_work, who, [check for check, _ in hooks], command or "", context)
    if command is not None:
        if not leaving:
            return
        if step is not None:
            await _drop(update, context, who, step)
        for (_, act), what in zip(hooks, found, strict=True):
            if what is not None:
                await act(update, context, what)
        return
    pressed = update.callback_query.data if update.callback_query else None
    if step is not None and pressed and any(str(data) == pressed for row in step.data.get("buttons", [])
                                            for _, data in row):
        context.live_press = True  # type: ignore[attr-defined]  # UpdateContext: a button of the step waiting
    forms = context.application.bot_data.get(FORMS_KEY, {})
    # A prompt (form) ends too when another feature's button is pressed: the user moved on, and the prompt left
    # open would take their next question as its value. Its own buttons (same prefix) keep it for its handler.
    if step is not None and (step.name in forms or step.data.get("buttons")) and not _own_button(step, update):
        if _can_do_nothing(context, pressed or "", step):
            # an older preview's button: ending the one the chat waits at would lose it for nothing
            rows = [[(str(label), str(button)) for label, button in row] for row in step.data["buttons"]]
            await reply(update, STALE_KEPT, keyboard(rows))
            raise ApplicationHandlerStop
        await _drop(update, context, who, step)


def _open_work(session: Session, who: tuple[int, int], checks: Sequence[LeaveCheck], command: str,
               context: ContextTypes.DEFAULT_TYPE) -> tuple[conversation.Step | None, list[object]]:
    """The chat's open step and what each leave hook's check finds, in one read (the actor is loaded before it)."""
    return conversation.current_step(session, *who), [check(session, context, command) for check in checks]


async def _drop(update: Update, context: ContextTypes.DEFAULT_TYPE, who: tuple[int, int],
                step: conversation.Step) -> None:
    """End the step; a step that holds something the user may count on (a file's preview) says it ended."""
    await run_tx(context, drop_button_step, *who, step.name)
    left = step.data.get(conversation.LEFT)
    if left:
        await reply(update, "ℹ️ " + esc(str(left)))


async def close_form(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Forget the open form (or any other open step); True if there was one."""
    who = chat_key(update)
    return who is not None and await run_tx(context, conversation.close_step, *who)


@friendly
async def route_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.message.text if update.message and update.message.text else ""
    who = chat_key(update)
    waiting = await read_tx(context, conversation.waiting, *who) if who else None
    if await typed_button(update, context, text, waiting):
        return
    forms: dict[str, FormHandler] = context.application.bot_data.get(FORMS_KEY, {})
    step = (await run_tx(context, conversation.take_step, *who, forms.keys())
            if who and waiting is not None and waiting.name in forms else None)
    if step is not None and who is not None:
        try:
            await forms[step.name](update, context, step.argument, text.strip())
        except (NotFound, PermissionDenied):
            raise
        except DomainError:  # a refused value ("số chỗ không thể nhỏ hơn"): the prompt waits for another
            await run_tx(context, conversation.open_step, *who, step.name, step.data)
            raise
        return
    for interceptor in context.application.bot_data.get(INTERCEPTORS_KEY, []):
        if await interceptor(update, context):
            return
    if await typed_menu_label(update, context, text, waiting):
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
    app.add_handler(TypeHandler(Update, end_button_step), group=BUTTONS_GROUP)
    app.add_handler(CommandHandler("cancel", cancel_form))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, route_text))
