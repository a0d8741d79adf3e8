"""The main menu, /help, the profile, settings, the manager's unit and the HR admin entry."""

from __future__ import annotations

from telegram import BotCommand, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from domain import accounts
from domain.accounts import Actor
from handlers.common import NOT_LINKED, esc, keyboard, linked_only, load_actor, read_tx, reply, run_tx
from views.callbacks import menu as buttons
from views.callbacks import start as unlink_buttons

MENU_TITLE = "<b>Menu chính</b> – {name} ({unit}). Chọn một mục:"
BUTTONS = {
    "profile": "👤 Hồ sơ của tôi",
    "gaps": "📋 Tiêu chuẩn còn thiếu",
    "courses": "🎓 Khóa học",
    "eval": "📝 Tự đánh giá tháng",
    "ask": "❓ Hỏi về Nghị quyết",
    "settings": "⚙️ Cài đặt",
    "unit": "🏢 Đơn vị của tôi",
    "review": "🗂 Xếp loại cấp dưới",
    "admin": "🛠 Quản trị (Ban Tổ chức)",
    "find": "🔎 Tìm cán bộ",
}
BACK = ("⬅️ Về menu", buttons.entry("home"))
BACK_TO_ADMIN = ("⬅️ Quản trị", buttons.entry("admin"))
MY_DATA = ("🗂 Dữ liệu của tôi", buttons.entry("mydata"))  # handlers/mydata.py
PROFILE_TITLE = "<b>Hồ sơ của tôi</b>"
PROFILE_SOURCES = "<b>Nguồn dữ liệu</b> (lần thay đổi gần nhất):"
PROFILE_TRAININGS = "<b>Bồi dưỡng đã hoàn thành (năm)</b>"
PROFILE_FIX = "Thông tin chưa đúng? Hãy báo bộ phận tổ chức cán bộ của đơn vị để cập nhật hồ sơ gốc."
SETTINGS = (
    "<b>Cài đặt</b>\nTài khoản Telegram đang liên kết với hồ sơ <b>{code}</b> – {name}.\n"
    "Nhắc không bắt buộc (gợi ý lớp sắp hết hạn đăng ký, nhắc tiêu chuẩn hằng quý): <b>{mute}</b>.\n"
    "Nhắc tự đánh giá tháng và lịch khai giảng lớp đã đăng ký luôn được gửi.\n"
    "Muốn dùng tài khoản khác? Hủy liên kết rồi liên kết lại từ tài khoản mới."
)
MUTE_ON, MUTE_OFF = "🔕 Tắt nhắc không bắt buộc", "🔔 Bật lại nhắc không bắt buộc"
HELP = (
    "<b>cadrebot – hướng dẫn</b>\n"
    "/start – bắt đầu, liên kết tài khoản với hồ sơ cán bộ\n"
    "/menu – menu chính\n"
    "/profile – hồ sơ của tôi\n"
    "/mydata – mọi dữ liệu bot lưu về bạn\n"
    "/gaps – tiêu chuẩn còn thiếu so với Nghị quyết\n"
    "/courses – khóa học, đăng ký lớp\n"
    "/eval – tự đánh giá hằng tháng (bản nháp được lưu từng bước)\n"
    "/cancel – dừng thao tác đang dở (bản nháp vẫn được giữ)\n"
    "/ask – hỏi về Nghị quyết (gõ có dấu hoặc không dấu đều được)\n"
    "/unlink – hủy liên kết tài khoản\n"
    "/help – hướng dẫn này\n\n"
    "Bấm các nút dưới tin nhắn để thao tác. Bot chỉ làm việc trong trò chuyện riêng."
)
HELP_OWN_ONLY = " Bạn chỉ xem được hồ sơ của chính mình."
HELP_MANAGER = (
    "\n\n<b>Cán bộ quản lý</b> – bạn xem được số liệu và hồ sơ cán bộ trong đơn vị của bạn và các đơn vị "
    "trực thuộc:\n"
    "/report (mục “🏢 Đơn vị của tôi”) – tiến độ từng chỉ tiêu, biểu đồ, tệp Excel, cán bộ còn thiếu chuẩn\n"
    "/review (mục “🗂 Xếp loại cấp dưới”) – xếp loại bản tự đánh giá, tình hình nộp và nhắc người chưa nộp, "
    "xếp loại “📅 Theo quý”, “📆 Cả năm” và tệp Excel\n"
    "/find TÊN_HOẶC_MÃ (mục “🔎 Tìm cán bộ”) – tra cứu một cán bộ: hồ sơ, tiêu chuẩn còn thiếu, đăng ký lớp, "
    "tự đánh giá\n"
    "/delegate – ủy quyền xếp loại cho người khác trong một khoảng ngày, xem và thu hồi ủy quyền"
)
HELP_HR = (
    "\n\n<b>Ban Tổ chức</b> – bạn xem được hồ sơ mọi cán bộ trong tỉnh (mỗi lần xem được ghi nhật ký):\n"
    "Mục “🛠 Quản trị” – tìm cán bộ, quản lý lớp, báo cáo toàn tỉnh, đường dẫn mời, nhập tệp và tệp mẫu\n"
    "/report – toàn tỉnh; /report MÃ_ĐƠN_VỊ – một đơn vị\n"
    "/find TÊN_HOẶC_MÃ – tra cứu bất kỳ cán bộ nào\n"
    "/courses – danh sách học viên, đăng ký hoặc hủy hộ, ghi nhận hoàn thành, số chỗ, hủy lớp\n"
    "/invite MÃ_CÁN_BỘ – tạo đường dẫn mời\n"
    "Gửi tệp .xlsx/.csv vào trò chuyện để nhập danh sách cán bộ, danh sách lớp hoặc đăng ký lớp theo danh sách."
)

COMMANDS = [
    BotCommand("start", "Bắt đầu, liên kết tài khoản"),
    BotCommand("menu", "Menu chính"),
    BotCommand("profile", "Hồ sơ của tôi"),
    BotCommand("mydata", "Dữ liệu của tôi"),
    BotCommand("gaps", "Tiêu chuẩn còn thiếu"),
    BotCommand("report", "Chỉ tiêu của đơn vị (quản lý)"),
    BotCommand("courses", "Khóa học"),
    BotCommand("eval", "Tự đánh giá tháng"),
    BotCommand("ask", "Hỏi về Nghị quyết"),
    BotCommand("review", "Xếp loại cấp dưới (quản lý)"),
    BotCommand("find", "Tìm cán bộ (quản lý, Ban Tổ chức)"),
    BotCommand("delegate", "Ủy quyền xếp loại (quản lý)"),
    BotCommand("cancel", "Dừng thao tác đang dở"),
    BotCommand("help", "Hướng dẫn"),
    BotCommand("unlink", "Hủy liên kết tài khoản"),
]


def menu_markup(actor: Actor) -> InlineKeyboardMarkup:
    layout = [["profile", "gaps"], ["courses", "eval"], ["ask", "settings"]]
    if actor.is_manager or actor.is_hr:
        layout += [["unit", "review"], ["find"]]
    if actor.is_hr:
        layout.append(["admin"])
    return keyboard([[(BUTTONS[name], buttons.entry(name)) for name in row] for row in layout])


async def send_main_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = await load_actor(update, context)
    if actor is None:
        await reply(update, NOT_LINKED)
        return
    await reply(update, MENU_TITLE.format(name=esc(actor.full_name), unit=esc(actor.unit_name)),
                menu_markup(actor))


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_main_menu(update, context)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = await load_actor(update, context)
    sees_others = actor is not None and (actor.is_manager or actor.is_hr)
    text = HELP + ("" if sees_others else HELP_OWN_ONLY)
    if actor and actor.is_manager:
        text += HELP_MANAGER
    if actor and actor.is_hr:
        text += HELP_HR
    await reply(update, text)


@linked_only
async def profile(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    data = await read_tx(context, accounts.own_profile, actor, final=True)
    lines = [PROFILE_TITLE, *(f"{k}: <b>{esc(v)}</b>" for k, v in data.fields), "", PROFILE_TRAININGS]
    lines += [f"• {k}: {esc(v)}" for k, v in data.trainings]
    if data.sources:
        lines += ["", PROFILE_SOURCES, *(f"• {esc(k)}: {esc(v)}" for k, v in data.sources)]
    lines += ["", PROFILE_FIX]
    await reply(update, "\n".join(lines), keyboard([[MY_DATA], [BACK]]))


@linked_only
async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    data = update.callback_query.data if update.callback_query else ""
    mute = buttons.parse_mute(data or "")
    if mute is not None:
        muted = await run_tx(context, accounts.set_mute_optional, actor, mute)
    else:
        muted = await read_tx(context, accounts.is_muted, actor)
    toggle = (MUTE_OFF, buttons.mute(False)) if muted else (MUTE_ON, buttons.mute(True))
    await reply(update, SETTINGS.format(code=esc(actor.code), name=esc(actor.full_name),
                                        mute="đang tắt" if muted else "đang bật"),
                keyboard([[toggle], [("🔓 Hủy liên kết", unlink_buttons.press("ask"))], [BACK]]))


async def post_init_commands(app: Application) -> None:
    await app.bot.set_my_commands(COMMANDS)


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["menu"], menu))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("profile", profile))
    app.add_handler(CallbackQueryHandler(menu, pattern=buttons.entry_pattern("home")))
    app.add_handler(CallbackQueryHandler(profile, pattern=buttons.entry_pattern("profile")))
    app.add_handler(CallbackQueryHandler(settings, pattern=buttons.entry_pattern("settings")))
    app.add_handler(CallbackQueryHandler(settings, pattern=buttons.MUTE_PATTERN))
