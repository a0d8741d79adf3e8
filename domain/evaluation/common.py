"""What the form, the review and the unit status share: ratings, the monthly window, the view of an evaluation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from core.config import EvaluationSettings
from db.models import Cadre, Evaluation
from domain.clock import as_utc
from domain.errors import DomainError

RATINGS = ("Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ", "Hoàn thành nhiệm vụ",
           "Không hoàn thành nhiệm vụ")
RATING_SHORT = ("XS", "Tốt", "HT", "KHT")


class EvaluationRefused(DomainError):
    pass


class VersionReplaced(EvaluationRefused):
    """A rating chosen on a version the cadre has replaced since: the rater is offered the new one."""

    def __init__(self, message: str, eval_id: int) -> None:
        super().__init__(message)
        self.eval_id = eval_id


class EvalStatus(StrEnum):
    """A month's evaluation of one cadre. MISSING is never stored: it is the absence of a row."""

    MISSING = "missing"
    NOT_LISTED = "not_listed"  # never stored either: a month before the roster had the cadre
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RATED = "rated"


# The one wording of each status, wherever it is shown (bot, card, personal data, export).
EVAL_STATUS_LABELS: dict[str, str] = {
    EvalStatus.MISSING: "chưa nộp",
    EvalStatus.NOT_LISTED: "chưa có trong danh sách cán bộ",
    EvalStatus.DRAFT: "đang soạn, chưa gửi",
    EvalStatus.SUBMITTED: "đã gửi, chờ xếp loại",
    EvalStatus.RATED: "đã xếp loại",
}
# "Has this person submitted?": a rated evaluation was submitted first. The one rule, in Python and in SQL.
SUBMITTED_STATES = frozenset({EvalStatus.SUBMITTED, EvalStatus.RATED})


def is_submitted(status: str) -> bool:
    return status in SUBMITTED_STATES


def submitted_sql() -> ColumnElement[bool]:
    return Evaluation.status.in_(sorted(SUBMITTED_STATES))


def status_label(status: str) -> str:
    return EVAL_STATUS_LABELS.get(status, status)


@dataclass(frozen=True)
class Window:
    open_day: int
    close_day: int

    @classmethod
    def of(cls, settings: EvaluationSettings) -> Window:
        """The window config.toml's [evaluation] sets."""
        return cls(settings.window_open_day, settings.window_close_day)

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

    def period_note(self, today: date) -> str:
        """The open period's dates in a line (the answer to "hạn nộp tự đánh giá là ngày nào")."""
        year, month = self.open_period(today)
        return (f"Kỳ tự đánh giá {period_label(year, month)}: mở từ {self.opens(year, month):%d/%m/%Y}, hạn nộp "
                f"{self.closes(year, month):%d/%m/%Y}; nộp sau hạn vẫn được nhưng ghi là nộp muộn.")


def period_label(year: int, month: int) -> str:
    """'tháng 11/2026', inside a sentence; period_title at the start of a line or on a button."""
    return f"tháng {month:02d}/{year}"


def period_title(year: int, month: int) -> str:
    return f"Tháng {month:02d}/{year}"


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
    notified: bool | None = None  # after rating: whether the cadre's notice was queued (False: not linked)
    # The owner's edit of a submitted evaluation: the submitted version stays (and in the manager's
    # queue) until this edit is sent; status reads "draft" so the form renders its steps.
    editing: bool = False
    # After a submission: who will review it (None with no_reviewer: HR was told to assign one).
    next_reviewer: str | None = None
    no_reviewer: bool = False
    # Which sending of it this is (its submission time, in seconds; 0 before any): a rating chosen on one
    # version is refused once an edit has replaced it.
    version: int = 0
    # After an edit is dropped: what it held that the sent version does not (plain text), so nothing typed is lost.
    given_back: str = ""
    # Read for rating by a deputy: the name of the manager they rate for.
    acting_for: str | None = None

    @property
    def period(self) -> str:
        return period_label(self.year, self.month)

    @property
    def period_title(self) -> str:
        return period_title(self.year, self.month)


def view(session: Session, ev: Evaluation, window: Window, today: date) -> EvalView:
    reviewer = session.get(Cadre, ev.reviewer_id) if ev.reviewer_id else None
    return EvalView(
        ev.id, ev.year, ev.month, ev.status, ev.step, json.loads(ev.results or "[]"), ev.difficulties,
        ev.self_rating, ev.manager_rating, ev.manager_comment, ev.late, _editable(ev, window, today),
        ev.cadre.code, ev.cadre.full_name, reviewer.full_name if reviewer else None, version=version_of(ev),
    )


def version_of(ev: Evaluation) -> int:
    return int(as_utc(ev.submitted_at).timestamp()) if ev.submitted_at is not None else 0


def _editable(ev: Evaluation, window: Window, today: date) -> bool:
    if ev.status == EvalStatus.DRAFT:
        return True
    return ev.status == EvalStatus.SUBMITTED and not window.is_late(ev.year, ev.month, today)


@dataclass
class Work:
    """The fields the form edits: those of a draft row, or the kept edit of a submitted one."""

    results: list[str]
    difficulties: str | None
    self_rating: int | None
    step: str
    paused: bool = False


def unsent_text(ev: Evaluation, limit: int) -> str:
    """The kept edit of a submitted evaluation as plain text (work_text), if it differs from what was sent; an edit
    opened but not changed is nothing of the cadre's to give back: ''."""
    edit = work_of(ev) if ev.status == EvalStatus.SUBMITTED else None
    sent_results = json.loads(ev.results or "[]")
    if edit is None or (edit.results == sent_results and (edit.difficulties or None) == (ev.difficulties or None)):
        return ""
    return work_text(edit, limit)


def work_text(work: Work, limit: int) -> str:
    """What a form holds, as plain text, cut to `limit` characters: given back when it cannot be kept or sent."""
    lines = [f"• {item}" for item in work.results]
    if work.difficulties:
        lines.append("Khó khăn, đề xuất: " + work.difficulties)
    return cut("\n".join(lines), limit)


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, and '…' when something was left out (given-back text must say it is partial)."""
    return text[:limit] + "…" if len(text) > limit else text


def work_of(ev: Evaluation) -> Work | None:
    """The form's fields: a draft's own, or the kept edit (edit_draft) of a submitted evaluation; else None."""
    if ev.status == EvalStatus.DRAFT:
        return Work(json.loads(ev.results or "[]"), ev.difficulties, ev.self_rating, ev.step, ev.paused)
    if ev.status == EvalStatus.SUBMITTED and ev.edit_draft:
        data: dict[str, Any] = json.loads(ev.edit_draft)
        return Work(**data)
    return None
