"""Records HR can trust (issue 11): completions are deliberate and undoable, a roster import never
silently undoes them, every change names its source, names are title-cased."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.cli import main as cli_main
from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from core.config import Settings
from db import Database
from db.models import Cadre, Course, RecordChange, Registration, RosterImport
from domain import accounts
from domain import registration as reg
from domain.completion import CompletionRefused, complete, plan_completion, undo_completion
from domain.courses import import_courses
from domain.gaps import gaps_by_code
from domain.records import title_case, value_sources
from domain.roster import import_roster
from tests.conftest import SAMPLE_ROSTER, TODAY, BotHarness, link
from tests.test_conversation_state import restarted

LLCT_GAP = "XA_CHU_CHOT_LLCT_CAO_CAP"


@pytest.fixture
def catalogue(roster: Database) -> Database:
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    return roster


def started(db: Database, course: str, on: date = date(2026, 11, 1)) -> None:
    db.run(lambda s: s.execute(update(Course).where(Course.code == course).values(start_date=on)))


def llct(db: Database, code: str) -> int:
    return db.run(lambda s: s.scalar(select(Cadre.political_theory).where(Cadre.code == code)))


def gap_ids(db: Database, code: str) -> set[str]:
    return {g.indicator for g in db.run(gaps_by_code, code, TODAY).gaps}


def register(db: Database, code: str, course: str) -> None:
    db.run(reg.register_on_behalf, "MAU004", code, course, TODAY)


# --- the outside scenario, in the domain (SQLite and PostgreSQL) -------------------------------------------


def test_reimport_does_not_undo_a_completion_and_reports_one_conflict(catalogue: Database) -> None:
    register(catalogue, "MAU010", "CC-K26")
    started(catalogue, "CC-K26")
    plan = catalogue.run(complete, "CC-K26", [(2, "MAU010")], TODAY, "MAU004")
    assert plan.applied and plan.rows[0].outcome == "LLCT: Trung cấp → Cao cấp"
    assert LLCT_GAP not in gap_ids(catalogue, "MAU010")

    result = catalogue.run(import_roster, SAMPLE_ROSTER)
    assert result.applied and LLCT_GAP not in gap_ids(catalogue, "MAU010")
    assert [c.as_dict() | {"completed_at": None} for c in result.conflicts] == [{
        "cadre": "MAU010", "field": "political_theory", "file_value": 2, "recorded_value": 3,
        "file_label": "Trung cấp", "recorded_label": "Cao cấp", "course": "CC-K26", "completed_at": None,
        "completed_by": "MAU004"}]
    assert "MAU010 (Ma Văn Chiến) – LLCT: tệp ghi Trung cấp, hồ sơ Cao cấp do hoàn thành lớp CC-K26" in (
        "\n".join(result.summary_lines()))
    assert "bởi Phạm Thu Hương (MAU004)" in "\n".join(result.summary_lines())  # named, as the profile names HR
    # an older file imported yet again still does not undo it
    assert len(catalogue.run(import_roster, SAMPLE_ROSTER).conflicts) == 1
    assert LLCT_GAP not in gap_ids(catalogue, "MAU010")


def test_completed_course_cannot_be_registered_again_nor_listed_twice(catalogue: Database) -> None:
    register(catalogue, "MAU010", "CC-K26")
    started(catalogue, "CC-K26")
    catalogue.run(complete, "CC-K26", [(2, "MAU010")], TODAY, "MAU004")
    catalogue.run(import_roster, SAMPLE_ROSTER)
    with pytest.raises(reg.RegistrationRefused, match="đã hoàn thành lớp CC-K26"):
        register(catalogue, "MAU010", "CC-K26")
    rows = catalogue.run(lambda s: s.scalars(select(Registration.status)).all())
    assert rows == ["completed"]


def test_completion_rules_name_every_rejected_row_and_write_nothing(catalogue: Database) -> None:
    register(catalogue, "MAU010", "CC-K26")
    with pytest.raises(CompletionRefused, match="khai giảng ngày 15/01/2027"):
        catalogue.run(plan_completion, "CC-K26", [(2, "MAU010")], TODAY)
    started(catalogue, "CC-K26")
    plan = catalogue.run(complete, "CC-K26", [(2, "MAU010"), (3, "MAU016"), (4, "MAU999"), (5, "mau010")],
                         TODAY, "cli")
    assert not plan.applied
    assert [(r.row, r.code, r.status, r.reason) for r in plan.rows[1:]] == [
        (3, "MAU016", "rejected", "chưa đăng ký lớp này"), (4, "MAU999", "rejected", "không có cán bộ mã MAU999"),
        (5, "MAU010", "already", "trùng với dòng 2")]
    assert llct(catalogue, "MAU010") == 2
    assert catalogue.run(lambda s: s.scalar(select(func.count(RecordChange.id)))) == 0
    skipped = catalogue.run(complete, "CC-K26", [(2, "MAU010"), (3, "MAU016")], TODAY, "cli", True)
    assert skipped.applied and [r.code for r in skipped.accepted] == ["MAU010"] and llct(catalogue, "MAU010") == 3


def test_undo_reverts_the_record_with_history(catalogue: Database) -> None:
    register(catalogue, "MAU010", "CC-K26")
    started(catalogue, "CC-K26")
    catalogue.run(complete, "CC-K26", [(2, "MAU010")], TODAY, "MAU004")
    reverted = catalogue.run(undo_completion, "CC-K26", "MAU010", "MAU004")
    assert [c.text for c in reverted] == ["LLCT: Cao cấp → Trung cấp"]
    assert llct(catalogue, "MAU010") == 2
    sources = catalogue.run(lambda s: s.scalars(select(RecordChange.source).order_by(RecordChange.id)).all())
    assert sources == ["course:CC-K26", "undo:course:CC-K26"]
    assert catalogue.run(lambda s: s.scalar(select(Registration.status))) == "registered"
    # an undone completion no longer protects the field from the roster
    assert not catalogue.run(import_roster, SAMPLE_ROSTER).conflicts


def test_profile_says_where_a_value_came_from(catalogue: Database) -> None:
    register(catalogue, "MAU010", "CC-K26")
    started(catalogue, "CC-K26")
    catalogue.run(complete, "CC-K26", [(2, "MAU010")], TODAY, "MAU004")
    cadre_id = catalogue.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == "MAU010")))
    source = catalogue.run(value_sources, cadre_id)["political_theory"]
    assert source.startswith("hoàn thành lớp CC-K26, ghi nhận") and source.endswith("bởi Phạm Thu Hương (MAU004)")
    catalogue.run(complete, "CC-K26", [(2, "MAU010")], TODAY, "cli")  # already recorded: the source stays
    assert catalogue.run(value_sources, cadre_id)["political_theory"].endswith("(MAU004)")


def test_dry_run_writes_nothing_and_counts_changes_per_field(roster: Database, tmp_path: Path) -> None:
    newer = tmp_path / "newer.csv"
    text = SAMPLE_ROSTER.read_text(encoding="utf-8")
    newer.write_text(text.replace("Ma Văn Chiến", "  ma văn CHIẾN ").replace(
        "MAU016,Vũ Văn Nam,15/05/1991,Nam,Kinh,0912345016,XMH-VP,Văn phòng HĐND và UBND xã,XMH,Xã,"
        "Công chức Văn phòng - Thống kê,KHAC,Không,,Đại học,Công nghệ thông tin,Chưa",
        "MAU016,Vũ Văn Nam,15/05/1991,Nam,Kinh,0912345016,XMH-VP,Văn phòng HĐND và UBND xã,XMH,Xã,"
        "Công chức Văn phòng - Thống kê,KHAC,Không,,Đại học,Công nghệ thông tin,Sơ cấp"), encoding="utf-8")
    imports_before = roster.run(lambda s: s.scalar(select(func.count(RosterImport.id))))
    preview = roster.run(import_roster, newer, dry_run=True)
    assert not preview.applied and preview.dry_run and preview.cadres_updated == 1
    assert preview.per_field == {"political_theory": 1}
    assert preview.as_dict()["changes"] == [{"cadre": "MAU016", "changes": [{
        "field": "political_theory", "old": 0, "new": 1, "old_label": "Chưa", "new_label": "Sơ cấp"}]}]
    assert roster.run(lambda s: s.scalar(select(Cadre.political_theory).where(Cadre.code == "MAU016"))) == 0
    assert roster.run(lambda s: s.scalar(select(func.count(RosterImport.id)))) == imports_before
    applied = roster.run(import_roster, newer)
    assert applied.applied and applied.per_field == {"political_theory": 1}
    assert "Thay đổi theo trường: Lý luận chính trị 1" in "\n".join(applied.summary_lines())


def test_names_are_title_cased_and_the_typed_name_kept(database: Database, tmp_path: Path) -> None:
    assert title_case("  triệu văn SƠN ") == "Triệu Văn Sơn" and title_case("đỗ THỊ mai") == "Đỗ Thị Mai"
    file = tmp_path / "r.csv"
    file.write_text(SAMPLE_ROSTER.read_text(encoding="utf-8").replace("Ma Văn Chiến", "  triệu văn SƠN "),
                    encoding="utf-8")
    database.run(import_roster, file)
    name = database.run(lambda s: s.scalar(select(Cadre.full_name).where(Cadre.code == "MAU010")))
    assert name == "Triệu Văn Sơn"
    kept = database.run(lambda s: s.execute(select(RecordChange.field, RecordChange.old_value, RecordChange.new_value)
                                            .where(RecordChange.field == "full_name")).all())
    assert [tuple(k) for k in kept] == [("full_name", "triệu văn SƠN", "Triệu Văn Sơn")]


# --- the bot: confirm, undo ------------------------------------------------------------------------------------


async def test_bot_completion_confirms_the_change_and_can_be_undone(bot: BotHarness, catalogue: Database,
                                                                   user: UpdateFactory) -> None:
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    register(catalogue, "MAU010", "CC-K26")
    texts = await bot.send(user.callback("course:done:CC-K26:MAU010"))
    assert "khai giảng ngày 15/01/2027" in texts[-1] and llct(catalogue, "MAU010") == 2
    started(catalogue, "CC-K26")
    texts = await bot.send(user.callback("course:roster:CC-K26"))
    assert any(b["callback_data"] == "course:done:CC-K26:MAU010" for b in bot.last_buttons())
    texts = await bot.send(user.callback("course:done:CC-K26:MAU010"))
    assert "Hồ sơ sẽ thay đổi" in texts[-1] and "LLCT: Trung cấp → Cao cấp" in texts[-1]
    assert llct(catalogue, "MAU010") == 2  # nothing yet
    texts = await bot.send(user.callback("course:doneok:CC-K26:MAU010"))
    assert "Đã ghi nhận Ma Văn Chiến (MAU010) hoàn thành lớp CC-K26" in texts[-1] and llct(catalogue, "MAU010") == 3
    assert "course:undo:CC-K26:MAU010" in [b["callback_data"] for b in bot.last_buttons()]
    texts = await bot.send(user.callback("course:doneok:CC-K26:MAU010"))  # a second press changes nothing
    assert "đã ghi nhận hoàn thành trước đó" in texts[-1]
    texts = await bot.send(user.callback("course:undo:CC-K26:MAU010"))  # says what the record goes back to
    assert "Hủy ghi nhận Ma Văn Chiến (MAU010)" in texts[-1] and "LLCT: Cao cấp → Trung cấp" in texts[-1]
    assert llct(catalogue, "MAU010") == 3  # nothing yet
    texts = await bot.send(user.callback("course:undook:CC-K26:MAU010"))
    assert "Đã hủy ghi nhận Ma Văn Chiến (MAU010)" in texts[-1] and "LLCT: Cao cấp → Trung cấp" in texts[-1]
    assert llct(catalogue, "MAU010") == 2


async def test_non_hr_cannot_complete_or_undo(bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345013")
    for data in ("course:doneok:CC-K26:MAU013", "course:undook:CC-K26:MAU013"):
        texts = await bot.send(user.callback(data))
        assert "Ban Tổ chức" in texts[-1]


# --- the command line (domain.md §5) -------------------------------------------------------------------------


def cli_class_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """Through the command line, on a database of its own: the demo roster and courses, MAU010 registered for
    CC-K26, which started this month (so completions can be recorded today)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CADREBOT_DATABASE_URL", url)
    assert cli_main(["import-roster", str(SAMPLE_ROSTER)]) == 0
    assert cli_main(["import-courses", str(DEMO_DATA / "courses.csv")]) == 0
    assert cli_main(["register", "MAU010", "CC-K26"]) == 0
    db = Database.from_url(url)
    started(db, "CC-K26", date.today().replace(day=1))
    return db


def test_cli_outside_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    db = cli_class_started(tmp_path, monkeypatch)
    sheet = tmp_path / "done.csv"
    sheet.write_text("Mã cán bộ,Họ và tên\nMAU010,Ma Văn Chiến\nMAU999,Không Có\n", encoding="utf-8")
    capsys.readouterr()
    assert cli_main(["complete", "CC-K26", str(sheet)]) == 1
    out = capsys.readouterr()
    assert "Dòng 3 MAU999: không có cán bộ mã MAU999" in out.out and "KHÔNG ghi nhận gì" in out.err
    assert llct(db, "MAU010") == 2
    sheet.write_text("Mã cán bộ\nMAU010\n", encoding="utf-8")
    assert cli_main(["complete", "CC-K26", str(sheet)]) == 0
    capsys.readouterr()
    assert cli_main(["gaps", "MAU010", "--json"]) == 0
    assert LLCT_GAP not in [g["indicator"] for g in json.loads(capsys.readouterr().out)["gaps"]]
    assert cli_main(["import-roster", str(SAMPLE_ROSTER), "--dry-run", "--json"]) == 0
    preview = json.loads(capsys.readouterr().out)
    assert preview["dry_run"] and not preview["applied"] and len(preview["conflicts"]) == 1
    assert cli_main(["import-roster", str(SAMPLE_ROSTER), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [(c["cadre"], c["field"], c["file_value"], c["recorded_value"], c["course"])
            for c in result["conflicts"]] == [("MAU010", "political_theory", 2, 3, "CC-K26")]
    assert cli_main(["gaps", "MAU010", "--json"]) == 0
    assert LLCT_GAP not in [g["indicator"] for g in json.loads(capsys.readouterr().out)["gaps"]]
    assert cli_main(["import-roster", str(SAMPLE_ROSTER)]) == 0
    assert "1 xung đột" in capsys.readouterr().out
    db.dispose()


async def test_profile_shows_the_source_of_a_completed_qualification(bot: BotHarness, catalogue: Database) -> None:
    register(catalogue, "MAU010", "CC-K26")
    started(catalogue, "CC-K26")
    catalogue.run(complete, "CC-K26", [(2, "MAU010")], TODAY, "MAU004")
    cadre = UpdateFactory(user_id=710)
    await link(bot, cadre, "0912345010")
    texts = await bot.send(cadre.text("/profile"))
    assert "Nguồn dữ liệu" in texts[-1] and "Lý luận chính trị: hoàn thành lớp CC-K26" in texts[-1]


async def test_hr_sees_the_roster_preview_and_confirms_after_a_restart(bot: BotHarness, catalogue: Database,
                                                                        settings: Settings,
                                                                        user: UpdateFactory) -> None:
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    register(catalogue, "MAU010", "CC-K26")
    started(catalogue, "CC-K26")
    catalogue.run(complete, "CC-K26", [(2, "MAU010")], TODAY, "MAU004")
    newer = SAMPLE_ROSTER.read_text(encoding="utf-8").replace("Vũ Văn Nam", "vũ văn NAM")
    bot.api.uploads["r2"] = newer.encode()
    texts = await bot.send(user.document("canbo-moi.csv", "r2"))
    assert "Xem trước danh sách cán bộ" in texts[-1] and "chưa ghi gì" in texts[-1]
    assert "1 xung đột" in texts[-1] and "MAU010 (Ma Văn Chiến) – LLCT" in texts[-1]
    assert llct(catalogue, "MAU010") == 3
    async with restarted(settings, catalogue) as again:
        again.api.uploads["r2"] = newer.encode()
        texts = await again.send(user.callback("upl:ok"))
        assert "Đã nhập danh sách cán bộ" in texts[-1] and "1 xung đột" in texts[-1]
        assert "Không có tệp nào đang chờ" in (await again.send(user.callback("upl:ok")))[-1]
    assert llct(catalogue, "MAU010") == 3
    assert catalogue.run(lambda s: s.scalar(select(RosterImport.file_name).order_by(RosterImport.id.desc()))) == (
        "canbo-moi.csv")


async def test_hr_reaches_a_started_course_to_record_completion_and_undo_it(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    register(catalogue, "MAU010", "CC-K26")
    catalogue.run(lambda s: s.execute(update(Course).where(Course.code == "CC-K26").values(
        register_by=date(2026, 10, 20), start_date=date(2026, 11, 1))))
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    await bot.send(user.callback("menu:courses"))
    closed = next(b for b in bot.last_buttons() if "đã đóng đăng ký" in b["text"])
    texts = await bot.send(user.callback(closed["callback_data"]))
    assert "CC-K26" in texts[-1] and "đang học" in texts[-1]
    await bot.send(user.callback("course:view:CC-K26"))
    await bot.send(user.callback("course:roster:CC-K26"))
    done = next(b for b in bot.last_buttons() if b["text"].startswith("✅"))
    await bot.send(user.callback(done["callback_data"]))
    await bot.send(user.callback(_button_data(bot, "doneok")))
    assert llct(catalogue, "MAU010") == 3
    await bot.send(user.callback("course:roster:CC-K26"))
    undo = next(b for b in bot.last_buttons() if b["text"].startswith("↩️"))
    await bot.send(user.callback(undo["callback_data"]))
    await bot.send(user.callback(_button_data(bot, "undook")))
    assert llct(catalogue, "MAU010") == 2


def _button_data(bot: BotHarness, part: str) -> str:
    return str(next(b for b in bot.last_buttons() if part in b["callback_data"])["callback_data"])


def test_a_change_made_from_the_command_line_names_the_department_not_cli() -> None:
    """Profiles, /find and import conflicts read "ghi nhận 27/11/2026 bởi cli" (walkthrough)."""
    from datetime import UTC, datetime

    from db.models import RecordChange
    from domain.records import describe_source

    change = RecordChange(cadre_id=1, at=datetime(2026, 11, 27, 3, tzinfo=UTC), source="course:CC-K26",
                          field="political_theory", old_value="2", new_value="3", actor="cli")
    assert describe_source(change) == "hoàn thành lớp CC-K26, ghi nhận 27/11/2026 bởi Ban Tổ chức (dòng lệnh)"
