"""Attack on today's changes (course-list preview, seat confirmation, behalf, evaluation give-back, CLI files)."""

from __future__ import annotations

import builtins
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.synthetic import write_course
from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Course
from domain import accounts
from domain import registration as reg
from domain.courses import import_courses
from tests.conftest import TODAY, BotHarness, link
from tests.test_cli_files import _counts, db_url, here, run  # noqa: F401  (fixtures)
from tests.test_evaluation import CADRE, MANAGER, eval_id, fill_and_submit
from tests.test_hr_upload import _as_hr, _cds01_list


def _capacity(db: Database, code: str) -> int:
    return db.run(lambda s: s.scalar(select(Course.capacity).where(Course.code == code)))


# --- course list: preview, then confirm -------------------------------------------------------------------


async def test_course_list_refused_at_confirmation_is_not_reported_as_imported(
        bot: BotHarness, roster: Database, user: UpdateFactory, tmp_path: Path) -> None:
    """Preview fine (capacity 500 -> 2, one registered); before HR confirms, two more register, so the row
    is refused at the confirmation and nothing is imported. The reply said "📥 Đã nhập danh sách lớp" and
    "Các dòng lỗi đã bỏ qua" (as if the good rows had been written), though nothing was."""
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    assert roster.run(reg.register_on_behalf, "MAU004", "MAU013", "CDS-01", TODAY).status == "registered"
    await _as_hr(bot, roster, user)
    bot.api.uploads["c2"] = _cds01_list(tmp_path / "lop.csv", ",500,", ",2,").read_bytes()
    texts = await bot.send(user.document("lop.csv", "c2"))
    assert "Xem trước danh sách lớp" in texts[-1] and "Số chỗ 500 → 2" in texts[-1]
    for code in ("MAU016", "MAU017"):  # others register while HR reads the preview
        roster.run(reg.register_on_behalf, "MAU004", code, "CDS-01", TODAY)
    texts = await bot.send(user.callback("upl:ok"))
    assert _capacity(roster, "CDS-01") == 500  # nothing imported ...
    assert "Đã nhập" not in texts[-1] and "đã bỏ qua" not in texts[-1], texts[-1]  # ... and the reply must say so


# --- seat count: typed, confirmed, pressed later ------------------------------------------------------------


async def test_a_stale_seat_confirmation_does_not_undo_a_later_change(
        bot: BotHarness, roster: Database, user: UpdateFactory, tmp_path: Path) -> None:
    """HR A is asked "Đổi số chỗ lớp ONE từ 1 thành 5?"; meanwhile the count becomes 50 (HR B, or a new list).
    A's old button then sets 5: the count drops from 50 to 5, a change nobody confirmed ("từ 1" was shown)."""
    roster.run(accounts.grant_hr, "MAU004")
    roster.run(import_courses, write_course(tmp_path / "one.csv", "ONE", 1, date(2027, 1, 20)))
    await link(bot, user, "0912345004")
    await bot.send(user.callback("course:capacity:ONE"))
    assert "từ 1 thành 5?" in (await bot.send(user.text("5")))[-1]
    roster.run(reg.set_capacity, "ONE", 50, "MAU005")  # another HR, confirmed meanwhile
    texts = await bot.send(user.callback(bot.last_buttons()[0]["callback_data"]))  # the "Có" shown
    assert _capacity(roster, "ONE") == 50
    assert "đã được đổi thành 50" in texts[-1] and "chưa đổi gì" in texts[-1], texts[-1]


# --- evaluation: the unsent edit given back ------------------------------------------------------------------


async def test_an_edit_opened_but_not_changed_is_not_announced_as_an_unsent_edit(
        bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """The cadre pressed "Sửa" and typed nothing; the manager rated. The notice says "Bản sửa bạn đang soạn chưa
    gửi nên không được tính" and gives back the submitted results as "Nội dung bạn đã gõ": the cadre is told
    an edit of theirs was not counted when nothing differed from what was rated."""
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    await bot.send(user.callback(f"eval:edit:{eval_id(roster)}"))
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MANAGER)
    await bot.send(manager.callback(f"rev:nocomment:{eval_id(roster)}:1"))
    await bot.send(manager.callback(f"rev:ok:{eval_id(roster)}:1"))
    notice = next(c.text for c in bot.api.sent(chat_id=user.user_id) if "đã được xếp loại" in c.text)
    assert "chưa gửi nên không được tính" not in notice, notice


# --- CLI: an output that cannot be written -------------------------------------------------------------------


def test_invites_are_not_made_when_their_file_cannot_be_written(
        here: Path, capsys: pytest.CaptureFixture[str], db_url: str,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """check_outputs promises "no invite made whose link is lost", but checks only a missing directory and a
    directory path: a file the operator may not write (read-only share, another user's file) fails after the
    invites were committed; their links are printed nowhere."""
    real_open = builtins.open

    def refuse(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == "moi.csv":
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    before = _counts(db_url)
    monkeypatch.setattr(builtins, "open", refuse)
    code, _, err = run(capsys, "invite", "--unit", "XMH", "--out", "moi.csv")
    monkeypatch.setattr(builtins, "open", real_open)
    assert code == 2 and "Không có quyền ghi tệp moi.csv" in err
    assert _counts(db_url)[1] == before[1], "invites committed, their links lost"


async def test_a_course_list_retry_names_the_button_it_shows(bot: BotHarness, roster: Database,
                                                             user: UpdateFactory) -> None:
    """No network when HR confirms a course list: the reply said to press “Ghi vào hồ sơ”, the roster's button;
    the course list's is “Nhập danh sách lớp”."""
    from telegram.error import NetworkError

    await _as_hr(bot, roster, user)
    bot.api.uploads["c1"] = (DEMO_DATA / "courses.csv").read_bytes()
    await bot.send(user.document("lop.csv", "c1"))
    bot.api.fail("getFile", NetworkError("connection reset"))
    texts = await bot.send(user.callback("upl:ok"))
    assert "Nhập danh sách lớp" in texts[-1] and "Ghi vào hồ sơ" not in texts[-1], texts[-1]
    assert "Đã nhập danh sách lớp" in (await bot.send(user.callback("upl:ok")))[-1]
