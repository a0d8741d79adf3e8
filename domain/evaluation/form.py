"""The cadre's monthly self-evaluation form: the draft is the evaluation row itself, written on every step."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import Evaluation
from domain.accounts import audit
from domain.clock import as_utc, utcnow
from domain.errors import PermissionDenied
from domain.evaluation.common import RATINGS, EvaluationRefused, EvalView, Window, period_label, view
from domain.evaluation.review import reviewer_of
from domain.markup import esc
from domain.outbox import enqueue

MAX_ITEMS = 30
MAX_ITEM_CHARS = 1000
MAX_DIFFICULTIES_CHARS = 2000
ACTIVE_MINUTES = 30  # a draft touched within this time captures free text as its next answer
STEPS = ("results", "difficulties", "rating", "preview")
_BULLET = re.compile(r"^\s*(?:[-•*+–]|\d+[.)])\s*")


def _get(session: Session, cadre_id: int, year: int, month: int) -> Evaluation | None:
    return session.scalar(select(Evaluation).where(Evaluation.cadre_id == cadre_id, Evaluation.year == year,
                                                   Evaluation.month == month))


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
    return view(session, ev, window, today)


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
    return view(session, ev, window, today)


def remove_last_result(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    ev = _own_draft(session, cadre_id, eval_id)
    items = json.loads(ev.results or "[]")
    ev.results = json.dumps(items[:-1], ensure_ascii=False)
    _touch(ev)
    return view(session, ev, window, today)


def go_to(session: Session, cadre_id: int, eval_id: int, step: str, window: Window, today: date) -> EvalView:
    if step not in STEPS:
        raise EvaluationRefused("Bước không hợp lệ.")
    ev = _own_draft(session, cadre_id, eval_id)
    if step != "results" and not json.loads(ev.results or "[]"):
        raise EvaluationRefused("Cần ít nhất một kết quả công việc, sản phẩm trước khi sang bước sau.")
    if step == "preview" and ev.self_rating is None:
        step = "rating"
    _touch(ev, step)
    return view(session, ev, window, today)


def set_difficulties(session: Session, cadre_id: int, eval_id: int, text: str | None, window: Window,
                     today: date) -> EvalView:
    ev = _own_draft(session, cadre_id, eval_id)
    if text and len(text) > MAX_DIFFICULTIES_CHARS:
        raise EvaluationRefused(f"Khó khăn, đề xuất tối đa {MAX_DIFFICULTIES_CHARS} ký tự.")
    ev.difficulties = text.strip() if text else None
    _touch(ev, "rating" if ev.self_rating is None else "preview")
    return view(session, ev, window, today)


def set_self_rating(session: Session, cadre_id: int, eval_id: int, rating: int, window: Window,
                    today: date) -> EvalView:
    if not 0 <= rating < len(RATINGS):
        raise EvaluationRefused("Mức xếp loại không hợp lệ.")
    ev = _own_draft(session, cadre_id, eval_id)
    ev.self_rating = rating
    _touch(ev, "preview")
    return view(session, ev, window, today)


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
                f"📝 {esc(ev.cadre.full_name)} đã gửi tự đánh giá {period_label(ev.year, ev.month)}"
                + (" (nộp muộn)" if ev.late else "") + ". Gõ /review để xem và xếp loại.")
    return view(session, ev, window, today)


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
    return view(session, ev, window, today)


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
    return view(session, ev, window, today)


def history(session: Session, cadre_id: int, window: Window, today: date, limit: int = 12) -> list[EvalView]:
    rows = session.scalars(select(Evaluation).where(Evaluation.cadre_id == cadre_id, Evaluation.status != "draft")
                           .order_by(Evaluation.year.desc(), Evaluation.month.desc()).limit(limit))
    return [view(session, ev, window, today) for ev in rows]


def own_evaluation(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    ev = _owned(session, cadre_id, eval_id)
    return view(session, ev, window, today)
