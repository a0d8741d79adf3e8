"""HR sends the roster or the course list to the bot as a file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select, update

from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Cadre, Course, Outbox, Registration
from domain import accounts
from handlers.text_router import CHOOSE
from tests.conftest import SAMPLE_ROSTER, BotHarness, link
from tests.test_terminal_chat import run_chat


def _cds01_list(path: Path, old: str = ",500,", new: str = ",500,") -> Path:
    """The demo list's CDS-01 alone, one field replaced."""
    lines = (DEMO_DATA / "courses.csv").read_text(encoding="utf-8").splitlines()
    row = next(line for line in lines if line.startswith("CDS-01,"))
    path.write_text(lines[0] + "\n" + row.replace(old, new) + "\n", encoding="utf-8")
    return path


def _one_seat_one_waiting(roster: Database, tmp_path: Path) -> Path:
    """CDS-01 with one seat: MAU013 has it, MAU016 (linked) waits. Returns the list's file."""
    from domain import registration as reg
    from domain.courses import import_courses
    from tests.conftest import TODAY

    path = _cds01_list(tmp_path / "lop.csv", ",500,", ",1,")
    roster.run(import_courses, path)
    roster.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "MAU016").values(telegram_chat_id=16)))
    assert roster.run(reg.register_on_behalf, "MAU004", "MAU013", "CDS-01", TODAY).status == "registered"
    assert roster.run(reg.register_on_behalf, "MAU004", "MAU016", "CDS-01", TODAY).status == "waitlisted"
    return path


async def _as_hr(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")


async def test_hr_uploads_courses_then_roster(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await _as_hr(bot, roster, user)
    bot.api.uploads["c1"] = (DEMO_DATA / "courses.csv").read_bytes()
    texts = await bot.send(user.document("lop.csv", "c1"))
    assert "Xem trước danh sách lớp" in texts[-1] and "chưa ghi gì" in texts[-1] and "Lớp: thêm 6" in texts[-1]
    assert "CDS-01: lớp mới, 05/01/2027 – 09/01/2027, 500 chỗ" in texts[-1]  # a new class named, not only counted
    assert roster.run(lambda s: s.scalar(select(func.count(Course.id)))) == 0  # a preview writes nothing
    texts = await bot.send(user.callback("upl:ok"))
    assert "Đã nhập danh sách lớp" in texts[-1] and "Lớp: thêm 6" in texts[-1]
    assert roster.run(lambda s: s.scalar(select(func.count(Course.id)))) == 6
    bot.api.uploads["r1"] = SAMPLE_ROSTER.read_bytes()
    texts = await bot.send(user.document("canbo.csv", "r1"))
    assert "Xem trước danh sách cán bộ" in texts[-1] and "không đổi 16" in texts[-1]
    texts = await bot.send(user.callback("upl:ok"))
    assert "Đã nhập danh sách cán bộ" in texts[-1] and "không đổi 16" in texts[-1]


async def test_bad_rows_refused_then_skipped_by_caption(bot: BotHarness, roster: Database,
                                                        user: UpdateFactory) -> None:
    await _as_hr(bot, roster, user)
    lines = (DEMO_DATA / "courses.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("LLCT_CAO_CAP", "SAI")
    bot.api.uploads["bad"] = ("\n".join(lines) + "\n").encode()
    texts = await bot.send(user.document("lop.csv", "bad"))
    assert "Chưa nhập gì" in texts[-1] and "Dòng 2 (CC-K26)" in texts[-1]
    texts = await bot.send(user.document("lop.csv", "bad", caption="Bỏ dòng lỗi"))
    assert "Lớp: thêm 5" in texts[-1] and "Các dòng lỗi đã bỏ qua" in texts[-1]
    assert "Đã nhập danh sách lớp" in (await bot.send(user.text("nhập danh sách lớp")))[-1]  # typed label
    assert roster.run(lambda s: s.scalar(select(func.count(Course.id)))) == 5


async def test_non_hr_and_wrong_files(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345013")
    assert "Bot không xử lý tệp" in (await bot.send(user.document("x.xlsx")))[-1]
    await _as_hr(bot, roster, UpdateFactory(user_id=555004))
    hr = UpdateFactory(user_id=555004)
    assert "Chỉ nhận tệp .xlsx hoặc .csv" in (await bot.send(hr.document("anh.jpg")))[-1]
    assert "quá lớn" in (await bot.send(hr.document("big.xlsx", size=50 * 1024 * 1024)))[-1]
    bot.api.uploads["bin"] = bytes(range(256))
    assert "nhị phân" in (await bot.send(hr.document("x.csv", "bin")))[-1]


def test_terminal_file_command(tmp_path: Path) -> None:
    out = run_chat(tmp_path, ["/contact", f"/file {DEMO_DATA / 'courses.csv'}", "/file /khong/co.csv"],
                   "--as", "MAU004")
    assert "không có gì thay đổi" in out and "không đổi 6" in out  # the demo has these courses already
    assert "Không đọc được tệp /khong/co.csv" in out


async def test_the_roster_preview_is_confirmed_by_typing_its_label(bot: BotHarness, roster: Database,
                                                                    user: UpdateFactory) -> None:
    await _as_hr(bot, roster, user)
    bot.api.uploads["r1"] = SAMPLE_ROSTER.read_bytes()
    texts = await bot.send(user.document("canbo.csv", "r1"))
    assert "Xem trước danh sách cán bộ" in texts[-1]
    assert (await bot.send(user.text("bao nhiêu cán bộ phải học cao cấp")))[-1] == CHOOSE  # never an answer
    texts = await bot.send(user.text("ghi vao ho so"))
    assert "Đã nhập danh sách cán bộ" in texts[-1]


async def test_a_file_telegram_no_longer_has_ends_the_preview_and_asks_for_it_again(
        bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """The roster is fetched again at confirmation; if Telegram has lost it the preview ends with a clear
    message (it used to fail with a generic error and leave the preview open forever)."""
    await _as_hr(bot, roster, user)
    bot.api.uploads["r1"] = SAMPLE_ROSTER.read_bytes()
    await bot.send(user.document("canbo.csv", "r1"))
    del bot.api.uploads["r1"]
    texts = await bot.send(user.callback("upl:ok"))
    assert "Không tải lại được tệp canbo.csv" in texts[-1] and "gửi lại tệp" in texts[-1]
    assert "Không có tệp nào đang chờ" in (await bot.send(user.callback("upl:ok")))[-1]


async def test_no_network_at_confirmation_keeps_the_preview_for_another_try(
        bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    from telegram.error import NetworkError

    await _as_hr(bot, roster, user)
    bot.api.uploads["r1"] = SAMPLE_ROSTER.read_bytes()
    await bot.send(user.document("canbo.csv", "r1"))
    bot.api.fail("getFile", NetworkError("no route to host"))
    texts = await bot.send(user.callback("upl:ok"))
    assert "thử lại" in texts[-1] and "Đã nhập" not in texts[-1]
    assert "Đã nhập danh sách cán bộ" in (await bot.send(user.callback("upl:ok")))[-1]


async def test_a_command_that_ends_the_preview_says_so(bot: BotHarness, roster: Database,
                                                       user: UpdateFactory) -> None:
    """Opening /courses ends the roster preview (a command is a new intention); it used to vanish silently."""
    await _as_hr(bot, roster, user)
    bot.api.uploads["r1"] = SAMPLE_ROSTER.read_bytes()
    await bot.send(user.document("canbo.csv", "r1"))
    texts = await bot.send(user.text("/courses"))
    assert any("Đã bỏ bản xem trước tệp canbo.csv" in t and "chưa ghi gì" in t for t in texts)
    assert "Không có tệp nào đang chờ" in (await bot.send(user.callback("upl:ok")))[-1]
    texts = await bot.send(user.text("/courses"))  # said once
    assert not any("Đã bỏ bản xem trước" in t for t in texts)


async def test_a_course_moved_by_a_new_list_is_announced_to_its_registrants(bot: BotHarness, roster: Database,
                                                                             user: UpdateFactory) -> None:
    """A re-imported course list that changes a class's dates or place tells the people registered (walkthrough 9)."""
    from domain import registration as reg
    from tests.conftest import TODAY

    await _as_hr(bot, roster, user)
    bot.api.uploads["c1"] = (DEMO_DATA / "courses.csv").read_bytes()
    await bot.send(user.document("lop.csv", "c1"))
    await bot.send(user.callback("upl:ok"))
    cadre = UpdateFactory(user_id=1013)
    await link(bot, cadre, "0912345013")
    roster.run(reg.register_on_behalf, "MAU004", "MAU013", "CDS-01", TODAY)
    lines = (DEMO_DATA / "courses.csv").read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("CDS-01,"))
    old_start = lines[row].split(",")[5]
    lines[row] = lines[row].replace(old_start, "06/01/2027", 1)
    bot.api.uploads["c2"] = ("\n".join(lines) + "\n").encode()
    texts = await bot.send(user.document("lop.csv", "c2"))
    assert "cập nhật 1" in texts[-1] and "1 người đã đăng ký hoặc đang chờ; báo qua bot 1 người" in texts[-1]
    assert f"CDS-01: Ngày bắt đầu {old_start} → 06/01/2027" in texts[-1]
    assert not roster.run(lambda s: s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "course-moved")))
    texts = await bot.send(user.callback("upl:ok"))
    assert any("cập nhật 1" in t and "1 người đã đăng ký hoặc đang chờ; báo qua bot 1 người" in t for t in texts)
    told = roster.run(lambda s: list(s.scalars(select(Outbox.payload).where(Outbox.kind == "course-moved"))))
    assert len(told) == 1 and "CDS-01" in told[0] and "06/01/2027" in told[0] and old_start in told[0]
    await bot.send(user.document("lop.csv", "c2"))  # the same list again: nothing changed, nobody told twice
    await bot.send(user.callback("upl:ok"))
    assert roster.run(lambda s: s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "course-moved"))) == 1


def test_a_class_moved_back_and_forth_is_announced_each_time(roster: Database, tmp_path: Path) -> None:
    """A → B → A → B: each move is news to the people registered (the third used to be taken for the first)."""
    from domain import registration as reg
    from domain.courses import import_courses
    from tests.conftest import TODAY

    lines = (DEMO_DATA / "courses.csv").read_text(encoding="utf-8").splitlines()
    header, row = lines[0], next(line for line in lines if line.startswith("CDS-01,"))
    told = []
    for place in ("Hội trường A", "Hội trường B", "Hội trường A", "Hội trường B"):
        path = tmp_path / "lop.csv"
        path.write_text(header + "\n" + row.replace(",Trực tuyến,Mọi cán bộ", f",{place},Mọi cán bộ") + "\n",
                        encoding="utf-8")
        told.append(roster.run(import_courses, path).told)
        if len(told) == 1:
            roster.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "MAU013").values(telegram_chat_id=13)))
            roster.run(reg.register_on_behalf, "MAU004", "MAU013", "CDS-01", TODAY)
    assert told == [0, 1, 1, 1]


def test_seats_a_new_list_adds_go_to_the_waiting_list(roster: Database, tmp_path: Path) -> None:
    """domain.md: a freed seat goes to the first in line, who is told; so does a seat a new course list adds."""
    from domain.registration import import_course_list

    path = _one_seat_one_waiting(roster, tmp_path)
    result = roster.run(import_course_list, _cds01_list(path, ",500,", ",2,"))
    assert result.promoted == 1 and "1 người trong danh sách chờ có chỗ; báo qua bot 1 người" in result.summary
    status = roster.run(lambda s: s.scalar(select(Registration.status).join(Cadre, Cadre.id == Registration.cadre_id)
                                           .where(Cadre.code == "MAU016")))
    assert status == "registered"


def test_a_moved_class_tells_a_waiting_person_they_are_still_waiting() -> None:
    from datetime import date

    from domain.courses import _moved_text

    before = {"code": "X", "name": "Lớp X", "start_date": date(2027, 1, 5), "end_date": date(2027, 1, 9),
              "location": "A", "kind": "VTVL"}
    after = {**before, "location": "B"}
    assert "Bạn vẫn trong danh sách chờ" in _moved_text(before, after, waiting=True)
    assert "Đăng ký của bạn vẫn giữ" in _moved_text(before, after, waiting=False)


def test_a_seat_in_a_class_that_has_started_says_it_has_started(roster: Database, tmp_path: Path) -> None:
    """A seat added after the start used to announce "Khai giảng <a past date>" (walkthrough)."""
    from datetime import date

    from domain import registration as reg

    _one_seat_one_waiting(roster, tmp_path)
    roster.run(lambda s: s.execute(update(Course).where(Course.code == "CDS-01").values(start_date=date(2026, 1, 5))))
    roster.run(reg.set_capacity, "CDS-01", 2, "MAU004")
    told = roster.run(lambda s: s.scalar(select(Outbox.payload).where(Outbox.kind == "waitlist-promoted")))
    assert "đã khai giảng ngày 05/01/2026" in told


async def test_the_roster_preview_names_each_person_and_change(bot: BotHarness, roster: Database,
                                                               user: UpdateFactory) -> None:
    """The preview gave counts per field only: a typo that raised someone's level went unseen (walkthrough)."""
    await _as_hr(bot, roster, user)
    lines = SAMPLE_ROSTER.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("MAU005,"))
    lines[row] = lines[row].replace(",Cao đẳng,", ",Đại hoc,", 1).replace("0912345005", "0987654321", 1)
    bot.api.uploads["r2"] = ("\n".join(lines) + "\n").encode()
    texts = await bot.send(user.document("canbo.csv", "r2"))
    assert "Xem trước danh sách cán bộ" in texts[-1] and "XEM TRƯỚC" not in texts[-1]  # said once
    assert ("MAU005 Triệu Văn Sơn: Số điện thoại: 0912345005 → 0987654321; Trình độ chuyên môn: Cao đẳng → Đại học"
            in texts[-1])  # every field by its column's name


def test_a_training_year_in_the_future_is_refused(roster: Database, tmp_path: Path) -> None:
    from domain.roster import import_roster

    lines = SAMPLE_ROSTER.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("MAU016,"))
    cells = lines[row].split(",")
    cells[22] = "2027"  # BD chuyển đổi số AI: a training not yet done cannot be on the record
    lines[row] = ",".join(cells)
    path = tmp_path / "future.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = roster.run(import_roster, path)
    assert not result.applied and any(e.code == "MAU016" and "2027" in e.reason for e in result.rejected)


async def test_a_course_list_that_changes_nothing_offers_nothing_to_import(bot: BotHarness, roster: Database,
                                                                          user: UpdateFactory) -> None:
    """The same list again still offered “✅ Nhập danh sách lớp” and spoke of notices that were none
    (walkthrough)."""
    await _as_hr(bot, roster, user)
    bot.api.uploads["c1"] = (DEMO_DATA / "courses.csv").read_bytes()
    await bot.send(user.document("lop.csv", "c1"))
    await bot.send(user.callback("upl:ok"))
    texts = await bot.send(user.document("lop.csv", "c1"))
    assert "không đổi 6" in texts[-1] and "không có gì thay đổi" in texts[-1]
    assert "Bấm “✅" not in texts[-1] and "thông báo" not in texts[-1]
    assert "Không có tệp nào đang chờ" in (await bot.send(user.callback("upl:ok")))[-1]


def test_a_move_counts_the_people_told_not_the_notices(roster: Database, tmp_path: Path) -> None:
    """"báo 7 người" counted notices: a person in two moved classes was counted twice (walkthrough)."""
    from benchmarks.synthetic import write_course
    from domain import registration as reg
    from domain.courses import import_courses

    first = roster.run(import_courses, write_course(tmp_path / "a.csv", "MA", 5, date(2027, 1, 20)))
    roster.run(import_courses, write_course(tmp_path / "b.csv", "MB", 5, date(2027, 3, 20)))
    assert first.applied
    cadre_id = roster.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == "MAU013")))
    roster.run(lambda s: s.execute(update(Cadre).where(Cadre.id == cadre_id).values(telegram_chat_id=1013)))
    for code in ("MA", "MB"):
        roster.run(reg.register_self, cadre_id, code, date(2026, 11, 26))
    both = tmp_path / "both.csv"
    lines = write_course(tmp_path / "a2.csv", "MA", 5, date(2027, 1, 27)).read_text(encoding="utf-8").splitlines()
    lines += write_course(tmp_path / "b2.csv", "MB", 5, date(2027, 3, 27)).read_text(encoding="utf-8").splitlines()[1:]
    both.write_text("\n".join(lines) + "\n", encoding="utf-8")
    moved = roster.run(import_courses, both)
    assert moved.updated == 2 and moved.told == 1


async def test_a_roster_preview_names_the_new_cadres(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """The preview named every changed cadre but only counted new ones ('thêm 1'): HR could not see who a file
    adds before confirming (noticed and left alone last session)."""
    await _as_hr(bot, roster, user)
    lines = SAMPLE_ROSTER.read_text(encoding="utf-8").splitlines()
    newcomer = lines[-1].replace("MAU021", "MAU030").replace("Đặng Thị Linh", "Lò Văn Mới").replace(
        "0912345021", "0912345030")
    bot.api.uploads["r2"] = ("\n".join([*lines, newcomer]) + "\n").encode()
    texts = await bot.send(user.document("canbo.csv", "r2"))
    assert "thêm 1" in texts[-1] and "• Mới: MAU030 Lò Văn Mới" in texts[-1]


async def test_a_moved_class_counts_everyone_it_concerns_not_only_the_linked(bot: BotHarness, roster: Database,
                                                                             user: UpdateFactory,
                                                                             tmp_path: Path) -> None:
    """A class with 3 registered and 1 waiting, none of them linked, changed dates: the preview counted only the
    people it could message, said nothing, and HR concluded nobody was affected (walkthrough as HR)."""
    from domain import registration as reg
    from domain.courses import import_courses
    from tests.conftest import TODAY

    path = _cds01_list(tmp_path / "lop.csv", ",500,", ",3,")
    roster.run(import_courses, path)
    for code in ("MAU005", "MAU010", "MAU013", "MAU016"):
        roster.run(reg.register_on_behalf, "MAU004", code, "CDS-01", TODAY)
    await _as_hr(bot, roster, user)
    bot.api.uploads["moved"] = path.read_text(encoding="utf-8").replace("05/01/2027", "06/01/2027").encode()
    texts = await bot.send(user.document("lop.csv", "moved"))
    assert ("Lớp đổi lịch, địa điểm hoặc loại: 4 người đã đăng ký hoặc đang chờ; báo qua bot 0 người; 4 người chưa "
            "liên kết Telegram nên không nhận được tin – cần báo cách khác") in texts[-1]
    cadre = UpdateFactory(user_id=1013)
    await link(bot, cadre, "0912345013")
    texts = await bot.send(user.document("lop.csv", "moved"))
    assert "4 người đã đăng ký hoặc đang chờ; báo qua bot 1 người; 3 người chưa liên kết Telegram" in texts[-1]
    texts = await bot.send(user.callback("upl:ok"))
    assert any("Đã nhập danh sách lớp" in t and "báo qua bot 1 người; 3 người chưa liên kết" in t for t in texts)
    assert any("CDS-01" in c.text and "06/01/2027" in c.text for c in bot.api.sent(chat_id=cadre.chat_id))


async def test_a_new_file_says_which_preview_it_replaced_and_an_old_button_keeps_the_current_one(
        bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """A completion sheet's preview, then a roster file: the roster's preview came with no word that the first was
    dropped; then the completion preview's button, which could do nothing any more, ended the roster's preview
    ("ℹ️ Đã bỏ bản xem trước tệp roster_orig.csv…") (walkthrough as HR)."""
    from datetime import date

    from domain import registration as reg
    from domain.courses import import_courses
    from tests.conftest import TODAY

    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(reg.register_on_behalf, "MAU004", "MAU010", "CC-K26", TODAY)
    roster.run(lambda s: s.execute(update(Course).where(Course.code == "CC-K26").values(start_date=date(2026, 11, 1))))
    await _as_hr(bot, roster, user)
    bot.api.uploads["kq"] = "Mã cán bộ,Họ và tên\nMAU010,Ma Văn Chiến\n".encode()
    texts = await bot.send(user.document("ket-qua.csv", "kq", caption="CC-K26"))
    assert "Xem trước: hoàn thành lớp CC-K26" in texts[-1]
    bot.api.uploads["r1"] = SAMPLE_ROSTER.read_bytes()
    texts = await bot.send(user.document("roster_orig.csv", "r1"))
    assert any("Đã bỏ bản xem trước tệp ket-qua.csv" in t and "chưa ghi gì" in t for t in texts)
    assert "Xem trước danh sách cán bộ" in texts[-1]
    for stale in (user.text("Ghi nhận 1 người"), user.callback("cpl:ok")):  # typed, then pressed
        texts = await bot.send(stale)
        assert not any("Đã bỏ bản xem trước tệp roster_orig.csv" in t for t in texts)
        assert [b["callback_data"].rsplit(":", 1)[0] for b in bot.api.sent()[-1].buttons] == ["upl:ok", "upl:no"]
    assert "Nút đó thuộc một bước đã kết thúc" in texts[-1]
    texts = await bot.send(user.callback("upl:ok"))
    assert "Đã nhập danh sách cán bộ" in texts[-1]
    assert not roster.run(lambda s: s.scalar(select(func.count(Registration.id)).where(
        Registration.status == "completed")))

    await bot.send(user.document("roster_orig.csv", "r1"))  # and the other way round
    texts = await bot.send(user.document("ket-qua.csv", "kq", caption="CC-K26"))
    assert any("Đã bỏ bản xem trước tệp roster_orig.csv" in t for t in texts)
    assert "Xem trước: hoàn thành lớp CC-K26" in texts[-1]
    texts = await bot.send(user.callback("upl:ok"))
    assert "Nút đó thuộc một bước đã kết thúc" in texts[-1]
    assert [b["callback_data"].split(":")[1] for b in bot.api.sent()[-1].buttons] == ["ok", "no"]


# Attack: an older preview's button, after a new file replaced that preview.


async def test_the_replaced_previews_button_does_not_import_the_new_file(
        bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """A roster preview (button '✅ Ghi vào hồ sơ', upl:ok), then a course list: the bot says the roster's preview
    was dropped. Pressing the roster preview's '✅ Ghi vào hồ sơ' imports the course list, whose own button
    ('✅ Nhập danh sách lớp') was not pressed: both carry 'upl:ok'."""
    await _as_hr(bot, roster, user)
    bot.api.uploads["r1"] = SAMPLE_ROSTER.read_bytes()
    texts = await bot.send(user.document("canbo.csv", "r1"))
    assert "Xem trước danh sách cán bộ" in texts[-1]
    roster_buttons = bot.last_buttons()
    bot.api.uploads["c1"] = (DEMO_DATA / "courses.csv").read_bytes()
    texts = await bot.send(user.document("lop.csv", "c1"))
    assert any("Đã bỏ bản xem trước tệp canbo.csv" in t for t in texts)
    assert roster_buttons[0]["text"] == "✅ Ghi vào hồ sơ"
    texts = await bot.send(user.callback(roster_buttons[0]["callback_data"]))  # the older message's button
    assert roster.run(lambda s: s.scalar(select(func.count(Course.id)))) == 0, texts


async def test_an_older_completion_previews_button_does_not_record_the_newer_sheet(
        bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """Completion preview of CC-K26 (Ma Văn Chiến), then a sheet for CDS-01 (Sùng A Long): the bot says the first
    preview was dropped; its '✅ Ghi nhận 1 người' (cpl:ok) then records the CDS-01 completion it never showed."""
    from datetime import date

    from sqlalchemy import update

    from db.models import Registration
    from domain import registration as reg
    from domain.courses import import_courses
    from tests.conftest import TODAY

    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(reg.register_on_behalf, "MAU004", "MAU010", "CC-K26", TODAY)
    roster.run(reg.register_on_behalf, "MAU004", "MAU013", "CDS-01", TODAY)
    roster.run(lambda s: s.execute(update(Course).where(Course.code.in_(["CC-K26", "CDS-01"]))
                                   .values(start_date=date(2026, 11, 1))))
    await _as_hr(bot, roster, user)
    bot.api.uploads["kq1"] = "Mã cán bộ,Họ và tên\nMAU010,Ma Văn Chiến\n".encode()
    texts = await bot.send(user.document("kq-cc.csv", "kq1", caption="CC-K26"))
    assert "Xem trước: hoàn thành lớp CC-K26" in texts[-1]
    first = bot.last_buttons()
    bot.api.uploads["kq2"] = "Mã cán bộ,Họ và tên\nMAU013,Sùng A Long\n".encode()
    texts = await bot.send(user.document("kq-cds.csv", "kq2", caption="CDS-01"))
    assert any("Đã bỏ bản xem trước tệp kq-cc.csv" in t for t in texts), texts
    assert "Xem trước: hoàn thành lớp CDS-01" in texts[-1]
    texts = await bot.send(user.callback(first[0]["callback_data"]))  # CC-K26's preview button
    done = roster.run(lambda s: s.scalar(select(func.count(Registration.id)).where(
        Registration.status == "completed")))
    assert done == 0, (first, texts)


async def test_a_roster_extract_is_not_taken_for_a_completion_sheet(bot: BotHarness, roster: Database,
                                                                    user: UpdateFactory) -> None:
    """A file with 'Mã cán bộ, Họ và tên, Số điện thoại' was read as a completion sheet and HR was asked which
    class it completes; an extract with a roster column was refused as having no header row (second walkthrough
    as HR). It is a roster, and the refusal names the header row and the columns it lacks."""
    await _as_hr(bot, roster, user)
    bot.api.uploads["x1"] = "Mã cán bộ,Họ và tên,Số điện thoại\nMAU010,Ma Văn Chiến,0912345010\n".encode()
    texts = await bot.send(user.document("trich.csv", "x1"))
    assert "lớp nào" not in texts[-1] and "Dòng tiêu đề (dòng 1) thiếu cột bắt buộc" in texts[-1]
    assert "Mã đơn vị" in texts[-1]
