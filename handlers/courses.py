"""Course details (registration arrives with the courses issue)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from domain.accounts import Actor
from domain.clock import today_in
from domain.courses import course_view
from handlers.common import esc, keyboard, linked_only, reply, run_tx, services
from handlers.menu import BACK

DETAIL = (
    "🎓 <b>{name}</b> ({code})\nLoại: {kind}\nCơ sở đào tạo: {provider}\nHình thức: {mode}\n"
    "Thời gian: {start} – {end}\nHạn đăng ký: {deadline}\nĐịa điểm: {location}\nĐối tượng: {audience}\n"
    "Số chỗ: {capacity} (còn {left})"
)
CLOSED = "\n⛔ Lớp đã hết hạn đăng ký hoặc bị hủy."


@linked_only
async def view(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    code = (update.callback_query.data or "").split(":", 2)[2] if update.callback_query else ""
    c = run_tx(context, course_view, code[:64], today_in(services(context).settings.timezone))
    text = DETAIL.format(name=esc(c.name), code=esc(c.code), kind=esc(c.kind_label), provider=esc(c.provider),
                         mode=esc(c.mode), start=f"{c.start_date:%d/%m/%Y}", end=f"{c.end_date:%d/%m/%Y}",
                         deadline=f"{c.register_by:%d/%m/%Y}", location=esc(c.location), audience=esc(c.audience),
                         capacity=c.capacity, left=c.seats_left)
    buttons = keyboard([[("📋 Tiêu chuẩn còn thiếu", "menu:gaps")], [BACK]])
    await reply(update, text + ("" if c.open else CLOSED), buttons)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(view, pattern=r"^course:view:"))
