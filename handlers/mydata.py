"""/mydata and the profile's "🗂 Dữ liệu của tôi" button: what the bot keeps about the person, read-only."""

from __future__ import annotations

from datetime import tzinfo

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from domain.accounts import Actor
from domain.mydata import MyData, my_data
from handlers.common import esc, keyboard, linked_only, reply, run_tx, services
from handlers.menu import BACK
from views.callbacks import menu

TITLE = "<b>Dữ liệu bot lưu về bạn</b>"
FOOT = ("Bot chỉ lưu những dữ liệu trên (cùng nhật ký thao tác) để phục vụ việc thực hiện Nghị quyết. "
        "Thông tin chưa đúng? Hãy báo bộ phận tổ chức cán bộ của đơn vị.")


def render(data: MyData, tz: tzinfo) -> str:
    lines = [TITLE, "", "<b>Hồ sơ</b>", *(f"{esc(k)}: {esc(v)}" for k, v in data.profile.fields)]
    lines += ["", "<b>Bồi dưỡng, đào tạo (năm – nguồn)</b>"]
    lines += [f"• {esc(t.label)}: {esc(t.year)}" + (f" – {esc(t.source)}" if t.source else "") for t in data.trainings]
    lines += ["", f"<b>Tự đánh giá</b> ({data.evaluations_total})"]
    lines += [f"• {e.period}: {esc(e.status)}{' (muộn)' if e.late else ''}"
              + (f"; tự xếp: {esc(e.self_rating)}" if e.self_rating else "")
              + (f"; cấp trên: {esc(e.manager_rating)}" if e.manager_rating else "") for e in data.evaluations]
    if not data.evaluations:
        lines.append("• chưa có")
    lines += ["", f"<b>Đăng ký lớp</b> ({data.registrations_total})"]
    lines += [f"• {esc(r.course_code)} – {esc(r.course_name)}: {esc(r.status)} ({r.since.astimezone(tz):%d/%m/%Y})"
              for r in data.registrations]
    if not data.registrations:
        lines.append("• chưa có")
    linked = f"{data.linked_at.astimezone(tz):%H:%M %d/%m/%Y}" if data.linked_at else "—"
    lines += ["", f"<b>Liên kết Telegram</b>: từ {linked}", "", FOOT]
    return "\n".join(lines)


@linked_only
async def show(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    data = await run_tx(context, my_data, actor)
    await reply(update, render(data, services(context).settings.timezone), keyboard([[BACK]]))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("mydata", show))
    app.add_handler(CallbackQueryHandler(show, pattern=menu.entry_pattern("mydata")))
