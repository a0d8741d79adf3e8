"""HR records a whole class's completion from a sheet sent to the bot (issues 11 and 14): the course from the
course page, the caption, a "Mã lớp" column or a choice; a preview row by row before anything is written;
the same rules as one completion; restart-proof; HR only."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from core.config import Settings
from db import Database
from db.models import AuditLog, Cadre, Course, RecordChange, Registration, RegistrationStatus
from domain import accounts, records
from domain import registration as reg
from domain.completion import complete, completion_sheet
from domain.courses import import_courses
from domain.gaps import gaps_by_code
from domain.roster import import_roster
from handlers.text_router import CHOOSE
from tests.conftest import SAMPLE_ROSTER, TODAY, BotHarness, link
from tests.test_conversation_state import restarted

HR_PHONE = "0912345004"
LLCT_GAP = "XA_CHU_CHOT_LLCT_CAO_CAP"
SHEET = "Mã cán bộ,Họ và tên\nMAU010,Ma Văn Chiến\n"


def _db(roster: Database) -> Database:
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    return roster


def _register(db: Database, code: str, course: str = "CC-K26") -> None:
    db.run(reg.register_on_behalf, "MAU004", code, course, TODAY)


def _start(db: Database, course: str = "CC-K26", on: date = date(2026, 11, 1)) -> None:
    db.run(lambda s: s.execute(update(Course).where(Course.code == course).values(start_date=on)))


def _level(db: Database, code: str) -> int:
    return int(db.run(lambda s: s.scalar(select(Cadre.political_theory).where(Cadre.code == code))))


def _completed(db: Database) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count(Registration.id)).where(
        Registration.status == RegistrationStatus.COMPLETED))))


def _data(bot: BotHarness) -> list[str]:
    """The last buttons' data, without the preview's tag (cpl:ok:<tag>): which buttons, not which preview."""
    return [re.sub(r":[0-9a-f]{8}$", "", str(b["callback_data"])) for b in bot.last_buttons()]


async def _hr(bot: BotHarness, user: UpdateFactory) -> None:
    await link(bot, user, HR_PHONE)


async def _send(bot: BotHarness, user: UpdateFactory, content: str, caption: str = "",
                name: str = "ket-qua.csv") -> list[str]:
    bot.api.uploads[name] = content.encode()
    return await bot.send(user.document(name, name, caption=caption))


async def test_from_the_course_page_preview_then_confirm(bot: BotHarness, roster: Database,
                                                         user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    cadre = UpdateFactory(user_id=7010)
    await link(bot, cadre, "0912345010")
    await _hr(bot, user)
    await bot.send(user.callback("course:view:CC-K26"))
    assert "cpl:want:CC-K26" in _data(bot)
    texts = await bot.send(user.callback("cpl:want:CC-K26"))
    assert "Gửi ngay tệp kết quả hoàn thành lớp CC-K26" in texts[-1] and "adm:tpl:completion" in _data(bot)

    texts = await _send(bot, user, SHEET)
    assert "Xem trước: hoàn thành lớp CC-K26" in texts[-1] and "chưa ghi gì" in texts[-1]
    assert "Dòng 2 MAU010 – Ma Văn Chiến: LLCT: Trung cấp → Cao cấp" in texts[-1]
    assert _data(bot) == ["cpl:ok", "cpl:no"] and bot.last_buttons()[0]["text"] == "✅ Ghi nhận 1 người"
    assert _level(db, "MAU010") == 2 and _completed(db) == 0

    texts = await bot.send(user.callback("cpl:ok"))
    done = next(t for t in texts if "Đã ghi nhận hoàn thành lớp CC-K26" in t)
    assert "1 người, từ tệp ket-qua.csv" in done and "LLCT: Trung cấp → Cao cấp" in done
    assert _level(db, "MAU010") == 3 and _completed(db) == 1
    assert any("Đã ghi nhận bạn hoàn thành lớp CC-K26" in c.text for c in bot.api.sent(chat_id=cadre.chat_id))
    change = db.run(lambda s: s.scalars(select(RecordChange).where(RecordChange.source == "course:CC-K26")).one())
    assert (change.actor, change.detail.endswith("tệp ket-qua.csv")) == ("MAU004", True)
    sources = dict(db.run(records.qualification_sources, change.cadre_id))  # what the profile shows
    assert "hoàn thành lớp CC-K26" in sources["Lý luận chính trị"] and "tệp ket-qua.csv" in sources["Lý luận chính trị"]
    audit = db.run(lambda s: s.scalars(select(AuditLog).where(AuditLog.action == "complete-course")).one())
    assert audit.actor == "MAU004" and "ket-qua.csv" in (audit.detail or "")
    assert "Không có tệp kết quả nào đang chờ" in (await bot.send(user.callback("cpl:ok")))[-1]  # pressed twice
    assert _completed(db) == 1


async def test_unknown_and_unregistered_rows_write_nothing_until_hr_chooses(bot: BotHarness, roster: Database,
                                                                           user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    sheet = SHEET + "MAU999,Không Có\nMAU016,Vũ Văn Nam\nmau010,Ma Văn Chiến\n"
    texts = await _send(bot, user, sheet, caption="Kết quả lớp CC-K26")
    preview = texts[-1]
    assert "Bị từ chối 2 dòng" in preview and "Dòng 3 MAU999: không có cán bộ mã MAU999" in preview
    assert "Dòng 4 MAU016 – Vũ Văn Nam: chưa đăng ký lớp này" in preview
    assert "Bỏ qua 1 dòng" in preview and "Dòng 5 MAU010 – Ma Văn Chiến: trùng với dòng 2" in preview
    assert "chưa ghi gì" in preview and _data(bot) == ["cpl:skip", "cpl:no"]
    assert bot.last_buttons()[0]["text"] == "Chỉ ghi 1 dòng hợp lệ"
    texts = await bot.send(user.callback("cpl:ok"))  # a forged "record all": the refused rows still block
    assert "Bị từ chối 2 dòng" in texts[-1] and _level(db, "MAU010") == 2 and _completed(db) == 0
    texts = await bot.send(user.callback("cpl:skip"))
    assert "Đã ghi nhận hoàn thành lớp CC-K26" in texts[-1] and "1 người" in texts[-1]
    assert _level(db, "MAU010") == 3 and _completed(db) == 1


async def test_course_chosen_by_button_survives_restarts(bot: BotHarness, roster: Database, settings: Settings,
                                                        user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    texts = await _send(bot, user, SHEET)
    assert "Ghi nhận hoàn thành cho lớp nào" in texts[-1]
    assert _data(bot) == ["cpl:c:0", "cpl:no"] and bot.last_buttons()[0]["text"].startswith("CC-K26 – ")
    async with restarted(settings, db) as again:
        texts = await again.send(user.callback("cpl:c:0"))
        assert "Xem trước: hoàn thành lớp CC-K26" in texts[-1] and "MAU010" in texts[-1]
    async with restarted(settings, db) as third:
        texts = await third.send(user.callback("cpl:ok"))
        assert "Đã ghi nhận hoàn thành lớp CC-K26" in texts[-1]
    assert _level(db, "MAU010") == 3


async def test_stale_and_forged_buttons(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    assert "Không có tệp kết quả nào đang chờ" in (await bot.send(user.callback("cpl:c:0")))[-1]
    await _send(bot, user, SHEET)
    for forged in ("cpl:c:5", "cpl:c:99", "cpl:c:-1", "cpl:c:²", "cpl:zap"):
        assert "Nút này đã cũ" in (await bot.send(user.callback(forged)))[-1]
    texts = await bot.send(user.callback("cpl:c:0"))  # the real choice still works after the forged ones
    assert "Xem trước" in texts[-1]
    assert "Đã bỏ" in (await bot.send(user.callback("cpl:no")))[-1]
    assert "Không có tệp kết quả nào đang chờ" in (await bot.send(user.callback("cpl:ok")))[-1]
    assert _completed(db) == 0


async def test_state_changed_between_preview_and_confirm(bot: BotHarness, roster: Database,
                                                         user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _register(db, "MAU013")
    _start(db)
    await _hr(bot, user)
    await _send(bot, user, SHEET + "MAU013,Sùng A Long\n", caption="CC-K26")
    assert bot.last_buttons()[0]["text"] == "✅ Ghi nhận 2 người"
    db.run(complete, "CC-K26", [(1, "MAU013")], TODAY, "MAU004")  # someone recorded MAU013 meanwhile
    texts = await bot.send(user.callback("cpl:ok"))
    assert "đã thay đổi từ lúc xem trước" in texts[-1] and "Ghi nhận 1 người" in texts[-1]
    assert "MAU013 – Sùng A Long: đã ghi nhận hoàn thành trước đó" in texts[-1]
    assert _level(db, "MAU010") == 2
    texts = await bot.send(user.callback("cpl:ok"))
    assert "Đã ghi nhận hoàn thành lớp CC-K26" in texts[-1] and _level(db, "MAU010") == 3


async def test_non_hr_upload_and_presses_are_refused_and_audited(bot: BotHarness, roster: Database,
                                                                 user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await link(bot, user, "0912345013")
    texts = await _send(bot, user, SHEET, caption="CC-K26")
    assert "Bot không xử lý tệp" in texts[-1]
    for data in ("cpl:want:CC-K26", "cpl:ok", "cpl:c:0"):
        assert "Ban Tổ chức" in (await bot.send(user.callback(data)))[-1]
    refused = db.run(lambda s: s.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "refused")))
    assert refused >= 4 and _completed(db) == 0


async def test_not_started_course_and_two_courses_in_one_sheet(bot: BotHarness, roster: Database,
                                                              user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    await _hr(bot, user)
    texts = await bot.send(user.callback("cpl:want:CC-K26"))
    assert "khai giảng ngày 15/01/2027" in texts[-1]
    texts = await _send(bot, user, SHEET, caption="CC-K26")
    assert "chưa thể ghi nhận hoàn thành" in texts[-1]
    _start(db)
    texts = await _send(bot, user, "Mã cán bộ,Mã lớp\nMAU010,CC-K26\nMAU013,CDS-01\n", caption="hoàn thành")
    assert "nhiều lớp (CC-K26, CDS-01)" in texts[-1]
    texts = await _send(bot, user, "Mã cán bộ,Mã lớp\nMAU010,cc-k26\n", caption="Hoàn thành")
    assert "Xem trước: hoàn thành lớp CC-K26" in texts[-1]
    assert _completed(db) == 0


async def test_the_bot_template_filled_in_and_sent_back(bot: BotHarness, roster: Database,
                                                       user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    await bot.send(user.callback("adm:tpl:completion"))
    doc = next(c for c in reversed(bot.api.calls) if c.method == "sendDocument")
    assert doc.files["document"][0] == "mau-ket-qua-hoan-thanh.xlsx"
    book = load_workbook(io.BytesIO(doc.files["document"][1]))
    header = [cell.value for cell in book.worksheets[0][1]]
    assert header == ["Mã cán bộ", "Họ và tên", "Kết quả"]  # the importer reads a result: the template offers it
    book.worksheets[0].append(["MAU010", "Ma Văn Chiến", "Đạt"])
    out = io.BytesIO()
    book.save(out)
    bot.api.uploads["tpl"] = out.getvalue()
    texts = await bot.send(user.document("ket-qua.xlsx", "tpl", caption="cc-k26"))
    assert "Xem trước: hoàn thành lớp CC-K26" in texts[-1] and "LLCT: Trung cấp → Cao cấp" in texts[-1]


async def test_outside_check_through_the_bot(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """Register MAU010, complete from a sheet sent to the bot, no LLCT gap; the original roster re-imported
    keeps it and reports one conflict."""
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    await _send(bot, user, SHEET, caption="CC-K26")
    await bot.send(user.callback("cpl:ok"))
    assert LLCT_GAP not in {g.indicator for g in db.run(gaps_by_code, "MAU010", TODAY).gaps}
    result = db.run(import_roster, SAMPLE_ROSTER)
    assert result.applied and [(c.cadre, c.field, c.course) for c in result.conflicts] == [
        ("MAU010", "political_theory", "CC-K26")]
    assert LLCT_GAP not in {g.indicator for g in db.run(gaps_by_code, "MAU010", TODAY).gaps}


async def test_a_long_sheet_fits_one_message_and_comes_whole_as_a_workbook(bot: BotHarness, roster: Database,
                                                                          user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    sheet = SHEET + "".join(f"MAU{n},Người Thứ {n}\n" for n in range(5000, 5150))
    texts = await _send(bot, user, sheet, caption="CC-K26")
    preview = next(c for c in reversed(bot.api.calls) if c.method == "sendMessage")
    assert len(preview.text) < 4096 and "Bị từ chối 150 dòng" in texts[-1] and "dòng khác" in texts[-1]
    doc = next(c for c in reversed(bot.api.calls) if c.method == "sendDocument")
    assert doc.files["document"][0] == "ket-qua-tung-dong-CC-K26.xlsx" and "151 dòng" in doc.text
    rows = list(load_workbook(io.BytesIO(doc.files["document"][1])).worksheets[0].values)
    assert ("Dòng", "Mã cán bộ", "Họ và tên", "Kết quả", "Thay đổi trong hồ sơ / lý do") in rows
    assert (2, "MAU010", "Ma Văn Chiến", "Ghi nhận", "LLCT: Trung cấp → Cao cấp") in rows
    assert (152, "MAU5149", None, "Bị từ chối", "không có cán bộ mã MAU5149") in rows
    assert _completed(db) == 0


async def test_typed_labels_press_the_sheets_buttons_and_other_text_asks_for_one(bot: BotHarness, roster: Database,
                                                                                user: UpdateFactory) -> None:
    """Issue 13 at this feature's steps: the preview's label typed presses it; a question there gets "hãy chọn
    một nút", never an answer; pressing another feature's button ends the preview."""
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    await bot.send(user.callback("course:view:CC-K26"))
    await bot.send(user.callback("cpl:want:CC-K26"))
    texts = await bot.send(user.text("cái này là gì"))  # waiting for a file: text goes on as usual
    assert not any("Hãy chọn một nút" in t for t in texts)
    await _send(bot, user, SHEET)
    texts = await bot.send(user.text("chỉ tiêu về lý luận chính trị là gì"))
    assert texts == [CHOOSE] and _data(bot) == ["cpl:ok", "cpl:no"] and _completed(db) == 0
    texts = await bot.send(user.text("ghi nhan 1 nguoi"))
    assert any("Đã ghi nhận hoàn thành lớp CC-K26" in t for t in texts) and _completed(db) == 1

    _register(db, "MAU011")
    await _send(bot, user, "Mã cán bộ,Họ và tên\nMAU011,Hoàng Thị Yến\n", caption="CC-K26")
    texts = await bot.send(user.text("thôi"))
    assert any("Đã bỏ" in t for t in texts) and _completed(db) == 1

    await _send(bot, user, "Mã cán bộ,Họ và tên\nMAU011,Hoàng Thị Yến\n", caption="CC-K26")
    await bot.send(user.callback("menu:home"))  # another feature's button: the preview ends
    assert "Không có tệp kết quả nào đang chờ" in (await bot.send(user.callback("cpl:ok")))[-1]
    assert _completed(db) == 1


async def test_a_name_that_differs_from_the_record_refuses_its_row(bot: BotHarness, roster: Database,
                                                                   user: UpdateFactory) -> None:
    """A code typed wrong would record someone else's completion: the sheet's "Họ và tên" must match the record,
    with accents, case and spacing folded; a sheet without names is checked by code alone (walkthrough 2)."""
    db = _db(roster)
    for code in ("MAU010", "MAU011", "MAU012"):
        _register(db, code)
    _start(db)
    await _hr(bot, user)
    sheet = "Mã cán bộ,Họ và tên\nMAU010,Hoàng Thị Yến\nMAU011,hoang  thi yen\nMAU012,\n"
    preview = (await _send(bot, user, sheet, caption="CC-K26"))[-1]
    assert "Dòng 2 MAU010 – Ma Văn Chiến: họ tên trong tệp “Hoàng Thị Yến” khác hồ sơ" in preview
    assert "Bị từ chối 1 dòng" in preview and _data(bot) == ["cpl:skip", "cpl:no"]
    texts = await bot.send(user.callback("cpl:skip"))
    assert "2 người" in texts[-1] and _completed(db) == 2 and _level(db, "MAU010") == 2


def test_the_cli_checks_names_too(roster: Database, tmp_path: Path) -> None:
    from domain.completion import completion_sheet

    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    path = tmp_path / "done.csv"
    path.write_text("Mã cán bộ,Họ và tên\nMAU010,Nguyễn Văn Khác\n", encoding="utf-8")
    sheet = completion_sheet(path)
    plan = db.run(complete, "CC-K26", sheet.codes, TODAY, "cli", False, names=sheet.names)
    assert not plan.applied and "khác hồ sơ" in plan.rejected[0].reason and _completed(db) == 0


async def test_a_command_that_ends_the_preview_or_the_wait_says_so(bot: BotHarness, roster: Database,
                                                                  user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    await _send(bot, user, SHEET, caption="CC-K26")
    texts = await bot.send(user.text("/menu"))
    assert any("Đã bỏ bản xem trước tệp ket-qua.csv" in t and "chưa ghi gì" in t for t in texts)
    await bot.send(user.callback("cpl:want:CC-K26"))
    texts = await bot.send(user.text("/courses"))
    assert any("Đã thôi chờ tệp kết quả lớp CC-K26" in t for t in texts) and _completed(db) == 0


async def test_a_row_whose_result_is_not_a_pass_is_refused(bot: BotHarness, roster: Database,
                                                           user: UpdateFactory) -> None:
    """A school's result sheet has a "Kết quả" column: "Không đạt", "Vắng" must never be recorded as completed;
    a result the bot cannot read is refused too, with what to write (walkthrough, high)."""
    db = _db(roster)
    for code in ("MAU010", "MAU011", "MAU012", "MAU014"):
        _register(db, code)
    _start(db)
    await _hr(bot, user)
    sheet = ("STT,Mã cán bộ,Họ và tên,Kết quả\n1,MAU010,Ma Văn Chiến,Không đạt\n2,MAU011,Hoàng Thị Yến,Đạt\n"
             "3,MAU012,Nông Văn Dũng,vắng\n4,MAU014,Đỗ Thị Mai,\n")
    preview = (await _send(bot, user, sheet, caption="CC-K26"))[-1]
    assert "Dòng 2 MAU010 – Ma Văn Chiến: kết quả trong tệp “Không đạt”" in preview
    assert "Dòng 4 MAU012 – Nông Văn Dũng: kết quả trong tệp “vắng”" in preview
    assert "Bị từ chối 2 dòng" in preview
    texts = await bot.send(user.callback("cpl:skip"))
    assert "2 người" in texts[-1] and _completed(db) == 2 and _level(db, "MAU010") == 2


def test_result_words() -> None:
    from domain.completion import result_refusal

    assert result_refusal("") is None and result_refusal("Đạt") is None and result_refusal("dat yeu cau") is None
    assert result_refusal("Hoàn thành") is None and result_refusal("Giỏi") is None and result_refusal("8,5") is None
    assert result_refusal("Đã hoàn thành") is None and result_refusal("đã đạt") is None  # refused before (walkthrough)
    for failed in ("Không đạt", "chua dat", "Vắng", "Không hoàn thành", "bỏ học", "Trượt", "2,0"):
        assert result_refusal(failed), failed
    assert "không rõ" in (result_refusal("???") or "")


def test_the_cli_refuses_a_sheet_for_another_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`cadrebot complete CC-K26 sheet` recorded Cao cấp LLCT from a sheet whose "Mã lớp" said another class."""
    from bot.cli import main as cli_main
    from tests.test_records import cli_class_started

    db = cli_class_started(tmp_path, monkeypatch)
    path = tmp_path / "done.csv"
    path.write_text("Mã cán bộ,Họ và tên,Mã lớp\nMAU010,Ma Văn Chiến,TC-K26A\n", encoding="utf-8")
    capsys.readouterr()
    assert cli_main(["complete", "CC-K26", str(path)]) == 1
    assert "TC-K26A" in capsys.readouterr().err
    assert _completed(db) == 0


def test_a_row_without_a_code_is_refused_not_dropped(roster: Database, tmp_path: Path) -> None:
    """A row naming someone with an empty "Mã cán bộ" (or a formula with no saved value) vanished: the run said
    "bỏ qua 0 dòng" and recorded the others."""
    from domain.completion import completion_sheet

    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    path = tmp_path / "done.csv"
    path.write_text("Mã cán bộ,Họ và tên\nMAU010,Ma Văn Chiến\n,Hoàng Thị Yến\n", encoding="utf-8")
    sheet = completion_sheet(path)
    plan = db.run(complete, "CC-K26", sheet.codes, TODAY, "cli", False, names=sheet.names)
    assert not plan.applied and _completed(db) == 0
    assert [(r.row, r.reason) for r in plan.rejected] == [(3, "thiếu “Mã cán bộ” (Hoàng Thị Yến)")]


@pytest.mark.parametrize(("caption", "completion"), [
    ("kết quả hoàn thành lớp CC-K26", True), ("Hoan thanh", True),
    ("đăng ký những người chưa hoàn thành", False), ("danh sách không hoàn thành", False),
    ("người chưa được hoàn thành", False),
    ("dang ky nguoi chua hoan thanh, con nguoi da hoan thanh", True),
])
def test_a_caption_that_negates_completion_does_not_mark_a_sheet_as_completions(caption: str,
                                                                                  completion: bool) -> None:
    """'đăng ký người chưa hoàn thành' turned a registration list into a completion sheet (helper's reading)."""
    from domain.completion_sheet import says_completion
    assert says_completion(caption) is completion


def test_a_signature_block_under_the_table_is_not_a_row_without_a_code(roster: Database, tmp_path: Path) -> None:
    """Official result sheets end with the date and the signers' titles under the table ("NGƯỜI LẬP BIỂU" under Họ
    và tên, "HIỆU TRƯỞNG" under Kết quả): such lines are no one's row (attack on the rows-without-a-code fix, which
    refused them all, and with them the whole sheet)."""
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    path = tmp_path / "ket-qua.csv"
    path.write_text("Mã cán bộ,Họ và tên,Kết quả\n"
                    "MAU010,Ma Văn Chiến,Đạt\n"
                    ",,\n"
                    ",\"Tuyên Quang, ngày 20 tháng 11 năm 2026\",\n"
                    ",NGƯỜI LẬP BIỂU,HIỆU TRƯỞNG\n"
                    ",Người lập biểu,\n", encoding="utf-8")
    sheet = completion_sheet(path)
    plan = db.run(complete, "CC-K26", sheet.codes, TODAY, "cli", False, names=sheet.names, results=sheet.results)
    assert [r.reason for r in plan.rejected] == []
    assert plan.applied and _completed(db) == 1


@pytest.mark.parametrize(("name", "result", "course", "person"), [
    ("Vũ Văn Nam", "", "", True), ("Sùng A Long", "", "", True), ("", "Đạt", "", True), ("", "", "CC-K26", True),
    ("NGƯỜI LẬP BIỂU", "HIỆU TRƯỞNG", "", False), ("Tuyên Quang, ngày 20 tháng 11 năm 2026", "", "", False),
    ("Người lập biểu", "", "", False), ("Ghi chú", "", "", False),
])
def test_which_rows_without_a_code_stand_for_someone(name: str, result: str, course: str, person: bool) -> None:
    from domain.completion import _a_person
    assert _a_person({"name": name, "result": result, "course": course}) is person


async def test_an_older_sheets_class_choice_previews_nothing(bot: BotHarness, roster: Database,
                                                             user: UpdateFactory) -> None:
    """'Ghi nhận hoàn thành cho lớp nào?' buttons carried only an index: pressed after a newer sheet replaced the
    older one, an older button previewed the newer file against whatever class sat at that index (second
    walkthrough as HR). A choice carries its sheet's tag; another sheet's is stale."""
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    await _send(bot, user, SHEET, name="a.csv")
    older = bot.last_buttons()[0]["callback_data"]
    await _send(bot, user, "Mã cán bộ,Họ và tên\nMAU010,Ma Văn Chiến\nMAU011,Hoàng Thị Yến\n", name="b.csv")
    newer = bot.last_buttons()[0]["callback_data"]
    assert newer != older
    texts = await bot.send(user.callback(older))
    assert "Xem trước" not in texts[-1] and "Nút này đã cũ" in texts[-1]
    texts = await bot.send(user.callback(newer))  # the newer sheet's choice still waits
    assert "Xem trước: hoàn thành lớp CC-K26" in texts[-1] and "MAU011" in texts[-1]
