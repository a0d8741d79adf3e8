"""Bad input gets a clear Vietnamese message and loses nothing."""

from __future__ import annotations

from sqlalchemy import select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Cadre, ChatUser
from tests.conftest import BotHarness, link


async def test_group_chat_refused(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    texts = await bot.send(user.text("/start", chat_type="group"))
    assert "trò chuyện riêng" in texts[0]
    assert await bot.send(user.text("xin chào cả nhóm", chat_type="supergroup")) == []  # no spam in groups


async def test_stickers_voice_photos_documents(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    for update in (user.sticker(), user.voice(), user.photo()):
        texts = await bot.send(update)
        assert "chỉ hiểu tin nhắn chữ" in texts[0]
    assert "Bot không xử lý tệp" in (await bot.send(user.document()))[0]


async def test_edited_message(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    texts = await bot.send(user.edited("/start"))
    assert "tin nhắn đã sửa" in texts[0]


async def test_huge_text(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    texts = await bot.send(user.text("a" * 5000))
    assert "quá dài" in texts[0] and "5.000 ký tự, tối đa 4.000" in texts[0]


async def test_unknown_command_and_plain_text(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    assert "Không có lệnh /xyz" in (await bot.send(user.text("/xyz")))[0]
    assert "Xin chào" in (await bot.send(user.text("xin chào")))[0]
    assert "không thuộc nội dung Nghị quyết" in (await bot.send(user.text("giá vàng hôm nay")))[0]


async def test_stale_or_forged_button(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345004")
    texts = await bot.send(user.callback("eval:rate:99:1"))
    assert "không còn hiệu lực" in texts[0]
    texts = await bot.send(user.callback("x" * 64))
    assert "không còn hiệu lực" in texts[0]


async def test_blocked_user_marked_and_cleared_on_next_message(bot: BotHarness, roster: Database,
                                                               user: UpdateFactory) -> None:
    await link(bot, user, "0912345004")
    await bot.send(user.my_chat_member("kicked"))
    assert roster.run(lambda s: s.get(ChatUser, user.user_id).blocked) is True
    await bot.send(user.text("/menu"))
    assert roster.run(lambda s: s.get(ChatUser, user.user_id).blocked) is False


async def test_handler_crash_rolls_back_and_tells_user(bot: BotHarness, roster: Database, user: UpdateFactory,
                                                       monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from domain import accounts

    original = accounts._bind

    def bind_then_crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        original(*args, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(accounts, "_bind", bind_then_crash)
    texts = await link(bot, user, "0912345004")
    assert "đã có lỗi" in texts[-1]
    assert roster.run(lambda s: s.scalar(select(Cadre.telegram_user_id).where(Cadre.code == "MAU004"))) is None
