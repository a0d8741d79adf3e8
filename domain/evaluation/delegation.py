"""Delegation on a phone: the manager's current and planned deputies, revoking one, candidates and date presets.

The rules themselves (who may be a deputy, no past period, at most 90 days, no overlapping deputy) live in
review.delegate; this module only lists, offers and revokes.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Cadre, ReviewDelegation, Unit
from domain.accounts import Actor, audit, require_manager
from domain.clock import utcnow
from domain.errors import NotFound
from domain.evaluation.review import check_deputy, check_no_overlapping_deputy, kept_from_deputy, reviewees
from domain.markup import esc
from domain.outbox import enqueue
from domain.units import in_subtree

MAX_CANDIDATES = 8
PRESETS = {"1w": "1 tuần", "2w": "2 tuần", "eom": "đến hết tháng"}


def preset_period(preset: str, today: date) -> tuple[date, date]:
    """A preset button's dates, computed on the server when it is pressed (from today)."""
    if preset == "1w":
        return today, today + timedelta(days=6)
    if preset == "2w":
        return today, today + timedelta(days=13)
    if preset == "eom":
        return today, today.replace(day=calendar.monthrange(today.year, today.month)[1])
    raise NotFound("Không có lựa chọn thời gian này.")


@dataclass(frozen=True)
class DelegationLine:
    id: int
    deputy_code: str
    deputy_name: str
    start: date
    end: date
    active: bool  # in force today (else planned)


def my_delegations(session: Session, actor: Actor, today: date) -> list[DelegationLine]:
    require_manager(actor)
    rows = session.execute(select(ReviewDelegation, Cadre).join(Cadre, ReviewDelegation.deputy_id == Cadre.id).where(
        ReviewDelegation.manager_id == actor.cadre_id, ReviewDelegation.end_date >= today)
        .order_by(ReviewDelegation.start_date)).all()
    return [DelegationLine(d.id, c.code, c.full_name, d.start_date, d.end_date, d.start_date <= today)
            for d, c in rows]


@dataclass(frozen=True)
class Candidate:
    cadre_id: int
    code: str
    full_name: str
    position: str


def deputy_candidates(session: Session, actor: Actor) -> list[Candidate]:
    """Leaders of the manager's unit subtree whom the manager does not rate (the rule in review.delegate)."""
    require_manager(actor)
    excluded = {c.id for c in reviewees(session, [actor.cadre_id])} | {actor.cadre_id}
    unit = session.get(Unit, actor.unit_id)
    if unit is None:
        return []
    rows = session.scalars(select(Cadre).join(Unit, Cadre.unit_id == Unit.id).where(
        in_subtree(unit.path), Cadre.is_leader.is_(True)).order_by(Unit.path, Cadre.name_key, Cadre.code).limit(50))
    return [Candidate(c.id, c.code, c.full_name, c.position) for c in rows if c.id not in excluded][:MAX_CANDIDATES]


def kept_by_manager(session: Session, actor: Actor, deputy_code: str, start: date, end: date
                    ) -> tuple[str, list[Candidate]]:
    """The deputy's name (re-checked) and the manager's people the deputy may not rate: those above the deputy
    in the review chain (review.deputy_may_rate). Shown before the manager confirms; a period that overlaps
    another deputy's is refused here already, not only at the final press."""
    require_manager(actor)
    deputy = check_deputy(session, actor, deputy_code)
    check_no_overlapping_deputy(session, actor.cadre_id, start, end, lock=False)
    kept = kept_from_deputy(session, actor.cadre_id, deputy)
    return deputy.full_name, [Candidate(c.id, c.code, c.full_name, c.position) for c in kept]


NOTHING_TO_DELEGATE, NOBODY_ELIGIBLE, ELIGIBLE = "nothing", "nobody", "ok"


def delegation_state(session: Session, actor: Actor) -> str:
    """Whether a new delegation makes sense: NOTHING_TO_DELEGATE when the actor rates nobody (an HR officer
    without reviewees), NOBODY_ELIGIBLE when no cadre may be the deputy (the rule in review.check_deputy:
    someone else in the unit's subtree whom the manager does not rate), else ELIGIBLE. The list says why
    instead of offering a new delegation that can only be refused."""
    require_manager(actor)
    rated = {c.id for c in reviewees(session, [actor.cadre_id])}
    if not rated:
        return NOTHING_TO_DELEGATE
    unit = session.get(Unit, actor.unit_id)
    if unit is None:
        return NOBODY_ELIGIBLE
    excluded = rated | {actor.cadre_id}
    ids = session.scalars(select(Cadre.id).join(Unit, Cadre.unit_id == Unit.id).where(in_subtree(unit.path))
                          .limit(len(excluded) + 1))
    return ELIGIBLE if any(i not in excluded for i in ids) else NOBODY_ELIGIBLE


def revoke(session: Session, actor: Actor, delegation_id: int, today: date) -> DelegationLine:
    """End a deputy's period: a planned one disappears, a current one ends yesterday (from now on, no rights)."""
    require_manager(actor)
    row = session.scalar(select(ReviewDelegation).where(ReviewDelegation.id == delegation_id).with_for_update())
    if row is None or row.manager_id != actor.cadre_id:
        raise NotFound("Không tìm thấy ủy quyền này (có thể đã thu hồi).")
    if row.end_date < today:
        raise NotFound("Ủy quyền này đã hết hạn.")
    deputy = session.get(Cadre, row.deputy_id)
    line = DelegationLine(row.id, deputy.code if deputy else "", deputy.full_name if deputy else "", row.start_date,
                          row.end_date, row.start_date <= today)
    if row.start_date >= today:
        session.delete(row)
    else:
        row.end_date = today - timedelta(days=1)
    audit(session, actor.code, "review-delegate-revoke", line.deputy_code,
          f"{line.start:%Y-%m-%d}..{line.end:%Y-%m-%d}")
    if deputy is not None:
        enqueue(session, f"delegation-revoked:{row.id}:{utcnow():%Y%m%d%H%M%S%f}", deputy, "delegation",
                f"↩️ {esc(actor.full_name)} đã thu hồi ủy quyền xếp loại ({line.start:%d/%m/%Y} – "
                f"{line.end:%d/%m/%Y}); từ nay bạn không xếp loại thay nữa.")
    return line
