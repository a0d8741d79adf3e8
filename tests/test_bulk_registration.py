"""HR registers a list of cadres for courses from a file sent to the bot, with a report row by row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Registration
from domain import accounts
from domain.courses import import_courses
from tests.conftest import BotHarness, link

GOOD = "Mã cán bộ,Họ và tên,Mã lớp\nMAU013,Sùng A Long,CDS-01\nmau016,Vũ Văn Nam,cds-01\n"
BAD = GOOD + "MAU999,Không có,CDS-01\nMAU004,Phạm Thu Hương,CC-K26\n"


def _count(db: Database) -> int:
    return db.run(lambda s: s.scalar(select(func.count(Registration.id))))


async def test_bulk_registration_report_row_by_row(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    cadre = UpdateFactory(user_id=1013)
    await link(bot, cadre, "0912345013")
    await link(bot, user, "0912345004")
    bot.api.uploads["bad"] = BAD.encode()
    texts = await bot.send(user.document("dang-ky.csv", "bad"))
    assert "Chưa nhập gì" in texts[-1] and "2 dòng lỗi" in texts[-1]
    assert "Dòng 4 (MAU999)" in texts[-1] and "Không có cán bộ mã MAU999" in texts[-1]
    assert "Dòng 5 (MAU004)" in texts[-1] and "dành cho" in texts[-1]
    assert _count(roster) == 0
    texts = await bot.send(user.document("dang-ky.csv", "bad", caption="bỏ dòng lỗi"))
    assert "Xem trước danh sách đăng ký lớp" in texts[-1] and "chưa đăng ký ai" in texts[-1]
    assert "MAU013 → CDS-01 (Sùng A Long)" in texts[-1] and "Dòng 4 (MAU999)" in texts[-1]  # who, rows left out
    assert _count(roster) == 0 and not bot.api.sent(chat_id=cadre.chat_id)[-1].text.startswith("Ban Tổ chức")
    texts = await bot.send(user.text("đăng ký những người trên"))  # the preview's button, typed
    done = next(t for t in texts if "Đã nhập" in t)
    assert "Đã nhập danh sách đăng ký lớp" in done and "2 người có chỗ" in done
    assert "MAU013 → CDS-01" in done and "MAU016 → CDS-01" in done and "Dòng 4 (MAU999)" in done
    assert _count(roster) == 2
    assert any("Ban Tổ chức đã đăng ký cho bạn lớp CDS-01" in c.text for c in bot.api.sent(chat_id=cadre.chat_id))
    bot.api.uploads["good"] = GOOD.encode()
    texts = await bot.send(user.document("lai.csv", "good"))  # the same people again: refused, nothing doubled
    assert "Chưa nhập gì" in texts[-1] and "đã đăng ký" in texts[-1] and _count(roster) == 2


async def test_only_hr_can_send_the_file(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345013")
    bot.api.uploads["good"] = GOOD.encode()
    assert "Bot không xử lý tệp" in (await bot.send(user.document("dang-ky.csv", "good")))[-1]


async def test_a_name_that_differs_from_the_record_refuses_its_row(bot: BotHarness, roster: Database,
                                                                   user: UpdateFactory) -> None:
    """A mistyped code would register someone else: the row's "Họ và tên", where given, must match the record."""
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    wrong = "Mã cán bộ,Họ và tên,Mã lớp\nMAU016,Sùng A Long,CDS-01\nMAU013,sung a long,CDS-01\n"
    bot.api.uploads["wrong"] = wrong.encode()
    texts = await bot.send(user.document("dang-ky.csv", "wrong"))
    assert "Dòng 2 (MAU016)" in texts[-1] and "khác hồ sơ" in texts[-1] and _count(roster) == 0
    bot.api.uploads["codes"] = b"M\xc3\xa3 c\xc3\xa1n b\xe1\xbb\x99,M\xc3\xa3 l\xe1\xbb\x9bp\nMAU016,CDS-01\n"
    texts = await bot.send(user.document("chi-ma.csv", "codes"))  # no name column: the code alone, as before
    await bot.send(user.callback("upl:ok"))
    assert _count(roster) == 1


async def test_a_preview_overtaken_by_other_registrations_is_shown_again_not_imported(
        bot: BotHarness, roster: Database, user: UpdateFactory, tmp_path: Path) -> None:
    """The preview said MAU013 gets a seat; someone took the last seat before HR confirmed; the confirmation
    put MAU013 on the waiting list without a word (walkthrough). Now the new outcome is shown, and confirmed."""
    from datetime import date

    from benchmarks.synthetic import write_course
    from domain import registration as reg

    roster.run(import_courses, write_course(tmp_path / "one.csv", "ONE", 1, date(2027, 1, 20)))
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    bot.api.uploads["one"] = "Mã cán bộ,Họ và tên,Mã lớp\nMAU013,Sùng A Long,ONE\n".encode()
    texts = await bot.send(user.document("dang-ky.csv", "one"))
    assert "✅ MAU013 → ONE (Sùng A Long)" in texts[-1]
    roster.run(reg.register_on_behalf, "MAU004", "MAU016", "ONE", date(2026, 11, 26))  # the last seat goes
    texts = await bot.send(user.callback("upl:ok"))
    assert "Dữ liệu đã thay đổi từ lúc xem trước" in texts[-1]
    assert "⏳ MAU013 → ONE (Sùng A Long) (danh sách chờ)" in texts[-1]
    assert _count(roster) == 1  # nothing imported on the stale confirmation
    texts = await bot.send(user.callback("upl:ok"))
    assert any("Đã nhập danh sách đăng ký lớp" in t for t in texts) and _count(roster) == 2


async def test_the_preview_says_who_hears_through_the_bot_and_who_must_be_told_another_way(
        bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """The preview always said "(mỗi người được báo qua bot)", also when nobody listed had linked Telegram, so HR
    took it that everyone would hear (walkthrough as HR). Now it says how many people the list concerns, how many
    of them hear through the bot, and marks each one who does not."""
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    bot.api.uploads["good"] = GOOD.encode()
    texts = await bot.send(user.document("dang-ky.csv", "good"))
    assert "mỗi người được báo qua bot" not in texts[-1]
    assert ("2 người được đăng ký hoặc vào danh sách chờ: báo qua bot 0 người; 2 người chưa liên kết Telegram nên "
            "không nhận được tin – cần báo cách khác") in texts[-1]
    await link(bot, UpdateFactory(user_id=1013), "0912345013")
    texts = await bot.send(user.document("dang-ky.csv", "good"))
    assert ("báo qua bot 1 người; 1 người chưa liên kết Telegram nên không nhận được tin – cần báo cách khác"
            in texts[-1])
    assert "✅ MAU016 → CDS-01 (Vũ Văn Nam) – chưa liên kết Telegram" in texts[-1]
    assert "✅ MAU013 → CDS-01 (Sùng A Long)\n" in texts[-1]  # linked: no mark
    texts = await bot.send(user.callback("upl:ok"))
    done = next(t for t in texts if "Đã nhập" in t)
    assert "báo qua bot 1 người; 1 người chưa liên kết Telegram" in done
    assert "MAU016 → CDS-01 (Vũ Văn Nam) – chưa liên kết Telegram" in done


def _last_has_buttons(bot: BotHarness) -> bool:
    return bool(bot.api.sent()[-1].buttons)


async def test_a_row_repeated_in_the_file_is_named_as_such(bot: BotHarness, roster: Database,
                                                           user: UpdateFactory) -> None:
    """The second of two equal rows was refused as "Sùng A Long đã đăng ký lớp CDS-01", though nobody had been
    registered (walkthrough as HR)."""
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    bot.api.uploads["twice"] = "Mã cán bộ,Mã lớp\nMAU013,CDS-01\nmau013,cds-01\nMAU016,CDS-01\n".encode()
    texts = await bot.send(user.document("dang-ky.csv", "twice"))
    assert "Dòng 3 (MAU013): cds-01: trùng dòng 2" in texts[-1] and "đã đăng ký lớp" not in texts[-1]
    assert _count(roster) == 0


async def test_a_file_of_bad_rows_only_offers_nothing_to_confirm(bot: BotHarness, roster: Database,
                                                                 user: UpdateFactory) -> None:
    """Every row refused: the reply still suggested "bỏ dòng lỗi", and with that caption a preview of 0 people
    offered "✅ Đăng ký những người trên" (walkthrough as HR)."""
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    bot.api.uploads["bad"] = "Mã cán bộ,Mã lớp\nMAU999,CDS-01\nMAU004,CC-K26\n".encode()
    for caption in ("", "bỏ dòng lỗi"):
        texts = await bot.send(user.document("dang-ky.csv", "bad", caption=caption))
        assert "Chưa nhập gì" in texts[-1] and "không dòng nào hợp lệ" in texts[-1], caption
        assert "bỏ dòng lỗi" not in texts[-1] and "Đăng ký những người trên" not in texts[-1]
        assert "Dòng 2 (MAU999)" in texts[-1] and not _last_has_buttons(bot)
    assert "Không có tệp nào đang chờ" in (await bot.send(user.callback("upl:ok")))[-1]
    assert _count(roster) == 0


async def test_bad_rows_can_be_left_out_with_a_button(bot: BotHarness, roster: Database,
                                                      user: UpdateFactory) -> None:
    """Leaving the bad rows out took sending the file again with a caption; the completion sheet offers
    "Chỉ ghi N dòng hợp lệ" (walkthrough as HR). The refusal now shows what the valid rows would do, with a button."""
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    bot.api.uploads["bad"] = BAD.encode()
    texts = await bot.send(user.document("dang-ky.csv", "bad"))
    assert "Chưa nhập gì" in texts[-1] and "2 dòng lỗi" in texts[-1] and "Dòng 4 (MAU999)" in texts[-1]
    assert "Nếu bỏ các dòng lỗi" in texts[-1] and "✅ MAU013 → CDS-01 (Sùng A Long)" in texts[-1]
    assert [b["text"] for b in bot.api.sent()[-1].buttons] == ["Chỉ đăng ký 2 dòng hợp lệ", "✖️ Thôi, không nhập"]
    assert _count(roster) == 0
    texts = await bot.send(user.text("chi dang ky 2 dong hop le"))  # typed, as a press
    done = next(t for t in texts if "Đã nhập" in t)
    assert "2 người có chỗ" in done and "Dòng 4 (MAU999)" in done and _count(roster) == 2
