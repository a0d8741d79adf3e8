""""Dữ liệu của tôi": a cadre sees what the bot keeps about them, only their own, and the read is audited."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from benchmarks.synthetic import write_course
from bot.fakeapi import UpdateFactory
from db import Database
from db.models import AuditLog, Cadre
from domain import registration as reg
from domain.courses import import_courses
from tests.conftest import TODAY, BotHarness, link


async def test_my_data_lists_profile_trainings_registrations_and_link_time(
        bot: BotHarness, roster: Database, tmp_path: Path) -> None:
    user = UpdateFactory(user_id=717017)
    await link(bot, user, "0912345017")  # MAU017
    roster.run(import_courses, write_course(tmp_path / "c.csv", "LOPDL", 5, date(2027, 1, 10)))
    roster.run(lambda s: reg.register(s, s.scalars(select(Cadre).where(Cadre.code == "MAU017")).one(), "LOPDL",
                                      TODAY, "MAU017"))
    texts = await bot.send(user.text("/mydata"))
    page = texts[-1]
    for part in ("Dữ liệu bot lưu về bạn", "Mã cán bộ: MAU017", "Bồi dưỡng, đào tạo",
                 "Bồi dưỡng theo vị trí việc làm: ", "Tự đánh giá (0)",
                 "Đăng ký lớp (1)", "LOPDL – Lớp LOPDL: đã đăng ký", "Liên kết Telegram: từ "):
        assert part in page, part
    audited = roster.run(lambda s: s.scalars(select(AuditLog.target).where(AuditLog.action == "my-data")).all())
    assert audited == ["MAU017"]


async def test_my_data_from_the_profile_button_and_only_when_linked(bot: BotHarness, roster: Database) -> None:
    stranger = UpdateFactory(user_id=717018)
    assert "chưa liên kết" in (await bot.send(stranger.text("/mydata")))[-1]
    user = UpdateFactory(user_id=717019)
    await link(bot, user, "0912345004")  # MAU004
    await bot.send(user.callback("menu:profile"))
    assert "menu:mydata" in [b.get("callback_data") for b in bot.last_buttons()]
    page = (await bot.send(user.callback("menu:mydata")))[-1]
    assert "MAU004" in page and "MAU017" not in page
