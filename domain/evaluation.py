"""Monthly self-evaluation and the manager's review (domain.md §4, resolution Mục III.4).

The draft is the evaluation row itself (status 'draft', with the step reached), written on
every step: closing Telegram, a restart or a timeout loses nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import Cadre, Evaluation, ReviewDelegation, Unit
from domain import conversation
from domain.accounts import Actor, audit
from domain.cadres import require_cadre
from domain.clock import as_utc, utcnow
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.outbox import enqueue
from domain.units import in_subtree

RATINGS = ("Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ", "Hoàn thành nhiệm vụ",
           "Không hoàn thành nhiệm vụ")
RATING_SHORT = ("XS", "Tốt", "HT", "KHT")
MAX_ITEMS = 30
MAX_ITEM_CHARS = 1000
MAX_DIFFICULTIES_CHARS = 2000
MAX_COMMENT_CHARS = 1000
ACTIVE_MINUTES = 30  # a draft touched within this time captures free text as its next answer
STEPS = ("results", "difficulties", "rating", "preview")
_BULLET = re.compile(r"^\s*(?:[-•*+–]|\d+[.)])\s*")


class EvaluationRefused(DomainError):
    pass


@dataclass(frozen=True)
class Window:
    open_day: int
    close_day: int

    def opens(self, year: int, month: int) -> date:
        return date(year, month, self.open_day)

    def closes(self, year: int, month: int) -> date:
        y, m = (year + 1, 1) if month == 12 else (year, month + 1)
        return date(y, m, self.close_day)

    def open_period(self, today: date) -> tuple[int, int]:
        """The month a cadre evaluates today: this month from its open day, else the previous one."""
        if today.day >= self.open_day:
            return today.year, today.month
        return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)

    def is_late(self, year: int, month: int, today: date) -> bool:
        return today > self.closes(year, month)

    def is_open(self, year: int, month: int, today: date) -> bool:
        return today >= self.opens(year, month)


def period_label(year: int, month: int) -> str:
    return f"tháng {month:02d}/{year}"


@dataclass(frozen=True)
class EvalView:
    id: int
    year: int
    month: int
    status: str
    step: str
    items: list[str]
    difficulties: str | None
    self_rating: int | None
    manager_rating: int | None
    manager_comment: str | None
    late: bool
    editable: bool
    cadre_code: str
    cadre_name: str
    reviewer_name: str | None

    @property
    def period(self) -> str:
        return period_label(self.year, self.month)


def _view(session: Session, ev: Evaluation, window: Window, today: date) -> EvalView:
    reviewer = session.get(Cadre, ev.reviewer_id) if ev.reviewer_id else None
    return EvalView(
        ev.id, ev.year, ev.month, ev.status, ev.step, json.loads(ev.results or "[]"), ev.difficulties,
        ev.self_rating, ev.manager_rating, ev.manager_comment, ev.late, _editable(ev, window, today),
        ev.cadre.code, ev.cadre.full_name, reviewer.full_name if reviewer else None,
    )


def _editable(ev: Evaluation, window: Window, today: date) -> bool:
    if ev.status == "draft":
        return True
    return ev.status == "submitted" and not window.is_late(ev.year, ev.month, today)


def _get(session: Session, cadre_id: int, year: int, month: int) -> Evaluation | None:
    return session.scalar(select(Evaluation).where(Evaluation.cadre_id == cadre_id, Evaluation.year == year,
                                                   Evaluation.month == month))


# --- the cadre's form ----------------------------------------------------------------------------


def start_or_resume(session: Session, cadre_id: int, today: date, window: Window,
                    period: tuple[int, int] | None = None) -> EvalView:
    """The open month's evaluation: resumed where the cadre stopped, or a new draft."""
    year, month = period or window.open_period(today)
    if not window.is_open(year, month, today):
        raise EvaluationRefused(
            f"Kỳ tự đánh giá {period_label(year, month)} chưa mở; kỳ mở ngày "
            f"{window.opens(year, month):%d/%m/%Y}."
        )
    ev = _get(session, cadre_id, year, month)
    if ev is None:
        now = utcnow()
        ev = Evaluation(cadre_id=cadre_id, year=year, month=month, status="draft", step="results", paused=False,
                        results="[]", created_at=now, updated_at=now)
        session.add(ev)
        try:
            session.flush()
        except IntegrityError as exc:  # a second device started the same month at the same moment
            raise EvaluationRefused("Bản tự đánh giá tháng này vừa được tạo ở nơi khác; hãy gõ /eval lại.") from exc
    elif ev.status == "draft":
        ev.paused, ev.updated_at = False, utcnow()
    return _view(session, ev, window, today)


def _owned(session: Session, cadre_id: int, eval_id: int) -> Evaluation:
    """The evaluation, if it is this cadre's own (the id comes from button data, which the client writes)."""
    ev = session.get(Evaluation, eval_id)
    if ev is None or ev.cadre_id != cadre_id:
        raise PermissionDenied("Bản tự đánh giá này không phải của bạn.")
    return ev


def _own_draft(session: Session, cadre_id: int, eval_id: int) -> Evaluation:
    ev = _owned(session, cadre_id, eval_id)
    if ev.status != "draft":
        raise EvaluationRefused("Bản tự đánh giá này đã gửi. Bấm “Sửa” nếu còn được sửa.")
    return ev


def _touch(ev: Evaluation, step: str | None = None) -> None:
    if step:
        ev.step = step
    ev.paused, ev.updated_at = False, utcnow()


def split_items(text: str) -> list[str]:
    """One item per line; list markers ('-', '•', '1.') dropped."""
    return [_BULLET.sub("", line).strip() for line in text.splitlines() if _BULLET.sub("", line).strip()]


def add_results(session: Session, cadre_id: int, eval_id: int, text: str, window: Window,
                today: date) -> EvalView:
    ev = _own_draft(session, cadre_id, eval_id)
    items = json.loads(ev.results or "[]")
    new = split_items(text)
    if any(len(i) > MAX_ITEM_CHARS for i in new):
        raise EvaluationRefused(f"Mỗi kết quả tối đa {MAX_ITEM_CHARS} ký tự; hãy tách thành nhiều dòng.")
    if len(items) + len(new) > MAX_ITEMS:
        raise EvaluationRefused(f"Tối đa {MAX_ITEMS} kết quả mỗi tháng; hãy gộp các việc nhỏ.")
    ev.results = json.dumps(items + new, ensure_ascii=False)
    _touch(ev, "results")
    return _view(session, ev, window, today)


def remove_last_result(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    ev = _own_draft(session, cadre_id, eval_id)
    items = json.loads(ev.results or "[]")
    ev.results = json.dumps(items[:-1], ensure_ascii=False)
    _touch(ev)
    return _view(session, ev, window, today)


def go_to(session: Session, cadre_id: int, eval_id: int, step: str, window: Window, today: date) -> EvalView:
    if step not in STEPS:
        raise EvaluationRefused("Bước không hợp lệ.")
    ev = _own_draft(session, cadre_id, eval_id)
    if step != "results" and not json.loads(ev.results or "[]"):
        raise EvaluationRefused("Cần ít nhất một kết quả công việc, sản phẩm trước khi sang bước sau.")
    if step == "preview" and ev.self_rating is None:
        step = "rating"
    _touch(ev, step)
    return _view(session, ev, window, today)


def set_difficulties(session: Session, cadre_id: int, eval_id: int, text: str | None, window: Window,
                     today: date) -> EvalView:
    ev = _own_draft(session, cadre_id, eval_id)
    if text and len(text) > MAX_DIFFICULTIES_CHARS:
        raise EvaluationRefused(f"Khó khăn, đề xuất tối đa {MAX_DIFFICULTIES_CHARS} ký tự.")
    ev.difficulties = text.strip() if text else None
    _touch(ev, "rating" if ev.self_rating is None else "preview")
    return _view(session, ev, window, today)


def set_self_rating(session: Session, cadre_id: int, eval_id: int, rating: int, window: Window,
                    today: date) -> EvalView:
    if not 0 <= rating < len(RATINGS):
        raise EvaluationRefused("Mức xếp loại không hợp lệ.")
    ev = _own_draft(session, cadre_id, eval_id)
    ev.self_rating = rating
    _touch(ev, "preview")
    return _view(session, ev, window, today)


def submit(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    ev = _own_draft(session, cadre_id, eval_id)
    if not json.loads(ev.results or "[]"):
        raise EvaluationRefused("Cần ít nhất một kết quả công việc, sản phẩm.")
    if ev.self_rating is None:
        raise EvaluationRefused("Hãy chọn mức tự xếp loại trước khi gửi.")
    first_submission = ev.submitted_at is None
    ev.status, ev.step, ev.paused = "submitted", "done", False
    ev.submitted_at, ev.updated_at = utcnow(), utcnow()
    ev.late = ev.late or window.is_late(ev.year, ev.month, today)
    audit(session, ev.cadre.code, "evaluation-submit", f"{ev.year}-{ev.month:02d}", "late" if ev.late else None)
    reviewer = reviewer_of(session, ev.cadre)
    if reviewer is not None and first_submission:
        enqueue(session, f"eval-submitted:{ev.year}-{ev.month:02d}:{ev.cadre.code}", reviewer, "eval-submitted",
                f"📝 {ev.cadre.full_name} đã gửi tự đánh giá {period_label(ev.year, ev.month)}"
                + (" (nộp muộn)" if ev.late else "") + ". Gõ /review để xem và xếp loại.")
    return _view(session, ev, window, today)


def reopen(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    """Edit a submitted evaluation: allowed until the manager rates it or the window closes."""
    ev = _owned(session, cadre_id, eval_id)
    if ev.status == "rated":
        raise EvaluationRefused("Cấp trên đã xếp loại bản tự đánh giá này nên không sửa được nữa.")
    if ev.status == "submitted" and window.is_late(ev.year, ev.month, today):
        raise EvaluationRefused(
            f"Kỳ {period_label(ev.year, ev.month)} đã đóng ngày {window.closes(ev.year, ev.month):%d/%m/%Y}; "
            "không sửa được nữa."
        )
    ev.status = "draft"
    _touch(ev, "preview")
    return _view(session, ev, window, today)


def pause(session: Session, cadre_id: int) -> bool:
    """/cancel: the draft stays, but free text stops going into it until /eval."""
    drafts = session.scalars(select(Evaluation).where(Evaluation.cadre_id == cadre_id, Evaluation.status == "draft"))
    paused = False
    for ev in drafts:
        ev.paused, paused = True, True
    return paused


def active_draft(session: Session, cadre_id: int, window: Window, today: date,
                 now: datetime | None = None) -> EvalView | None:
    """The draft that free text should go into: not paused, touched recently, at a text step."""
    now = now or utcnow()
    ev = session.scalar(select(Evaluation).where(
        Evaluation.cadre_id == cadre_id, Evaluation.status == "draft", Evaluation.paused.is_(False),
        Evaluation.step.in_(("results", "difficulties"))).order_by(Evaluation.updated_at.desc()).limit(1))
    if ev is None or as_utc(ev.updated_at) < now - timedelta(minutes=ACTIVE_MINUTES):
        return None
    return _view(session, ev, window, today)


def history(session: Session, cadre_id: int, window: Window, today: date, limit: int = 12) -> list[EvalView]:
    rows = session.scalars(select(Evaluation).where(Evaluation.cadre_id == cadre_id, Evaluation.status != "draft")
                           .order_by(Evaluation.year.desc(), Evaluation.month.desc()).limit(limit))
    return [_view(session, ev, window, today) for ev in rows]


def own_evaluation(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    ev = _owned(session, cadre_id, eval_id)
    return _view(session, ev, window, today)


# --- reviewers -------------------------------------------------------------------------------------


def reviewer_of(session: Session, cadre: Cadre) -> Cadre | None:
    """The direct manager from the roster; if none, the head of the parent unit."""
    if cadre.manager_code:
        manager = session.scalar(select(Cadre).where(Cadre.code == cadre.manager_code))
        if manager is not None and manager.id != cadre.id:
            return manager
    parent_id = cadre.unit.parent_id
    if parent_id is None:
        return None
    return session.scalar(select(Cadre).where(Cadre.unit_id == parent_id, Cadre.is_leader.is_(True),
                                              Cadre.id != cadre.id).order_by(Cadre.code).limit(1))


def _delegators(session: Session, deputy_id: int, today: date) -> list[int]:
    return list(session.scalars(select(ReviewDelegation.manager_id).where(
        ReviewDelegation.deputy_id == deputy_id, ReviewDelegation.start_date <= today,
        ReviewDelegation.end_date >= today)))


def _reviewees(session: Session, manager_ids: list[int]) -> list[Cadre]:
    """Everyone whose reviewer (direct manager, else parent-unit head) is one of these managers."""
    managers = list(session.scalars(select(Cadre).where(Cadre.id.in_(manager_ids))))
    codes = {m.code for m in managers}
    people: dict[int, Cadre] = {}
    if codes:
        people.update((c.id, c) for c in session.scalars(select(Cadre).where(Cadre.manager_code.in_(codes))))
    for unit_id in {m.unit_id for m in managers if m.is_leader}:
        # reviewer_of() gives people without a direct manager to the first leader (by code) of the parent unit
        head = session.scalar(select(func.min(Cadre.code)).where(Cadre.unit_id == unit_id, Cadre.is_leader.is_(True)))
        if head not in codes:
            continue
        orphans = session.scalars(select(Cadre).join(Unit, Cadre.unit_id == Unit.id).where(
            Unit.parent_id == unit_id, or_(Cadre.manager_code.is_(None), Cadre.manager_code == "")))
        people.update((c.id, c) for c in orphans)
    return [c for c in people.values() if c.id not in manager_ids]


def _may_review(session: Session, actor: Actor, ev: Evaluation, today: date) -> int | None:
    """The manager the actor reviews for (themselves or a delegator), or None."""
    reviewer = reviewer_of(session, ev.cadre)
    if reviewer is None:
        return None
    if reviewer.id == actor.cadre_id:
        return actor.cadre_id
    return reviewer.id if reviewer.id in _delegators(session, actor.cadre_id, today) else None


@dataclass(frozen=True)
class Pending:
    id: int
    cadre_code: str
    cadre_name: str
    period: str
    late: bool


def pending_reviews(session: Session, actor: Actor, today: date) -> list[Pending]:
    managers = [actor.cadre_id, *_delegators(session, actor.cadre_id, today)]
    people = _reviewees(session, managers)
    if not people:
        return []
    rows = session.scalars(select(Evaluation).where(
        Evaluation.cadre_id.in_([c.id for c in people]), Evaluation.status == "submitted")
        .order_by(Evaluation.year, Evaluation.month, Evaluation.submitted_at))
    return [Pending(ev.id, ev.cadre.code, ev.cadre.full_name, period_label(ev.year, ev.month), ev.late)
            for ev in rows]


def evaluation_for_review(session: Session, actor: Actor, eval_id: int, window: Window, today: date) -> EvalView:
    ev = session.get(Evaluation, eval_id)
    if ev is None:
        raise NotFound("Không tìm thấy bản tự đánh giá.")
    if _may_review(session, actor, ev, today) is None:
        raise PermissionDenied("Bạn không phải người đánh giá của cán bộ này.")
    audit(session, actor.code, "evaluation-read", f"{ev.cadre.code}:{ev.year}-{ev.month:02d}")
    return _view(session, ev, window, today)


def rate(session: Session, actor: Actor, eval_id: int, rating: int, comment: str | None, window: Window,
         today: date) -> EvalView:
    if not 0 <= rating < len(RATINGS):
        raise EvaluationRefused("Mức xếp loại không hợp lệ.")
    if comment and len(comment) > MAX_COMMENT_CHARS:
        raise EvaluationRefused(f"Nhận xét tối đa {MAX_COMMENT_CHARS} ký tự.")
    ev = session.get(Evaluation, eval_id)
    if ev is None:
        raise NotFound("Không tìm thấy bản tự đánh giá.")
    acting_for = _may_review(session, actor, ev, today)
    if acting_for is None:
        raise PermissionDenied("Bạn không phải người đánh giá của cán bộ này.")
    if ev.status == "rated":
        raise EvaluationRefused("Bản tự đánh giá này đã được xếp loại.")
    if ev.status != "submitted":
        raise EvaluationRefused("Cán bộ chưa gửi bản tự đánh giá này.")
    ev.status, ev.manager_rating, ev.manager_comment = "rated", rating, (comment or "").strip() or None
    ev.reviewer_id, ev.reviewed_for_id = actor.cadre_id, acting_for if acting_for != actor.cadre_id else None
    ev.rated_at, ev.updated_at = utcnow(), utcnow()
    manager = session.get(Cadre, acting_for)
    detail = f"rating={rating}" + (f"; thay mặt {manager.code}" if manager and acting_for != actor.cadre_id else "")
    audit(session, actor.code, "evaluation-rate", f"{ev.cadre.code}:{ev.year}-{ev.month:02d}", detail)
    text = (f"✅ Tự đánh giá {period_label(ev.year, ev.month)} của bạn đã được xếp loại: <b>{RATINGS[rating]}</b>."
            + (f"\nNhận xét: {ev.manager_comment}" if ev.manager_comment else ""))
    enqueue(session, f"eval-rated:{ev.year}-{ev.month:02d}:{ev.cadre.code}", ev.cadre, "eval-rated", text)
    return _view(session, ev, window, today)


REVIEW_CONFIRM_STEP = "review-confirm"


def rate_confirmed(session: Session, actor: Actor, chat: tuple[int, int], eval_id: int, rating: int,
                   window: Window, today: date) -> EvalView:
    """The manager confirmed: rate with the comment kept at the confirmation step, closing that step
    in the same transaction (a stale confirmation for another rating carries no comment)."""
    step = conversation.take_step(session, *chat, {REVIEW_CONFIRM_STEP})
    same = step is not None and step.argument == f"{eval_id}:{rating}"
    comment = str(step.data.get("comment", "")) if step is not None and same else ""
    return rate(session, actor, eval_id, rating, comment, window, today)


def delegate(session: Session, actor: Actor, deputy_code: str, start: date, end: date) -> str:
    if end < start:
        raise EvaluationRefused("Ngày kết thúc phải sau ngày bắt đầu.")
    deputy = require_cadre(session, deputy_code)
    unit = session.get(Unit, actor.unit_id)
    if deputy.id == actor.cadre_id or unit is None or not deputy.unit.path.startswith(unit.path):
        raise PermissionDenied("Chỉ ủy quyền được cho một cán bộ khác trong đơn vị của bạn.")
    session.add(ReviewDelegation(manager_id=actor.cadre_id, deputy_id=deputy.id, start_date=start, end_date=end,
                                 created_at=utcnow()))
    audit(session, actor.code, "review-delegate", deputy.code, f"{start:%Y-%m-%d}..{end:%Y-%m-%d}")
    return deputy.full_name


# --- unit status, quarter view, export -----------------------------------------------------------


@dataclass(frozen=True)
class StatusLine:
    code: str
    full_name: str
    unit_name: str
    status: str  # missing | draft | submitted | rated
    late: bool
    self_rating: int | None
    manager_rating: int | None


def month_status(session: Session, unit: Unit | None, year: int, month: int) -> list[StatusLine]:
    query = (select(Cadre, Unit, Evaluation).join(Unit, Cadre.unit_id == Unit.id)
             .outerjoin(Evaluation, and_(Evaluation.cadre_id == Cadre.id, Evaluation.year == year,
                                         Evaluation.month == month)))
    if unit is not None:
        query = query.where(in_subtree(unit.path))
    rows = session.execute(query.order_by(Unit.path, Cadre.full_name)).all()
    return [StatusLine(c.code, c.full_name, u.name, ev.status if ev else "missing", bool(ev and ev.late),
                       ev.self_rating if ev else None, ev.manager_rating if ev else None) for c, u, ev in rows]


def status_counts(lines: list[StatusLine]) -> dict[str, int]:
    counts = {"cadres": len(lines), "submitted": 0, "late": 0, "missing": 0, "reviewed": 0}
    for line in lines:
        if line.status in ("submitted", "rated"):
            counts["submitted"] += 1
        else:
            counts["missing"] += 1
        counts["late"] += line.late
        counts["reviewed"] += line.status == "rated"
    return counts


def unit_month_status(session: Session, actor: Actor, year: int, month: int) -> list[StatusLine]:
    """The manager's own unit subtree, person by person (audit-logged: it lists people)."""
    if not (actor.is_manager or actor.is_hr):
        raise PermissionDenied("Chức năng này chỉ dành cho cán bộ quản lý.")
    audit(session, actor.code, "evaluation-status", f"{actor.unit_code}:{year}-{month:02d}")
    return month_status(session, session.get(Unit, actor.unit_id), year, month)


def remind_missing(session: Session, actor: Actor, year: int, month: int, today: date) -> int:
    """The manager's reminder button: one message to each linked person who has not submitted."""
    unit = session.get(Unit, actor.unit_id)
    missing = [line.code for line in month_status(session, unit, year, month) if line.status in ("missing", "draft")]
    sent = 0
    for cadre in session.scalars(select(Cadre).where(Cadre.code.in_(missing))):
        if cadre.id == actor.cadre_id:
            continue
        sent += enqueue(session, f"eval-nudge:{year}-{month:02d}:{cadre.code}:{actor.code}:{today:%Y%m%d}", cadre,
                        "eval-reminder", f"⏰ {actor.full_name} nhắc bạn gửi tự đánh giá {period_label(year, month)}."
                        " Gõ /eval để làm ngay.")
    audit(session, actor.code, "evaluation-nudge", f"{year}-{month:02d}", f"{sent} người")
    return sent


def _grid_cell(ev: Evaluation | None) -> str:
    if ev is not None and ev.manager_rating is not None:
        return RATING_SHORT[ev.manager_rating]
    return "chờ" if ev is not None and ev.status == "submitted" else "—"


def ratings_grid(session: Session, actor: Actor, year: int, months: list[int]) -> list[tuple[str, list[str]]]:
    """Each person the actor reviews, with their monthly manager ratings side by side."""
    people = _reviewees(session, [actor.cadre_id])
    if not people:
        return []
    rows = session.scalars(select(Evaluation).where(Evaluation.cadre_id.in_([c.id for c in people]),
                                                    Evaluation.year == year, Evaluation.month.in_(months)))
    by_person: dict[int, dict[int, Evaluation]] = {}
    for ev in rows:
        by_person.setdefault(ev.cadre_id, {})[ev.month] = ev
    audit(session, actor.code, "evaluation-grid", str(year))
    grid = []
    for cadre in sorted(people, key=lambda c: c.full_name):
        cells = []
        for m in months:
            cells.append(_grid_cell(by_person.get(cadre.id, {}).get(m)))
        grid.append((cadre.full_name, cells))
    return grid
