"""Courses on a phone: overlap only between full-time courses, the audience explained before "Đăng ký",
the roster as Excel, cancelling on someone's behalf, a course cancelled with a reason, kind by label."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from core.config import Settings
from db import Database
from db.models import Cadre, Course
from domain import accounts, registration
from domain.courses import import_courses, requires_full_time
from domain.text import name_order
from tests.conftest import TODAY, BotHarness, link

HEADER = ("Mã lớp,Tên lớp,Loại,Cơ sở đào tạo,Hình thức,Ngày bắt đầu,Ngày kết thúc,Hạn đăng ký,Số chỗ,Địa điểm,"
          "Đối tượng\n")
EXTRA = [
    "FT1,Bồi dưỡng CQĐP 2 cấp,CQDP_2CAP,Trường Chính trị tỉnh,Tập trung,10/02/2027,20/02/2027,01/02/2027,30,,",
    "FT2,Bồi dưỡng VTVL tập trung,VTVL,Trường Chính trị tỉnh,Tập trung,15/02/2027,25/02/2027,01/02/2027,30,,",
    "OL1,Chuyển đổi số trực tuyến,CDS_AI,Sở KH&CN,Trực tuyến,15/02/2027,16/02/2027,01/02/2027,30,,",
]
SON_PHONE, HR_PHONE, LONG_PHONE = "0912345013", "0912345004", "0912345013"


@pytest.fixture
def catalogue(roster: Database, tmp_path: Path) -> Database:
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    extra = tmp_path / "extra.csv"
    extra.write_text(HEADER + "\n".join(EXTRA) + "\n", encoding="utf-8")
    roster.run(import_courses, extra)
    return roster


@pytest.mark.parametrize(("mode", "full_time"), [
    ("Tập trung", True), (None, True), ("Không tập trung", False), ("Trực tuyến", False),
    ("KHÔNG  TẬP TRUNG", False), ("Tại chức", False), ("tap trung", True),
])
def test_full_time_modes(mode: str | None, full_time: bool) -> None:
    assert requires_full_time(mode) is full_time


async def _register(bot: BotHarness, user: UpdateFactory, code: str) -> str:
    return (await bot.send(user.callback(f"course:regok:{code}")))[-1]


async def test_overlap_blocks_only_two_full_time_courses(bot: BotHarness, catalogue: Database,
                                                         user: UpdateFactory) -> None:
    await link(bot, user, LONG_PHONE)  # MAU013, a leader: in CC-K26's audience
    assert "Đã đăng ký lớp CC-K26" in await _register(bot, user, "CC-K26")  # two-year part-time course
    assert "Đã đăng ký lớp FT1" in await _register(bot, user, "FT1")  # a 10-day full-time class inside it
    refused = await _register(bot, user, "FT2")
    assert "Trùng thời gian với lớp FT1" in refused and "tập trung" in refused
    assert "Đã đăng ký lớp OL1" in await _register(bot, user, "OL1")  # online: never blocks
    assert "Đã đăng ký lớp TC-K26A" in await _register(bot, user, "TC-K26A")  # part-time beside part-time


async def test_outside_audience_sees_why_before_registering(bot: BotHarness, catalogue: Database,
                                                            user: UpdateFactory) -> None:
    await link(bot, user, HR_PHONE)  # MAU004, not a leader
    texts = await bot.send(user.callback("course:view:CC-K26"))
    assert "Lớp này dành cho: Lãnh đạo quản lý" in texts[-1] and "không thuộc đối tượng" in texts[-1]
    assert not [b for b in bot.last_buttons() if b["callback_data"].startswith("course:reg:")]
    await bot.send(user.callback("course:view:CDS-01"))
    assert "course:reg:CDS-01" in [b["callback_data"] for b in bot.last_buttons()]


async def test_roster_export_cancel_on_behalf_and_course_cancelled_with_reason(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    catalogue.run(accounts.grant_hr, "MAU004")
    cadre = UpdateFactory(user_id=713)
    await link(bot, cadre, LONG_PHONE)
    await _register(bot, cadre, "CDS-01")
    await link(bot, user, HR_PHONE)
    await bot.send(user.callback("course:roster:CDS-01"))
    data = [b["callback_data"] for b in bot.last_buttons()]
    assert "course:rosterx:CDS-01" in data and "course:unreg:CDS-01:MAU013" in data
    await bot.send(user.callback("course:rosterx:CDS-01"))
    doc = next(c for c in reversed(bot.api.calls) if c.method == "sendDocument")
    sheet = load_workbook(io.BytesIO(doc.files["document"][1])).active
    assert sheet.freeze_panes == "A5" and sheet["A4"].value == "Mã cán bộ"
    assert sheet["A5"].value == "MAU013" and sheet["F5"].value == "đã đăng ký"
    assert isinstance(sheet["H5"].value, datetime) and sheet["H5"].number_format == "DD/MM/YYYY"
    assert [b["text"] for b in bot.last_buttons()] == ["⬅️ Lớp CDS-01", "⬅️ Về menu"]  # the file is no dead end

    texts = await bot.send(user.callback("course:unreg:CDS-01:MAU013"))
    assert "Hủy đăng ký của Sùng A Long (MAU013)" in texts[-1]  # named, not a bare code (walkthrough as HR)
    texts = await bot.send(user.callback("course:unregok:CDS-01:MAU013"))
    assert "Đã hủy đăng ký của Sùng A Long (MAU013)" in texts[0]
    assert any("Ban Tổ chức đã hủy đăng ký của bạn vào lớp CDS-01" in c.text for c in bot.api.sent(chat_id=713))
    texts = await bot.send(user.callback("course:unreg:CDS-01:MAU013"))  # a stale button: no confirmation
    assert "không còn đăng ký lớp CDS-01" in texts[-1] and "course:unregok:CDS-01:MAU013" not in str(bot.last_buttons())

    await _register(bot, cadre, "OL1")
    await bot.send(user.callback("course:kill:OL1"))
    assert "Nhập lý do" in (await bot.send(user.text("   ")))[-1]  # an empty reason is asked again
    texts = await bot.send(user.text("Giảng viên <b>ốm</b>"))
    assert "Lý do: “Giảng viên <b>ốm</b>”" in texts[-1]  # read back before anything happens
    texts = await bot.send(user.callback("course:killok:OL1"))
    assert "Đã hủy lớp OL1" in texts[0] and "Giảng viên <b>ốm</b>" in texts[0]
    told = [c.text for c in bot.api.sent(chat_id=713)]
    assert any("Lớp OL1" in t and "Lý do: Giảng viên &lt;b&gt;ốm&lt;/b&gt;" in t for t in told)
    texts = await bot.send(user.callback("course:view:OL1"))  # still viewable, with the reason
    assert "Lớp đã bị hủy. Lý do: Giảng viên <b>ốm</b>" in texts[-1]
    assert "course:kill:OL1" not in [b["callback_data"] for b in bot.last_buttons()]


async def test_hr_only_for_the_new_course_buttons(bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    await link(bot, user, SON_PHONE)
    for data in ("course:rosterx:CDS-01", "course:unreg:CDS-01:MAU013", "course:unregok:CDS-01:MAU013"):
        assert "chỉ dành cho cán bộ Ban Tổ chức" in (await bot.send(user.callback(data)))[-1], data


def test_course_kind_accepts_the_vietnamese_label(roster: Database, tmp_path: Path) -> None:
    label = unicodedata.normalize("NFD", "  TRUNG CẤP   lý luận chính trị ")
    path = tmp_path / "c.csv"
    path.write_text(HEADER + f"TC-X,Lớp TC,{label},Trường Chính trị tỉnh,Tập trung,01/02/2027,10/02/2027,"
                    "20/01/2027,10,,\n" + "CC-X,Lớp CC,llct_cao_cap,Trường,Tập trung,01/02/2027,10/02/2027,"
                    "20/01/2027,10,,\n", encoding="utf-8")
    result = roster.run(import_courses, path)
    assert not result.rejected and result.applied
    kinds = roster.run(lambda s: dict(s.execute(select(Course.code, Course.kind)).all()))
    assert kinds == {"TC-X": "LLCT_TRUNG_CAP", "CC-X": "LLCT_CAO_CAP"}


async def test_hr_registers_on_behalf_by_name(bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """“Đăng ký hộ” takes a name as well as a code: the people found come as buttons (walkthrough 9)."""
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR_PHONE)
    await bot.send(user.callback("course:behalf:CDS-01"))
    texts = await bot.send(user.text("sung a long"))
    assert "Chọn người cần đăng ký hộ vào lớp CDS-01" in texts[-1]
    assert next(b["callback_data"] for b in bot.last_buttons()) == "course:behalfok:CDS-01:MAU013"
    texts = await bot.send(user.callback("course:behalfok:CDS-01:MAU013"))
    assert "Đăng ký hộ Sùng A Long (MAU013)" in texts[-1]  # the person picked, then confirmed
    texts = await bot.send(user.callback("course:behalfdo:CDS-01:MAU013"))
    assert "Người được đăng ký: Sùng A Long (MAU013)" in texts[-1]
    assert "Không tìm thấy cán bộ" in (await _behalf(bot, user, "không ai tên này"))[-1]
    assert "Đăng ký hộ Vũ Văn Nam (MAU016)" in (await bot.send(user.text("MAU016")))[-1]  # asked again
    assert "Người được đăng ký: Vũ Văn Nam (MAU016)" in (await bot.send(user.text("xác nhận")))[-1]
    await _behalf(bot, user, "long")  # one word without accents looks like a code: no such code, so a name
    assert "course:behalfok:CDS-01:MAU013" in [b["callback_data"] for b in bot.last_buttons()]
    cadre = UpdateFactory(user_id=9013)
    await link(bot, cadre, SON_PHONE)
    texts = await bot.send(cadre.callback("course:behalfok:CDS-01:MAU016"))  # forged by a cadre
    assert "Ban Tổ chức" in texts[-1]
    assert "Ban Tổ chức" in (await bot.send(cadre.callback("course:behalfdo:CDS-01:MAU017")))[-1]


async def _behalf(bot: BotHarness, user: UpdateFactory, typed: str) -> list[str]:
    await bot.send(user.callback("course:behalf:CDS-01"))
    return await bot.send(user.text(typed))


async def test_registering_on_behalf_is_offered_only_while_the_course_is_open(bot: BotHarness, catalogue: Database,
                                                                            user: UpdateFactory) -> None:
    """It used to be offered on a closed course, and then always refused (walkthrough)."""
    from datetime import date

    from sqlalchemy import update

    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR_PHONE)
    await bot.send(user.callback("course:view:CDS-01"))
    assert "course:behalf:CDS-01" in [b["callback_data"] for b in bot.last_buttons()]
    catalogue.run(lambda s: s.execute(update(Course).where(Course.code == "CDS-01")
                                      .values(register_by=date(2026, 11, 1))))
    await bot.send(user.callback("course:view:CDS-01"))
    assert "course:behalf:CDS-01" not in [b["callback_data"] for b in bot.last_buttons()]


UNLINKED = ("MAU001", "MAU002", "MAU003", "MAU005", "MAU010", "MAU011", "MAU012", "MAU014", "MAU015", "MAU016",
            "MAU017", "MAU018")


async def test_cancelling_a_course_asks_the_reason_then_confirms_who_the_bot_reaches_and_names_the_rest(
        bot: BotHarness, catalogue: Database, user: UpdateFactory, settings: Settings) -> None:
    """Walkthrough as HR: "⛔ Hủy lớp" confirmed first with no count, the typed reason then cancelled at once with
    no chance to read it back, "đã báo 0 người" when the people were not linked to the bot, and the cancelled class
    left every list, so HR could not see whom to phone. Now: the reason, then a confirmation that shows it with who
    the bot will reach; the result names the people it could not; the class stays in HR's closed list, roster and
    all."""
    from domain import registration
    from tests.test_conversation_state import restarted

    catalogue.run(accounts.grant_hr, "MAU004")
    linked = UpdateFactory(user_id=714)
    await link(bot, linked, LONG_PHONE)  # MAU013
    await _register(bot, linked, "OL1")
    for code in UNLINKED:  # registered by HR; none of them ever linked to the bot
        catalogue.run(registration.register_on_behalf, "MAU004", code, "OL1", TODAY)
    await link(bot, user, HR_PHONE)
    texts = await bot.send(user.callback("course:kill:OL1"))
    assert "Nhập lý do hủy lớp OL1" in texts[-1]
    async with restarted(settings, catalogue) as again:  # the prompt is in the database
        texts = await again.send(user.text("Giảng viên ốm"))
        offered = [b["callback_data"] for b in again.last_buttons()]
    assert "Hủy lớp OL1" in texts[-1] and "Lý do: “Giảng viên ốm”" in texts[-1]
    assert "13 người đăng ký/chờ, 1 người sẽ nhận tin qua bot" in texts[-1]
    assert "12 người chưa liên kết bot" in texts[-1] and "báo họ cách khác" in texts[-1]
    assert [data.rsplit(":", 1)[0] if data.count(":") == 3 else data for data in offered] == [
        "course:killok:OL1", "course:killno:OL1"]  # the confirmation carries its reason's tag
    assert not catalogue.run(lambda s: s.scalar(select(Course.cancelled).where(Course.code == "OL1")))
    assert not [c for c in bot.api.sent(chat_id=714) if "đã bị hủy" in c.text]  # nobody told before "Xác nhận"
    texts = await bot.send(user.text("Giảng viên ốm, chưa có người thay"))  # typed again: the reason replaced
    assert "Lý do: “Giảng viên ốm, chưa có người thay”" in texts[-1]
    async with restarted(settings, catalogue) as again:  # the confirmation is in the database too
        texts = await again.send(user.text("xác nhận"))
        offered = [b["callback_data"] for b in again.last_buttons()]
    assert "Đã hủy lớp OL1" in texts[0] and "Lý do: Giảng viên ốm, chưa có người thay" in texts[0]
    assert "13 người đăng ký/chờ: 1 người được báo qua bot" in texts[0]
    assert "12 người chưa nhận được tin" in texts[0]
    names = catalogue.run(lambda s: {c.full_name: c.code for c in s.scalars(select(Cadre).where(
        Cadre.code.in_(UNLINKED)))})
    in_order = [f"{name} ({names[name]})" for name in sorted(names, key=name_order)]  # by given name
    positions = [texts[0].index(name) for name in in_order[:10]]
    assert positions == sorted(positions) and in_order[10] not in texts[0] and "và 2 người nữa" in texts[0]
    assert "course:roster:OL1" in offered
    assert any("Lớp OL1" in c.text and "Giảng viên ốm, chưa có người thay" in c.text
               for c in again.api.sent(chat_id=714))

    texts = await bot.send(user.callback("course:closed"))  # the cancelled class stays within HR's reach
    assert "OL1" in texts[-1] and "đã hủy" in texts[-1]
    assert "course:view:OL1" in [b["callback_data"] for b in bot.last_buttons()]
    texts = await bot.send(user.callback("course:roster:OL1"))
    assert "13 người" in texts[-1] and "Sùng A Long (MAU013)" in texts[-1]
    assert "Triệu Văn Sơn (MAU005) – Phòng Tổ chức cán bộ: chưa liên kết bot" in texts[-1]
    assert "Sùng A Long (MAU013) – Xã Minh Hương: chưa liên kết bot" not in texts[-1]


async def test_a_course_cancellation_is_applied_only_from_its_own_confirmation(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """An older "Xác nhận" (the confirmation used to come before the reason) or another class's finds no reason
    waiting and changes nothing; "Không" or "thôi" at the confirmation keeps the class."""
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR_PHONE)
    texts = await bot.send(user.callback("course:killok:OL1"))
    assert "Không có yêu cầu hủy lớp OL1 nào đang chờ xác nhận" in texts[-1]
    await bot.send(user.callback("course:kill:OL1"))
    texts = await bot.send(user.callback("course:killok:OL1"))  # the reason is not typed yet
    assert "Không có yêu cầu hủy lớp OL1 nào đang chờ xác nhận" in texts[-1]
    texts = await bot.send(user.text("Không đủ học viên"))  # the prompt waited
    assert "Lớp chưa có ai đăng ký hay chờ" in texts[-1]
    assert "Không có yêu cầu hủy lớp FT1" in (await bot.send(user.callback("course:killok:FT1")))[-1]
    for word in ("không", "thôi"):
        texts = await bot.send(user.text(word))
        assert "Lớp OL1 giữ nguyên" in texts[-1], word
        await bot.send(user.callback("course:kill:OL1"))
        await bot.send(user.text("Không đủ học viên"))
    texts = await bot.send(user.text("/courses"))  # another command leaves the confirmation, saying so
    assert "Đã bỏ yêu cầu hủy lớp OL1" in texts[0]
    assert "Không có yêu cầu hủy lớp OL1" in (await bot.send(user.callback("course:killok:OL1")))[-1]
    cancelled = catalogue.run(lambda s: s.scalars(select(Course.code).where(Course.cancelled.is_(True))).all())
    assert cancelled == []


async def test_the_roster_export_lists_the_phone_roster_in_its_order_with_the_class_state(
        bot: BotHarness, catalogue: Database, user: UpdateFactory, tmp_path: Path) -> None:
    """Walkthrough as HR: the Excel roster listed cancelled registrations (first: rows sorted by the status's
    text), said "3 dòng" where the phone showed 2 people, kept registration order, gave who registered as a bare
    code, and read "Đang mở" for a class whose registration had closed. Now it lists the phone roster's people
    in its order (seated by name, then the waiting list by place), the registrar by name, and the class's state."""
    from datetime import date

    from sqlalchemy import update

    from benchmarks.synthetic import write_course
    from db.models import Cadre
    from domain import registration

    def own(code: str) -> None:  # the cadre registers themself
        catalogue.run(lambda s: registration.register(
            s, s.scalars(select(Cadre).where(Cadre.code == code)).one(), "EXP", TODAY, code))

    catalogue.run(accounts.grant_hr, "MAU004")
    catalogue.run(import_courses, write_course(tmp_path / "exp.csv", "EXP", 2, date(2027, 1, 20)))
    own("MAU016")  # Vũ Văn Nam: a seat, cancelled below
    catalogue.run(registration.register_on_behalf, "MAU004", "MAU013", "EXP", TODAY)  # Sùng A Long, by HR
    own("MAU017")  # Bùi Thị Trang: waiting 1, then seated when Nam cancels
    own("MAU011")  # Hoàng Thị Yến: waiting
    catalogue.run(lambda s: registration.cancel(
        s, s.scalars(select(Cadre).where(Cadre.code == "MAU016")).one(), "EXP", TODAY, "MAU016"))
    await link(bot, user, HR_PHONE)

    async def phone_and_file() -> tuple[list[str], str, list[tuple[object, ...]], str]:
        texts = await bot.send(user.callback("course:roster:EXP"))
        phone = re.findall(r"\((MAU\d+)\)", texts[-1])
        await bot.send(user.callback("course:rosterx:EXP"))
        doc = next(c for c in reversed(bot.api.calls) if c.method == "sendDocument")
        sheet = load_workbook(io.BytesIO(doc.files["document"][1])).active
        rows = list(sheet.iter_rows(min_row=5, values_only=True))
        return phone, str(sheet["A2"].value), rows, str(doc.params.get("caption"))

    phone, header, rows, caption = await phone_and_file()
    assert phone == ["MAU013", "MAU017", "MAU011"] == [r[0] for r in rows]  # Long, Trang, then the waiting; no Nam
    assert [r[5] for r in rows] == ["đã đăng ký", "đã đăng ký", "danh sách chờ"] and rows[2][6] == 1
    assert [r[8] for r in rows] == ["Phạm Thu Hương (MAU004)", "Bùi Thị Trang (MAU017)", "Hoàng Thị Yến (MAU011)"]
    assert "(3 người)" in caption and "mở đăng ký" in header and "Đang mở" not in header
    def move(**dates: date) -> None:
        catalogue.run(lambda s: s.execute(update(Course).where(Course.code == "EXP").values(**dates)))

    move(register_by=date(2026, 11, 20))
    header = (await phone_and_file())[1]
    assert "hết hạn đăng ký, chờ khai giảng" in header and "mở đăng ký" not in header
    move(start_date=date(2026, 11, 1))
    assert "đang học" in (await phone_and_file())[1]
    move(end_date=date(2026, 11, 20))
    assert "đã kết thúc" in (await phone_and_file())[1]
    catalogue.run(registration.cancel_course, "EXP", "MAU004", "Không đủ học viên")
    phone, header, rows, caption = await phone_and_file()  # a cancelled class: the people it had, as on the phone
    assert phone == ["MAU013", "MAU017", "MAU011"] == [r[0] for r in rows]
    assert "đã hủy" in header and "Không đủ học viên" in header and "(3 người)" in caption


# Attack on the cancellation's confirmation and the refusals' way back.


async def test_an_older_confirmation_does_not_cancel_with_a_reason_it_never_showed(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """Commit 94852c2: 'an older confirmation ... cancels nothing'. HR types reason A (confirmation 1), then reason
    B (confirmation 2), then presses confirmation 1's '✅ Xác nhận': the course is cancelled, with reason B, which
    the pressed message never read back."""
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR_PHONE)
    await bot.send(user.callback("course:kill:OL1"))
    first = (await bot.send(user.text("Giảng viên ốm")))[-1]
    assert "Lý do: “Giảng viên ốm”" in first
    first_ok = bot.last_buttons()[0]["callback_data"]
    second = (await bot.send(user.text("Trùng lịch họp tỉnh")))[-1]
    assert "Lý do: “Trùng lịch họp tỉnh”" in second
    texts = await bot.send(user.callback(first_ok))  # confirmation 1's button
    assert "lý do đã được thay" in texts[-1]
    state = catalogue.run(lambda s: s.execute(select(Course.cancelled, Course.cancel_reason)
                                              .where(Course.code == "OL1")).one())
    assert tuple(state) == (False, None), state


async def test_a_declined_confirmations_button_does_nothing_later(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """HR said 'Không' at confirmation 1 (reason A). Later HR opens '⛔ Hủy lớp' again and types reason B; the old,
    declined confirmation 1's '✅ Xác nhận' now cancels the class."""
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR_PHONE)
    await bot.send(user.callback("course:kill:OL1"))
    await bot.send(user.text("Giảng viên ốm"))
    declined_ok = bot.last_buttons()[0]["callback_data"]
    await bot.send(user.callback("course:killno:OL1"))
    await bot.send(user.callback("course:kill:OL1"))
    await bot.send(user.text("Trùng lịch họp tỉnh"))
    await bot.send(user.callback(declined_ok))  # the declined confirmation's button
    assert not catalogue.run(lambda s: s.scalar(select(Course.cancelled).where(Course.code == "OL1")))


async def test_a_refused_press_under_an_open_prompt_offers_no_menu_that_leaves_it_open(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """ff0c349: 'A refused typed value still gets none: its prompt stays open ... a menu press would leave it open
    behind the menu.' A refused *press* while a prompt waits gets '⬅️ Về menu' all the same: here the reason prompt
    of '⛔ Hủy lớp' and a premature '✅ Xác nhận'. After the menu, an ordinary question becomes the reason."""
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR_PHONE)
    await bot.send(user.callback("course:kill:OL1"))  # "Nhập lý do hủy lớp OL1"
    texts = await bot.send(user.callback("course:killok:OL1"))
    assert "Không có yêu cầu hủy lớp OL1" in texts[-1]
    offered = [b["text"] for b in bot.last_buttons()]
    await bot.send(user.callback(bot.last_buttons()[0]["callback_data"]))  # "⬅️ Về menu"
    texts = await bot.send(user.text("Lớp bồi dưỡng chuyển đổi số học ở đâu"))
    assert "⬅️ Về menu" not in offered and not any("Hủy lớp OL1" in t for t in texts), (offered, texts)


async def test_the_cancelled_roster_still_marks_someone_who_linked_after_the_cancellation(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """94852c2: the cancelled course's roster marks 'whom HR may have to tell another way'. The mark is computed from
    the link state when the roster is read, not when the course was cancelled: MAU013, unlinked at the cancellation
    (no notice was queued for him), links afterwards and loses the mark, though the bot never told him."""
    from domain import registration
    from tests.conftest import TODAY
    from tests.test_course_paths import LONG_PHONE

    catalogue.run(accounts.grant_hr, "MAU004")
    catalogue.run(registration.register_on_behalf, "MAU004", "MAU013", "OL1", TODAY)
    await link(bot, user, HR_PHONE)
    await bot.send(user.callback("course:kill:OL1"))
    await bot.send(user.text("Giảng viên ốm"))
    texts = await bot.send(user.callback("course:killok:OL1"))
    assert "Sùng A Long (MAU013)" in texts[0] and "chưa liên kết bot" in texts[0]
    long = UpdateFactory(user_id=713)
    await link(bot, long, LONG_PHONE)  # he links a day later
    assert not [c for c in bot.api.sent(chat_id=long.chat_id) if "đã bị hủy" in c.text]  # never told
    texts = await bot.send(user.callback("course:roster:OL1"))
    assert "Sùng A Long (MAU013) – Xã Minh Hương: chưa liên kết bot" in texts[-1], texts[-1]


async def test_cancelling_a_registration_says_who_is_told_and_who_got_the_seat(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """'Người đó sẽ được báo' was said of someone not linked, and the result did not say the first on the waiting
    list got the seat (second walkthrough as HR)."""
    catalogue.run(accounts.grant_hr, "MAU004")
    catalogue.run(lambda s: s.execute(update(Course).where(Course.code == "OL1").values(capacity=1)))
    catalogue.run(registration.register_on_behalf, "MAU004", "MAU005", "OL1", TODAY)
    catalogue.run(registration.register_on_behalf, "MAU004", "MAU010", "OL1", TODAY)  # waiting
    await link(bot, user, HR_PHONE)
    texts = await bot.send(user.callback("course:unreg:OL1:MAU005"))
    assert "chưa liên kết bot" in texts[-1] and "sẽ được báo qua bot" not in texts[-1]
    texts = await bot.send(user.callback("course:unregok:OL1:MAU005"))
    assert "hãy báo cách khác" in texts[0] and "Chỗ trống chuyển cho MAU010" in texts[0]


async def test_a_cancellation_confirmed_after_someone_registered_meanwhile_cancels_nothing(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """The confirmation said 7 people; someone registered meanwhile; confirming cancelled 8 without a word (second
    walkthrough as HR). The button carries the count it showed."""
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR_PHONE)
    await bot.send(user.callback("course:kill:OL1"))
    await bot.send(user.text("Giảng viên ốm"))
    confirm = bot.last_buttons()[0]["callback_data"]
    catalogue.run(registration.register_on_behalf, "MAU004", "MAU005", "OL1", TODAY)
    texts = await bot.send(user.callback(confirm))
    assert "người đăng ký đã đổi" in texts[-1]
    assert not catalogue.run(lambda s: s.scalar(select(Course.cancelled).where(Course.code == "OL1")))


async def test_a_cancellation_confirmed_after_one_left_and_another_joined_cancels_nothing(
        bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """The confirmation's tag counted people only: one leaving as another joined kept an old '✅ Xác nhận' valid
    for people it never showed (third attack). It names the people now."""
    catalogue.run(accounts.grant_hr, "MAU004")
    catalogue.run(registration.register_on_behalf, "MAU004", "MAU005", "OL1", TODAY)
    await link(bot, user, HR_PHONE)
    await bot.send(user.callback("course:kill:OL1"))
    await bot.send(user.text("Giảng viên ốm"))
    confirm = bot.last_buttons()[0]["callback_data"]
    catalogue.run(registration.cancel_on_behalf, "MAU004", "MAU005", "OL1", TODAY)
    catalogue.run(registration.register_on_behalf, "MAU004", "MAU010", "OL1", TODAY)
    texts = await bot.send(user.callback(confirm))
    assert "người đăng ký đã đổi" in texts[-1]
    assert not catalogue.run(lambda s: s.scalar(select(Course.cancelled).where(Course.code == "OL1")))
