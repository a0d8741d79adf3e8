"""/find and the "🔎 Tìm cán bộ" button: typed without diacritics, partial, scoped, audit-logged."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import AuditLog, Cadre
from domain import accounts
from tests.conftest import BotHarness, link

HR_PHONE = "0912345004"  # MAU004, granted HR below
MANAGER_PHONE = "0912345010"  # MAU010, Bí thư xã Minh Hương (XMH subtree)
CADRE_PHONE = "0912345016"  # MAU016, a specialist with nobody under him


def _audit(db: Database, action: str) -> list[tuple[str, str | None]]:
    return db.run(lambda s: [(a.actor, a.target) for a in s.scalars(select(AuditLog).where(AuditLog.action == action))])


def _added_on(db: Database, code: str, when: datetime) -> None:
    db.run(lambda s: s.execute(update(Cadre).where(Cadre.code == code).values(created_at=when)))


async def test_months_before_the_roster_had_the_cadre_are_not_called_missing(bot: BotHarness, roster: Database,
                                                                             user: UpdateFactory) -> None:
    """A cadre added in November read "Tháng 10/2026: chưa nộp" on their card (walkthrough): the bot did not
    know them then."""
    roster.run(accounts.grant_hr, "MAU004")
    _added_on(roster, "MAU005", datetime(2026, 11, 3, tzinfo=UTC))
    await link(bot, user, HR_PHONE)
    card = (await bot.send(user.text("/find MAU005")))[-1]
    assert "• Tháng 11/2026: chưa nộp" in card
    assert "• Tháng 10/2026: chưa có trong danh sách cán bộ" in card and "Tháng 10/2026: chưa nộp" not in card


def _cadre_id(db: Database, code: str) -> int:
    return db.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == code)))


async def test_hr_finds_a_cadre_typed_without_diacritics(bot: BotHarness, roster: Database,
                                                         user: UpdateFactory) -> None:
    roster.run(accounts.grant_hr, "MAU004")
    _added_on(roster, "MAU005", datetime(2026, 9, 10, tzinfo=UTC))  # the card reads months since the roster had him
    await link(bot, user, HR_PHONE)
    texts = await bot.send(user.text("/find trieu van son"))
    card = texts[-1]
    assert "Triệu Văn Sơn (MAU005)" in card
    assert "Phòng Tổ chức cán bộ" in card and "Lý luận chính trị" in card
    assert "Tiêu chuẩn còn thiếu" in card and "Tự đánh giá gần đây" in card and "chưa nộp" in card
    assert "• Tháng 11/2026: chưa nộp" in card and "• Tháng 09/2026: chưa nộp" in card  # one form, capitalised
    assert ("MAU004", "MAU005") in _audit(roster, "cadre-read")
    card = (await bot.send(user.text("/find MAU003")))[-1]
    assert "còn 1.131 ngày" in card
    assert _audit(roster, "cadre-search")


async def test_partial_name_lists_matches_as_buttons(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR_PHONE)
    texts = await bot.send(user.text("/find van"))
    assert "người" in texts[-1]
    labels = [b["text"] for b in bot.last_buttons()]
    assert any("Triệu Văn Sơn" in label for label in labels) and any("Ma Văn Chiến" in label for label in labels)
    son = next(b for b in bot.last_buttons() if "Triệu Văn Sơn" in b["text"])
    texts = await bot.send(user.callback(son["callback_data"]))
    assert "Triệu Văn Sơn (MAU005)" in texts[-1]


async def test_menu_button_prompts_and_typed_name_searches(bot: BotHarness, roster: Database,
                                                           user: UpdateFactory) -> None:
    await link(bot, user, MANAGER_PHONE)
    assert "🔎 Tìm cán bộ" in [b["text"] for b in bot.last_buttons()]
    texts = await bot.send(user.callback("menu:find"))
    assert "Gõ họ tên" in texts[-1]
    texts = await bot.send(user.text("GIANG thi van"))
    assert "Giàng Thị Vân (MAU015)" in texts[-1]


async def test_manager_search_and_card_stay_inside_the_subtree(bot: BotHarness, roster: Database,
                                                               user: UpdateFactory) -> None:
    await link(bot, user, MANAGER_PHONE)
    texts = await bot.send(user.text("/find trieu van son"))
    assert "Không tìm thấy" in texts[-1] and "trong đơn vị của bạn" in texts[-1]
    texts = await bot.send(user.callback(f"find:card:{_cadre_id(roster, 'MAU005')}"))
    assert "không thuộc phạm vi" in texts[-1]
    assert ("MAU010", "MAU005") in _audit(roster, "cadre-read-refused")
    texts = await bot.send(user.text("/find MAU017"))
    assert "Bùi Thị Trang (MAU017)" in texts[-1]


async def test_plain_cadre_and_forged_buttons_are_refused(bot: BotHarness, roster: Database,
                                                          user: UpdateFactory) -> None:
    await link(bot, user, CADRE_PHONE)
    texts = await bot.send(user.text("/find son"))
    assert "chỉ dành cho cán bộ quản lý" in texts[-1]
    texts = await bot.send(user.callback("find:card:1"))
    assert "chỉ dành cho cán bộ quản lý" in texts[-1]
    roster.run(accounts.grant_hr, "MAU016")
    for forged in ("find:card:-1", "find:card:x", "find:card:", "find:zap:1", "find:card:99999999999999"):
        texts = await bot.send(user.callback(forged))
        assert "Nút này đã cũ" in texts[-1]


async def test_names_are_escaped_in_the_card(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    roster.run(accounts.grant_hr, "MAU004")
    roster.run(lambda s: setattr(s.scalar(select(Cadre).where(Cadre.code == "MAU005")), "full_name", "Sơn <b>x</b>"))
    await link(bot, user, HR_PHONE)
    await bot.send(user.text("/find MAU005"))
    assert "Sơn &lt;b&gt;x&lt;/b&gt;" in bot.api.sent()[-1].text


async def test_a_managers_card_of_a_boss_or_peer_leaves_out_their_evaluations(bot: BotHarness, roster: Database,
                                                                               user: UpdateFactory) -> None:
    """MAU013 (rated by MAU011) read his own boss's monthly rating on /find (walkthrough): evaluations are shown
    to the people above in the review chain and to HR, as the status views are; the profile and gaps stay."""
    await link(bot, user, "0912345013")
    boss = (await bot.send(user.text("/find MAU011")))[-1]
    assert "Hoàng Thị Yến (MAU011)" in boss and "Tiêu chuẩn còn thiếu" in boss
    assert "Tháng 11/2026" not in boss and "chỉ người xếp loại" in boss
    own = (await bot.send(user.text("/find MAU017")))[-1]
    assert "• Tháng 11/2026: chưa nộp" in own


async def test_a_card_speaks_of_the_cadre_not_to_the_reader(bot: BotHarness, roster: Database,
                                                            user: UpdateFactory) -> None:
    """HR's /find MAU001 read '✅ Hà Văn Quyết, bạn đã đạt mọi tiêu chuẩn…', addressing HR as the cadre
    (walkthrough as HR); and 'vị trí của bạn' likewise."""
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR_PHONE)
    card = (await bot.send(user.text("/find MAU001")))[-1]
    assert "Hà Văn Quyết đã đạt mọi tiêu chuẩn" in card and "bạn đã đạt" not in card
    assert "Hãy gửi bản sao" not in card  # the advice to the cadre is not the reader's
