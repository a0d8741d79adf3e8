"""/gaps: the cadre's own qualification gaps against the resolution, with courses that close them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from domain.accounts import Actor
from domain.gaps import CadreGaps, gaps_by_id
from handlers.common import keyboard, linked_only, read_tx, reply, today
from handlers.menu import BACK
from views.callbacks import courses, menu
from views.gaps import render_gaps


def course_buttons(data: CadreGaps) -> list[list[tuple[str, str]]]:
    codes = list(dict.fromkeys(c.code for g in data.gaps for c in g.courses))
    return [[(f"🎓 Xem lớp {code}", courses.view(code))] for code in codes[:6]]


@linked_only
async def show_gaps(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    data = await read_tx(context, gaps_by_id, actor.cadre_id, today(context), final=True)
    await reply(update, render_gaps(data), keyboard([*course_buttons(data), [BACK]]))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("gaps", show_gaps))
    app.add_handler(CallbackQueryHandler(show_gaps, pattern=menu.entry_pattern("gaps")))
