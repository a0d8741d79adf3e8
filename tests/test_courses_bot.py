"""Courses in the bot: catalogue, one-press registration with confirmation, waitlist, HR actions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.synthetic import write_course
from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Cadre, Course, Outbox
from domain import accounts
from domain.courses import import_courses
from domain.roster import import_roster
from tests.conftest import SAMPLE_ROSTER, BotHarness, link


@pytest.fixture
def catalogue(roster: Database) -> Database:
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    return roster


async def test_catalogue_puts_my_gap_courses_first(bot: BotHarness, catalogue: Database,
                                                    user: UpdateFactory) -> None:
    await link(bot, user, "0912345013")  # MAU013: CDS, LLCT, ThS gaps
    texts = await bot.send(user.text("/courses"))
    starred = [line for line in texts[-1].splitlines()[2:] if line.startswith("⭐")]
    assert {line.split()[2] for line in starred} == {"CDS-01", "CC-K26", "ThS-QLC"}
    assert texts[-1].index("⭐ 1.") < texts[-1].index("TC-K26A")
    texts = await bot.send(user.callback("course:kinds"))
    texts = await bot.send(user.callback("course:list:THAC_SI"))
    assert "ThS-QLC" in texts[-1] and "CDS-01" not in texts[-1]


async def test_register_confirm_waitlist_cancel_and_promotion(bot: BotHarness, catalogue: Database,
                                                              tmp_path: Path) -> None:
    catalogue.run(import_courses, write_course(tmp_path / "one.csv", "ONE", 1, date(2027, 1, 20)))
    first, second = UpdateFactory(user_id=601), UpdateFactory(user_id=602)
    await link(bot, first, "0912345016")
    await link(bot, second, "0912345017")
    texts = await bot.send(first.callback("course:view:ONE"))
    assert "Số chỗ: 1 (còn 1)" in texts[-1]
    assert "course:reg:ONE" in [b["callback_data"] for b in bot.last_buttons()]
    texts = await bot.send(first.callback("course:reg:ONE"))
    assert "Xác nhận đăng ký lớp ONE" in texts[-1]
    texts = await bot.send(first.callback("course:regok:ONE"))
    assert "Đã đăng ký lớp ONE" in texts[-1]
    texts = await bot.send(second.callback("course:reg:ONE"))
    assert "đã hết chỗ" in texts[-1]
    texts = await bot.send(second.callback("course:regok:ONE"))
    assert "vị trí 1 trong danh sách chờ" in texts[-1]
    texts = await bot.send(second.callback("course:regok:ONE"))
    assert "đang ở vị trí 1" in texts[-1]
    texts = await bot.send(first.text("/courses"))
    texts = await bot.send(first.callback("course:mine"))
    assert "ONE" in texts[-1] and "đã đăng ký" in texts[-1]
    await bot.send(first.callback("course:cancel:ONE"))
    texts = await bot.send(first.callback("course:cancelok:ONE"))
    assert "Đã hủy đăng ký lớp ONE" in texts[0]
    told = [c.text for c in bot.api.sent(chat_id=602)]
    assert any("Đã có chỗ cho bạn trong lớp ONE" in t for t in told)
    assert catalogue.run(lambda s: s.scalar(select(Outbox.status))) == "sent"


async def test_refusal_is_shown_in_vietnamese(bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345004")  # not a leader
    texts = await bot.send(user.callback("course:regok:CC-K26"))
    assert "dành cho: Lãnh đạo quản lý" in texts[-1]


async def test_non_hr_cannot_press_hr_buttons(bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345013")
    for data in ("course:roster:CDS-01", "course:killok:CDS-01", "course:done:CDS-01:MAU013",
                 "course:behalf:CDS-01", "course:capacity:CDS-01"):
        texts = await bot.send(user.callback(data))
        assert "chỉ dành cho cán bộ Ban Tổ chức" in texts[-1], data
    assert "không còn hiệu lực" in (await bot.send(user.callback("course:explode:X")))[-1]


async def test_hr_behalf_roster_completion_capacity_and_cancel(bot: BotHarness, catalogue: Database,
                                                               user: UpdateFactory) -> None:
    catalogue.run(accounts.grant_hr, "MAU004")
    cadre = UpdateFactory(user_id=613)
    await link(bot, cadre, "0912345013")
    await link(bot, user, "0912345004")
    texts = await bot.send(user.callback("course:view:CDS-01"))
    assert "course:behalf:CDS-01" in [b["callback_data"] for b in bot.last_buttons()]
    assert "Nhập mã hoặc họ tên cán bộ" in (await bot.send(user.callback("course:behalf:CDS-01")))[-1]
    assert "Không tìm thấy cán bộ tên hoặc mã “MAU999”" in (await bot.send(user.text("MAU999")))[-1]
    texts = await bot.send(user.text("mau013"))  # the prompt stays open after a mistyped code
    assert "Đăng ký hộ Sùng A Long (MAU013)" in texts[-1] and "vào lớp CDS-01?" in texts[-1]  # a deliberate step
    assert not bot.api.sent(chat_id=613)[-1].text.startswith("Ban Tổ chức đã đăng ký")
    texts = await bot.send(user.text("xac nhan"))
    assert "Đã đăng ký lớp CDS-01" in texts[0] and "Sùng A Long" in texts[0]
    assert any("Ban Tổ chức đã đăng ký cho bạn lớp CDS-01" in c.text for c in bot.api.sent(chat_id=613))
    texts = await bot.send(user.callback("course:roster:CDS-01"))
    assert "Sùng A Long (MAU013)" in texts[-1]
    texts = await bot.send(user.callback("course:done:CDS-01:MAU013"))
    assert "chưa thể ghi nhận hoàn thành trước ngày đó" in texts[0]  # the course starts in 2027
    assert not catalogue.run(lambda s: s.scalar(select(Cadre.trained_digital_ai).where(Cadre.code == "MAU013")))
    await bot.send(user.callback("course:capacity:CDS-01"))
    assert "không phải số nguyên" in (await bot.send(user.text("nhiều")))[-1]
    assert "Đổi số chỗ lớp CDS-01 từ 500 thành 600?" in (await bot.send(user.text("600")))[-1]
    assert "thành 600" in (await bot.send(user.text("xác nhận")))[-1]
    assert "course:view:CDS-01" in [b["callback_data"] for b in bot.last_buttons()]  # back to the class
    assert "Không có thao tác nào đang dở" in (await bot.send(user.text("/cancel")))[-1]
    texts = await bot.send(user.callback("course:kill:TC-K26A"))
    assert "Nhập lý do hủy lớp" in texts[-1]
    texts = await bot.send(user.text("Không đủ học viên"))
    assert "Hủy lớp TC-K26A" in texts[-1] and "Lý do: “Không đủ học viên”" in texts[-1]
    texts = await bot.send(user.callback("course:killok:TC-K26A"))
    assert "Đã hủy lớp TC-K26A" in texts[0] and "Lý do: Không đủ học viên" in texts[0]


async def test_cli_courses_register_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from bot.cli import main as cli_main

    monkeypatch.setenv("CADREBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    cli_main(["import-roster", str(SAMPLE_ROSTER)])
    cli_main(["import-courses", str(DEMO_DATA / "courses.csv")])
    assert cli_main(["register", "MAU013", "cds-01"]) == 0
    assert cli_main(["register", "MAU013", "CDS-01"]) == 1
    capsys.readouterr()
    assert cli_main(["courses", "--json"]) == 0
    rows = {r["code"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["CDS-01"]["capacity"], rows["CDS-01"]["registered"], rows["CDS-01"]["waitlisted"]) == (500, 1, 0)
    done = tmp_path / "done.csv"
    done.write_text("KẾT QUẢ LỚP CDS-01\nMã cán bộ,Họ và tên\nMAU013,Sùng A Long\n", encoding="utf-8")
    assert cli_main(["complete", "CDS-01", str(done)]) == 1  # the course has not started yet
    assert "chưa thể ghi nhận hoàn thành" in capsys.readouterr().err


def test_import_courses_errors_named(database: Database, tmp_path: Path) -> None:
    database.run(import_roster, SAMPLE_ROSTER)
    bad = tmp_path / "bad.csv"
    rows = (DEMO_DATA / "courses.csv").read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].replace("LLCT_CAO_CAP", "BAY_LUON")
    rows[2] = rows[2].replace(",80,", ",nhiều,")
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = database.run(import_courses, bad)
    assert not result.applied
    reasons = {e.row: e.reason for e in result.rejected}
    assert "“Loại” không hợp lệ" in reasons[2] and "“Số chỗ”" in reasons[3]
    again = database.run(import_courses, DEMO_DATA / "courses.csv")
    assert again.added == 6 and database.run(import_courses, DEMO_DATA / "courses.csv").unchanged == 6


def test_course_code_must_fit_in_button_data(database: Database, tmp_path: Path) -> None:
    database.run(import_roster, SAMPLE_ROSTER)
    bad = tmp_path / "bad.csv"
    rows = (DEMO_DATA / "courses.csv").read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].replace("CC-K26", "LỚP CAO CẤP KHÓA 2026 HỆ KHÔNG TẬP TRUNG")
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = database.run(import_courses, bad)
    assert "tối đa 20 ký tự" in result.rejected[0].reason


async def test_hr_registering_someone_outside_the_audience_names_that_person(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    await bot.send(user.callback("course:behalf:CC-K26"))
    text = (await bot.send(user.text("MAU005")))[-1]
    assert "Hồ sơ của Triệu Văn Sơn (MAU005) không thuộc đối tượng này" in text and "của bạn" not in text


def test_a_capacity_below_the_people_already_seated_refuses_the_row(database: Database, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Re-importing a course list that lowers "Số chỗ" below the seats taken used to fail on the database's check
    (a generic error in the bot, a traceback in the CLI); the row is refused with its reason (walkthrough 4)."""
    from bot.cli import main as cli_main
    from domain import registration as reg

    database.run(import_roster, SAMPLE_ROSTER)
    database.run(import_courses, DEMO_DATA / "courses.csv")
    for code in ("MAU011", "MAU012"):
        database.run(reg.register_on_behalf, "MAU004", code, "CC-K26", date(2026, 11, 26))
    smaller = tmp_path / "smaller.csv"
    rows = (DEMO_DATA / "courses.csv").read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].replace(",120,", ",1,")
    smaller.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = database.run(import_courses, smaller)
    assert not result.applied and [e.row for e in result.rejected] == [2]
    assert "ít hơn 2 người đã có chỗ" in result.rejected[0].reason
    assert database.run(import_courses, smaller, skip_bad_rows=True).applied

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CADREBOT_DATABASE_URL", url)
    cli_main(["import-roster", str(SAMPLE_ROSTER)])
    cli_main(["import-courses", str(DEMO_DATA / "courses.csv")])
    cli_main(["register", "MAU011", "CC-K26"])
    cli_main(["register", "MAU012", "CC-K26"])
    capsys.readouterr()
    assert cli_main(["import-courses", str(smaller)]) == 1
    out = capsys.readouterr()
    assert "ít hơn 2 người đã có chỗ" in out.out + out.err and "Traceback" not in out.out + out.err


async def test_a_course_that_would_not_change_my_record_says_so_before_i_register(
        bot: BotHarness, catalogue: Database) -> None:
    """MAU016's record already holds the digital-skills training (2026): CDS-01 is offered, with a note that
    completing it changes nothing; MAU017, without it, sees no note. The choice stays the cadre's."""
    trained, untrained = UpdateFactory(user_id=611), UpdateFactory(user_id=612)
    await link(bot, trained, "0912345016")
    await link(bot, untrained, "0912345017")
    texts = await bot.send(trained.callback("course:view:CDS-01"))
    assert "Hồ sơ của bạn đã có: Bồi dưỡng chuyển đổi số, kỹ năng số, AI (năm 2026)." in texts[-1]
    assert "course:reg:CDS-01" in [b["callback_data"] for b in bot.last_buttons()]
    texts = await bot.send(trained.callback("course:reg:CDS-01"))
    assert "Xác nhận đăng ký lớp CDS-01" in texts[-1] and "không thay đổi hồ sơ" in texts[-1]
    texts = await bot.send(trained.callback("course:regok:CDS-01"))
    assert "Đã đăng ký lớp CDS-01" in texts[-1]
    for data in ("course:view:CDS-01", "course:reg:CDS-01"):
        texts = await bot.send(untrained.callback(data))
        assert "Hồ sơ của bạn đã có" not in texts[-1]


async def test_a_level_already_reached_is_named_with_its_scale(bot: BotHarness, catalogue: Database,
                                                               user: UpdateFactory) -> None:
    await link(bot, user, "0912345014")  # MAU014: Lý luận chính trị Cao cấp
    texts = await bot.send(user.callback("course:view:CC-K26"))
    assert "Hồ sơ của bạn đã có: Lý luận chính trị: Cao cấp." in texts[-1]
    texts = await bot.send(user.callback("course:view:TC-K26A"))  # Trung cấp: below what she holds
    assert "Hồ sơ của bạn đã có: Lý luận chính trị: Cao cấp." in texts[-1]


async def test_a_course_with_recorded_completions_cannot_be_cancelled_until_they_are_undone(
        bot: BotHarness, catalogue: Database, user: UpdateFactory, tmp_path: Path) -> None:
    """Cancelling a course whose completions were recorded left the records raised by a cancelled course, and
    took the course (and its "↩️ Hủy ghi nhận") out of every list (walkthrough): now refused, saying why."""
    from domain import completion, registration

    catalogue.run(accounts.grant_hr, "MAU004")
    catalogue.run(import_courses, write_course(tmp_path / "past.csv", "PAST", 5, date(2026, 11, 10)))
    cadre_id = catalogue.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == "MAU013")))
    catalogue.run(registration.register_self, cadre_id, "PAST", date(2026, 11, 1))
    catalogue.run(completion.complete, "PAST", [(1, "MAU013")], date(2026, 11, 26), "MAU004")
    await link(bot, user, "0912345004")
    texts = await bot.send(user.callback("course:kill:PAST"))
    assert "đã có 1 người được ghi nhận hoàn thành" in texts[-1] and "Hủy ghi nhận" in texts[-1]
    assert "Nhập lý do" not in texts[-1]
    catalogue.run(completion.undo_completion, "PAST", "MAU013", "MAU004")
    await bot.send(user.callback("course:kill:PAST"))
    assert "Hủy lớp PAST" in (await bot.send(user.text("Nhầm lớp")))[-1]
    catalogue.run(completion.complete, "PAST", [(1, "MAU013")], date(2026, 11, 26), "MAU004")  # meanwhile
    texts = await bot.send(user.callback("course:killok:PAST"))  # the confirmation checks again
    assert "đã có 1 người được ghi nhận hoàn thành" in texts[-1]
    assert not catalogue.run(lambda s: s.scalar(select(Course.cancelled).where(Course.code == "PAST")))
    catalogue.run(completion.undo_completion, "PAST", "MAU013", "MAU004")
    assert "Đã hủy lớp PAST" in (await bot.send(user.callback("course:killok:PAST")))[0]


async def test_a_cancellation_reason_too_long_is_refused_saying_so(bot: BotHarness, catalogue: Database,
                                                                   user: UpdateFactory) -> None:
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    await bot.send(user.callback("course:kill:TC-K26A"))
    texts = await bot.send(user.text("x" * 520))
    assert "tối đa 500 ký tự" in texts[-1] and "520" in texts[-1]
    assert "Lý do: “Không đủ học viên”" in (await bot.send(user.text("Không đủ học viên")))[-1]  # the prompt stayed
    assert "Đã hủy lớp TC-K26A" in (await bot.send(user.text("xác nhận")))[0]


async def test_registering_on_behalf_is_confirmed_names_what_the_record_holds_and_speaks_of_the_person(
        bot: BotHarness, catalogue: Database, user: UpdateFactory, tmp_path: Path) -> None:
    """HR's typed code registered at once (a one-digit typo registered someone else), the note that the course
    would not change the record was not shown, and a waitlisted place read "Bạn ở vị trí 2" (walkthrough)."""
    catalogue.run(accounts.grant_hr, "MAU004")
    catalogue.run(import_courses, write_course(tmp_path / "one.csv", "ONE", 1, date(2027, 1, 20)))
    await link(bot, user, "0912345004")
    await bot.send(user.callback("course:behalf:CDS-01"))
    texts = await bot.send(user.text("MAU016"))  # holds the digital-skills training (2026)
    assert "Đăng ký hộ Vũ Văn Nam (MAU016)" in texts[-1]
    assert "Hồ sơ của người này đã có: Bồi dưỡng chuyển đổi số, kỹ năng số, AI (năm 2026)." in texts[-1]
    assert [b["callback_data"] for b in bot.last_buttons()] == ["course:behalfdo:CDS-01:MAU016", "course:view:CDS-01"]
    texts = await bot.send(user.callback("course:view:CDS-01"))  # "Không": nobody registered
    texts = await bot.send(user.callback("course:roster:CDS-01"))
    assert "MAU016" not in texts[-1]
    await bot.send(user.callback("course:behalf:ONE"))
    await bot.send(user.text("MAU017"))
    await bot.send(user.callback("course:behalfdo:ONE:MAU017"))
    await bot.send(user.callback("course:behalf:ONE"))
    texts = await bot.send(user.text("vu van nam"))  # a name: the people found, then the same confirmation
    texts = await bot.send(user.callback("course:behalfok:ONE:MAU016"))
    assert "Đăng ký hộ Vũ Văn Nam (MAU016)" in texts[-1]
    assert "Lớp đã đủ chỗ: Vũ Văn Nam sẽ vào danh sách chờ, vị trí 1" in texts[-1]  # said before, not after
    await bot.send(user.callback("course:behalf:ONE"))
    texts = await bot.send(user.text("MAU017"))  # already registered: said at once, not after "Xác nhận"
    assert "Bùi Thị Trang đã đăng ký lớp ONE" in texts[-1] and "Đăng ký hộ" not in texts[-1]
    texts = await bot.send(user.callback("course:behalfdo:ONE:MAU016"))
    assert "Vũ Văn Nam ở vị trí 1 trong danh sách chờ" in texts[0] and "Bạn ở vị trí" not in texts[0]
    for forged in ("course:behalfdo:ONE:MAU9999999", "course:behalfdo:ONE:<b>"):
        texts = await bot.send(user.callback(forged))
    cadre = UpdateFactory(user_id=699)
    await link(bot, cadre, "0912345013")
    assert "chỉ dành cho" in (await bot.send(cadre.callback("course:behalfdo:ONE:MAU013")))[-1]


async def test_a_seat_count_change_is_confirmed_and_says_who_will_get_a_seat(
        bot: BotHarness, catalogue: Database, user: UpdateFactory, tmp_path: Path) -> None:
    """The typed number applied at once, and raising it seated (and told) people on the waiting list, which
    cannot be undone (walkthrough): now a confirmation that says so; "Không" changes nothing."""
    from domain import registration

    catalogue.run(accounts.grant_hr, "MAU004")
    catalogue.run(import_courses, write_course(tmp_path / "one.csv", "ONE", 1, date(2027, 1, 20)))
    for code in ("MAU013", "MAU016", "MAU017"):
        cadre_id = catalogue.run(lambda s, c=code: s.scalar(select(Cadre.id).where(Cadre.code == c)))
        catalogue.run(registration.register_self, cadre_id, "ONE", date(2026, 11, 26))
    await link(bot, user, "0912345004")
    await bot.send(user.callback("course:capacity:ONE"))
    assert "Số chỗ phải từ 1 đến 10.000" in (await bot.send(user.text("20000")))[-1]  # the prompt stays open
    assert "từ 1 thành 1.000?" in (await bot.send(user.text("1.000")))[-1]  # typed as the bot writes it
    await bot.send(user.callback("course:capacity:ONE"))
    texts = await bot.send(user.text("5"))
    assert "Đổi số chỗ lớp ONE từ 1 thành 5?" in texts[-1]
    assert "2 người đầu danh sách chờ sẽ được nhận chỗ" in texts[-1] and "không hoàn tác" in texts[-1]
    await bot.send(user.callback("course:view:ONE"))  # "Không"
    assert catalogue.run(lambda s: s.scalar(select(Course.capacity).where(Course.code == "ONE"))) == 1
    texts = await bot.send(user.callback("course:seatsok:ONE:1:2"))
    assert "thành 2" in texts[-1] and "1 người trong danh sách chờ đã có chỗ" in texts[-1]
    for forged in ("course:seatsok:ONE:2:0", "course:seatsok:ONE:2:99999", "course:seatsok:ONE:2:x",
                   "course:seatsok:ONE", "course:seatsok:ONE:2", "course:seatsok:ONE:0:3"):
        assert "Nút này đã cũ" in (await bot.send(user.callback(forged)))[-1], forged
    assert "không thể nhỏ hơn" in (await bot.send(user.callback("course:seatsok:ONE:2:1")))[-1]
    cadre = UpdateFactory(user_id=698)
    await link(bot, cadre, "0912345013")
    assert "Ban Tổ chức" in (await bot.send(cadre.callback("course:seatsok:ONE:2:9")))[-1]
    assert catalogue.run(lambda s: s.scalar(select(Course.capacity).where(Course.code == "ONE"))) == 2


async def test_hr_refused_for_someone_outside_the_audience_is_not_told_to_ask_hr(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """HR read “hãy báo bộ phận tổ chức cán bộ”: HR is that department (walkthrough)."""
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    await bot.send(user.callback("course:behalf:CC-K26"))  # "Lãnh đạo quản lý"
    texts = await bot.send(user.text("MAU016"))
    assert "Vũ Văn Nam (MAU016) không thuộc đối tượng" in texts[-1] and "báo bộ phận tổ chức" not in texts[-1]
    assert "Đăng ký hộ Ma Văn Chiến (MAU010)" in (await bot.send(user.text("MAU010")))[-1]  # the prompt stays


async def test_a_no_word_at_the_cancellation_reason_keeps_the_course(bot: BotHarness, catalogue: Database,
                                                                     user: UpdateFactory) -> None:
    """“không” typed at the reason prompt cancelled the class with the reason “không”; “ok” too (walkthrough).
    A refusal word backs out, and a reason needs a few letters."""
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    for word in ("không", "thoi", "Huỷ"):
        await bot.send(user.callback("course:kill:TC-K26A"))
        texts = await bot.send(user.text(word))
        assert "Lớp TC-K26A giữ nguyên" in texts[-1], word
        assert "course:view:TC-K26A" in [b["callback_data"] for b in bot.last_buttons()]
    await bot.send(user.callback("course:kill:TC-K26A"))
    assert "vài chữ" in (await bot.send(user.text("ok")))[-1]  # the prompt stays
    assert "Lý do: “Không đủ học viên”" in (await bot.send(user.text("Không đủ học viên")))[-1]
    assert not catalogue.run(lambda s: s.scalar(select(Course.cancelled).where(Course.code == "TC-K26A")))
    assert "Đã hủy lớp TC-K26A" in (await bot.send(user.text("xác nhận")))[0]
