"""Every evaluation has a reviewer: who the roster leaves without one, and HR assigning one.

reviewer_of() takes the direct manager from the roster, else the reviewer HR assigned, else the
head of the parent unit. A cadre with none of these (a commune Party secretary whose province
leaders are not in the roster) is listed for HR as "chưa có người xếp loại"; HR assigns one, the
change is kept in the cadre's history, and the cadre and the reviewer are told.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Cadre, RecordChange, Unit
from domain import conversation
from domain.accounts import Actor, audit, require_hr
from domain.cadres import require_cadre
from domain.clock import utcnow
from domain.evaluation.common import EvaluationRefused
from domain.evaluation.review import reviewer_of, reviewers_above
from domain.markup import esc
from domain.outbox import enqueue
from domain.tags import tag_of


@dataclass(frozen=True)
class Unreviewed:
    code: str
    full_name: str
    unit_name: str


def without_reviewer(session: Session) -> list[Unreviewed]:
    """Cadres reviewer_of() finds nobody for, computed for the whole province in three queries."""
    rows = session.execute(select(Cadre.id, Cadre.code, Cadre.full_name, Cadre.manager_code, Cadre.reviewer_code,
                                  Unit.parent_id, Unit.name).join(Unit, Unit.id == Cadre.unit_id)
                           .order_by(Unit.path, Cadre.code)).all()
    codes = {r.code for r in rows}
    leaders: dict[int, set[int]] = {}
    for cadre_id, unit_id in session.execute(select(Cadre.id, Cadre.unit_id).where(Cadre.is_leader.is_(True))):
        leaders.setdefault(unit_id, set()).add(cadre_id)

    def has_reviewer(r: Any) -> bool:
        named = [c for c in (r.manager_code, r.reviewer_code) if c and c in codes and c != r.code]
        above = r.parent_id is not None and bool(leaders.get(r.parent_id, set()) - {r.id})
        return bool(named) or above

    return [Unreviewed(r.code, r.full_name, r.name) for r in rows if not has_reviewer(r)]


REVIEWER_CONFIRM_STEP = "reviewer-confirm"  # HR's choice, held until confirmed (a restart keeps it)


@dataclass(frozen=True)
class ReviewerChoice:
    """What HR confirms: who will rate whom (the reviewer's post and unit, so a mistyped code is seen), and which
    of the two the bot cannot tell (not linked): (name, code) pairs."""

    cadre: tuple[str, str]
    reviewer: tuple[str, str]
    reviewer_position: str
    reviewer_unit: str
    unlinked: list[tuple[str, str]]
    replaces: tuple[str, str] | None = None  # the reviewer HR assigned before, whom this one replaces
    assigned_code: str = ""  # the cadre's reviewer code as read (checked again at the confirmation)

    @classmethod
    def of(cls, cadre: Cadre, reviewer: Cadre, replaces: Cadre | None = None) -> ReviewerChoice:
        return cls((cadre.full_name, cadre.code), (reviewer.full_name, reviewer.code), reviewer.position,
                   reviewer.unit.name, [(c.full_name, c.code) for c in (cadre, reviewer) if c.telegram_chat_id is None],
                   (replaces.full_name, replaces.code) if replaces else None, cadre.reviewer_code or "")


def _checked(session: Session, actor: Actor, cadre_code: str, reviewer_code: str, lock: bool) -> tuple[Cadre, Cadre]:
    require_hr(actor)
    cadre, reviewer = require_cadre(session, cadre_code), require_cadre(session, reviewer_code)
    if lock:  # read, lock, then check the state as it is under the lock (PostgreSQL is READ COMMITTED)
        session.execute(select(Cadre.id).where(Cadre.id == cadre.id).with_for_update())
        session.refresh(cadre)
    if reviewer.id == cadre.id:
        raise EvaluationRefused("Không thể giao cho cán bộ tự xếp loại chính mình.")
    current = reviewer_of(session, cadre)
    if current is not None and current.code != cadre.reviewer_code:  # the roster or the unit gives one, not HR
        raise EvaluationRefused(f"{cadre.full_name} đã có người xếp loại theo danh sách cán bộ: {current.full_name} "
                                f"({current.code}). Nếu cần đổi, hãy sửa trong danh sách cán bộ.")
    if not reviewer.is_leader:
        raise EvaluationRefused(f"{reviewer.full_name} ({reviewer.code}) không giữ chức vụ lãnh đạo: người xếp loại "
                                "phải là một lãnh đạo cấp trên.")
    if cadre.id in {boss.id for boss in reviewers_above(session, reviewer)}:  # nobody rates their own boss
        raise EvaluationRefused(f"{reviewer.full_name} ({reviewer.code}) là cấp dưới của {cadre.full_name} trong "
                                "chuỗi xếp loại, nên không xếp loại được cấp trên của mình. Hãy gõ mã một lãnh đạo "
                                "cấp trên.")
    return cadre, reviewer


def _assigned(session: Session, cadre: Cadre) -> Cadre | None:
    """The reviewer HR assigned the cadre before, if any."""
    return session.scalar(select(Cadre).where(Cadre.code == cadre.reviewer_code)) if cadre.reviewer_code else None


def reviewer_choice(session: Session, actor: Actor, cadre_code: str, reviewer_code: str) -> ReviewerChoice:
    """HR typed a reviewer's code: checked, and described for the confirmation, with the reviewer HR assigned
    before if this one replaces them (nothing is written)."""
    cadre, reviewer = _checked(session, actor, cadre_code, reviewer_code, lock=False)
    before = _assigned(session, cadre)
    return ReviewerChoice.of(cadre, reviewer, before if before is not None and before.id != reviewer.id else None)


def assign_reviewer(session: Session, actor: Actor, cadre_code: str, reviewer_code: str,
                    assigned_before: str | None = None) -> ReviewerChoice:
    """HR names who reviews a cadre the roster gives no direct manager (checked again, under the cadre's lock);
    the change is kept in the cadre's history, and both are told where the bot reaches them. `assigned_before`:
    the cadre's reviewer code as HR's confirmation read it; another one since (assigned meanwhile) refuses."""
    cadre, reviewer = _checked(session, actor, cadre_code, reviewer_code, lock=True)
    if assigned_before is not None and (cadre.reviewer_code or "") != assigned_before:
        raise EvaluationRefused(f"Người xếp loại của {cadre.full_name} vừa được giao ({cadre.reviewer_code or 'hủy'}) "
                                "sau khi bạn xem; chưa giao gì. Mở lại 👤 Chưa có người xếp loại để xem lại.")
    replaced = _assigned(session, cadre)
    old, cadre.reviewer_code, cadre.updated_at = cadre.reviewer_code, reviewer.code, utcnow()
    session.add(RecordChange(cadre_id=cadre.id, at=utcnow(), source="correction", field="reviewer_code",
                             old_value=old, new_value=reviewer.code, actor=actor.code,
                             detail="Ban Tổ chức giao người xếp loại"))
    audit(session, actor.code, "assign-reviewer", cadre.code, reviewer.code)
    stamp = f"{utcnow():%Y%m%d%H%M%S}"
    enqueue(session, f"reviewer-assigned:{cadre.code}:{stamp}", cadre, "reviewer-assigned",
            f"👤 Người xếp loại tự đánh giá hằng tháng của bạn: {esc(reviewer.full_name)} ({esc(reviewer.code)}), "
            "do Ban Tổ chức giao.")
    enqueue(session, f"reviewer-assigned-to:{cadre.code}:{stamp}", reviewer, "reviewer-assigned",
            f"👤 Ban Tổ chức giao bạn xếp loại tự đánh giá hằng tháng của {esc(cadre.full_name)} ({esc(cadre.code)}). "
            "Gõ /review khi có bản gửi đến.")
    if replaced is not None and replaced.id != reviewer.id:
        enqueue(session, f"reviewer-replaced:{cadre.code}:{stamp}", replaced, "reviewer-assigned",
                f"👤 Ban Tổ chức đã giao {esc(reviewer.full_name)} ({esc(reviewer.code)}) xếp loại tự đánh giá của "
                f"{esc(cadre.full_name)} ({esc(cadre.code)}) thay bạn.")
    return ReviewerChoice.of(cadre, reviewer, replaced)


def choice_tag(reviewer_code: str) -> str:
    """The reviewer a confirmation showed, for its button: a confirmation of another one assigns nothing."""
    return tag_of(reviewer_code.strip().upper())


def assign_confirmed(session: Session, actor: Actor, chat: tuple[int, int], cadre_code: str,
                     tag: str = "") -> ReviewerChoice:
    """The confirmation pressed: the choice held in the chat's step for this cadre, in one transaction with it
    (a press for another cadre, or for a reviewer since replaced by a newer choice, is refused and leaves it)."""
    step = conversation.take_step(session, *chat, [REVIEWER_CONFIRM_STEP])
    if step is None or step.data.get("cadre") != cadre_code:
        raise EvaluationRefused("Nút này đã cũ: không có việc giao người xếp loại nào đang chờ xác nhận. Mở lại "
                                "🛠 Quản trị → 👤 Chưa có người xếp loại.")
    reviewer = str(step.data["reviewer"])
    if tag and tag != choice_tag(reviewer):
        raise EvaluationRefused(f"Nút đó xác nhận một lựa chọn đã được thay; chưa giao gì. Lựa chọn đang chờ: "
                                f"{reviewer.upper()} – dùng nút dưới tin nhắn mới nhất.")
    before = step.data.get("replaces")  # absent in a choice held before it was kept
    return assign_reviewer(session, actor, cadre_code, reviewer, None if before is None else str(before))


def decline_choice(session: Session, chat: tuple[int, int], cadre_code: str) -> None:
    """HR said no at the confirmation: the held choice for this cadre ends (another step is left alone)."""
    step = conversation.current_step(session, *chat)
    if step is not None and step.name == REVIEWER_CONFIRM_STEP and step.data.get("cadre") == cadre_code:
        conversation.close_step(session, *chat)


def tell_hr_no_reviewer(session: Session, cadre: Cadre, period: str) -> int:
    """A submission nobody can review: every HR officer reachable in the bot is told, once per month."""
    told = 0
    for hr in session.scalars(select(Cadre).where(Cadre.is_hr.is_(True))):
        told += enqueue(session, f"no-reviewer:{period}:{cadre.code}:{hr.code}", hr, "reviewer-assigned",
                        f"⚠️ {esc(cadre.full_name)} ({esc(cadre.code)}) đã gửi tự đánh giá {period} nhưng chưa "
                        "có người xếp loại. Vào 🛠 Quản trị → 👤 Chưa có người xếp loại để giao.")
    return told
