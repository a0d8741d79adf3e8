"""A cadre links their Telegram account: by their own phone number or a one-time invite link."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import AuditLog, Cadre, InviteToken
from domain import accounts
from domain.clock import utcnow
from tests.conftest import SAMPLE_ROSTER, BotHarness, link


async def test_start_offers_contact_button(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    texts = await bot.send(user.text("/start"))
    assert "liên kết tài khoản" in texts[0]
    button = bot.last_buttons()[0]
    assert button["request_contact"] is True
    assert "Chia sẻ số điện thoại" in button["text"]


async def test_link_by_own_contact_then_menu(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    texts = await link(bot, user, "+84912345003")
    assert "Đã liên kết" in texts[0] and "MAU003" in texts[0]
    assert "Menu chính" in texts[1]
    labels = [b["text"] for b in bot.last_buttons()]
    assert "🏢 Đơn vị của tôi" in labels  # MAU003 leads a division
    assert "🛠 Quản trị (Ban Tổ chức)" not in labels
    linked = roster.run(lambda s: s.scalar(select(Cadre.telegram_user_id).where(Cadre.code == "MAU003")))
    assert linked == user.user_id


async def test_forwarded_or_foreign_contact_refused(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    texts = await bot.send(user.contact("0912345003", contact_user_id=999999))
    assert "chính bạn" in texts[0]
    texts = await bot.send(user.contact("0912345003"))  # typed contact: no user_id
    assert "chính bạn" in texts[0]
    texts = await bot.send(user.contact("0912345003", contact_user_id=user.user_id, forwarded=True))
    assert "chuyển tiếp" in texts[0]
    assert roster.run(lambda s: s.scalar(select(Cadre.telegram_user_id).where(Cadre.code == "MAU003"))) is None


async def test_unknown_person_told_whom_to_contact(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    texts = await link(bot, user, "0987654321")
    assert "Không tìm thấy hồ sơ" in texts[0] and "Ban Tổ chức" in texts[0]


async def test_second_account_for_linked_cadre_refused(bot: BotHarness, roster: Database,
                                                       user: UpdateFactory) -> None:
    await link(bot, user, "0912345003")
    other = UpdateFactory(user_id=555002, first_name="Khác")
    texts = await link(bot, other, "0912345003")
    assert "đã được liên kết với một tài khoản Telegram khác" in texts[0]


async def test_one_account_cannot_hold_two_cadres(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345003")
    token = roster.run(accounts.create_invite, "MAU004", 14)
    texts = await bot.send(user.text(f"/start {token}"))
    assert "đã liên kết với hồ sơ MAU003" in texts[0]


async def test_invite_link_is_single_use(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    token = roster.run(accounts.create_invite, "MAU004", 14)
    texts = await bot.send(user.text(f"/start {token}"))
    assert "MAU004" in texts[0]
    stored = roster.run(lambda s: s.scalars(select(InviteToken.token_hash)).all())
    assert token not in stored and accounts.hash_token(token) in stored
    await bot.send(user.text("/unlink"))
    await bot.send(user.callback("unlink:yes"))
    texts = await bot.send(user.text(f"/start {token}"))
    assert "đã được dùng" in texts[0]


async def test_expired_and_forged_invites(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    token = roster.run(accounts.create_invite, "MAU004", 14)

    def expire(session):  # type: ignore[no-untyped-def]
        for invite in session.scalars(select(InviteToken)):
            invite.expires_at = utcnow() - timedelta(days=1)

    roster.run(expire)
    assert "hết hạn" in (await bot.send(user.text(f"/start {token}")))[0]
    assert "không hợp lệ" in (await bot.send(user.text("/start forged-token-123")))[0]


async def test_unlink_and_relink(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345003")
    texts = await bot.send(user.text("/unlink"))
    assert "Hủy liên kết" in texts[0]
    texts = await bot.send(user.callback("unlink:yes"))
    assert "Đã hủy liên kết" in texts[-1]
    assert "chưa liên kết" in (await bot.send(user.text("/profile")))[0]
    texts = await link(bot, user, "0912345003")
    assert "Đã liên kết" in texts[0]
    actions = roster.run(lambda s: s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all())
    assert actions == ["link", "unlink", "link"]


async def test_unit_invites_for_subtree(roster: Database) -> None:
    pairs = roster.run(lambda s: [(c.code, t) for c, t in accounts.create_unit_invites(s, "XMH", 7)])
    assert {code for code, _ in pairs} == {f"MAU0{n}" for n in range(10, 19)}


def test_the_operator_unlinks_a_record_whose_account_is_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A cadre who lost their phone could not be linked again: /invite refuses a linked record and HR cannot unlink
    in the bot (walkthrough as HR). `cadrebot unlink CODE` frees it, audited, and tells the account that held it."""
    from sqlalchemy import update

    from bot.cli import main as cli_main
    from db.models import Outbox
    from domain.outbox import enqueue

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CADREBOT_DATABASE_URL", url)
    assert cli_main(["import-roster", str(SAMPLE_ROSTER)]) == 0
    db = Database.from_url(url)
    db.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "MAU017").values(telegram_user_id=717,
                                                                                  telegram_chat_id=717)))
    db.run(lambda s: enqueue(s, "a-rating", s.scalars(select(Cadre).where(Cadre.code == "MAU017")).one(),
                             "eval-rated", "✅ Bản tự đánh giá của bạn đã được xếp loại"))  # waiting to go out
    capsys.readouterr()
    assert cli_main(["unlink", "mau017"]) == 0
    assert "Đã hủy liên kết Telegram của Bùi Thị Trang (MAU017)" in capsys.readouterr().out
    assert db.run(lambda s: s.scalar(select(Cadre.telegram_user_id).where(Cadre.code == "MAU017"))) is None
    assert db.run(lambda s: s.scalar(select(AuditLog.action).where(AuditLog.target == "MAU017"))) == "unlink-by-hr"
    assert "hủy liên kết" in db.run(lambda s: s.scalar(select(Outbox.payload).where(Outbox.key.like("unlinked%"))))
    # what was still waiting for the lost phone does not go out to it (third attack)
    assert db.run(lambda s: s.scalar(select(Outbox.status).where(Outbox.key == "a-rating"))) == "skipped"
    assert cli_main(["unlink", "MAU017"]) == 0 and "chưa liên kết Telegram" in capsys.readouterr().out
    db.dispose()
