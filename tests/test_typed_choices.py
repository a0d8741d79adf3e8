"""Typing a button's label at a step that offers buttons presses it, in Telegram as in the terminal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Evaluation
from domain import evaluation as ev
from domain.choices import label_key, match_button
from handlers.text_router import CHOOSE
from tests.conftest import BotHarness, link

CADRE, MANAGER = "0912345016", "0912345015"  # MAU016 -> MAU015
OUT_OF_SCOPE = "không thuộc nội dung"  # the knowledge module's "not about the resolution" answer
RATINGS = list(ev.RATINGS)


# --- matching --------------------------------------------------------------------------------------


def test_label_key_ignores_case_diacritics_emoji_and_punctuation() -> None:
    assert label_key("✅ Xác nhận!") == label_key("xac nhan") == "xac nhan"
    assert label_key("⏸ Để sau (giữ nháp)") == "de sau giu nhap"


@pytest.mark.parametrize(("typed", "expected"), [
    ("hoan thanh tot nhiem vu", 1), ("Hoàn thành nhiệm vụ", 2), ("khong hoan thanh nhiem vu", 3),
    ("hoan thanh tot nhiem vuu", 1), ("hoan thnah xuat sac nhiem vu", 0), ("xuất sắc", 0), ("tốt", 1),
])
def test_a_rating_is_named_with_typos_and_without_diacritics(typed: str, expected: int) -> None:
    assert match_button(typed, RATINGS, choice_only=True).index == expected


def test_ambiguous_and_unknown_replies_name_nothing() -> None:
    assert match_button("hoan thanh", RATINGS, choice_only=True).ambiguous
    assert match_button("cho tôi hỏi về nghị quyết", RATINGS, choice_only=True).index is None
    assert match_button("xomg", ["✅ Xong", "↩️ Xóa mục cuối"]).index == 0  # one typo
    # where text is also an answer, a label's part or a sentence containing it is text, not a press
    assert match_button("Bỏ qua thủ tục rườm rà", ["Bỏ qua"]).index is None
    assert match_button("qua", ["Bỏ qua"]).index is None


# --- the evaluation form -------------------------------------------------------------------------


async def start_draft(bot: BotHarness, user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    await bot.send(user.text("Hoàn thành báo cáo tháng"))


def draft(db: Database) -> Evaluation:
    row = db.read(lambda s: s.scalars(select(Evaluation)).one())
    assert isinstance(row, Evaluation)
    return row


async def test_typed_xong_and_bo_qua_move_the_form_on(bot: BotHarness, roster: Database,
                                                     user: UpdateFactory) -> None:
    await start_draft(bot, user)
    texts = await bot.send(user.text("xong"))
    assert "Bước 2/3" in texts[-1]
    texts = await bot.send(user.text("bo qua"))  # step 2 skipped: not saved as the difficulties
    assert "Bước 3/3" in texts[-1]
    row = draft(roster)
    assert row.difficulties is None and row.step == "rating"


async def test_a_typed_rating_reaches_the_preview(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await start_draft(bot, user)
    await bot.send(user.text("xong"))
    await bot.send(user.text("bo qua"))
    texts = await bot.send(user.text("hoan thanh tot nhiem vu"))
    assert "Xem lại tự đánh giá" in texts[-1]
    assert "Tự xếp loại: Hoàn thành tốt nhiệm vụ" in texts[-1]
    assert not any(OUT_OF_SCOPE in t for t in texts)
    texts = await bot.send(user.text("gửi"))
    assert any("Đã gửi tự đánh giá" in t for t in texts)


async def test_an_unknown_reply_at_a_choice_step_asks_for_a_button(bot: BotHarness, roster: Database,
                                                                  user: UpdateFactory) -> None:
    await start_draft(bot, user)
    await bot.send(user.text("xong"))
    await bot.send(user.text("bo qua"))
    for reply in ("bí thư xã cần trình độ gì", "hoàn thành"):  # a question, an ambiguous reply
        texts = await bot.send(user.text(reply))
        assert texts == [CHOOSE]
        assert [b["text"] for b in bot.last_buttons()][:4] == RATINGS
    assert draft(roster).self_rating is None


async def test_a_command_ends_a_choice_step(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await start_draft(bot, user)
    await bot.send(user.text("xong"))
    await bot.send(user.text("bo qua"))
    await bot.send(user.text("/menu"))
    texts = await bot.send(user.text("bí thư xã cần trình độ lý luận chính trị gì"))
    assert CHOOSE not in texts  # a question again, not a choice


async def test_text_at_a_text_step_is_still_data(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await start_draft(bot, user)
    texts = await bot.send(user.text("Khóa học"))
    assert "Đã ghi 2 kết quả" in texts[-1]
    await bot.send(user.text("xong"))
    await bot.send(user.text("Thiếu máy tính"))
    assert draft(roster).difficulties == "Thiếu máy tính"


# --- the manager's review ------------------------------------------------------------------------


async def test_review_by_typing(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await start_draft(bot, user)
    for typed in ("xong", "bo qua", "hoan thanh xuat sac nhiem vu", "gui"):
        await bot.send(user.text(typed))
    manager = UpdateFactory(user_id=555015, first_name="Vân")
    await link(bot, manager, MANAGER)
    await bot.send(manager.text("/review"))
    texts = await bot.send(manager.text("theo quy"))
    assert "quý" in texts[-1].lower()
    await bot.send(manager.text("/review"))
    await bot.send(manager.callback(next(b["callback_data"] for b in bot.last_buttons()
                                         if b["callback_data"].startswith("rev:open:"))))
    await bot.send(manager.text("hoàn thành tốt nhiệm vụ"))
    texts = await bot.send(manager.text("khong nhan xet"))
    assert "Xác nhận xếp loại" in texts[-1] and "Hoàn thành tốt nhiệm vụ" in texts[-1]
    texts = await bot.send(manager.text("xác nhận"))
    assert any("Đã xếp loại" in t for t in texts)
    assert draft(roster).manager_rating == 1 and not draft(roster).manager_comment


# --- confirmations and the terminal ----------------------------------------------------------------


async def test_a_typed_confirmation_registers(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    from bot.demo import DEMO_DATA
    from domain.courses import import_courses

    roster.run(import_courses, DEMO_DATA / "courses.csv")
    await link(bot, user, CADRE)
    await bot.send(user.callback("course:reg:CDS-01"))
    texts = await bot.send(user.text("xac nhan"))
    assert any("Đã đăng ký lớp CDS-01" in t for t in texts)


async def test_the_terminal_passes_unaccented_labels_to_the_bot(settings, roster: Database) -> None:  # type: ignore[no-untyped-def]
    from tests.test_terminal_chat import play

    out = await play(settings, roster, "MAU016", ["1", "/eval", "Rà soát hồ sơ", "xong", "bo qua",
                                                  "hoan thanh tot nhiem vu"])
    assert "Tự xếp loại: Hoàn thành tốt nhiệm vụ" in out
    assert OUT_OF_SCOPE not in out


@pytest.mark.parametrize(("typed", "expected"), [
    ("có", 0), ("ok", 0), ("Đồng ý", 0), ("dong y", 0), ("vâng", 0), ("thôi", 1), ("ko", 1), ("không", 1)])
def test_a_plain_yes_or_no_names_the_confirmation_buttons(typed: str, expected: int) -> None:
    """People answer "✅ Xác nhận / ✖️ Không" with "có", "ok", "đồng ý", "thôi" (walkthrough)."""
    assert match_button(typed, ["✅ Xác nhận", "✖️ Không"], choice_only=True).index == expected


def test_a_yes_names_nothing_where_no_button_confirms() -> None:
    assert match_button("ok", ["✅ Xong", "↩️ Xóa mục cuối"]).index is None
    assert match_button("có", ["Hoàn thành tốt", "Không hoàn thành"], choice_only=True).index is None
    assert match_button("thôi", ["✅ Ghi vào hồ sơ", "✖️ Thôi, không nhập"], choice_only=True).index == 1
    assert match_button("ok", ["✅ Xác nhận lịch", "✖️ Không"], choice_only=True).index == 0


async def test_a_typed_yes_registers(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    from bot.demo import DEMO_DATA
    from domain.courses import import_courses

    roster.run(import_courses, DEMO_DATA / "courses.csv")
    await link(bot, user, CADRE)
    await bot.send(user.callback("course:reg:CDS-01"))
    assert any("Đã đăng ký lớp CDS-01" in t for t in await bot.send(user.text("đồng ý")))


def test_button_labels_are_cut_between_words() -> None:
    """The class chooser showed '…ứng dụng AI t (4 người)' (walkthrough as HR): labels are cut between words."""
    from views.html import fit
    assert fit("CDS-01 – Bồi dưỡng chuyển đổi số, kỹ năng số và ứng dụng AI trong công tác", 45) == (
        "CDS-01 – Bồi dưỡng chuyển đổi số, kỹ năng…")
    assert fit("Ngắn gọn", 45) == "Ngắn gọn"
