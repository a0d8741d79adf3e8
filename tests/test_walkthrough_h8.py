"""Defects found by a fresh-eyed walkthrough of the chat: text steps that outlive a command,
typed button labels, prompts that close too early, confirmations lost at a restart."""

from __future__ import annotations

from sqlalchemy import select

from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from core.config import Settings
from db import Database
from db.models import Evaluation
from domain import accounts
from domain.courses import import_courses
from tests.conftest import BotHarness, link
from tests.test_conversation_state import restarted

CADRE = "0912345016"  # MAU016


def results(db: Database) -> str:
    return str(db.read(lambda s: s.scalars(select(Evaluation.results)).one()))


async def test_a_command_pauses_the_open_evaluation_step(bot: BotHarness, roster: Database,
                                                         user: UpdateFactory, settings: Settings) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    await bot.send(user.text("Hoàn thành báo cáo tháng"))
    texts = await bot.send(user.text("/menu"))
    assert any("không mất" in t for t in texts)
    await bot.send(user.text("nghị quyết có hiệu lực đến năm nào?"))
    await bot.send(user.text("/gaps"))
    async with restarted(settings, roster) as again:
        await again.send(user.text("bí thư xã cần llct gì"))
    assert "nghị quyết" not in results(roster) and "llct" not in results(roster)
    assert "Hoàn thành báo cáo tháng" in results(roster)
    texts = await bot.send(user.text("/eval"))  # resumes where it stopped
    assert "Hoàn thành báo cáo tháng" in texts[-1]
    await bot.send(user.text("Viết tham luận"))
    assert "Viết tham luận" in results(roster)


async def hr(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")


async def test_a_command_closes_an_open_prompt(bot: BotHarness, roster: Database, user: UpdateFactory,
                                               settings: Settings) -> None:
    await hr(bot, roster, user)
    await bot.send(user.text("/find trieu"))
    await bot.send(user.callback("menu:find"))
    await bot.send(user.text("/courses"))
    async with restarted(settings, roster) as again:
        texts = await again.send(user.text("xyz abc"))
    assert not any("Không tìm thấy cán bộ" in t for t in texts)


async def test_the_capacity_prompt_stays_open_after_a_refused_value(bot: BotHarness, roster: Database,
                                                                     user: UpdateFactory, settings: Settings) -> None:
    await hr(bot, roster, user)
    await bot.send(user.callback("course:capacity:CDS-01"))
    texts = await bot.send(user.text("0"))
    assert "Số chỗ phải từ 1" in texts[-1]
    async with restarted(settings, roster) as again:
        assert "thành 600" in (await again.send(user.text("600")))[-1]


async def test_bo_qua_at_the_review_comment_means_no_comment(bot: BotHarness, roster: Database,
                                                             user: UpdateFactory, settings: Settings) -> None:
    await link(bot, user, CADRE)
    for typed in ("/eval", "Hoàn thành báo cáo tháng", "xong", "bo qua", "hoan thanh tot nhiem vu", "gui"):
        await bot.send(user.text(typed))
    manager = UpdateFactory(user_id=555015)
    await link(bot, manager, "0912345015")
    eval_id = roster.read(lambda s: s.scalars(select(Evaluation.id)).one())
    await bot.send(manager.callback(f"rev:rate:{eval_id}:1"))
    async with restarted(settings, roster) as again:
        texts = await again.send(manager.text("bỏ qua"))
        assert "Xác nhận xếp loại" in texts[-1] and "Nhận xét" not in texts[-1]
        await again.send(manager.text("xác nhận"))
    assert roster.read(lambda s: s.scalars(select(Evaluation.manager_comment)).one()) in (None, "")


async def test_typing_de_sau_pauses_the_evaluation(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    await bot.send(user.text("Hoàn thành báo cáo tháng"))
    texts = await bot.send(user.text("de sau"))
    assert "tạm dừng" in texts[-1]
    await bot.send(user.text("để sau"))  # paused: no longer a result either
    assert "sau" not in results(roster)


async def test_a_delegation_confirmed_by_typing_after_a_restart(bot: BotHarness, roster: Database,
                                                                user: UpdateFactory, settings: Settings) -> None:
    await link(bot, user, "0912345011")  # MAU011 rates MAU013 and MAU015
    await bot.send(user.callback("dlg:per:MAU012:1w"))
    async with restarted(settings, roster) as again:
        texts = await again.send(user.text("xác nhận"))
        assert any("MAU012" in t or "Đã ủy quyền" in t for t in texts)
        texts = await again.send(user.callback("dlg:list"))
        assert "Chưa có ủy quyền" not in texts[-1]


async def test_a_typed_deputy_who_cannot_be_one_is_refused_at_once(bot: BotHarness, roster: Database,
                                                                   user: UpdateFactory) -> None:
    await link(bot, user, "0912345011")  # MAU011 rates MAU013
    await bot.send(user.callback("dlg:type"))
    texts = await bot.send(user.text("MAU013"))
    assert "trực tiếp xếp loại" in texts[-1]
