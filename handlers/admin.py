"""HR (Ban Tổ chức) actions in the bot. Every one re-checks the HR role on the server."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from domain import accounts
from domain.accounts import Actor
from handlers.common import esc, linked_only, reply, run_tx, services

INVITE_USAGE = "Cách dùng: <code>/invite MÃ_CÁN_BỘ</code>, ví dụ <code>/invite MAU004</code>."
INVITE_DONE = (
    "Đường dẫn mời cho <b>{code}</b> (dùng một lần, hết hạn sau {days} ngày):\n{link}\n"
    "Hãy gửi riêng cho đúng người."
)


@linked_only
async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    accounts.require_hr(actor)
    if not context.args:
        await reply(update, INVITE_USAGE)
        return
    settings = services(context).settings
    token = run_tx(context, accounts.create_invite_as, actor, context.args[0], settings.invite_ttl_days)
    link = accounts.invite_link(settings.telegram.bot_username, token)
    await reply(update, INVITE_DONE.format(code=esc(context.args[0].upper()), days=settings.invite_ttl_days,
                                           link=esc(link)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite))
