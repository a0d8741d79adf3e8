"""A class's completion from a sheet HR sends to the bot: which course, a preview row by row, a deliberate confirm.

The rules are those of one completion (domain.completion). The conversation lives in the database
(domain.conversation), each step written in the transaction of the update that opens it, so a restart
between sending the sheet, choosing the course and confirming loses nothing. A step keeps the parsed
(row, code, name, result) rows, never the file: the confirmation re-plans from them inside its own transaction.

Which course: the sheet's "Mã lớp" column, the course page HR started from ("send the sheet now"), or
a course code in the file's caption; when these name different courses the sheet is refused; when none
names one, HR picks among the courses that have started and have registered people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Course
from domain import conversation
from domain.accounts import Actor, require_hr
from domain.completion import (
    OK,
    REJECTED,
    CompletionPlan,
    CompletionRefused,
    CourseChoice,
    check_course_started,
    completable_courses,
    complete,
    completion_sheet,
    plan_completion,
)
from domain.courses import require_course
from domain.errors import DomainError
from domain.tags import tag_of
from domain.text import ascii_key
from domain.xlsx import workbook_bytes, write_table

WAIT_STEP, CHOOSE_STEP, CONFIRM_STEP = "completion-sheet", "completion-course", "completion-confirm"
STEPS = (WAIT_STEP, CHOOSE_STEP, CONFIRM_STEP)
MAX_ROWS = 2000  # a class, not a roster: the step keeps every code
MAX_CHOICES = 10
CAPTION_WORDS = ("hoan thanh", "ket qua")  # "kết quả lớp CC-K26", "danh sách hoàn thành"
WAIT_LEFT = "Đã thôi chờ tệp kết quả lớp {code}. Khi cần, mở lại lớp ở /courses."
Chat = tuple[int, int]


class NothingPending(DomainError):
    def __init__(self) -> None:
        super().__init__("Không có tệp kết quả nào đang chờ. Hãy gửi lại tệp.")


class StaleChoice(DomainError):
    """A course choice no offered button carries (forged, or from an older list)."""


@dataclass
class SheetOutcome:
    """What became of a completion sheet: a preview (nothing written), or the courses to choose from."""

    file_name: str
    rows: int
    plan: CompletionPlan | None = None
    choices: list[CourseChoice] = field(default_factory=list)
    tag: str = ""  # with choices: the sheet's, for the choice buttons (sheet_tag)


@dataclass(frozen=True)
class Waiting:
    course_code: str
    course_name: str


def _waiting(course_code: str) -> dict[str, str]:
    return {"argument": course_code, conversation.LEFT: WAIT_LEFT.format(code=course_code)}


def _left_preview(file_name: str) -> dict[str, str]:
    return {conversation.LEFT: conversation.PREVIEW_LEFT.format(file=file_name)}


def waiting_course(session: Session, chat: Chat) -> str | None:
    """The course whose sheet this chat is waiting for (HR started from the course page), if any."""
    step = conversation.current_step(session, *chat)
    return step.argument if step is not None and step.name == WAIT_STEP else None


def says_completion(caption: str) -> bool:
    """A caption like "kết quả hoàn thành" marks a sheet with a "Mã lớp" column as completions, not registrations;
    "chưa hoàn thành" or "không hoàn thành" does not (registering those who have not finished is the opposite)."""
    key = ascii_key(caption)
    negated = r"(?<!chua )(?<!khong )(?<!chua duoc )(?<!khong duoc )"
    return any(re.search(negated + word, key) for word in CAPTION_WORDS)


def await_sheet(session: Session, actor: Actor, chat: Chat, course_code: str, today: date) -> Waiting:
    """From the course page: the next sheet this chat sends records completions of this course."""
    require_hr(actor)
    course = require_course(session, course_code)
    check_course_started(course, today)
    conversation.open_step(session, *chat, WAIT_STEP, _waiting(course.code))
    return Waiting(course.code, course.name)


def courses_in_caption(session: Session, caption: str) -> set[str]:
    """Existing course codes written in the caption ("CC-K26", "kết quả lớp cc-k26."), upper-case."""
    words = {w.upper() for w in re.split(r"[\s,;:()“”\"']+", caption) if w}
    words |= {w.rstrip(".") for w in words}
    words = {w for w in words if 0 < len(w) <= 64}
    if not words:
        return set()
    return {code.upper() for code in session.scalars(select(Course.code).where(func.upper(Course.code).in_(words)))}


def receive(session: Session, actor: Actor, path: Path, caption: str, chat: Chat, today: date) -> SheetOutcome:
    """Read the sheet, settle the course, and preview (or ask for the course); nothing is written to records."""
    require_hr(actor)
    sheet = completion_sheet(path)
    if len(sheet.codes) > MAX_ROWS:
        raise CompletionRefused(f"Tệp quá dài: tối đa {MAX_ROWS} dòng mỗi lần ghi nhận.")
    outcome = SheetOutcome(path.name, len(sheet.codes))
    if not sheet.codes:
        return outcome
    waiting = waiting_course(session, chat)
    named = set(sheet.courses) | ({waiting.upper()} if waiting else set()) | courses_in_caption(session, caption)
    if len(named) > 1:
        raise CompletionRefused(
            f"Tệp nhắc tới nhiều lớp ({', '.join(sorted(named))}); mỗi tệp chỉ ghi nhận hoàn thành cho một lớp. "
            "Hãy tách thành từng tệp cho mỗi lớp.")
    codes = [[number, code, sheet.names.get(number, ""), sheet.results.get(number, "")] for number, code in sheet.codes]
    if named:
        outcome.plan = _preview(session, chat, named.pop(), path.name, codes, today, waiting)
        return outcome
    outcome.choices = completable_courses(session, today, MAX_CHOICES)
    if not outcome.choices:
        raise CompletionRefused("Chưa có lớp nào đã khai giảng mà có học viên đăng ký; chưa ghi nhận hoàn thành "
                                "được. Xem danh sách lớp ở /courses.")
    data = {"file": path.name, "codes": codes, "choices": [c.code for c in outcome.choices]}
    conversation.open_step(session, *chat, CHOOSE_STEP, {**data, **_left_preview(path.name)})
    outcome.tag = sheet_tag(data)
    return outcome


def sheet_tag(data: dict[str, Any]) -> str:
    """The sheet a class choice belongs to (file, rows, classes offered): an older sheet's choice, pressed after a
    newer sheet replaced it, previews nothing."""
    return tag_of(data.get("file"), data.get("codes"), data.get("choices"))


def _preview(session: Session, chat: Chat, course_code: str, file_name: str, codes: list[list[object]],
             today: date, waiting: str | None = None) -> CompletionPlan:
    """Plan every row and keep the plan's input as the confirm step; a sheet with nobody to record opens none
    (a chat that waited for this course's sheet keeps waiting for a corrected one)."""
    plan = plan_completion(session, course_code, _pairs(codes), today, _column(codes, 2), _column(codes, 3))
    if plan.accepted:
        conversation.open_step(session, *chat, CONFIRM_STEP, {
            "course": plan.course_code, "file": file_name, "codes": codes,
            "expected": [r.code for r in plan.accepted], **_left_preview(file_name)})
    elif waiting:
        conversation.open_step(session, *chat, WAIT_STEP, _waiting(waiting))
    else:
        conversation.close_step(session, *chat)
    return plan


def _pairs(codes: list[list[object]]) -> list[tuple[int, str]]:
    """(row, code) from a step's [row, code, name, result] rows (shorter in steps written before those were kept)."""
    return [(int(str(row[0])), str(row[1])) for row in codes]


def _column(codes: list[list[object]], index: int) -> dict[int, str]:
    """A step row's name (2) or result (3), by row number (absent in steps written before they were kept)."""
    return {int(str(row[0])): str(row[index]) for row in codes if len(row) > index and row[index]}


def choose(session: Session, actor: Actor, chat: Chat, index: int, today: date, tag: str = "") -> SheetOutcome:
    """HR picked the course for the sheet waiting at the choice step: preview it. `tag`: the sheet the pressed
    button was sent with (sheet_tag); another sheet's choice is a stale button."""
    require_hr(actor)
    step = conversation.current_step(session, *chat)
    if step is None or step.name != CHOOSE_STEP:
        raise NothingPending()
    if tag and tag != sheet_tag(step.data):
        raise StaleChoice(f"tag {tag}")
    choices = [str(c) for c in step.data.get("choices", [])]
    if not 0 <= index < len(choices):
        raise StaleChoice(str(index))
    file_name, codes = str(step.data.get("file", "")), list(step.data.get("codes", []))
    return SheetOutcome(file_name, len(codes), plan=_preview(session, chat, choices[index], file_name, codes, today))


@dataclass
class Confirmed:
    file_name: str
    plan: CompletionPlan


def preview_tag(course: str, file_name: str, expected: list[str]) -> str:
    """The preview a confirm button belongs to: its class, file and the people it would record."""
    return tag_of(course, file_name, sorted(expected))


class OlderPreview(DomainError):
    pass


def confirm(session: Session, actor: Actor, chat: Chat, skip_bad_rows: bool, today: date, tag: str = "") -> Confirmed:
    """Record the previewed sheet. The plan is made again here, under row locks: if it no longer matches the
    preview, or has refused rows HR did not choose to leave out, nothing is written and the step stays open
    with the new preview. `tag`: the preview the pressed button was sent with; another one's confirms nothing."""
    require_hr(actor)
    step = conversation.take_step(session, *chat, {CONFIRM_STEP})
    if step is None:
        raise NothingPending()
    if tag and tag != preview_tag(str(step.data.get("course", "")), str(step.data.get("file", "")),
                                  [str(c) for c in step.data.get("expected", [])]):
        raise OlderPreview(f"Nút đó thuộc một bản xem trước đã bị thay nên không ghi gì. Bản đang chờ xác nhận là "
                           f"tệp {step.data.get('file', '')} (lớp {step.data.get('course', '')}).")  # rolled back
    file_name, codes = str(step.data.get("file", "")), list(step.data.get("codes", []))
    plan = complete(session, str(step.data.get("course", "")), _pairs(codes), today, actor.code, skip_bad_rows,
                    expected=[str(c) for c in step.data.get("expected", [])], file_name=file_name,
                    names=_column(codes, 2), results=_column(codes, 3))
    if not plan.applied and plan.accepted:
        conversation.open_step(session, *chat, CONFIRM_STEP, {**step.data,
                                                              "expected": [r.code for r in plan.accepted]})
    return Confirmed(file_name, plan)


def drop(session: Session, actor: Actor, chat: Chat) -> bool:
    """HR gave up on the sheet (or on sending one); True if something was waiting."""
    require_hr(actor)
    return conversation.take_step(session, *chat, set(STEPS)) is not None


REPORT_HEADER = ("Dòng", "Mã cán bộ", "Họ và tên", "Kết quả", "Thay đổi trong hồ sơ / lý do")
OUTCOME_LABELS = {OK: "Ghi nhận", REJECTED: "Bị từ chối"}


def report_xlsx(plan: CompletionPlan, file_name: str) -> bytes:
    """Every row of the sheet and what became of it, for a class too long to show in one message."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Kết quả từng dòng"
    state = "đã ghi vào hồ sơ" if plan.applied else "xem trước, chưa ghi gì"
    write_table(sheet, [f"Hoàn thành lớp {plan.course_code} – {plan.course_name}", f"Tệp {file_name}: {state}"],
                REPORT_HEADER, [[r.row, r.code, r.name, OUTCOME_LABELS.get(r.status, "Bỏ qua"), r.outcome]
                                for r in plan.rows])
    return workbook_bytes(wb)
