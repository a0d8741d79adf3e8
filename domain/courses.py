"""Courses (domain.md §6): importing HR's course list, and which open courses fit a cadre."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from db.models import ACTIVE_STATUSES, Cadre, Course, Registration, RegistrationStatus
from domain import vn
from domain.clock import today_in, utcnow
from domain.errors import NotFound
from domain.markup import esc
from domain.outbox import Message, enqueue_many, reach
from domain.roster import RowError
from domain.rules import RuleBook, default_rules
from domain.spreadsheet import load_sheet
from domain.text import ascii_key, fold

HEADERS = {
    "Mã lớp": "code", "Tên lớp": "name", "Loại": "kind", "Cơ sở đào tạo": "provider", "Hình thức": "mode",
    "Ngày bắt đầu": "start_date", "Ngày kết thúc": "end_date", "Hạn đăng ký": "register_by",
    "Số chỗ": "capacity", "Địa điểm": "location", "Đối tượng": "audience",
}
REQUIRED = ("Mã lớp", "Tên lớp", "Loại", "Cơ sở đào tạo", "Ngày bắt đầu", "Ngày kết thúc", "Hạn đăng ký", "Số chỗ")
COURSE_FIELDS = ("name", "kind", "provider", "mode", "start_date", "end_date", "register_by", "capacity",
                 "location", "audience")
EVERYONE = {"moi can bo", "tat ca", "tat ca can bo", ""}
MAX_CODE = 20  # codes travel in Telegram button data, which is limited to 64 bytes
CODE_PATTERN = re.compile(rf"[A-Za-z0-9_.-]{{1,{MAX_CODE}}}")


@dataclass
class CourseImportResult:
    total_rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    applied: bool = False
    concerned: int = 0  # people registered or waiting in a class whose dates, place or kind changed
    told: int = 0  # those of them told through the bot (linked to Telegram); HR tells the others another way
    grown: list[int] = field(default_factory=list)  # courses whose capacity the list raised
    promoted: int = 0  # people on a waiting list who got one of those seats (domain.registration.import_course_list)
    promoted_told: int = 0  # those of them told through the bot
    kept_cancelled: list[str] = field(default_factory=list)  # classes cancelled in the bot that the list names again
    changes: list[str] = field(default_factory=list)  # "CDS-01: Ngày bắt đầu 05/01/2027 → 06/01/2027", new ones too

    @property
    def summary(self) -> str:
        return (f"Lớp: thêm {vn.number(self.added)}, cập nhật {vn.number(self.updated)}, "
                f"không đổi {vn.number(self.unchanged)}, bị từ chối {vn.number(len(self.rejected))}"
                + (f"; {vn.number(len(self.kept_cancelled))} lớp đã hủy vẫn giữ hủy" if self.kept_cancelled else "")
                # everyone the change concerns, and how many of them the bot reaches: the rest are HR's to tell
                + (f"\n📅 Lớp đổi lịch, địa điểm hoặc loại: {vn.number(self.concerned)} người đã đăng ký hoặc đang "
                   f"chờ; {reach(self.concerned, self.told)}" if self.concerned else "")
                + (f"\n🎉 {vn.number(self.promoted)} người trong danh sách chờ có chỗ; "
                   f"{reach(self.promoted, self.promoted_told)}" if self.promoted else ""))

    def as_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "rows": self.total_rows, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": len(self.rejected), "concerned": self.concerned,
                "told": self.told,
                "errors": [{"row": e.row, "code": e.code, "reason": e.reason} for e in self.rejected]}


def _date(raw: str, header: str, problems: list[str]) -> date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(raw.split(" ")[0], fmt).date()
        except ValueError:
            continue
    problems.append(f"“{header}” không hợp lệ: “{raw}” (dạng dd/mm/yyyy)")
    return None


def kind_code(raw: str, rules: RuleBook) -> str:
    """The course kind from its code or the Vietnamese label the bot shows, typed any way (case, spaces, NFD)."""
    code = fold(raw).upper().replace(" ", "_")
    if code in rules.course_kinds:
        return code
    by_label = [k.code for k in rules.course_kinds.values() if fold(k.label) == fold(raw)]
    by_label = by_label or [k.code for k in rules.course_kinds.values() if ascii_key(k.label) == ascii_key(raw)]
    return by_label[0] if len(by_label) == 1 else code


def parse_course(cells: dict[str, str], rules: RuleBook) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    values: dict[str, Any] = {"code": cells.get("code", "").strip()}
    for key, header in (("code", "Mã lớp"), ("name", "Tên lớp"), ("provider", "Cơ sở đào tạo")):
        if not cells.get(key):
            problems.append(f"thiếu “{header}”")
    if not CODE_PATTERN.fullmatch(values["code"] or "x"):
        problems.append(f"“Mã lớp” chỉ gồm chữ không dấu, số, '-', '_' và tối đa {MAX_CODE} ký tự: “{values['code']}”")
    values["name"], values["provider"] = cells.get("name", ""), cells.get("provider", "")
    kind = kind_code(cells.get("kind", ""), rules)
    if kind not in rules.course_kinds:
        problems.append(f"“Loại” không hợp lệ: “{cells.get('kind', '')}” (chọn: {', '.join(rules.course_kinds)})")
    values["kind"] = kind
    for key, header in (("start_date", "Ngày bắt đầu"), ("end_date", "Ngày kết thúc"), ("register_by", "Hạn đăng ký")):
        values[key] = _date(cells.get(key, ""), header, problems)
    capacity = cells.get("capacity", "")
    if not capacity.isdigit() or not 0 < int(capacity) <= 10000:
        problems.append(f"“Số chỗ” phải là số nguyên dương, nhận được “{capacity}”")
    values["capacity"] = int(capacity) if capacity.isdigit() else 0
    if values["start_date"] and values["end_date"] and values["end_date"] < values["start_date"]:
        problems.append("“Ngày kết thúc” trước “Ngày bắt đầu”")
    if values["start_date"] and values["register_by"] and values["register_by"] > values["start_date"]:
        problems.append("“Hạn đăng ký” sau “Ngày bắt đầu”")
    values["mode"] = cells.get("mode") or None
    values["location"] = cells.get("location") or None
    values["audience"] = cells.get("audience") or None
    return values, problems


def import_courses(session: Session, path: Path, *, skip_bad_rows: bool = False,
                   rules: RuleBook | None = None) -> CourseImportResult:
    rules = rules or default_rules()
    sheet = load_sheet(path, HEADERS, REQUIRED)
    result = CourseImportResult(total_rows=len(sheet.rows))
    good: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    existing = _existing_locked(session)
    completed = _completed_counts(session)
    for number, cells in sheet.rows:
        values, problems = parse_course(cells, rules)
        key = values["code"].upper()
        if key in seen:
            problems.append(f"trùng “Mã lớp” với dòng {seen[key]}")
        seen.setdefault(key, number)
        if key in existing:
            problems += _against_recorded(values, existing[key], completed)
        if problems:
            result.rejected.append(RowError(number, values["code"], "; ".join(problems)))
        else:
            good.append(values)
    if result.rejected and not skip_bad_rows:
        return result
    _write(session, good, result, existing)
    result.applied = True
    return result


def kind_label(kind: str) -> str:
    """'LLCT_CAO_CAP' -> 'Cao cấp lý luận chính trị' (the code itself if the rules no longer have it)."""
    known = default_rules().course_kinds.get(kind)
    return known.label if known else kind


def _against_recorded(values: dict[str, Any], old: Row[Any], completed: dict[int, int]) -> list[str]:
    """What a row may not change in a course the bot already has: seats below those taken (else the database's
    seats check fails the import), the start of a class with recorded completions (they would predate it)."""
    problems, taken, done = [], old.seats_taken, completed.get(old[0], 0)
    if values["capacity"] and values["capacity"] < taken:
        problems.append(f"“Số chỗ” {values['capacity']} ít hơn {taken} người đã có chỗ trong lớp; hãy hủy bớt "
                        "đăng ký trước, hoặc giữ số chỗ")
    if done and values["kind"] != old.kind:
        problems.append(f"lớp đã có {vn.number(done)} người được ghi nhận hoàn thành theo loại "
                        f"“{kind_label(old.kind)}”, nên không đổi “Loại” được (hồ sơ của họ đã nâng theo loại "
                        "đó); nếu loại thật sự nhầm, hãy hủy ghi nhận hoàn thành trước")
    if done and values["start_date"] not in (None, old.start_date):
        problems.append(f"lớp đã có {vn.number(done)} người được ghi nhận hoàn thành, nên không đổi “Ngày bắt đầu” "
                        "được (hoàn thành sẽ sớm hơn ngày khai giảng); nếu lịch thật sự đổi, hãy hủy ghi nhận hoàn "
                        "thành trước")
    return problems


def _completed_counts(session: Session) -> dict[int, int]:
    """Course id -> people recorded as having completed it."""
    rows = session.execute(select(Registration.course_id, func.count()).where(
        Registration.status == RegistrationStatus.COMPLETED).group_by(Registration.course_id))
    return {course_id: count for course_id, count in rows}


def _existing_locked(session: Session) -> dict[str, Row[Any]]:
    """Every course as (id, code, *COURSE_FIELDS, seats_taken, cancelled), by upper-case code, locked: a registration
    made while the file is checked cannot take a seat the new capacity no longer has."""
    columns = [getattr(Course, f) for f in COURSE_FIELDS]
    rows = session.execute(select(Course.id, Course.code, *columns, Course.seats_taken, Course.cancelled)
                           .order_by(Course.id)
                           .with_for_update())  # in one order: two imports at once cannot deadlock
    return {r[1].upper(): r for r in rows}


def _write(session: Session, rows: list[dict[str, Any]], result: CourseImportResult,
           existing: dict[str, Row[Any]]) -> None:
    now = utcnow()
    new, changed, moved = [], [], []
    for values in rows:
        old = existing.get(values["code"].upper())
        if old is None:
            new.append({**values, "cancelled": False, "created_at": now, "updated_at": now})
            result.changes.append(f"{values['code']}: lớp mới, {values['start_date']:%d/%m/%Y} – "
                                  f"{values['end_date']:%d/%m/%Y}, {vn.number(values['capacity'])} chỗ")
            continue
        before = dict(zip(COURSE_FIELDS, old[2:], strict=False))  # the row has seats_taken after the fields
        if old.cancelled:  # cancelling told its registrants; a list does not undo that without a word
            result.kept_cancelled.append(old.code)
            result.changes.append(f"{old.code}: lớp đã hủy trong bot, vẫn giữ hủy (danh sách lớp không mở lại "
                                  "lớp đã hủy)")
        if any(before[f] != values[f] for f in COURSE_FIELDS):
            result.changes.append(_change_line(values["code"], before, values))
            changed.append({"id": old[0], **{f: values[f] for f in COURSE_FIELDS}, "updated_at": now})
            if any(before[f] != values[f] for f in MOVE_FIELDS):
                moved.append((old[0], before, values))
            if values["capacity"] > before["capacity"]:
                result.grown.append(old[0])
        else:
            result.unchanged += 1
    if new:
        session.execute(insert(Course), new)
    if changed:
        session.execute(update(Course), changed)
    result.added, result.updated = len(new), len(changed)
    result.concerned, result.told = _announce_moves(session, moved)


MOVE_FIELDS = ("start_date", "end_date", "location", "kind")  # what the people registered must hear of
FIELD_LABELS = {field: header for header, field in HEADERS.items()}


def _change_line(code: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    """What an update changes in one course, for HR's preview: "CDS-01: Số chỗ 500 → 600; Địa điểm … → …"."""
    def shown(field: str, value: Any) -> str:
        if isinstance(value, date):
            return f"{value:%d/%m/%Y}"
        if field == "kind":
            return kind_label(value)
        return vn.number(value) if isinstance(value, int) else str(value or "—")

    parts = [f"{FIELD_LABELS[f]} {shown(f, before[f])} → {shown(f, after[f])}"
             for f in COURSE_FIELDS if before[f] != after[f]]
    # Advisory only (the import takes no clock): a class may be listed after the fact, to record completions.
    moved_back = before["start_date"] != after["start_date"] and after["start_date"] < today_in(VIETNAM)
    return f"{code}: " + "; ".join(parts) + (PAST_START if moved_back else "")


PAST_START = " ⚠️ ngày bắt đầu mới đã qua: kiểm tra lại lịch trước khi nhập"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _announce_moves(session: Session, moved: list[tuple[int, dict[str, Any], dict[str, Any]]]) -> tuple[int, int]:
    """Tell everyone registered or waiting for a class whose dates or place the new list changed (once per change).
    Returns the people concerned and how many of them were told: those not linked to Telegram count too, as HR
    must tell them another way."""
    if not moved:
        return 0, 0
    by_id = {course_id: (before, after) for course_id, before, after in moved}
    stamp = f"{utcnow():%Y%m%d%H%M%S%f}"
    people = session.execute(select(Registration.course_id, Cadre.id, Cadre.code, Cadre.telegram_chat_id,
                                    Registration.status)
                             .join(Cadre, Registration.cadre_id == Cadre.id)
                             .where(Registration.course_id.in_(by_id), Registration.status.in_(ACTIVE_STATUSES)))
    messages, concerned = [], set()
    for course_id, cadre_id, code, chat_id, status in people:
        concerned.add(cadre_id)
        if chat_id is None:
            continue
        before, after = by_id[course_id]
        # Each import that moves the class is news (back and forth too); an unchanged import moves nothing.
        messages.append(Message(f"course-moved:{after['code']}:{code}:{stamp}", cadre_id, chat_id, "course-moved",
                                _moved_text(before, after, waiting=status == RegistrationStatus.WAITLISTED)))
    enqueue_many(session, messages)
    # people, not notices: one may be in two moved classes
    return len(concerned), len({message.cadre_id for message in messages})


def _moved_text(before: dict[str, Any], after: dict[str, Any], waiting: bool) -> str:
    def when(values: dict[str, Any]) -> str:
        place = f", {values['location']}" if values["location"] else ""
        return esc(f"{values['start_date']:%d/%m/%Y} – {values['end_date']:%d/%m/%Y}{place}")

    kept = "Bạn vẫn trong danh sách chờ" if waiting else "Đăng ký của bạn vẫn giữ"
    news = []
    if when(before) != when(after):
        news.append(f"đổi lịch: {when(before)} → <b>{when(after)}</b>")
    if before["kind"] != after["kind"]:  # what completing it records changes with it
        news.append(f"đổi loại: {esc(kind_label(before['kind']))} → <b>{esc(kind_label(after['kind']))}</b>")
    return (f"📅 Lớp {esc(after['code'])} – {esc(after['name'])} {'; '.join(news)}. "
            f"{kept}; xem /courses nếu cần đổi lớp.")


# --- fit -----------------------------------------------------------------------------------------

# Modes that do not take people away from their post: such a course never blocks another one.
NOT_FULL_TIME = ("khong tap trung", "truc tuyen", "online", "tai chuc", "vua lam vua hoc", "tu xa", "e-learning",
                 "ban thoi gian")


def requires_full_time(mode: str | None) -> bool:
    """Full-time attendance ("Tập trung"), also when HR left the mode empty (the usual case)."""
    loose = ascii_key(mode or "")
    return not any(word in loose for word in NOT_FULL_TIME)



def audience_fits(audience: str | None, cadre: Cadre, unit_level: str) -> bool:
    """The course list's free-text audience, read the way HR writes it."""
    loose = ascii_key(audience or "")
    if loose in EVERYONE:
        return True
    if "lanh dao" in loose:
        return cadre.is_leader
    if "cap xa" in loose:
        return unit_level == "Xã"
    if "cap tinh" in loose:
        return unit_level == "Tỉnh"
    position = ascii_key(cadre.position)
    return loose in position or position in loose


# Read by /gaps and /courses: built once, see domain.accounts.
_OPEN_COURSES = (select(Course).where(Course.cancelled.is_(False), Course.register_by >= bindparam("today"))
                 .order_by(Course.register_by, Course.code))


def open_courses(session: Session, today: date) -> list[Course]:
    return list(session.scalars(_OPEN_COURSES, {"today": today}))


@dataclass(frozen=True)
class CourseView:
    code: str
    name: str
    kind_label: str
    provider: str
    mode: str
    start_date: date
    end_date: date
    register_by: date
    capacity: int
    seats_left: int
    location: str
    audience: str
    open: bool
    cancelled: bool = False
    cancel_reason: str | None = None


def course_view(session: Session, code: str, today: date, rules: RuleBook | None = None) -> CourseView:
    return view_of(require_course(session, code), today, rules)


def view_of(course: Course, today: date, rules: RuleBook | None = None) -> CourseView:
    kind = (rules or default_rules()).course_kinds.get(course.kind)
    return CourseView(
        course.code, course.name, kind.label if kind else course.kind, course.provider, course.mode or "—",
        course.start_date, course.end_date, course.register_by, course.capacity,
        max(0, course.capacity - course.seats_taken), course.location or "—", course.audience or "Mọi cán bộ",
        not course.cancelled and course.register_by >= today, course.cancelled, course.cancel_reason,
    )


def course_state(course: Course | CourseView, today: date) -> str:
    """Where a course stands, in the course page's words (open, "hết hạn đăng ký", "bị hủy"), with the class's
    own progress once registration has closed: HR's closed list and the roster export say it the same way."""
    if course.cancelled:
        return "đã hủy"
    if today <= course.register_by:
        return "mở đăng ký"
    if today < course.start_date:
        return "hết hạn đăng ký, chờ khai giảng"
    return "đang học" if today <= course.end_date else "đã kết thúc"


def course_by_code(session: Session, code: str) -> Course | None:
    """Course codes keep HR's spelling ("ThS-QLC") but are matched regardless of case."""
    return session.scalar(select(Course).where(func.upper(Course.code) == code.strip().upper()))


def require_course(session: Session, code: str) -> Course:
    course = course_by_code(session, code)
    if course is None:
        raise NotFound(f"Không có lớp mã {code}.")
    return course
