"""The cadre's monthly self-evaluation form: the draft is the evaluation row itself, written on every step.

Editing a submitted evaluation never takes it back: the edit is kept beside it (edit_draft, JSON)
while the submitted version stays submitted and in the manager's queue; only sending the edit
replaces it. Every form step works on a Work copy read from the row (a draft) or from the edit.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import Cadre, Evaluation
from domain import conversation, vn
from domain.accounts import audit
from domain.clock import as_utc, utcnow
from domain.errors import PermissionDenied
from domain.evaluation.common import (
    RATINGS,
    EvalStatus,
    EvaluationRefused,
    EvalView,
    Window,
    Work,
    cut,
    period_label,
    unsent_text,
    view,
    work_of,
    work_text,
)
from domain.evaluation.review import deputies_for, reviewer_of
from domain.evaluation.reviewers import tell_hr_no_reviewer
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
        ev = Evaluation(cadre_id=cadre_id, year=year, month=month, status=EvalStatus.DRAFT, step="results",
                        paused=False, results="[]", created_at=now, updated_at=now)
        session.add(ev)
        try:
            session.flush()
        except IntegrityError as exc:  # a second device started the same month at the same moment
            raise EvaluationRefused("Bản tự đánh giá tháng này vừa được tạo ở nơi khác; hãy gõ /eval lại.") from exc
    elif (work := work_of(ev)) is not None:
        _save(ev, work)
        return _form_view(session, ev, work, window, today)
    return view(session, ev, window, today)


def _owned(session: Session, cadre_id: int, eval_id: int, lock: bool = False) -> Evaluation:
    """The evaluation, if it is this cadre's own (the id comes from button data, which the client writes).
    `lock`: the caller changes it; the row is locked before its state is checked, so a rating committed
    meanwhile is seen (PostgreSQL is READ COMMITTED)."""
    ev = (session.get(Evaluation, eval_id, with_for_update=True, populate_existing=True) if lock
          else session.get(Evaluation, eval_id))
    if ev is None or ev.cadre_id != cadre_id:
        raise PermissionDenied("Bản tự đánh giá này không phải của bạn.")
    return ev


def _save(ev: Evaluation, work: Work, step: str | None = None) -> None:
    work.step, work.paused = step or work.step, False
    if ev.status == EvalStatus.DRAFT:
        ev.results, ev.difficulties = json.dumps(work.results, ensure_ascii=False), work.difficulties
        ev.self_rating, ev.step, ev.paused = work.self_rating, work.step, False
    else:
        ev.edit_draft = json.dumps(asdict(work), ensure_ascii=False)
    ev.updated_at = utcnow()


def _form_view(session: Session, ev: Evaluation, work: Work, window: Window, today: date) -> EvalView:
    """What the owner sees at the form: the draft, or the edit beside the submitted version."""
    base = view(session, ev, window, today)
    if ev.status == EvalStatus.DRAFT:
        return base
    return replace(base, status=EvalStatus.DRAFT, step=work.step, items=list(work.results),
                   difficulties=work.difficulties, self_rating=work.self_rating, editing=True)


def _own_draft(session: Session, cadre_id: int, eval_id: int, typed: str | None = None) -> tuple[Evaluation, Work]:
    """The cadre's draft or edit, locked. `typed`: the text being added, given back if it can no longer be."""
    ev = _owned(session, cadre_id, eval_id, lock=True)
    work = work_of(ev)
    if work is None and ev.status == EvalStatus.RATED:
        kept = f"\nNội dung bạn vừa gõ chưa được lưu, để giữ lại:\n{cut(typed, TYPED_SHOWN_CHARS)}" if typed else ""
        raise EvaluationRefused("Cấp trên đã xếp loại bản tự đánh giá này nên không sửa được nữa." + kept)
    if work is None:
        raise EvaluationRefused("Bản tự đánh giá này đã gửi. Bấm “Sửa” nếu còn được sửa.")
    return ev, work


MIN_ITEM_LETTERS = 3
TYPED_SHOWN_CHARS = 3000


def split_items(text: str) -> list[str]:
    """One item per line; list markers ('-', '•', '1.') dropped."""
    return [_BULLET.sub("", line).strip() for line in text.splitlines() if _BULLET.sub("", line).strip()]


def add_results(session: Session, cadre_id: int, eval_id: int, text: str, window: Window,
                today: date) -> EvalView:
    ev, work = _own_draft(session, cadre_id, eval_id, typed=text)
    new = split_items(text)
    if any(sum(ch.isalpha() for ch in i) < MIN_ITEM_LETTERS for i in new):  # "👍", "ok": not a piece of work
        raise EvaluationRefused("Mỗi kết quả cần mô tả công việc, sản phẩm bằng vài chữ (ví dụ “Hoàn thành báo cáo "
                                "tháng”).")
    if any(len(i) > MAX_ITEM_CHARS for i in new):
        raise EvaluationRefused(f"Mỗi kết quả tối đa {vn.number(MAX_ITEM_CHARS)} ký tự; hãy tách thành nhiều dòng.")
    if len(work.results) + len(new) > MAX_ITEMS:
        raise EvaluationRefused(f"Tối đa {MAX_ITEMS} kết quả mỗi tháng; hãy gộp các việc nhỏ.")
    work.results += new
    _save(ev, work, "results")
    return _form_view(session, ev, work, window, today)


def remove_last_result(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    """"↩️ Xóa mục cuối" of step 1: only while the form is at step 1 (an older message's button pressed at a later
    step deleted items unseen), and the item removed is given back, so a slip of the finger loses nothing."""
    ev, work = _own_draft(session, cadre_id, eval_id)
    if work.step != "results":
        raise EvaluationRefused("Nút “↩️ Xóa mục cuối” thuộc bước 1, mà bản tự đánh giá đang ở bước sau: chưa xóa "
                                "gì. Muốn sửa kết quả, bấm “✏️ Sửa kết quả” ở bước xem lại.")
    removed = work.results[-1] if work.results else ""
    work.results = work.results[:-1]
    _save(ev, work)
    return replace(_form_view(session, ev, work, window, today), given_back=removed)


def go_to(session: Session, cadre_id: int, eval_id: int, step: str, window: Window, today: date) -> EvalView:
    if step not in STEPS:
        raise EvaluationRefused("Bước không hợp lệ.")
    ev, work = _own_draft(session, cadre_id, eval_id)
    if step != "results" and not work.results:
        raise EvaluationRefused("Cần ít nhất một kết quả công việc, sản phẩm trước khi sang bước sau.")
    if step == "preview" and work.self_rating is None:
        step = "rating"
    _save(ev, work, step)
    return _form_view(session, ev, work, window, today)


def set_difficulties(session: Session, cadre_id: int, eval_id: int, text: str | None, window: Window,
                     today: date) -> EvalView:
    ev, work = _own_draft(session, cadre_id, eval_id, typed=text)
    if text and len(text) > MAX_DIFFICULTIES_CHARS:
        raise EvaluationRefused(f"Khó khăn, đề xuất tối đa {vn.number(MAX_DIFFICULTIES_CHARS)} ký tự.")
    work.difficulties = text.strip() if text else None
    return _past_difficulties(session, ev, work, window, today)


def keep_difficulties(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    """"Bỏ qua" at step 2: on to the rating, the difficulties as they are (an edit keeps what was sent)."""
    ev, work = _own_draft(session, cadre_id, eval_id)
    return _past_difficulties(session, ev, work, window, today)


def _past_difficulties(session: Session, ev: Evaluation, work: Work, window: Window, today: date) -> EvalView:
    """Step 2 done: on to the rating, or back to the preview when the rating was chosen already."""
    _save(ev, work, "rating" if work.self_rating is None else "preview")
    return _form_view(session, ev, work, window, today)


def set_self_rating(session: Session, cadre_id: int, eval_id: int, rating: int, window: Window,
                    today: date) -> EvalView:
    if not 0 <= rating < len(RATINGS):
        raise EvaluationRefused("Mức xếp loại không hợp lệ.")
    ev, work = _own_draft(session, cadre_id, eval_id)
    work.self_rating = rating
    _save(ev, work, "preview")
    return _form_view(session, ev, work, window, today)


def submit(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    """Send the draft, or the edit of a submitted evaluation (which then replaces it)."""
    ev, work = _own_draft(session, cadre_id, eval_id)
    if not work.results:
        raise EvaluationRefused("Cần ít nhất một kết quả công việc, sản phẩm.")
    if work.self_rating is None:
        raise EvaluationRefused("Hãy chọn mức tự xếp loại trước khi gửi.")
    first_submission = ev.submitted_at is None
    if not first_submission and window.is_late(ev.year, ev.month, today):
        raise EvaluationRefused(_closed_for_edits(ev, window) + " Bản đã gửi giữ nguyên. Nội dung bản sửa, để giữ "
                                f"lại:\n{work_text(work, TYPED_SHOWN_CHARS)}")
    ev.results, ev.difficulties = json.dumps(work.results, ensure_ascii=False), work.difficulties
    ev.self_rating, ev.edit_draft = work.self_rating, None
    ev.status, ev.step, ev.paused = EvalStatus.SUBMITTED, "done", False
    ev.submitted_at, ev.updated_at = utcnow(), utcnow()
    ev.late = ev.late or window.is_late(ev.year, ev.month, today)
    detail = ", ".join(d for d in ("late" if ev.late else "", "" if first_submission else "resubmitted") if d)
    audit(session, ev.cadre.code, "evaluation-submit", f"{ev.year}-{ev.month:02d}", detail or None)
    reviewer = reviewer_of(session, ev.cadre)
    if reviewer is not None:
        _tell_reviewers(session, ev, reviewer, today, edited=not first_submission)
    else:
        tell_hr_no_reviewer(session, ev.cadre, period_label(ev.year, ev.month))
    return replace(view(session, ev, window, today), next_reviewer=reviewer.full_name if reviewer else None,
                   no_reviewer=reviewer is None)


def _tell_reviewers(session: Session, ev: Evaluation, reviewer: Cadre, today: date, edited: bool) -> None:
    """The reviewer, and any deputy who may rate this evaluation for them today, hear of a submission; of an edit
    too, which replaces a version they may have opened already."""
    what = "bản sửa tự đánh giá" if edited else "tự đánh giá"
    sent = (f"📝 {esc(ev.cadre.full_name)} đã gửi {what} {period_label(ev.year, ev.month)}"
            + (" (nộp muộn)" if ev.late else "") + ("; bản này thay bản gửi trước, hãy xem lại." if edited else "."))
    key = f"eval-submitted:{ev.year}-{ev.month:02d}:{ev.cadre.code}"
    if edited:
        key += f":{utcnow():%Y%m%d%H%M%S%f}"
    enqueue(session, key, reviewer, "eval-submitted", f"{sent} Gõ /review để xem và xếp loại.")
    for deputy in deputies_for(session, reviewer, ev.cadre_id, today):
        enqueue(session, f"{key}:{deputy.code}", deputy, "eval-submitted",
                f"{sent} Bạn xếp loại thay {esc(reviewer.full_name)} (được ủy quyền). Gõ /review để xem và xếp loại.")


def _closed_for_edits(ev: Evaluation, window: Window) -> str:
    return (f"Kỳ {period_label(ev.year, ev.month)} đã đóng ngày {window.closes(ev.year, ev.month):%d/%m/%Y}; "
            "không sửa được nữa.")


def reopen(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    """Edit a submitted evaluation, until the manager rates it or the window closes. The submitted
    version stays submitted (and in the manager's queue) until the edit is sent."""
    ev = _owned(session, cadre_id, eval_id, lock=True)
    if ev.status == EvalStatus.RATED:
        raise EvaluationRefused("Cấp trên đã xếp loại bản tự đánh giá này nên không sửa được nữa.")
    if ev.status == EvalStatus.SUBMITTED and window.is_late(ev.year, ev.month, today):
        raise EvaluationRefused(_closed_for_edits(ev, window))
    work = work_of(ev) or Work(json.loads(ev.results or "[]"), ev.difficulties, ev.self_rating, "preview")
    _save(ev, work, "preview")
    return _form_view(session, ev, work, window, today)


def discard_edit(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    """Drop the edit of a submitted evaluation; the submitted version is what remains."""
    ev = _owned(session, cadre_id, eval_id, lock=True)
    given_back = unsent_text(ev, TYPED_SHOWN_CHARS)  # one tap drops it: what it held comes back in the reply
    ev.edit_draft = None
    return replace(view(session, ev, window, today), given_back=given_back)


# Checked for every command (does a draft take free text?): built once, see domain.accounts.
_OPEN_FORMS = select(Evaluation).where(
    Evaluation.cadre_id == bindparam("cadre_id"),
    or_(Evaluation.status == EvalStatus.DRAFT,
        and_(Evaluation.status == EvalStatus.SUBMITTED, Evaluation.edit_draft.is_not(None)))
).order_by(Evaluation.updated_at.desc())


def _open_forms(session: Session, cadre_id: int) -> list[tuple[Evaluation, Work]]:
    rows = session.scalars(_OPEN_FORMS, {"cadre_id": cadre_id})
    return [(ev, work) for ev in rows if (work := work_of(ev)) is not None]


def pause(session: Session, cadre_id: int) -> str:
    """/cancel: the draft (or edit) stays, but free text stops going into it until /eval.

    'edit' when an edit of a submitted evaluation was paused (the submitted one still stands), 'draft' for
    a draft, '' when nothing was open: the reply says which."""
    forms = _open_forms(session, cadre_id)
    for ev, work in forms:
        if ev.status == EvalStatus.DRAFT:
            ev.paused = True
        else:
            ev.edit_draft = json.dumps(asdict(work) | {"paused": True}, ensure_ascii=False)
    if not forms:
        return ""
    return "draft" if any(ev.status == EvalStatus.DRAFT for ev, _ in forms) else "edit"


def text_draft(session: Session, cadre_id: int, window: Window, today: date,
               now: datetime | None = None) -> tuple[EvalView, bool] | None:
    """The draft (or edit) at a text step, and whether it takes free text now: touched recently and not paused
    (then free text goes into it; after a break or a pause a line may be a question as well as the next item, so
    the cadre says which)."""
    now = now or utcnow()
    for ev, work in _open_forms(session, cadre_id)[:1]:
        if work.step not in ("results", "difficulties"):
            return None
        # Paused ("⏸ Để sau") or left a while: the line is answered, and held one press from the form.
        recent = not work.paused and as_utc(ev.updated_at) >= now - timedelta(minutes=ACTIVE_MINUTES)
        return _form_view(session, ev, work, window, today), recent
    return None


def active_draft(session: Session, cadre_id: int, window: Window, today: date,
                 now: datetime | None = None) -> EvalView | None:
    """The draft (or edit) that free text goes into: text_draft, touched recently."""
    found = text_draft(session, cadre_id, window, today, now)
    return found[0] if found is not None and found[1] else None


TYPED_STEP = "eval-typed"  # a line typed after a break, held until the cadre says it belongs in the form
TYPED_STALE = ("Nút này đã cũ: dòng đó không còn chờ thêm vào bản tự đánh giá. Gõ /eval để mở bản tự đánh giá "
               "và gõ lại nội dung.")


def held_line(eval_id: int, message_id: int, text: str, step: str) -> dict[str, Any]:
    """The step data that holds a line typed after a break: which form, which message, the text, and the form's
    step it was typed at (a line for the results is never written into the difficulties, nor the other way)."""
    return {"eval_id": eval_id, "message": message_id, "text": text, "step": step}


def keep_typed(session: Session, cadre_id: int, chat: tuple[int, int], eval_id: int, message_id: int,
               window: Window, today: date) -> EvalView:
    """The held line goes into the form, in one transaction with its step: a press for another line (or none) is
    refused and leaves the held one where it is; a refusal to add it (rated meanwhile) leaves it held too."""
    step = conversation.take_step(session, *chat, [TYPED_STEP])
    if step is None or (step.data.get("eval_id"), step.data.get("message")) != (eval_id, message_id):
        raise EvaluationRefused(TYPED_STALE)  # rolled back: the step taken above is still there
    text = str(step.data["text"])
    if step.data.get("step") == "difficulties":
        return set_difficulties(session, cadre_id, eval_id, text, window, today)
    return add_results(session, cadre_id, eval_id, text, window, today)


def history(session: Session, cadre_id: int, window: Window, today: date, limit: int = 12) -> list[EvalView]:
    rows = session.scalars(select(Evaluation)
                           .where(Evaluation.cadre_id == cadre_id, Evaluation.status != EvalStatus.DRAFT)
                           .order_by(Evaluation.year.desc(), Evaluation.month.desc()).limit(limit))
    return [view(session, ev, window, today) for ev in rows]


def own_evaluation(session: Session, cadre_id: int, eval_id: int, window: Window, today: date) -> EvalView:
    ev = _owned(session, cadre_id, eval_id)
    return view(session, ev, window, today)
