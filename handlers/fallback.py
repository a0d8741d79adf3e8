"""Registered last: whatever no feature handled gets a clear Vietnamese answer."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from handlers import text_router
from handlers.common import answer_stale, esc, reply

UNKNOWN_COMMAND = "Không có lệnh {command}. Gõ /help để xem các lệnh, hoặc /menu để mở menu chính."
NOT_TEXT = (
    "cadrebot chỉ hiểu tin nhắn chữ và các nút bấm; ảnh, nhãn dán, tin nhắn thoại hay tệp "
    "không được xử lý. Gõ /menu để mở menu chính."
)
TEXT_HINT = "Tôi chưa hiểu tin nhắn này. Gõ /menu để mở menu chính hoặc /help để xem hướng dẫn."


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.message.text if update.message and update.message.text else "/"
    await reply(update, UNKNOWN_COMMAND.format(command=esc(text.split()[0][:64])))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, NOT_TEXT)


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, TEXT_HINT)


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await answer_stale(update)


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    text_router.set_default(app, plain_text)
    app.add_handler(MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, not_text))
    app.add_handler(CallbackQueryHandler(stale_button))
