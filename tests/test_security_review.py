"""Issue 10 items 1, 11, 12: forged review buttons, strict button data, refused attempts audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.fakeapi import FakeBotApi, UpdateFactory
from db import Database
from db.models import AuditLog, Cadre, Evaluation
from domain import evaluation as ev
from domain.accounts import actor_for
from domain.clock import utcnow
from domain.errors import DomainError
from domain.evaluation import Window
from handlers.common import STALE_BUTTON
from tests.conftest import TODAY, BotHarness, link

WINDOW = Window(25, 5)
MAU015, MAU016, MAU012 = "0912345015", "0912345016", "0912345012"


def _cid(db: Database, code: str) -> int:
    return db.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == code)))


def _submitted(db: Database, code: str) -> int:
    cid = _cid(db, code)
    v = db.run(ev.start_or_resume, cid, TODAY, WINDOW)
    db.run(ev.add_results, cid, v.id, "Việc A", WINDOW, TODAY)
    db.run(ev.set_self_rating, cid, v.id, 0, WINDOW, TODAY)
    db.run(ev.submit, cid, v.id, WINDOW, TODAY)
    return v.id


def _status(db: Database, eval_id: int) -> tuple[str, int | None]:
    row = db.run(lambda s: s.execute(select(Evaluation.status, Evaluation.reviewer_id)
                                     .where(Evaluation.id == eval_id)).one())
    return row[0], row[1]


def _alerts(api: FakeBotApi) -> list[str]:
    return [str(c.params.get("text")) for c in api.calls if c.method == "answerCallbackQuery" and c.params.get("text")]


async def test_nobody_rates_their_own_evaluation_even_as_a_deputy(bot: BotHarness, roster: Database) -> None:
    """The red-team path: MAU016 holds a delegation from MAU015 and forges buttons on his own evaluation."""
    from db.models import ReviewDelegation

    roster.run(lambda s: s.add(ReviewDelegation(manager_id=_cid(roster, "MAU015"), deputy_id=_cid(roster, "MAU016"),
                                                start_date=TODAY, end_date=date(2026, 12, 31), created_at=utcnow())))
    own = _submitted(roster, "MAU016")
    deputy = UpdateFactory(user_id=516)
    await link(bot, deputy, MAU016)
    for data in (f"rev:open:{own}", f"rev:nocomment:{own}:0", f"rev:ok:{own}:0"):
        texts = await bot.send(deputy.callback(data))
        assert "không phải người đánh giá" in texts[-1]
    assert _status(roster, own) == ("submitted", None)


async def test_a_deputy_who_became_a_reviewee_rates_nobody_for_that_manager(bot: BotHarness,
                                                                             roster: Database) -> None:
    """A delegation written before MAU016 reported to MAU015 (or forged in the table) gives him nothing."""
    from db.models import ReviewDelegation

    roster.run(lambda s: s.add(ReviewDelegation(manager_id=_cid(roster, "MAU015"), deputy_id=_cid(roster, "MAU016"),
                                                start_date=TODAY, end_date=date(2026, 12, 31), created_at=utcnow())))
    roster.run(lambda s: s.execute(Cadre.__table__.update().where(Cadre.code == "MAU017")
                                   .values(manager_code="MAU015")))
    colleague = _submitted(roster, "MAU017")
    deputy = UpdateFactory(user_id=516)
    await link(bot, deputy, MAU016)
    texts = await bot.send(deputy.text("/review"))
    assert "chỉ dành cho cán bộ quản lý" in texts[-1]  # a plain cadre: the void delegation makes him no deputy
    texts = await bot.send(deputy.callback(f"rev:open:{colleague}"))
    assert "không phải người đánh giá" in texts[-1]


async def test_a_reviewer_cannot_open_an_unsubmitted_draft(bot: BotHarness, roster: Database) -> None:
    cid = _cid(roster, "MAU016")
    draft = roster.run(ev.start_or_resume, cid, TODAY, WINDOW)
    roster.run(ev.add_results, cid, draft.id, "Bí mật chưa gửi", WINDOW, TODAY)
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MAU015)
    texts = await bot.send(manager.callback(f"rev:open:{draft.id}"))
    assert "chưa gửi" in texts[-1] and "Bí mật" not in " ".join(texts)


@pytest.mark.parametrize(("deputy", "start", "end", "message"), [
    ("MAU016", TODAY, date(2026, 11, 30), "người bạn trực tiếp xếp loại"),  # one of MAU015's reviewees
    ("MAU015", TODAY, date(2026, 11, 30), "cán bộ khác"),
    ("MAU017", date(2026, 11, 1), date(2026, 11, 30), "đã qua"),
    ("MAU017", TODAY, date(2027, 6, 30), "90 ngày"),
])
def test_delegation_rules(roster: Database, deputy: str, start: date, end: date, message: str) -> None:
    roster.run(lambda s: s.execute(Cadre.__table__.update().where(Cadre.code == "MAU015")
                                   .values(telegram_user_id=515)))
    manager = roster.run(actor_for, 515)
    assert manager is not None
    if deputy == "MAU017":  # move MAU017 into MAU015's unit so only the period can be wrong
        roster.run(lambda s: s.execute(Cadre.__table__.update().where(Cadre.code == "MAU017")
                                       .values(unit_id=manager.unit_id)))
    with pytest.raises(DomainError, match=message):
        roster.run(ev.delegate, manager, deputy, start, end, TODAY)


@pytest.mark.parametrize("data", [
    "rev:open:²", "rev:open:12345678901234567890", "rev:open:-1", "rev:open:٣",
    "rev:nocomment:{id}:9", "rev:nocomment:{id}:²", "rev:ok:{id}:0:abc", "rev:ok:{id}:0:0", "rev:ok:{id}:0:-5",
    "rev:rate:{id}:0:1234567890123", "rev:ok:{id}:7", "rev:rate:{id}:99999999999999999999",
    "eval:view:99999999999999999999", "eval:self:{id}:²", "eval:self:{id}:4",
    "rep:u:99999999999999999999", "rep:p:0:²", "rep:u:²",
])
async def test_malformed_button_data_is_a_stale_button(bot: BotHarness, roster: Database, data: str) -> None:
    eval_id = _submitted(roster, "MAU016")
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MAU015)
    bot.api.clear()
    await bot.send(manager.callback(data.format(id=eval_id)))
    assert STALE_BUTTON in _alerts(bot.api)
    assert _status(roster, eval_id)[0] == "submitted"


async def test_refused_presses_are_audited_but_rate_limited(bot: BotHarness, roster: Database) -> None:
    own = _submitted(roster, "MAU016")
    cadre = UpdateFactory(user_id=516)
    await link(bot, cadre, MAU016)
    for _ in range(30):
        await bot.send(cadre.callback(f"rev:open:{own}"))
    await bot.send(cadre.callback("rev:open:²"))
    rows = roster.run(lambda s: s.scalars(select(AuditLog).where(AuditLog.action == "refused")).all())
    assert rows and rows[0].actor == "tg:516" and rows[0].target == f"rev:open:{own}"
    assert len(rows) <= 10
    assert roster.run(lambda s: s.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "refused"))) <= 10


async def test_hr_reading_a_course_roster_is_audited(bot: BotHarness, roster: Database) -> None:
    from bot.demo import DEMO_DATA
    from domain import accounts
    from domain.courses import import_courses

    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    hr, plain = UpdateFactory(user_id=504), UpdateFactory(user_id=505)
    await link(bot, hr, "0912345004")
    await link(bot, plain, "0912345005")
    await bot.send(hr.callback("course:roster:CDS-01"))
    rows = roster.run(lambda s: s.execute(select(AuditLog.actor, AuditLog.target)
                                          .where(AuditLog.action == "course-roster")).all())
    assert [tuple(r) for r in rows] == [("MAU004", "CDS-01")]
    texts = await bot.send(plain.callback("course:roster:CDS-01"))
    assert "chỉ dành cho cán bộ Ban Tổ chức" in texts[-1]
    refused = roster.run(lambda s: s.scalars(select(AuditLog.target).where(AuditLog.action == "refused")).all())
    assert refused == ["course:roster:CDS-01"]


async def test_capacity_with_superscript_digits_is_asked_again(bot: BotHarness, roster: Database) -> None:
    from bot.demo import DEMO_DATA
    from domain import accounts
    from domain.courses import import_courses

    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=504)
    await link(bot, hr, "0912345004")
    await bot.send(hr.callback("course:capacity:CDS-01"))
    assert "không phải số nguyên" in (await bot.send(hr.text("5²")))[-1]
