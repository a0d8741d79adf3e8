"""The main menu per role, /help, the command list, and server-side role checks on every press."""

from __future__ import annotations

from sqlalchemy import select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import AuditLog
from domain import accounts
from tests.conftest import BotHarness, link

CADRE_PHONE = "0912345004"  # MAU004, a specialist with nobody under her
MANAGER_PHONE = "0912345010"  # MAU010, Bí thư xã Minh Hương


async def test_commands_registered_with_telegram(settings, database: Database) -> None:  # type: ignore[no-untyped-def]
    from bot.app import build_application
    from bot.fakeapi import FakeBotApi

    api = FakeBotApi()
    app = build_application(settings, database, request=api)
    async with app:
        assert app.post_init is not None
        await app.post_init(app)
    names = [c["command"] for c in api.commands]
    assert {"start", "menu", "help", "gaps", "courses", "eval", "ask", "unlink"} <= set(names)


async def test_plain_cadre_menu_and_profile(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, CADRE_PHONE)
    labels = [b["text"] for b in bot.last_buttons()]
    assert "🏢 Đơn vị của tôi" not in labels and "👤 Hồ sơ của tôi" in labels
    texts = await bot.send(user.callback("menu:profile"))
    assert "Phạm Thu Hương" in texts[-1] and "Lý luận chính trị: Sơ cấp" in texts[-1]


async def test_help_explains_everything(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    texts = await bot.send(user.text("/help"))
    for command in ("/start", "/menu", "/gaps", "/courses", "/eval", "/ask", "/unlink"):
        assert command in texts[0]


async def test_help_describes_each_role_of_the_actor(bot: BotHarness, roster: Database,
                                                    user: UpdateFactory) -> None:
    """A cadre reads only their own commands; a manager and HR read what they can see and do (walkthrough 6)."""
    await link(bot, user, CADRE_PHONE)  # MAU004, a plain specialist
    text = (await bot.send(user.text("/help")))[0]
    assert "chỉ xem được hồ sơ của chính mình" in text
    assert "/review" not in text and "/report" not in text and "/find" not in text and "Ban Tổ chức – " not in text
    manager = UpdateFactory(user_id=7301)
    await link(bot, manager, "0912345015")
    text = (await bot.send(manager.text("/help")))[0]
    assert "chỉ xem được hồ sơ của chính mình" not in text
    for command in ("/report", "/review", "/find", "/delegate", "Theo quý", "trong đơn vị của bạn"):
        assert command in text, command
    assert "Ban Tổ chức – " not in text
    roster.run(accounts.grant_hr, "MAU004")
    text = (await bot.send(user.text("/help")))[0]
    assert "chỉ xem được hồ sơ của chính mình" not in text
    for command in ("Ban Tổ chức – ", "🛠 Quản trị", "/invite", "/find", "mọi cán bộ", "/courses"):
        assert command in text, command


async def test_forged_manager_button_refused_for_cadre(bot: BotHarness, roster: Database,
                                                        user: UpdateFactory) -> None:
    await link(bot, user, CADRE_PHONE)
    texts = await bot.send(user.callback("menu:unit"))
    assert "chỉ dành cho cán bộ quản lý" in texts[-1]
    texts = await bot.send(user.callback("menu:admin"))
    assert "Ban Tổ chức" in texts[-1] and "chỉ dành" in texts[-1]


async def test_unlinked_user_pressing_menu_is_told_to_link(bot: BotHarness, roster: Database,
                                                           user: UpdateFactory) -> None:
    texts = await bot.send(user.callback("menu:profile"))
    assert "chưa liên kết" in texts[-1]


async def test_manager_sees_own_unit_report_and_is_audited(bot: BotHarness, roster: Database,
                                                           user: UpdateFactory) -> None:
    await link(bot, user, MANAGER_PHONE)
    texts = await bot.send(user.callback("menu:unit"))
    assert "Chỉ tiêu Nghị quyết – Xã Minh Hương" in texts[-1] and "9 cán bộ" in texts[-1]
    assert roster.run(lambda s: s.scalar(select(AuditLog.target).where(AuditLog.action == "report"))) == "XMH"


async def test_hr_role_by_grant_and_invite_command(bot: BotHarness, roster: Database,
                                                   user: UpdateFactory) -> None:
    await link(bot, user, CADRE_PHONE)
    texts = await bot.send(user.text("/invite MAU010"))
    assert "chỉ dành cho cán bộ Ban Tổ chức" in texts[-1]
    roster.run(accounts.grant_hr, "MAU004")
    texts = await bot.send(user.text("/menu"))
    assert "🛠 Quản trị (Ban Tổ chức)" in [b["text"] for b in bot.last_buttons()]
    texts = await bot.send(user.text("/invite MAU010"))
    assert "https://t.me/TuyenQuangCadreBot?start=" in texts[-1]
    texts = await bot.send(user.text("/invite KHONGCO"))
    assert "Không có cán bộ mã KHONGCO" in texts[-1]


async def test_hr_role_by_configured_telegram_id(settings, roster: Database) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from bot.app import build_application
    from bot.fakeapi import FakeBotApi
    from tests.conftest import BotHarness as Harness

    hr_user = UpdateFactory(user_id=777)
    settings = replace(settings, telegram=replace(settings.telegram, hr_telegram_ids=(777,)))
    api = FakeBotApi()
    app = build_application(settings, roster, request=api)
    async with app:
        harness = Harness(app, api)
        await link(harness, hr_user, CADRE_PHONE)
        assert "🛠 Quản trị (Ban Tổ chức)" in [b["text"] for b in harness.last_buttons()]
