"""HR's spreadsheets sent to the bot: recognise the kind of file by its headers, import or preview, report.

A roster has the roster's own columns ("Mã đơn vị", "Chức vụ", …); a course list a "Mã lớp" without
"Mã cán bộ"; a registration list both. A sheet of cadre codes without roster columns is a class's
completion sheet (domain.completion_sheet), and so is a registration-shaped sheet when HR marks it as
completions (caption "hoàn thành", or sent after "📥 Ghi nhận hoàn thành từ tệp" on a course page).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path

from sqlalchemy.orm import Session

from domain import completion_sheet, conversation, vn
from domain.accounts import Actor, audit, require_hr
from domain.bulk_registration import Placed, register_from_file
from domain.completion_sheet import SheetOutcome
from domain.errors import DomainError
from domain.registration import import_course_list
from domain.roster import HEADERS as ROSTER_HEADERS
from domain.roster import RowError, import_roster
from domain.spreadsheet import HEADER_SEARCH_ROWS, read_rows
from domain.tags import tag_of
from domain.text import ascii_key


@dataclass
class HrImport:
    kind: str  # "roster" | "courses" | "registrations" | "completion"
    applied: bool
    summary: str
    errors: list[RowError] = field(default_factory=list)
    preview: bool = False  # a roster or course list shown before anything is written; confirmed, it is imported
    would_apply: bool = False
    completion: SheetOutcome | None = None  # a completion sheet: its preview or the course choice
    unchanged: bool = False  # a course list that would change nothing: nothing to confirm
    valid: int | None = None  # a list's rows that leaving the bad ones out would import (None: a roster)
    replaced: str | None = None  # the file whose preview, left open in the chat, this file ended


# The step of a roster's or a list's preview (handlers.admin opens it; its data keeps the file's name), and every
# step that holds a file's preview: a new file ends any of them.
UPLOAD_STEP = "roster-confirm"


class OlderPreview(DomainError):
    """A confirm button of a preview that a newer file replaced: the pending one stays."""

    def __init__(self, pending_file: str) -> None:
        super().__init__(pending_file)
        self.pending_file = pending_file


def take_pending(session: Session, chat: tuple[int, int], tag: str) -> conversation.Step | None:
    """The pending upload's step, ended in this transaction, if the pressed button was sent with it (`tag`; a
    button from before tags carries none); another preview's button raises OlderPreview and, rolled back, leaves
    the pending one as it was. None when nothing is pending."""
    step = conversation.take_step(session, *chat, {UPLOAD_STEP})
    if step is not None and tag and tag != preview_tag(step.data):
        raise OlderPreview(str(step.data.get("name", "")))
    return step


def preview_tag(step_data: Mapping[str, object]) -> str:
    """The preview a confirm button belongs to: the file's hash and whether its bad rows are left out. An older
    preview's button, once a new file replaced it, names another and confirms nothing."""
    return tag_of(step_data.get("sha256", ""), bool(step_data.get("skip")))
PREVIEW_STEPS = frozenset({UPLOAD_STEP, completion_sheet.CONFIRM_STEP, completion_sheet.CHOOSE_STEP})


# Roster columns that no other sheet has: their presence tells a roster from a list of codes.
ROSTER_ONLY = {ascii_key(h) for h in ("Mã đơn vị", "Tên đơn vị", "Chức vụ", "Nhóm chức danh", "Trình độ chuyên môn",
                                      "Lý luận chính trị", "Lãnh đạo quản lý")}
# Roster columns a school's results list may carry too (birth date, phone…): without a "Kết quả" column and with
# nothing saying the file is a completion sheet, they mark an extract of the roster.
ROSTER_MAYBE = {ascii_key(h) for h in ROSTER_HEADERS} - ROSTER_ONLY - {ascii_key(h) for h in ("Mã cán bộ", "Họ và tên")}


def detect_kind(path: Path, completion: bool = False) -> str:
    """completion: HR said the sheet is a completion sheet (the course page's button, or the caption): one with a
    "Mã lớp" column is not registrations, and one with a phone or a birth date is not a roster extract."""
    for number, cells in enumerate(read_rows(path), start=1):
        keys = {ascii_key(c) for c in cells}
        if "ma lop" in keys and "ma can bo" in keys:
            return "completion" if completion else "registrations"
        if "ma lop" in keys:
            return "courses"
        if "ma can bo" in keys:
            if keys & ROSTER_ONLY:
                return "roster"
            if completion or "ket qua" in keys:
                return "completion"
            return "roster" if keys & ROSTER_MAYBE else "completion"
        if number >= HEADER_SEARCH_ROWS:
            break
    return "roster"


def import_spreadsheet(session: Session, actor: Actor, path: Path, skip_bad_rows: bool,
                       today: date | None = None, preview: bool = False, caption: str = "",
                       chat: tuple[int, int] | None = None) -> HrImport:
    """preview: a roster or a list (courses, registrations) is only previewed, nothing written. A list's preview
    is what leaving its bad rows out would import, the bad rows beside it, so that HR can choose that with a
    button; a roster's is as asked (its refusal is cheap, its dry run the whole province).
    chat: the conversation the file was sent in; a completion sheet is previewed there (needs it)."""
    require_hr(actor)
    replaced = _end_earlier_preview(session, chat) if chat else None
    return replace(_import(session, actor, path, skip_bad_rows, today, preview, caption, chat), replaced=replaced)


def _end_earlier_preview(session: Session, chat: tuple[int, int]) -> str | None:
    """A new file is a new intention, as a command is: a file's preview still open in the chat ends here (written
    in the same transaction: a file that cannot be read at all leaves it open). Returns that file's name."""
    step = conversation.current_step(session, *chat)
    if step is None or step.name not in PREVIEW_STEPS:  # waiting for a class's sheet: this file may be it
        return None
    conversation.close_step(session, *chat)
    return str(step.data.get("name") or step.data.get("file") or "")


def _import(session: Session, actor: Actor, path: Path, skip_bad_rows: bool, today: date | None, preview: bool,
            caption: str, chat: tuple[int, int] | None) -> HrImport:
    waiting = completion_sheet.waiting_course(session, chat) if chat else None
    kind = detect_kind(path, completion=waiting is not None or completion_sheet.says_completion(caption))
    if kind == "completion" and chat is not None:
        outcome = completion_sheet.receive(session, actor, path, caption, chat, today or date.today())
        return HrImport(kind, False, "", completion=outcome)
    lists: dict[str, Callable[[], HrImport]] = {
        "registrations": partial(_registration_list, session, actor, path, today or date.today(),
                                 skip_bad_rows or preview),
        "courses": partial(_course_list, session, path, skip_bad_rows or preview),
    }
    if kind in lists:
        if preview:
            return _previewed(session, lists[kind])
        result = lists[kind]()
        if kind == "registrations":
            return result  # each registration is audited where it is made
        summary = result.summary
    else:
        r = import_roster(session, path, skip_bad_rows=skip_bad_rows, dry_run=preview, actor=actor.code)
        summary = "\n".join(r.summary_lines(heading=False))
        result = HrImport(kind, r.applied, summary, r.rejected, preview, r.would_apply)
        if preview:
            return result
    audit(session, actor.code, f"import-{kind}", path.name, summary)
    return result


SHOWN_CHANGES = 15
SHOWN_PEOPLE = 30


def _previewed(session: Session, make: Callable[[], HrImport]) -> HrImport:
    """A list imported inside a savepoint that is rolled back: the preview shows exactly what confirming would do
    (courses added and changed, people registered or waitlisted, people told, seats given from the waiting
    lists), and nothing stays written, not even the notices."""
    with session.begin_nested() as trial:
        result = make()
        trial.rollback()
    return replace(result, applied=False, preview=True, would_apply=result.applied)


def _registration_list(session: Session, actor: Actor, path: Path, today: date, skip_bad_rows: bool) -> HrImport:
    b = register_from_file(session, actor, path, today, skip_bad_rows)
    details = "".join(f"\n✅ {_placed(p)}" for p in b.registered[:SHOWN_PEOPLE])
    details += "".join(f"\n⏳ {_placed(p, ' (danh sách chờ)')}" for p in b.waitlisted[:SHOWN_PEOPLE])
    return HrImport("registrations", b.applied, b.summary + details, b.errors, valid=b.valid)


def _placed(placed: Placed, tail: str = "") -> str:
    """A registration's line; one the bot cannot tell is marked, for HR to tell that person another way."""
    return placed.text + tail + ("" if placed.told else " – chưa liên kết Telegram")


def _course_list(session: Session, path: Path, skip_bad_rows: bool) -> HrImport:
    c = import_course_list(session, path, skip_bad_rows=skip_bad_rows)
    details = "".join(f"\n• {line}" for line in c.changes[:SHOWN_CHANGES])
    if len(c.changes) > SHOWN_CHANGES:
        details += f"\n… và {vn.number(len(c.changes) - SHOWN_CHANGES)} lớp khác thay đổi."
    return HrImport("courses", c.applied, c.summary + details, c.rejected, unchanged=not (c.added or c.updated),
                    valid=c.total_rows - len(c.rejected))  # every row is either imported or rejected
