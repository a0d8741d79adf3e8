"""A cadre's own gaps: mandatory first, deadlines, sections, open courses; and the CLI contract."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from db import Database
from domain.courses import import_courses
from domain.gaps import gaps_by_code
from tests.conftest import SAMPLE_ROSTER, BotHarness, link

TODAY = date(2026, 11, 26)


@pytest.fixture
def catalogue(roster: Database) -> Database:
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    return roster


def test_gaps_mandatory_first_with_courses(catalogue: Database) -> None:
    data = catalogue.run(gaps_by_code, "MAU013", TODAY)
    ids = [g.indicator for g in data.gaps]
    assert ids == ["TRAINED_DIGITAL_AI", "PLANNED_TITLE_TRAINED", "CO_QUAN_LLCT_CAO_CAP", "CO_QUAN_MASTERS",
                   "PCT_XA_LLCT_CAO_CAP"]
    digital = data.gaps[0]
    assert digital.mandatory and digital.days_left == (date(2028, 12, 31) - TODAY).days
    assert [c.code for c in digital.courses] == ["CDS-01"]
    pct = data.gaps[-1]
    assert pct.requirement == "Lý luận chính trị: hiện có Trung cấp, cần Cao cấp trở lên"
    assert [c.code for c in pct.courses] == ["CC-K26"] and pct.ref == "Mục II.2.2 (3)"


def test_cu_nhan_counts_as_cao_cap_and_tien_si_as_thac_si(catalogue: Database) -> None:
    pbt = [g.indicator for g in catalogue.run(gaps_by_code, "MAU012", TODAY).gaps]  # Cử nhân
    assert "XA_CHU_CHOT_LLCT_CAO_CAP" not in pbt
    head = [g.indicator for g in catalogue.run(gaps_by_code, "MAU001", TODAY).gaps]  # Tiến sĩ, BTV
    assert "BTV_MASTERS" not in head


def test_audience_and_deadline_filter_courses(catalogue: Database) -> None:
    # MAU017 is a Địa chính - Xây dựng officer: VTVL-DC is meant for her.
    gaps = {g.indicator: g for g in catalogue.run(gaps_by_code, "MAU017", TODAY).gaps}
    assert [c.code for c in gaps["TRAINED_JOB_POSITION"].courses] == ["VTVL-DC"]
    late = catalogue.run(gaps_by_code, "MAU017", date(2027, 3, 1))  # every deadline has passed
    assert all(not g.courses for g in late.gaps)


def test_no_gaps_says_what_is_met(catalogue: Database) -> None:
    from handlers.gaps import render_gaps

    data = catalogue.run(gaps_by_code, "MAU001", TODAY)
    assert data.gaps == []
    text = render_gaps(data)
    assert "đã đạt mọi tiêu chuẩn" in text and "Trình độ chuyên môn thạc sĩ trở lên" in text
    assert "bộ phận tổ chức cán bộ" in text


def test_cli_gaps_json_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CADREBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    cli_main(["import-roster", str(SAMPLE_ROSTER)])
    cli_main(["import-courses", str(DEMO_DATA / "courses.csv")])
    capsys.readouterr()
    assert cli_main(["gaps", "mau013", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cadre"] == "MAU013"
    assert data["gaps"][0] == {"indicator": "TRAINED_DIGITAL_AI",
                               "requirement": "Bồi dưỡng chuyển đổi số, kỹ năng số, AI: chưa hoàn thành",
                               "deadline": "2028-12-31", "mandatory": True, "courses": ["CDS-01"]}
    assert "ThS-QLC" in data["gaps"][3]["courses"]
    assert cli_main(["gaps", "NOBODY"]) == 1


async def test_gaps_in_bot_with_course_button(bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345013")
    texts = await bot.send(user.callback("menu:gaps"))
    assert texts[-1].index("Bắt buộc") < texts[-1].index("Góp phần")
    assert "Hạn: 31/12/2028" in texts[-1] and "Mục II.2.2 (2)" in texts[-1]
    assert "course:view:CDS-01" in [b["callback_data"] for b in bot.last_buttons()]
    texts = await bot.send(user.callback("course:view:CDS-01"))
    assert "Sở Khoa học và Công nghệ" in texts[-1] and "Hạn đăng ký: 28/12/2026" in texts[-1]
    assert "Không có lớp mã NOPE" in (await bot.send(user.callback("course:view:NOPE")))[-1]


async def test_gaps_ignore_arguments_naming_someone_else(bot: BotHarness, catalogue: Database,
                                                         user: UpdateFactory) -> None:
    await link(bot, user, "0912345004")
    texts = await bot.send(user.text("/gaps MAU013"))
    assert "Phạm Thu Hương" in texts[-1] and "Sùng A Long" not in texts[-1]


def test_cli_gaps_is_audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import select

    from db.models import AuditLog

    monkeypatch.setenv("CADREBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    cli_main(["import-roster", str(SAMPLE_ROSTER)])
    cli_main(["gaps", "MAU013", "--json"])
    db = Database.from_url(f"sqlite:///{tmp_path / 'cli.db'}")
    assert db.run(lambda s: s.scalars(select(AuditLog.target).where(AuditLog.action == "cli-gaps")).all()) == ["MAU013"]
    db.dispose()


async def test_a_gap_already_covered_by_a_registration_says_so(bot: BotHarness, catalogue: Database,
                                                               user: UpdateFactory) -> None:
    """Registered for a class that closes a gap, the cadre is not sent to other classes for it (walkthrough 9)."""
    from domain import registration as reg

    catalogue.run(reg.register_on_behalf, "MAU004", "MAU013", "CDS-01", TODAY)
    digital = catalogue.run(gaps_by_code, "MAU013", TODAY).gaps[0]
    assert digital.indicator == "TRAINED_DIGITAL_AI" and digital.courses == []
    assert [(e.code, e.waiting) for e in digital.enrolled] == [("CDS-01", False)]
    await link(bot, user, "0912345013")
    text = (await bot.send(user.callback("menu:gaps")))[-1]
    assert "Đã đăng ký lớp CDS-01" in text and "khai giảng 05/01/2027" in text
    assert "🎓 Lớp phù hợp: CDS-01" not in text


def test_a_class_that_ended_without_a_completion_no_longer_covers_the_gap(catalogue: Database) -> None:
    """A registration in a finished class (HR never recorded completion) must not hide the gap's other classes
    for ever; a waiting-list place counts only until the class starts (review finding)."""
    from domain import registration as reg

    catalogue.run(reg.register_on_behalf, "MAU004", "MAU013", "CDS-01", TODAY)  # 05/01/2027 – 09/01/2027
    assert catalogue.run(gaps_by_code, "MAU013", date(2027, 1, 9)).gaps[0].enrolled  # the last day: still on
    digital = catalogue.run(gaps_by_code, "MAU013", date(2027, 1, 10)).gaps[0]
    assert digital.indicator == "TRAINED_DIGITAL_AI" and digital.enrolled == []
