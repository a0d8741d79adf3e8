"""Group -1: what must be checked before any feature sees an update.

Group chats, edited messages and oversized texts are answered here and stop processing,
so no feature handler ever has to think about them.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, ChatMemberHandler, ContextTypes, TypeHandler

from domain import vn
from domain.accounts import chat_user_is_current, touch_chat_user
from domain.reachability import mark_blocked
from handlers.common import read_tx, reply, run_tx, services
from handlers.context import UpdateContext

GROUP_ONLY_PRIVATE = (
    "cadrebot chỉ làm việc trong trò chuyện riêng để bảo vệ thông tin cá nhân của cán bộ. "
    "Hãy mở trò chuyện riêng với bot."
)
EDITED = "Bot không xử lý tin nhắn đã sửa. Nếu cần, hãy gửi lại nội dung bằng một tin nhắn mới."
TOO_LONG = "Tin nhắn quá dài ({length} ký tự, tối đa {limit}). Hãy rút gọn hoặc chia thành nhiều tin nhắn."


async def guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await _refuse_group(update)
        raise ApplicationHandlerStop
    if update.edited_message is not None:
        await update.edited_message.reply_text(EDITED)
        raise ApplicationHandlerStop
    user = update.effective_user
    if chat is not None and user is not None and update.my_chat_member is None:
        await _record_chat_and_load_actor(update, context, user.id, chat.id)
    message = update.message
    limit = services(context).settings.max_text_length
    text = message.text or message.caption or "" if message else ""
    if len(text) > limit:
        await reply(update, TOO_LONG.format(length=vn.number(len(text)), limit=vn.number(limit)))
        raise ApplicationHandlerStop


async def _record_chat_and_load_actor(update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int,
                                      chat_id: int) -> None:
    """The actor and whether the chat record is current come from the update's unit of work (its first step, here
    or in an earlier group); the feature handler then uses that actor in the same transaction, and every log line
    of the update (an error's too) names the cadre. A shared contact is the exception: its first step is the link
    itself, which loads the actor inside its write (no read transaction before it); one that makes no step (a
    forwarded contact) gets one at the end. The chat is written only when something changed, with the update's
    write or at its end (handlers.context)."""
    if isinstance(context, UpdateContext):
        if update.message is not None and update.message.contact is not None:
            context.finish_at_end()  # no step yet: the link's own, or finish()'s for a contact that makes none
        else:
            await context.load_actor()
        return
    if not await read_tx(context, chat_user_is_current, user_id, chat_id):
        await run_tx(context, touch_chat_user, user_id, chat_id)


async def _refuse_group(update: Update) -> None:
    if update.callback_query:
        await update.callback_query.answer(GROUP_ONLY_PRIVATE, show_alert=True)
    elif update.message and update.message.text and update.message.text.startswith("/"):
        await update.message.reply_text(GROUP_ONLY_PRIVATE)


async def bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The user blocked (kicked) the bot: stop sending until they write again."""
    member = update.my_chat_member
    if member and member.new_chat_member.status == "kicked" and update.effective_user:
        await run_tx(context, mark_blocked, update.effective_user.id)


def register(app: Application) -> None:
    app.add_handler(ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER), group=-2)
    app.add_handler(TypeHandler(Update, guard), group=-1)
