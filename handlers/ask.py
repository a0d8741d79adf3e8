"""/ask and free text: short answers about the resolution, with the section they come from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from domain.evaluation import Window
from handlers import text_router
from handlers.common import esc, friendly, keyboard, load_actor, pressed, reply, services, today
from handlers.menu import BACK, BUTTONS, menu_markup
from knowledge import smalltalk
from knowledge.index import Answer, default_kb
from knowledge.intents import EVAL
from views.callbacks import ask as buttons
from views.callbacks import menu
from views.html import LABEL_LIMIT, fit

PROMPT = (
    "❓ Gõ câu hỏi về Nghị quyết nâng cao chất lượng cán bộ 2026–2030, có dấu hay không dấu đều được. "
    "Ví dụ: “bí thư xã cần trình độ chính trị gì”, “den 2029 bao nhieu % lanh dao co thac si”. Gõ /cancel để thôi."
)
SOURCE = "\n\n📖 Nguồn: {ref}"
SOURCE_TITLE = " – {title}"
PERSONAL = "\n👉 Để xem tiêu chuẩn của riêng bạn theo vị trí hiện tại, gõ /gaps."
PERSONAL_UNLINKED = "\n👉 Liên kết tài khoản (/start) để bot tính tiêu chuẩn của riêng bạn."
NOT_FOUND_MORE = "\nBạn có thể xem các mục gần nhất dưới đây, hoặc hỏi lại bằng từ ngữ khác."
FULL_SECTION = "📖 <b>{ref}{title}</b>\n\n{text}"
UNKNOWN_SECTION = "Không tìm thấy mục này trong Nghị quyết."
BTN_FULL = "📖 Xem toàn văn mục"
TELEGRAM_LIMIT = 4000


@dataclass(frozen=True)
class Held:
    """A step answer_question opens beside its answer: name, data, the buttons first in the reply, a note (HTML),
    and buttons of an earlier message still on screen whose labels should still press when typed."""

    step: str
    data: dict[str, Any]
    rows: list[list[tuple[str, str]]]
    note: str
    typed_only: list[list[tuple[str, str]]] = field(default_factory=list)  # labels that press when typed, not shown


def section_label(ref: str, title: str, limit: int = LABEL_LIMIT) -> str:
    """'Mục III.3 – Nâng cao chất lượng công tác…': cut between words, never inside one."""
    return fit(f"{ref} – {title}".rstrip(" –") if title else ref, limit)


def _buttons(answer: Answer) -> list[list[tuple[str, str]]]:
    kb = default_kb()
    if answer.intent:
        rows = [[(BUTTONS[answer.intent], menu.entry(answer.intent))]]
    elif answer.found and answer.source:
        rows = [[(BTN_FULL, buttons.full_section(answer.source))]]
    else:
        rows = [[(section_label(ref, kb.title_of(ref)), buttons.full_section(ref))] for ref in answer.suggestions[:3]]
    return [*rows, [BACK]]


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str,
                          held: Held | None = None) -> None:
    """`held`: a step to keep open with the answer's buttons and the note's (a typed line a form may still want)."""
    answer = default_kb().ask(question)
    text = esc(answer.answer)
    if answer.found and answer.source:
        text += SOURCE.format(ref=esc(answer.source))
        title = default_kb().title_of(answer.source)
        text += SOURCE_TITLE.format(title=esc(title)) if title else ""
    elif answer.suggestions:
        text += NOT_FOUND_MORE
    if answer.personal and answer.found:  # a refusal or an app pointer never carries a second pointer
        text += PERSONAL if await load_actor(update, context) else PERSONAL_UNLINKED
    if answer.intent == EVAL:  # the window is configuration, not the resolution's text: dated here
        text += "\n" + esc(Window.of(services(context).settings.evaluation).period_note(today(context)))
    rows = _buttons(answer)
    if held is not None:
        rows = [*held.rows, *rows]
        text += held.note
        await text_router.open_form(update, context, held.step, data=held.data, buttons=[*rows, *held.typed_only])
    await reply(update, text, keyboard(rows))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.args:
        await answer_question(update, context, " ".join(context.args))
        return
    await text_router.open_form(update, context, "ask", "")
    await reply(update, PROMPT)


async def ask_from_form(update: Update, context: ContextTypes.DEFAULT_TYPE, _arg: str, value: str) -> None:
    kind = smalltalk.smalltalk_of(value)
    if kind is not None:
        await answer_smalltalk(update, context, kind, value)
        return
    await answer_question(update, context, value)


SMALLTALK = {
    smalltalk.GREETING: (
        "Xin chào! Tôi là cadrebot, trợ lý thực hiện Nghị quyết nâng cao chất lượng cán bộ 2026–2030. "
        "Bạn cứ gõ câu hỏi về Nghị quyết, có dấu hay không dấu đều được."),
    smalltalk.THANKS: "Rất vui được giúp bạn! Cần gì thêm, bạn cứ gõ câu hỏi.",
    smalltalk.ACKNOWLEDGEMENT: "Vâng. Khi cần, bạn cứ gõ câu hỏi về Nghị quyết.",
    smalltalk.BUTTON_WORD: "Hiện không có thao tác nào đang chờ bạn chọn “{word}”.",
}
MENU_HINT = "\nChọn một mục của menu chính bên dưới, hoặc gõ /help để xem hướng dẫn."
LINK_HINT = "\nGõ /start để liên kết tài khoản với hồ sơ cán bộ, /help để xem hướng dẫn."


async def ask_free_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Typing a question with no form open asks the knowledge module; a greeting, a thank-you, an okay or
    a button's words with nothing waiting for them get a short reply and the main menu instead."""
    text = update.message.text if update.message and update.message.text else ""
    kind = smalltalk.smalltalk_of(text)
    if kind is not None:
        await answer_smalltalk(update, context, kind, text)
        return
    await answer_question(update, context, text)


async def answer_smalltalk(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, text: str) -> None:
    """A polite line; the main menu's buttons when the user is linked (else how to link)."""
    line = SMALLTALK[kind].format(word=esc(" ".join(text.split())[:LABEL_LIMIT]))
    actor = await load_actor(update, context)
    if actor is None:
        await reply(update, line + LINK_HINT)
        return
    await reply(update, line + MENU_HINT, menu_markup(actor))


@friendly
async def full_section(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ref = pressed(update, buttons.parse)
    kb = default_kb()
    body = kb.section_text(ref)
    if body is None:
        await reply(update, UNKNOWN_SECTION)
        return
    title = kb.title_of(ref)
    text = FULL_SECTION.format(ref=esc(ref), title=f" – {esc(title)}" if title else "", text=esc(body))
    for start in range(0, len(text), TELEGRAM_LIMIT):
        last = start + TELEGRAM_LIMIT >= len(text)
        await reply(update, text[start:start + TELEGRAM_LIMIT], keyboard([[BACK]]) if last else None)


def register(app: Application) -> None:
    default_kb()  # build the index at start, not on the first question
    app.add_handler(CommandHandler("ask", ask_command))
    app.add_handler(CallbackQueryHandler(ask_command, pattern=menu.entry_pattern("ask")))
    app.add_handler(CallbackQueryHandler(full_section, pattern=buttons.PATTERN))
    text_router.add_form(app, "ask", ask_from_form)
    text_router.set_default(app, ask_free_text)
