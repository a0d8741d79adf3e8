"""A deputy rates for the manager, never their own reviewer (walkthrough, finding 1).

MAU010 (Bí thư) rates MAU011, MAU012 and MAU014. MAU013 reports to MAU011. When MAU010 delegates to MAU013,
MAU013 may rate MAU012 and MAU014 for MAU010, but MAU011 (MAU013's own reviewer) stays with MAU010. The deputy is
told of submissions they may rate; a rating made as a deputy says so, and the manager is told.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Cadre, Evaluation, Outbox, ReviewDelegation
from domain.clock import utcnow
from tests.conftest import TODAY, BotHarness, link
from tests.test_evaluation import eval_id, fill_and_submit

MAU010, MAU011, MAU012, MAU013 = "0912345010", "0912345011", "0912345012", "0912345013"


def _notices(db: Database, code: str) -> list[str]:
    return db.run(lambda s: list(s.scalars(select(Outbox.payload).join(Cadre, Cadre.id == Outbox.cadre_id)
                                           .where(Cadre.code == code))))


def _status(db: Database, ev: int) -> str:
    return str(db.run(lambda s: s.scalar(select(Evaluation.status).where(Evaluation.id == ev))))


async def _delegate_to_mau013(bot: BotHarness, boss: UpdateFactory) -> str:
    await link(bot, boss, MAU010)
    await bot.send(boss.text("/delegate"))
    await bot.send(boss.callback("dlg:new"))
    await bot.send(boss.callback("dlg:pick:MAU013"))
    confirm = (await bot.send(boss.callback("dlg:per:MAU013:1w")))[-1]
    assert any("Đã ủy quyền" in t for t in await bot.send(boss.callback("dlg:ok:MAU013:1w")))
    return confirm


async def test_a_deputy_never_rates_their_own_reviewer(bot: BotHarness, roster: Database) -> None:
    boss, yen, dung, deputy = (UpdateFactory(user_id=u) for u in (910, 911, 912, 913))
    confirm = await _delegate_to_mau013(bot, boss)
    assert "Hoàng Thị Yến (MAU011)" in confirm and "vẫn do bạn xếp loại" in confirm
    for factory, phone in ((yen, MAU011), (dung, MAU012), (deputy, MAU013)):
        await link(bot, factory, phone)
    await fill_and_submit(bot, yen)
    await fill_and_submit(bot, dung)
    own_boss, colleague = eval_id(roster, "MAU011"), eval_id(roster, "MAU012")

    told = _notices(roster, "MAU013")
    assert any("Nông Văn Dũng đã gửi tự đánh giá" in t and "thay Ma Văn Chiến" in t for t in told)
    assert not any("Hoàng Thị Yến đã gửi" in t for t in told)

    await bot.send(deputy.text("/review"))
    queue = " ".join(b["text"] for b in bot.last_buttons())
    assert "Nông Văn Dũng" in queue and "Hoàng Thị Yến" not in queue
    for data in (f"rev:open:{own_boss}", f"rev:nocomment:{own_boss}:0", f"rev:ok:{own_boss}:0"):
        assert "không phải người đánh giá" in (await bot.send(deputy.callback(data)))[-1], data
    assert _status(roster, own_boss) == "submitted"
    await bot.send(boss.text("/review"))
    assert "Hoàng Thị Yến" in " ".join(b["text"] for b in bot.last_buttons())  # still waits for MAU010

    await bot.send(deputy.callback(f"rev:open:{colleague}"))
    await bot.send(deputy.callback(f"rev:nocomment:{colleague}:0"))
    await bot.send(deputy.callback(f"rev:ok:{colleague}:0"))
    assert _status(roster, colleague) == "rated"
    assert any("Sùng A Long xếp loại thay Ma Văn Chiến" in t for t in _notices(roster, "MAU012"))
    assert any("Sùng A Long đã xếp loại thay bạn" in t and "Nông Văn Dũng" in t for t in _notices(roster, "MAU010"))


def test_a_chain_written_into_the_table_is_refused_at_rating_time(roster: Database) -> None:
    """A delegation row made before the roster put MAU013 under MAU011 gives no rights over MAU011."""
    from domain import evaluation as ev
    from domain.accounts import actor_for
    from domain.errors import PermissionDenied
    from tests.test_security_review import WINDOW, _submitted

    ids = roster.run(lambda s: {c.code: c.id for c in s.scalars(select(Cadre))})
    roster.run(lambda s: s.add(ReviewDelegation(manager_id=ids["MAU010"], deputy_id=ids["MAU013"], start_date=TODAY,
                                                end_date=date(2026, 12, 31), created_at=utcnow())))
    roster.run(lambda s: s.execute(Cadre.__table__.update().where(Cadre.code == "MAU013")
                                   .values(telegram_user_id=913)))
    own_boss = _submitted(roster, "MAU011")
    deputy = roster.run(actor_for, 913)
    assert deputy is not None
    try:
        roster.run(ev.rate, deputy, own_boss, 0, None, WINDOW, TODAY)
    except PermissionDenied:
        pass
    else:
        raise AssertionError("a deputy rated their own reviewer")
    assert [p.cadre_code for p in roster.run(ev.pending_reviews, deputy, TODAY)] == []
    queue = roster.run(lambda s: ev.ReviewQueue(s, TODAY).pending_for(s, deputy))
    assert queue == []


async def test_the_deputy_is_told_of_the_delegation_and_its_revocation(bot: BotHarness, roster: Database) -> None:
    boss = UpdateFactory(user_id=910)
    deputy = UpdateFactory(user_id=913)
    await link(bot, deputy, MAU013)
    await _delegate_to_mau013(bot, boss)
    told = _notices(roster, "MAU013")
    assert any("Ma Văn Chiến đã ủy quyền cho bạn xếp loại" in t and "Hoàng Thị Yến" in t for t in told)
    delegation = roster.run(lambda s: s.scalar(select(ReviewDelegation.id)))
    await bot.send(boss.callback(f"dlg:rv:{delegation}"))
    await bot.send(boss.callback(f"dlg:rvok:{delegation}"))
    assert any("Ma Văn Chiến đã thu hồi ủy quyền" in t for t in _notices(roster, "MAU013"))


async def test_the_manager_pressing_after_the_deputy_rated_is_told_who_and_what(bot: BotHarness,
                                                                                roster: Database) -> None:
    boss, dung, deputy = (UpdateFactory(user_id=u) for u in (910, 912, 913))
    await _delegate_to_mau013(bot, boss)
    for factory, phone in ((dung, MAU012), (deputy, MAU013)):
        await link(bot, factory, phone)
    await fill_and_submit(bot, dung)
    colleague = eval_id(roster, "MAU012")
    await bot.send(boss.callback(f"rev:open:{colleague}"))
    for data in (f"rev:open:{colleague}", f"rev:nocomment:{colleague}:0", f"rev:ok:{colleague}:0"):
        await bot.send(deputy.callback(data))
    text = (await bot.send(boss.callback(f"rev:ok:{colleague}:1")))[-1]
    assert "Sùng A Long đã xếp loại" in text and "Hoàn thành xuất sắc nhiệm vụ" in text


async def test_a_deputy_sees_whom_they_rate_for(bot: BotHarness, roster: Database) -> None:
    """The deputy's /review mixed delegated evaluations with their own, and the confirmation did not say 'thay Ma
    Văn Chiến'; only the cadre's notice did (walkthrough). The list, the open evaluation and the confirmation
    now name the manager."""
    boss, dung, deputy = (UpdateFactory(user_id=u) for u in (910, 912, 913))
    await _delegate_to_mau013(bot, boss)
    for factory, phone in ((dung, MAU012), (deputy, MAU013)):
        await link(bot, factory, phone)
    await fill_and_submit(bot, dung)
    await bot.send(deputy.text("/review"))
    assert "Nông Văn Dũng – tháng 11/2026 · thay Ma Văn Chiến" in [b["text"] for b in bot.last_buttons()]
    opened = (await bot.send(deputy.callback(f"rev:open:{eval_id(roster, 'MAU012')}")))[-1]
    assert "thay Ma Văn Chiến" in opened
    confirm = (await bot.send(deputy.callback(f"rev:nocomment:{eval_id(roster, 'MAU012')}:1")))[-1]
    assert "thay Ma Văn Chiến" in confirm


async def test_a_deputy_reads_on_find_the_evaluations_they_rate(bot: BotHarness, roster: Database) -> None:
    """/find left out the evaluations of someone the deputy rates in /review today, with a note saying only the
    rater may read them (attack); and a manager's own card said the same of their own."""
    boss, deputy = UpdateFactory(user_id=910), UpdateFactory(user_id=913)
    await _delegate_to_mau013(bot, boss)
    await link(bot, deputy, MAU013)
    card = (await bot.send(deputy.text("/find MAU012")))[-1]
    assert "Tự đánh giá gần đây" in card and "chỉ người xếp loại" not in card
    own = (await bot.send(deputy.text("/find MAU013")))[-1]
    assert "Tự đánh giá gần đây" in own
    boss_card = (await bot.send(deputy.text("/find MAU011")))[-1]  # his own reviewer: not his to read
    assert "chỉ người xếp loại" in boss_card
