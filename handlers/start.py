"""/start, linking by shared phone number or invite link, and /unlink."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from domain import accounts
from handlers import text_router
from handlers.common import esc, friendly, load_actor, reply, run_tx
from handlers.menu import send_main_menu
from views.callbacks import menu
from views.callbacks import start as buttons

WELCOME = (
    "Xin chào! Tôi là <b>cadrebot</b> – trợ lý thực hiện Nghị quyết nâng cao chất lượng cán bộ "
    "tỉnh Tuyên Quang giai đoạn 2026–2030.\n\n"
    "Để xem tiêu chuẩn còn thiếu, đăng ký lớp học và tự đánh giá hằng tháng, hãy liên kết tài khoản "
    "với hồ sơ cán bộ của bạn: bấm nút <b>📱 Chia sẻ số điện thoại của tôi</b> bên dưới "
    "(số phải trùng với số trong hồ sơ), hoặc mở đường dẫn mời do Ban Tổ chức gửi.\n\n"
    "Bạn vẫn có thể hỏi về Nghị quyết mà không cần liên kết: gõ /ask kèm câu hỏi."
)
SHARE_BUTTON = "📱 Chia sẻ số điện thoại của tôi"
LINKED = "✅ Đã liên kết tài khoản với hồ sơ <b>{code}</b> – {name}, {unit}."
ALREADY = "Chào {name}! Tài khoản của bạn đã liên kết với hồ sơ {code}."
FORWARDED = (
    "Tin nhắn chuyển tiếp không dùng để liên kết được. Hãy bấm nút “📱 Chia sẻ số điện thoại của tôi”."
)
UNLINK_ASK = (
    "Hủy liên kết tài khoản Telegram này với hồ sơ <b>{code}</b>? Dữ liệu đánh giá và đăng ký lớp "
    "vẫn được giữ nguyên."
)
UNLINK_YES, UNLINK_NO = "Đồng ý hủy liên kết", "Không, giữ lại"
UNLINKED = "Đã hủy liên kết. Gõ /start nếu muốn liên kết lại."


def _share_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup([[KeyboardButton(SHARE_BUTTON, request_contact=True)]],
                               resize_keyboard=True, one_time_keyboard=True)


async def _linked(update: Update, context: ContextTypes.DEFAULT_TYPE, cadre: accounts.LinkResult) -> None:
    text = LINKED.format(code=esc(cadre.code), name=esc(cadre.full_name), unit=esc(cadre.unit_name))
    await reply(update, text, ReplyKeyboardRemove())
    await send_main_menu(update, context)


@friendly
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user and chat
    if context.args:
        cadre = await run_tx(context, accounts.link_by_token, user.id, chat.id, context.args[0][:128])
        await _linked(update, context, cadre)
        return
    actor = await load_actor(update, context)
    if actor is not None:
        await reply(update, ALREADY.format(name=esc(actor.full_name), code=esc(actor.code)))
        await send_main_menu(update, context)
        return
    await reply(update, WELCOME, _share_keyboard())


@friendly
async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user, chat = update.message, update.effective_user, update.effective_chat
    assert message and message.contact and user and chat
    if message.forward_origin is not None:
        await reply(update, FORWARDED, _share_keyboard())
        return
    c = message.contact
    cadre = await run_tx(context, accounts.link_by_contact, user.id, chat.id, c.user_id, c.phone_number)
    await _linked(update, context, cadre)


@friendly
async def unlink_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = await load_actor(update, context)
    if actor is None:
        await reply(update, "Tài khoản này chưa liên kết với hồ sơ nào.")
        return
    await text_router.reply_choice(update, context, "unlink-confirm", UNLINK_ASK.format(code=esc(actor.code)),
                                   [[(UNLINK_YES, buttons.press("yes")), (UNLINK_NO, menu.entry("home"))]])


@friendly
async def unlink_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    assert user
    await run_tx(context, accounts.unlink, user.id)
    await reply(update, UNLINKED)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(CommandHandler("unlink", unlink_ask))
    app.add_handler(CallbackQueryHandler(unlink_ask, pattern=buttons.verb_pattern("ask")))
    app.add_handler(CallbackQueryHandler(unlink_confirm, pattern=buttons.verb_pattern("yes")))
