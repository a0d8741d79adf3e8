"""The weekly digest reads every manager's waiting reviews from one queue: the same as pending_reviews()."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import Database
from db.models import Cadre, Evaluation, ReviewDelegation
from domain.accounts import Actor
from domain.clock import utcnow
from domain.evaluation import EvalStatus, ReviewQueue, pending_reviews
from tests import builders as build

TODAY = date(2026, 11, 26)


def _evaluation(session: Session, cadre: Cadre, status: str, month: int = 10) -> None:
    now = utcnow()
    session.add(Evaluation(cadre_id=cadre.id, year=2026, month=month, status=status, step="done", results="[]",
                           submitted_at=now - timedelta(minutes=month), created_at=now, updated_at=now))
    session.flush()


def _province(session: Session) -> None:
    """Every way of being someone's reviewee: direct manager, HR-assigned reviewer, head of the parent unit
    (the first leader by code), a delegation; and what is not waiting (drafts, rated)."""
    province = build.unit(session, "P1", level="Tỉnh")
    commune = build.unit(session, "X1", parent=province)
    head = build.cadre(session, province, "A001", is_leader=True)
    second = build.cadre(session, province, "A002", is_leader=True)
    boss = build.cadre(session, commune, "B001", is_leader=True)
    deputy = build.cadre(session, commune, "B002", manager=boss)
    staff = [build.cadre(session, commune, manager=boss) for _ in range(3)]
    assigned = build.cadre(session, commune, reviewer_code=second.code)
    orphan = build.cadre(session, commune)
    blank = build.cadre(session, commune, manager_code="")
    for person, month in ((deputy, 10), (staff[0], 10), (staff[1], 9), (assigned, 10), (orphan, 10), (blank, 8),
                          (boss, 10), (second, 10)):
        _evaluation(session, person, EvalStatus.SUBMITTED, month)
    _evaluation(session, staff[2], EvalStatus.DRAFT)
    _evaluation(session, staff[0], EvalStatus.RATED, 8)
    session.add(ReviewDelegation(manager_id=boss.id, deputy_id=second.id, start_date=TODAY,
                                 end_date=TODAY + timedelta(days=3), created_at=utcnow()))
    session.add(ReviewDelegation(manager_id=head.id, deputy_id=deputy.id, start_date=TODAY - timedelta(days=9),
                                 end_date=TODAY - timedelta(days=1), created_at=utcnow()))  # over
    session.add(ReviewDelegation(manager_id=boss.id, deputy_id=deputy.id, start_date=TODAY,
                                 end_date=TODAY, created_at=utcnow()))  # the deputy's own reviewer: ignored


def _actor(cadre: Cadre) -> Actor:
    unit = cadre.unit
    return Actor(cadre.id, cadre.code, cadre.full_name, unit.id, unit.code, unit.name, unit.path, True, False)


def test_the_queue_gives_every_manager_what_pending_reviews_gives(database: Database) -> None:
    def compare(session: Session) -> list[tuple[str, int]]:
        _province(session)
        queue = ReviewQueue(session, TODAY)
        seen: list[tuple[str, int]] = []
        for cadre in session.scalars(select(Cadre).order_by(Cadre.code)):
            actor = _actor(cadre)
            expected: Any = [(p.id, p.cadre_code, p.period, p.late) for p in pending_reviews(session, actor, TODAY)]
            got = [(p.id, p.cadre_code, p.period, p.late) for p in queue.pending_for(session, actor)]
            assert sorted(got) == sorted(expected), cadre.code
            seen.append((cadre.code, len(got)))
        return seen

    counts = dict(database.run(compare))
    # The province's first leader: the commune's people without manager or reviewer (its head among them).
    assert counts["A001"] == 3
    assert counts["B001"] == 3  # direct reports (a draft and a rated one are not waiting)
    assert counts["A002"] == 1 + 3  # assigned by HR, and the commune head's, as his deputy
    assert counts["B002"] == 0  # a delegation from one's own reviewer is ignored

