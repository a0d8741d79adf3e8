"""Course completion, done deliberately (domain.md §6): checked, previewed, recorded with its source, undoable.

Only cadres registered in the course (not waitlisted) are credited, and not before the course has
started. plan_completion() says for every row what would change in the record ("LLCT: Trung cấp
→ Cao cấp") or why the row is refused; complete() writes only when no row is refused (unless
the caller skips bad rows); undo_completion() reverts the record, with history.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ACTIVE_STATUSES, Cadre, Course, RecordChange, Registration, RegistrationStatus
from domain.accounts import audit
from domain.cadres import cadre_by_code
from domain.clock import utcnow
from domain.courses import require_course
from domain.errors import DomainError, NotFound
from domain.levels import SCALES, TRAININGS
from domain.markup import esc
from domain.outbox import enqueue
from domain.records import COURSE_SOURCE, FILE_MARK, Change, apply_change, parse_value
from domain.rules import RuleBook, default_rules
from domain.spreadsheet import load_sheet
from domain.text import ascii_key, same_name

OK, ALREADY, REJECTED = "ok", "already", "rejected"


class CompletionRefused(DomainError):
    pass


@dataclass(frozen=True)
class CompletionRow:
    row: int
    code: str
    name: str
    status: str  # ok | already | rejected
    reason: str = ""
    changes: tuple[Change, ...] = ()

    @property
    def heading(self) -> str:
        """'Dòng 2 MAU010 – Ma Văn Chiến' (a row without a code: 'Dòng 3')."""
        return " – ".join(filter(None, [f"Dòng {self.row} {self.code}".rstrip(), self.name]))

    @property
    def outcome(self) -> str:
        """What happens to this row, in a few Vietnamese words."""
        if self.status != OK:
            return self.reason
        return "; ".join(c.text for c in self.changes) if self.changes else "hồ sơ đã đạt sẵn, không đổi"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "code": self.code, "name": self.name, "status": self.status,
                "reason": self.reason, "changes": [c.as_dict() for c in self.changes]}


@dataclass
class CompletionPlan:
    course_code: str
    course_name: str
    rows: list[CompletionRow] = field(default_factory=list)
    applied: bool = False
    changed: bool = False  # the accepted rows differ from the preview HR confirmed: nothing written

    @property
    def skipped(self) -> list[CompletionRow]:
        """Rows that change nothing and block nothing: a duplicate, a completion recorded before."""
        return [r for r in self.rows if r.status == ALREADY]

    @property
    def accepted(self) -> list[CompletionRow]:
        return [r for r in self.rows if r.status == OK]

    @property
    def rejected(self) -> list[CompletionRow]:
        return [r for r in self.rows if r.status == REJECTED]

    def as_dict(self) -> dict[str, Any]:
        return {"course": self.course_code, "applied": self.applied, "completed": len(self.accepted) if
                self.applied else 0, "rejected": len(self.rejected), "rows": [r.as_dict() for r in self.rows]}


# --- rules -----------------------------------------------------------------------------------------


def check_course_started(course: Course, today: date) -> None:
    if course.cancelled:
        raise CompletionRefused(f"Lớp {course.code} đã bị hủy; không ghi nhận hoàn thành được.")
    if today < course.start_date:
        raise CompletionRefused(
            f"Lớp {course.code} khai giảng ngày {course.start_date:%d/%m/%Y}; chưa thể ghi nhận hoàn thành "
            "trước ngày đó.")


def course_effect(cadre: Cadre, kind_code: str, year: int, rules: RuleBook | None = None) -> tuple[Change, ...]:
    """What completing a course of this kind changes in the record (nothing if already met)."""
    kind = (rules or default_rules()).course_kinds.get(kind_code)
    if kind is None:
        return ()
    effect, name = kind.effect, kind.effect.field
    old = getattr(cadre, name)
    if effect.is_training:
        new = old if old is not None else year
    else:
        assert effect.min_code is not None
        new = old if SCALES[name].ranks[old] >= SCALES[name].ranks[effect.min_code] else effect.min_code
    return () if new == old else (Change(name, old, new),)


def already_held(cadre: Cadre, kind_code: str, rules: RuleBook | None = None) -> str | None:
    """What the record already holds that completing a course of this kind would give ("Lý luận chính trị: Cao
    cấp"), or None when completing it would change the record: said before registering, never refused."""
    kind = (rules or default_rules()).course_kinds.get(kind_code)
    if kind is None or course_effect(cadre, kind_code, 0, rules):
        return None
    name = kind.effect.field
    if kind.effect.is_training:
        return f"{TRAININGS[name]} (năm {getattr(cadre, name)})"
    return SCALES[name].describe(getattr(cadre, name))


def _registration(session: Session, course: Course, cadre: Cadre, lock: bool = False) -> Registration | None:
    """The cadre's place in the course that matters: completed first, else the active one."""
    query = select(Registration).where(
        Registration.course_id == course.id, Registration.cadre_id == cadre.id,
        Registration.status.in_((RegistrationStatus.COMPLETED, *ACTIVE_STATUSES))).order_by(Registration.id.desc())
    rows = list(session.scalars(query.with_for_update() if lock else query))
    return next((r for r in rows if r.status == RegistrationStatus.COMPLETED), rows[0] if rows else None)


PASSED = ("dat", "hoan thanh", "xuat sac", "gioi", "kha", "tot", "trung binh", "dat yeu cau", "da hoan thanh", "da dat")
FAILED = ("khong", "chua", "vang", "truot", "bo hoc", "kem", "yeu", "hong", "nghi hoc", "khong dat")


def result_refusal(value: str) -> str | None:
    """Why a row's "Kết quả" stops it being recorded as completed, or None: empty, a pass word, or a mark of at
    least half the scale (10 or 100). A result the bot cannot read is refused too: a record needs a pass."""
    written = " ".join(value.split())
    if not written:
        return None
    key = ascii_key(written)
    mark = _mark(key)
    if mark is not None:
        return None if mark >= (5 if mark <= 10 else 50) else f"kết quả trong tệp “{written[:30]}” dưới mức đạt"
    if key.startswith(FAILED):
        return f"kết quả trong tệp “{written[:30]}”"
    if key.startswith(PASSED):
        return None
    return f"không rõ kết quả “{written[:30]}” trong tệp; ghi “Đạt”, hoặc để trống nếu đã hoàn thành"


def _mark(key: str) -> float | None:
    try:
        mark = float(key.replace(",", "."))
    except ValueError:
        return None
    return mark if 0 <= mark <= 100 else None


def _row(session: Session, course: Course, number: int, code: str, written_name: str, result: str, year: int,
         seen: dict[str, int]) -> CompletionRow:
    if not code:
        named = f" ({written_name.strip()[:60]})" if written_name.strip() else ""
        return CompletionRow(number, code, "", REJECTED, f"thiếu “Mã cán bộ”{named}")
    cadre = cadre_by_code(session, code)
    if cadre is None:
        return CompletionRow(number, code, "", REJECTED, f"không có cán bộ mã {code}")
    refusal = result_refusal(result)
    if refusal:  # a school's sheet lists who failed or was absent too
        return CompletionRow(number, cadre.code, cadre.full_name, REJECTED, refusal)
    if written_name.strip() and not same_name(written_name, cadre.full_name):  # a mistyped code names someone else
        return CompletionRow(number, cadre.code, cadre.full_name, REJECTED,
                             f"họ tên trong tệp “{written_name.strip()[:60]}” khác hồ sơ của mã {cadre.code}")
    if cadre.code in seen:
        return CompletionRow(number, cadre.code, cadre.full_name, ALREADY, f"trùng với dòng {seen[cadre.code]}")
    seen[cadre.code] = number
    registration = _registration(session, course, cadre)
    if registration is None:
        return CompletionRow(number, cadre.code, cadre.full_name, REJECTED, "chưa đăng ký lớp này")
    if registration.status == RegistrationStatus.COMPLETED:
        return CompletionRow(number, cadre.code, cadre.full_name, ALREADY, "đã ghi nhận hoàn thành trước đó")
    if registration.status == RegistrationStatus.WAITLISTED:
        return CompletionRow(number, cadre.code, cadre.full_name, REJECTED, "đang trong danh sách chờ, chưa có chỗ học")
    return CompletionRow(number, cadre.code, cadre.full_name, OK, changes=course_effect(cadre, course.kind, year))


def plan_completion(session: Session, course_code: str, codes: list[tuple[int, str]], today: date,
                    names: Mapping[int, str] | None = None, results: Mapping[int, str] | None = None
                    ) -> CompletionPlan:
    """Every row checked and what it would change; nothing written. codes: (row number, cadre code);
    names: the name written on a row, if the sheet has a "Họ và tên" column (it must match the record);
    results: its "Kết quả", if the sheet has one (it must be a pass: result_refusal)."""
    course = require_course(session, course_code)
    check_course_started(course, today)
    plan = CompletionPlan(course.code, course.name)
    seen: dict[str, int] = {}
    names, results = names or {}, results or {}
    plan.rows = [_row(session, course, number, code.strip().upper(), names.get(number, ""), results.get(number, ""),
                      today.year, seen) for number, code in codes]
    return plan


def complete(session: Session, course_code: str, codes: list[tuple[int, str]], today: date, actor: str,
             skip_bad_rows: bool = False, *, expected: Collection[str] | None = None,
             file_name: str | None = None, names: Mapping[int, str] | None = None,
             results: Mapping[int, str] | None = None) -> CompletionPlan:
    """Record completion for the accepted rows; writes nothing if any row is refused, unless skip_bad_rows.

    expected: the codes a preview showed as accepted; if the plan made now differs (someone cancelled,
    completed or registered meanwhile), nothing is written and the plan says `changed`.
    file_name: the sheet the completions come from, kept in each record change and in the audit log.
    """
    plan = plan_completion(session, course_code, codes, today, names, results)
    if expected is not None and {r.code for r in plan.accepted} != set(expected):
        plan.changed = True
        return plan
    if plan.rejected and not skip_bad_rows:
        return plan
    course = require_course(session, course_code)
    detail = FILE_MARK.join([course.name, file_name] if file_name else [course.name])  # plain text in the history
    for row in plan.accepted:
        _complete_one(session, course, row, today, actor, detail)
    plan.applied = True
    audit(session, actor, "complete-course", course.code,
          f"{len(plan.accepted)} cán bộ; từ chối {len(plan.rejected)}" + (f"; tệp {file_name}" if file_name else ""))
    return plan


def _complete_one(session: Session, course: Course, row: CompletionRow, today: date, actor: str,
                  detail: str) -> None:
    cadre = cadre_by_code(session, row.code)
    assert cadre is not None
    registration = _registration(session, course, cadre, lock=True)
    if registration is None or registration.status != RegistrationStatus.REGISTERED:  # changed since the plan was made
        raise CompletionRefused(f"{cadre.code}: đăng ký lớp {course.code} vừa thay đổi; hãy xem lại rồi làm lại.")
    now = utcnow()
    registration.status, registration.completed_at, registration.updated_at = RegistrationStatus.COMPLETED, now, now
    changes = course_effect(cadre, course.kind, today.year)
    for change in changes:
        apply_change(session, cadre, change, f"{COURSE_SOURCE}{course.code}", actor=actor, detail=detail,
                     registration_id=registration.id)
    shown = "\n".join(f"• {esc(c.text)}" for c in changes)
    enqueue(session, f"course-completed:{course.code}:{cadre.code}:{registration.id}", cadre, "course-completed",
            f"✅ Đã ghi nhận bạn hoàn thành lớp {esc(course.code)} – {esc(course.name)}."
            + (f" Hồ sơ của bạn được cập nhật:\n{shown}" if changes else "") + "\nXem /gaps.")


@dataclass(frozen=True)
class UndoPlan:
    """What taking a completion back would do: who, and each field it returns (those changed since stay)."""

    cadre_name: str
    cadre_code: str
    changes: list[Change]


def _undo_plan(session: Session, course: Course, cadre_code: str, lock: bool) -> tuple[Cadre, Registration,
                                                                                     list[Change]]:
    cadre = cadre_by_code(session, cadre_code)
    registration = _registration(session, course, cadre, lock=lock) if cadre else None
    if cadre is None or registration is None or registration.status != RegistrationStatus.COMPLETED:
        raise NotFound(f"Không có ghi nhận hoàn thành lớp {course.code} của {cadre_code} để hủy.")
    changes = []
    for raised in session.scalars(select(RecordChange).where(
            RecordChange.registration_id == registration.id, RecordChange.source == f"{COURSE_SOURCE}{course.code}")):
        now_value, raised_to = getattr(cadre, raised.field), parse_value(raised.field, raised.new_value)
        if now_value == raised_to:  # else something changed it since (an import): it is left as it is now
            changes.append(Change(raised.field, now_value, parse_value(raised.field, raised.old_value)))
    return cadre, registration, changes


def undo_preview(session: Session, course_code: str, cadre_code: str) -> UndoPlan:
    """Shown before HR confirms taking a completion back: nothing is written."""
    cadre, _, changes = _undo_plan(session, require_course(session, course_code), cadre_code, lock=False)
    return UndoPlan(cadre.full_name, cadre.code, changes)


def undo_completion(session: Session, course_code: str, cadre_code: str, actor: str) -> list[Change]:
    """Take a completion back: the place returns to 'registered' and each field it raised is reverted,
    unless something else changed that field since (then it is left as it is now)."""
    course = require_course(session, course_code)
    cadre, registration, reverted = _undo_plan(session, course, cadre_code, lock=True)
    for change in reverted:
        apply_change(session, cadre, change, f"undo:{COURSE_SOURCE}{course.code}", actor=actor,
                     detail="hủy ghi nhận hoàn thành", registration_id=registration.id)
    registration.status = RegistrationStatus.REGISTERED
    registration.completed_at, registration.updated_at = None, utcnow()
    audit(session, actor, "undo-completion", f"{cadre.code}@{course.code}", "; ".join(c.text for c in reverted))
    enqueue(session, f"course-uncompleted:{course.code}:{cadre.code}:{utcnow():%Y%m%d%H%M%S}", cadre,
            "course-completed",
            f"↩️ Ban Tổ chức đã hủy ghi nhận bạn hoàn thành lớp {esc(course.code)} – {esc(course.name)}.")
    return reverted


@dataclass(frozen=True)
class CompletionSheet:
    """A completion sheet as read: (row number, cadre code) pairs and the courses its "Mã lớp" column names."""

    codes: list[tuple[int, str]]
    courses: frozenset[str] = frozenset()
    names: dict[int, str] = field(default_factory=dict)  # row number -> "Họ và tên" as written, where given
    results: dict[int, str] = field(default_factory=dict)  # row number -> "Kết quả" as written, where given


def completion_sheet(path: Path) -> CompletionSheet:
    """A "Mã cán bộ" column, an optional "Mã lớp" column naming the course, optional "Họ và tên" and "Kết quả"."""
    sheet = load_sheet(path, {"Mã cán bộ": "code", "Mã lớp": "course", "Họ và tên": "name", "Kết quả": "result"},
                       ["Mã cán bộ"])
    # A row that names a person but has no code stays, to be refused by name: dropped, it vanished from the count.
    # The lines under an official table (the date, the signers' titles) are no one's row.
    rows = [(number, cells) for number, cells in sheet.rows if cells.get("code", "").strip() or _a_person(cells)]
    courses = frozenset(c for _, cells in rows if (c := cells.get("course", "").strip().upper()))
    names = {number: name for number, cells in rows if (name := cells.get("name", "").strip())}
    results = {number: result for number, cells in rows if (result := cells.get("result", "").strip())}
    return CompletionSheet([(number, cells.get("code", "").strip()) for number, cells in rows], courses, names,
                           results)


def _a_person(cells: dict[str, str]) -> bool:
    """A row without a code that still stands for someone: a class code or a result the bot reads on it, or a name
    written as a person's (two to six capitalised words: "Vũ Văn Nam", not "NGƯỜI LẬP BIỂU" or a dated line)."""
    result = " ".join(cells.get("result", "").split())
    if cells.get("course", "").strip() or (result and ascii_key(result).startswith((*PASSED, *FAILED))):
        return True
    words = cells.get("name", "").split()
    return 2 <= len(words) <= 6 and all(w.isalpha() and w[:1].isupper() and (w[1:].islower() or len(w) == 1)
                                        for w in words)


def check_sheet_course(sheet: CompletionSheet, course_code: str) -> None:
    """A sheet whose "Mã lớp" column names another class is not this class's: nothing from it is recorded."""
    others = sorted(sheet.courses - {course_code.strip().upper()})
    if others:
        raise CompletionRefused(f"Tệp ghi “Mã lớp” {', '.join(others)}, không phải lớp {course_code.strip().upper()}; "
                                "không ghi nhận gì. Kiểm tra lại tệp hoặc mã lớp.")


@dataclass(frozen=True)
class CourseChoice:
    code: str
    name: str
    start_date: date
    registered: int


def completable_courses(session: Session, today: date, limit: int = 10) -> list[CourseChoice]:
    """Courses a completion sheet may be for: started, not cancelled, with registered people; newest first."""
    registered = func.count(Registration.id)
    query = (select(Course, registered).join(Registration, Registration.course_id == Course.id)
             .where(Course.cancelled.is_(False), Course.start_date <= today,
                    Registration.status == RegistrationStatus.REGISTERED)
             .group_by(Course.id).order_by(Course.start_date.desc(), Course.code).limit(limit))
    return [CourseChoice(c.code, c.name, c.start_date, n) for c, n in session.execute(query)]
