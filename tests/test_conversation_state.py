"""Every multi-step conversation survives a restart: the step waits in the database.

Each test rebuilds the Application on the same database between two steps, as a deploy would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select

from bot.app import build_application
from bot.demo import DEMO_DATA
from bot.fakeapi import FakeBotApi, UpdateFactory
from core.config import Settings
from db import Database
from db.models import Course, Evaluation, Registration
from domain import accounts
from domain.courses import import_courses
from tests.conftest import TODAY, BotHarness, link
from tests.test_evaluation import CADRE, MANAGER, eval_id, fill_and_submit


@asynccontextmanager
async def restarted(settings: Settings, database: Database) -> AsyncIterator[BotHarness]:
    """A new Application (empty memory) on the same database."""
    api = FakeBotApi(files_dir=settings.demo.output_dir)
    app = build_application(settings, database, request=api, clock=lambda: TODAY)
    async with app:
        yield BotHarness(app, api)


async def test_review_rating_restart_comment_restart_confirm(bot: BotHarness, roster: Database,
                                                             settings: Settings, user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MANAGER)
    await bot.send(manager.callback(f"rev:open:{eval_id(roster)}"))
    await bot.send(manager.callback(f"rev:rate:{eval_id(roster)}:1"))
    async with restarted(settings, roster) as again:
        # A comment that reads like a question must still be the comment, never a question to answer.
        texts = await again.send(manager.text("Bí thư xã cần trình độ chính trị gì? Cần học thêm"))
        assert "Xác nhận xếp loại" in texts[-1] and "Cần học thêm" in texts[-1]
        assert not any("cao cấp" in t.lower() for t in texts)
    async with restarted(settings, roster) as third:
        texts = await third.send(manager.callback(f"rev:ok:{eval_id(roster)}:1"))
        assert "Đã xếp loại Vũ Văn Nam" in texts[0]
    stored = roster.run(lambda s: s.scalars(select(Evaluation)).one())
    assert (stored.status, stored.manager_rating, stored.manager_comment) == (
        "rated", 1, "Bí thư xã cần trình độ chính trị gì? Cần học thêm")


async def test_text_at_review_confirmation_replaces_the_comment(bot: BotHarness, roster: Database,
                                                                user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MANAGER)
    await bot.send(manager.callback(f"rev:nocomment:{eval_id(roster)}:2"))
    texts = await bot.send(manager.text("Cần đúng hạn hơn"))
    assert "Xác nhận xếp loại" in texts[-1] and "Cần đúng hạn hơn" in texts[-1]
    await bot.send(manager.callback(f"rev:ok:{eval_id(roster)}:2"))
    assert roster.run(lambda s: s.scalar(select(Evaluation.manager_comment))) == "Cần đúng hạn hơn"
    # the step is closed: the next text is a question again
    assert "cao cấp" in (await bot.send(manager.text("bí thư xã cần trình độ chính trị gì")))[-1]


async def test_stale_confirmation_for_another_rating_carries_no_comment(bot: BotHarness, roster: Database,
                                                                        user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MANAGER)
    await bot.send(manager.callback(f"rev:rate:{eval_id(roster)}:1"))
    await bot.send(manager.text("Nhận xét cho mức Tốt"))
    await bot.send(manager.callback(f"rev:ok:{eval_id(roster)}:3"))
    stored = roster.run(lambda s: s.scalars(select(Evaluation)).one())
    assert (stored.manager_rating, stored.manager_comment) == (3, None)


async def test_hr_capacity_and_behalf_prompts_survive_a_restart(bot: BotHarness, roster: Database,
                                                                settings: Settings, user: UpdateFactory) -> None:
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    await bot.send(user.callback("course:capacity:CDS-01"))
    async with restarted(settings, roster) as again:
        assert "không phải số nguyên" in (await again.send(user.text("nhiều")))[-1]
    async with restarted(settings, roster) as again:
        assert "từ 500 thành 600?" in (await again.send(user.text("600")))[-1]
    async with restarted(settings, roster) as again:  # the confirmation survives a restart too
        assert "thành 600" in (await again.send(user.text("xác nhận")))[-1]
    assert roster.run(lambda s: s.scalar(select(Course.capacity).where(Course.code == "CDS-01"))) == 600

    await bot.send(user.callback("course:behalf:CDS-01"))
    async with restarted(settings, roster) as again:
        assert "Không tìm thấy cán bộ tên hoặc mã “MAU999”" in (await again.send(user.text("MAU999")))[-1]
    async with restarted(settings, roster) as again:
        assert "Đăng ký hộ Sùng A Long (MAU013)" in (await again.send(user.text("mau013")))[-1]
    async with restarted(settings, roster) as again:  # the confirmation survives a restart too
        texts = await again.send(user.text("xác nhận"))
        assert "Đã đăng ký lớp CDS-01" in texts[0]
    assert roster.run(lambda s: s.scalar(select(Registration.status))) == "registered"


async def test_cancel_closes_a_prompt_kept_across_restart(bot: BotHarness, roster: Database,
                                                          settings: Settings, user: UpdateFactory) -> None:
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    await bot.send(user.callback("course:capacity:CDS-01"))
    async with restarted(settings, roster) as again:
        assert "Đã hủy thao tác" in (await again.send(user.text("/cancel")))[-1]
        assert "cao cấp" in (await again.send(user.text("bí thư xã cần trình độ chính trị gì")))[-1]


async def test_delegated_review_survives_a_restart(bot: BotHarness, roster: Database, settings: Settings) -> None:
    mau015, boss, deputy = UpdateFactory(user_id=515), UpdateFactory(user_id=511), UpdateFactory(user_id=512)
    await link(bot, mau015, MANAGER)
    await fill_and_submit(bot, mau015)
    await link(bot, boss, "0912345011")
    await link(bot, deputy, "0912345012")  # MAU012 rates for MAU011 (MAU015's manager)
    assert any("Đã ủy quyền" in t for t in await bot.send(boss.text("/delegate MAU012 26/11/2026 30/11/2026")))
    target = eval_id(roster, "MAU015")
    async with restarted(settings, roster) as again:
        await again.send(deputy.text("/review"))
        assert any("Giàng Thị Vân" in b["text"] for b in again.last_buttons())
        await again.send(deputy.callback(f"rev:rate:{target}:0"))
    async with restarted(settings, roster) as again:
        assert "Xác nhận xếp loại" in (await again.send(deputy.text("Rất tốt")))[-1]
    async with restarted(settings, roster) as again:
        texts = await again.send(deputy.callback(f"rev:ok:{target}:0"))
        assert "Đã xếp loại Giàng Thị Vân" in texts[0]
    assert roster.run(lambda s: s.scalar(select(Evaluation.manager_comment))) == "Rất tốt"


async def test_invitation_made_before_a_restart_links_after_it(bot: BotHarness, roster: Database,
                                                               settings: Settings, user: UpdateFactory) -> None:
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    texts = await bot.send(user.text("/invite MAU016"))
    token = texts[-1].split("start=")[1].split()[0]
    async with restarted(settings, roster) as again:
        texts = await again.send(UpdateFactory(user_id=716).text(f"/start {token}"))
        assert "Đã liên kết tài khoản với hồ sơ MAU016" in texts[0]
