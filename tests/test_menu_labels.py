"""A label typed at a plain menu presses that button of the last message; anything else is still a question.

The buttons of the last message the bot sent to a chat are remembered in the database; a message
without buttons ends them. Greetings and a button's words with nothing waiting get a short answer.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from core.config import Settings
from db import Database
from db.models import ConversationStep
from domain import accounts, conversation
from domain.choices import match_menu_label
from domain.clock import utcnow
from domain.courses import import_courses
from handlers.text_router import CHOOSE
from tests.conftest import BotHarness, link
from tests.test_conversation_state import restarted

CADRE, MANAGER, HR = "0912345016", "0912345015", "0912345004"  # MAU016 -> MAU015; MAU004 made HR below
OUT_OF_SCOPE = "không thuộc nội dung"
MAIN_MENU = ["👤 Hồ sơ của tôi", "📋 Tiêu chuẩn còn thiếu", "🎓 Khóa học", "📝 Tự đánh giá tháng",
             "❓ Hỏi về Nghị quyết", "⚙️ Cài đặt", "🏢 Đơn vị của tôi", "🗂 Xếp loại cấp dưới", "🔎 Tìm cán bộ"]
COURSES = ["⭐ CC-K26", "⭐ CDS-01", "CQDP-03", "🔎 Lọc theo loại", "📌 Lớp của tôi", "⬅️ Về menu"]
REVIEW = ["📊 Tình hình cấp dưới", "🤝 Ủy quyền", "📅 Theo quý", "📆 Cả năm", "⬅️ Về menu"]


# --- matching, both directions ---------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "labels", "expected"), [
    ("khoa hoc", MAIN_MENU, "🎓 Khóa học"),
    ("ho so", MAIN_MENU, "👤 Hồ sơ của tôi"),  # the label's first words
    ("Hồ sơ của tôi", MAIN_MENU, "👤 Hồ sơ của tôi"),
    ("tieu chuan", MAIN_MENU, "📋 Tiêu chuẩn còn thiếu"),
    ("khoá hoc", MAIN_MENU, "🎓 Khóa học"),  # another spelling of the diacritic
    ("khao hoc", MAIN_MENU, "🎓 Khóa học"),  # a typo
    ("lop cua toi", COURSES, "📌 Lớp của tôi"),
    ("loc theo loai", COURSES, "🔎 Lọc theo loại"),
    ("cds-01", COURSES, "⭐ CDS-01"),
    ("theo quy", REVIEW, "📅 Theo quý"),
    ("Cả năm!", REVIEW, "📆 Cả năm"),
    ("uy quyen", REVIEW, "🤝 Ủy quyền"),
])
def test_a_label_typed_on_a_menu_names_its_button(typed: str, labels: list[str], expected: str) -> None:
    match = match_menu_label(typed, labels)
    assert match.index is not None and labels[match.index] == expected


@pytest.mark.parametrize(("typed", "labels"), [
    ("khóa học nào cho tôi", MAIN_MENU),
    ("tôi cần học khóa học gì", MAIN_MENU),
    ("hồ sơ cán bộ cần số hóa thế nào", MAIN_MENU),
    ("tiêu chuẩn bí thư xã là gì", MAIN_MENU),
    ("cài đặt nhắc nhở ra sao", MAIN_MENU),
    ("tim", MAIN_MENU),  # too short to be a label's first word
    ("lớp của tôi khai giảng khi nào", COURSES),
    ("đánh giá theo quý thế nào", REVIEW),
    ("bí thư xã cần trình độ lý luận chính trị gì", COURSES),
    ("xác nhận", REVIEW),
])
def test_a_question_on_a_menu_names_no_button(typed: str, labels: list[str]) -> None:
    match = match_menu_label(typed, labels)
    assert match.index is None and not match.ambiguous


# --- in the bot -------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(roster: Database) -> Database:
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    return roster


async def test_theo_quy_after_an_empty_review_opens_the_quarter(bot: BotHarness, roster: Database,
                                                               user: UpdateFactory) -> None:
    await link(bot, user, MANAGER)
    texts = await bot.send(user.text("/review"))
    assert "Không có bản tự đánh giá nào chờ" in texts[-1]
    texts = await bot.send(user.text("theo quy"))
    assert "Xếp loại quý" in texts[-1]
    assert not any(OUT_OF_SCOPE in t or "Nguồn:" in t for t in texts)


async def test_lop_cua_toi_after_courses_opens_my_courses(bot: BotHarness, catalogue: Database,
                                                         user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/courses"))
    texts = await bot.send(user.text("lop cua toi"))
    assert "Bạn chưa đăng ký lớp nào" in texts[-1]
    await bot.send(user.text("/courses"))
    texts = await bot.send(user.text("loc theo loai"))
    assert "Chọn loại lớp" in texts[-1]


async def test_main_menu_labels_typed(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/menu"))
    texts = await bot.send(user.text("ho so"))
    assert "Hồ sơ của tôi" in texts[-1] and "Nguồn:" not in texts[-1]
    await bot.send(user.text("/menu"))
    texts = await bot.send(user.text("khoa hoc"))
    assert "lớp nào đang mở đăng ký" in texts[-1]  # no catalogue imported in this test


async def test_a_real_question_after_courses_is_answered(bot: BotHarness, catalogue: Database,
                                                         user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/courses"))
    texts = await bot.send(user.text("bí thư xã cần trình độ lý luận chính trị gì"))
    assert "Nguồn:" in texts[-1] and "cao cấp" in texts[-1].lower()


async def test_a_restart_between_menu_and_typed_label(bot: BotHarness, catalogue: Database, settings: Settings,
                                                     user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/courses"))
    async with restarted(settings, catalogue) as again:
        texts = await again.send(user.text("lớp của tôi"))
        assert "Bạn chưa đăng ký lớp nào" in texts[-1]


async def test_a_message_without_buttons_ends_the_menu(bot: BotHarness, catalogue: Database,
                                                       user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/courses"))
    assert catalogue.read(conversation.last_keyboard, user.user_id, user.user_id)
    texts = await bot.send(user.text("/cancel"))
    assert "Không có thao tác nào đang dở" in texts[-1]  # remembered buttons are not an open step
    assert catalogue.read(conversation.last_keyboard, user.user_id, user.user_id) is None
    texts = await bot.send(user.text("lop cua toi"))  # a stale label: a question again
    assert "Bạn chưa đăng ký lớp nào" not in texts[-1] and "Lớp của tôi" not in texts[-1]


async def test_a_cadre_typing_an_hr_label_gets_nothing_hr_only(bot: BotHarness, catalogue: Database,
                                                               user: UpdateFactory) -> None:
    await link(bot, user, "0912345013")
    await bot.send(user.callback("course:view:CDS-01"))
    texts = await bot.send(user.text("sua so cho"))
    assert not any("Nhập số chỗ mới" in t for t in texts)


async def test_a_typed_label_is_checked_again_like_a_press(bot: BotHarness, catalogue: Database,
                                                           user: UpdateFactory) -> None:
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR)
    await bot.send(user.callback("course:view:CDS-01"))
    assert "✏️ Sửa số chỗ" in [b["text"] for b in bot.last_buttons()]
    catalogue.run(accounts.grant_hr, "MAU004", False)  # no longer HR: the remembered button is not enough
    texts = await bot.send(user.text("sua so cho"))
    assert "chỉ dành cho cán bộ Ban Tổ chức" in texts[-1]
    catalogue.run(accounts.grant_hr, "MAU004")
    await bot.send(user.callback("course:view:CDS-01"))
    texts = await bot.send(user.text("sửa số chỗ"))
    assert "Nhập số chỗ mới" in texts[-1]
    assert "thành 7" in (await bot.send(user.text("7")))[-1]


async def test_an_ambiguous_label_asks_for_a_button(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/menu"))
    roster.run(conversation.note_keyboard, user.user_id, user.user_id,
               [[("Xem lớp A", "course:view:A")], [("Xem lớp B", "course:view:B")]])
    texts = await bot.send(user.text("xem lop"))
    assert texts == [CHOOSE]
    assert [b["text"] for b in bot.last_buttons()] == ["Xem lớp A", "Xem lớp B"]


async def test_a_prompt_keeps_its_line(bot: BotHarness, catalogue: Database, user: UpdateFactory) -> None:
    """A text prompt opened after a menu takes the next line, even one that reads like a label."""
    catalogue.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR)
    await bot.send(user.callback("course:view:CDS-01"))
    await bot.send(user.callback("course:behalf:CDS-01"))
    texts = await bot.send(user.text("sua so cho"))
    assert "Nhập số chỗ mới" not in texts[-1]


# --- greetings and button words with nothing waiting ------------------------------------------------


@pytest.mark.parametrize(("typed", "expected"), [
    ("xin chào", "Xin chào"), ("chào bot", "Xin chào"), ("Hi", "Xin chào"),
    ("cảm ơn", "Rất vui được giúp"), ("ok cảm ơn", "Rất vui được giúp"), ("ok", "Vâng"),
])
async def test_greetings_get_a_polite_answer(bot: BotHarness, roster: Database, user: UpdateFactory,
                                             typed: str, expected: str) -> None:
    await link(bot, user, CADRE)
    texts = await bot.send(user.text(typed))
    assert expected in texts[-1] and "menu chính" in texts[-1]
    assert OUT_OF_SCOPE not in texts[-1]
    assert "🎓 Khóa học" in [b["text"] for b in bot.last_buttons()]


async def test_a_greeting_before_linking_says_how_to_link(bot: BotHarness, roster: Database,
                                                          user: UpdateFactory) -> None:
    texts = await bot.send(user.text("xin chào"))
    assert "Xin chào" in texts[-1] and "/start" in texts[-1]


@pytest.mark.parametrize("typed", ["xác nhận", "bỏ qua", "theo quý", "5", "12"])
async def test_a_button_word_with_nothing_waiting(bot: BotHarness, roster: Database, user: UpdateFactory,
                                                  typed: str) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/cancel"))  # a message without buttons: nothing to press
    texts = await bot.send(user.text(typed))
    assert f"không có thao tác nào đang chờ bạn chọn “{typed}”" in texts[-1].lower()
    assert "Nguồn:" not in texts[-1]
    assert "🎓 Khóa học" in [b["text"] for b in bot.last_buttons()]  # the main menu


# --- the record's cost --------------------------------------------------------------------------------


async def test_concurrent_answers_share_transactions(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers sent while a record is being written go into the next transaction together, and each
    answer's update ends only once its buttons are committed."""
    from handlers.last_buttons import ButtonsLedger

    transactions = 0
    real_run = Database.run

    def counting(self: Database, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal transactions
        transactions += 1
        return real_run(self, fn, *args, **kwargs)

    monkeypatch.setattr(Database, "run", counting)
    ledger = ButtonsLedger(database)
    chats = range(700001, 700021)
    await asyncio.gather(*(ledger.record((c, c), [[(f"Nút {c}", f"menu:{c}")]]) for c in chats))
    assert transactions <= 3
    for c in chats:
        assert database.read(conversation.last_keyboard, c, c) == [[(f"Nút {c}", f"menu:{c}")]]
    await asyncio.gather(*(ledger.record((c, c), None) for c in chats))
    assert all(database.read(conversation.last_keyboard, c, c) is None for c in chats)
    before = transactions
    await ledger.record((700001, 700001), None)  # known to have none: no transaction at all
    assert transactions == before


async def test_a_failed_record_never_fails_the_answer(bot: BotHarness, roster: Database, user: UpdateFactory,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    await link(bot, user, CADRE)

    def broken(*_args: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(conversation, "record_keyboards", broken)
    texts = await bot.send(user.text("/menu"))
    assert texts and "Menu chính" in texts[-1] and not any("đã có lỗi" in t for t in texts)


def test_the_last_buttons_replace_the_last_buttons_or_an_expired_step_never_an_open_step(database: Database) -> None:
    menu, other = [[("👤 Hồ sơ của tôi", "menu:profile")]], [[("🎓 Xem lớp", "course:view:A")]]
    database.run(conversation.note_keyboard, 71, 71, menu)  # a new chat: recorded
    assert database.read(conversation.last_keyboard, 71, 71) == menu
    database.run(conversation.note_keyboard, 71, 71, other)  # over the last buttons
    assert database.read(conversation.last_keyboard, 71, 71) == other
    database.run(conversation.open_step, 71, 71, "course-capacity", {"argument": "A"})
    database.run(conversation.note_keyboard, 71, 71, menu)  # a step is open: it keeps its line
    assert database.read(conversation.current_step, 71, 71) == conversation.Step(
        "course-capacity", {"argument": "A"})
    database.run(conversation.forget_keyboard, 71, 71)  # a message without buttons leaves the step alone
    assert database.read(conversation.current_step, 71, 71) is not None

    def age(session: Session, hours: int) -> None:
        session.execute(update(ConversationStep).values(updated_at=utcnow() - timedelta(hours=hours)))

    database.run(age, 25)  # the step expired: new buttons take its place
    database.run(conversation.note_keyboard, 71, 71, other)
    assert database.read(conversation.current_step, 71, 71) is None
    assert database.read(conversation.last_keyboard, 71, 71) == other
    database.run(conversation.forget_keyboard, 71, 71)
    assert database.read(conversation.last_keyboard, 71, 71) is None


async def test_asking_for_the_evaluation_deadline_gets_the_dates(bot: BotHarness, roster: Database,
                                                                 user: UpdateFactory) -> None:
    """"han nop tu danh gia" used to get only a pointer to /eval; the open period's dates come with it
    (from config.toml's window, not from the knowledge module) (walkthrough)."""
    texts = await bot.send(user.text("han nop tu danh gia thang la ngay nao"))
    assert "/eval" in texts[-1] and "tháng 11/2026" in texts[-1] and "05/12/2026" in texts[-1]
