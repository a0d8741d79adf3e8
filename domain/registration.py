"""Registering for courses: seats, waitlist, cancellation, and completion (domain.md §6).

A seat is taken by one conditional UPDATE (`seats_taken < capacity`) that the database
evaluates under its own lock, backed by a CHECK constraint: never one seat more, however
many people press "Đăng ký" at once, in however many processes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import ACTIVE_STATUSES, Cadre, ChatUser, Course, Registration, RegistrationStatus, Unit
from domain import conversation, vn
from domain.accounts import Actor, audit, require_hr
from domain.cadres import own_record, require_cadre
from domain.clock import utcnow
from domain.courses import CourseImportResult, audience_fits, import_courses, require_course, requires_full_time
from domain.errors import DomainError, NotFound
from domain.markup import esc
from domain.outbox import enqueue
from domain.tags import tag_of
from domain.text import name_order


class RegistrationRefused(DomainError):
    pass


class ReasonRefused(RegistrationRefused):
    """A course cancellation's reason that cannot be sent as it is (too short, too long): type another."""


@dataclass(frozen=True)
class Outcome:
    status: str  # registered | waitlisted
    course_code: str
    course_name: str
    position: int | None  # place in the waitlist
    cadre_code: str
    cadre_name: str
    told: bool = False  # HR registered them and the bot tells them (linked to Telegram); else HR tells them


# --- validators: each a named rule raising a Vietnamese message ------------------------------------


def check_course_open(course: Course, today: date) -> None:
    if course.cancelled:
        raise RegistrationRefused(f"Lớp {course.code} đã bị hủy.")
    if today > course.register_by:
        raise RegistrationRefused(f"Lớp {course.code} đã hết hạn đăng ký ({course.register_by:%d/%m/%Y}).")


def check_audience(course: Course, cadre: Cadre, own: bool = True) -> None:
    """`own`: the cadre registers themself (else HR on their behalf: the message names the person)."""
    if not audience_fits(course.audience, cadre, cadre.unit.level):
        if own:
            raise RegistrationRefused(
                f"Lớp {course.code} dành cho: {course.audience}. Hồ sơ của bạn không thuộc đối tượng này; "
                "nếu hồ sơ chưa đúng, hãy báo bộ phận tổ chức cán bộ.")
        # HR is that department: what to do is to check the record, or register someone else
        raise RegistrationRefused(
            f"Lớp {course.code} dành cho: {course.audience}. Hồ sơ của {cadre.full_name} ({cadre.code}) không "
            "thuộc đối tượng này (theo chức vụ, cấp đơn vị, lãnh đạo); nếu hồ sơ chưa đúng, hãy cập nhật hồ sơ "
            "(nhập lại danh sách cán bộ) trước.")


def active_registration(session: Session, course: Course, cadre: Cadre) -> Registration | None:
    return session.scalar(select(Registration).where(
        Registration.course_id == course.id, Registration.cadre_id == cadre.id,
        Registration.status.in_(ACTIVE_STATUSES)))


def check_not_registered(session: Session, course: Course, cadre: Cadre) -> None:
    if session.scalar(select(Registration.id).where(Registration.course_id == course.id,
                                                    Registration.cadre_id == cadre.id,
                                                    Registration.status == RegistrationStatus.COMPLETED)):
        raise RegistrationRefused(f"{cadre.full_name} đã hoàn thành lớp {course.code}; không đăng ký lại được.")
    existing = active_registration(session, course, cadre)
    if existing is None:
        return
    if existing.status == RegistrationStatus.REGISTERED:
        raise RegistrationRefused(f"{cadre.full_name} đã đăng ký lớp {course.code}.")
    place = waitlist_position(session, existing)
    raise RegistrationRefused(f"{cadre.full_name} đang ở vị trí {place} trong danh sách chờ lớp {course.code}.")


def check_no_overlap(session: Session, course: Course, cadre: Cadre) -> None:
    """Only two full-time courses clash: a part-time, online or in-service course leaves the person free."""
    if not requires_full_time(course.mode):
        return
    overlapping = session.scalars(
        select(Course).join(Registration, Registration.course_id == Course.id).where(
            Registration.cadre_id == cadre.id, Registration.status.in_(ACTIVE_STATUSES), Course.id != course.id,
            Course.start_date <= course.end_date, Course.end_date >= course.start_date)
    )
    clash = next((c for c in overlapping if requires_full_time(c.mode)), None)
    if clash is not None:
        raise RegistrationRefused(
            f"Trùng thời gian với lớp {clash.code} ({clash.start_date:%d/%m/%Y}–{clash.end_date:%d/%m/%Y}) "
            "đã đăng ký; cả hai lớp đều học tập trung. Hãy hủy lớp kia trước nếu muốn đổi."
        )


def check_not_started(course: Course, today: date) -> None:
    if today >= course.start_date:
        raise RegistrationRefused(
            f"Lớp {course.code} đã bắt đầu ({course.start_date:%d/%m/%Y}), không thể hủy trên bot; "
            "hãy liên hệ Ban Tổ chức."
        )


# --- operations ----------------------------------------------------------------------------------


def _course(session: Session, code: str, lock: bool = False) -> Course:
    course = require_course(session, code)
    if lock:
        # Registrations and cancellations of one course queue on its row (PostgreSQL; SQLite's
        # BEGIN IMMEDIATE already serialises writers), so waitlist places are exact. The row is
        # re-read under the lock: what was read before it (cancelled, capacity) may have changed.
        session.refresh(course, with_for_update=True)
    return course


def waitlist_position(session: Session, registration: Registration) -> int:
    return session.scalar(select(func.count()).select_from(Registration).where(
        Registration.course_id == registration.course_id, Registration.status == RegistrationStatus.WAITLISTED,
        Registration.id <= registration.id)) or 0


def _take_seat(session: Session, course: Course) -> bool:
    result = session.execute(
        update(Course)
        .where(Course.id == course.id, Course.seats_taken < Course.capacity, Course.cancelled.is_(False))
        .values(seats_taken=Course.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def register(session: Session, cadre: Cadre, course_code: str, today: date, actor: str) -> Outcome:
    course = _course(session, course_code, lock=True)
    check_course_open(course, today)
    check_audience(course, cadre, own=actor == cadre.code)
    check_not_registered(session, course, cadre)
    check_no_overlap(session, course, cadre)
    seated = _take_seat(session, course)
    now = utcnow()
    status = RegistrationStatus.REGISTERED if seated else RegistrationStatus.WAITLISTED
    registration = Registration(course_id=course.id, cadre_id=cadre.id, status=status,
                                registered_by=actor, created_at=now, updated_at=now)
    session.add(registration)
    try:
        session.flush()
    except IntegrityError as exc:  # the same person pressed twice at the same moment
        raise RegistrationRefused(f"{cadre.full_name} đã đăng ký lớp {course.code}.") from exc
    audit(session, actor, "register", f"{cadre.code}@{course.code}", registration.status)
    position = None if seated else waitlist_position(session, registration)
    return Outcome(registration.status, course.code, course.name, position, cadre.code, cadre.full_name)


def register_self(session: Session, cadre_id: int, course_code: str, today: date) -> Outcome:
    cadre = own_record(session, cadre_id)
    return register(session, cadre, course_code, today, cadre.code)


def register_on_behalf(session: Session, hr_code: str, cadre_code: str, course_code: str, today: date) -> Outcome:
    """HR registers someone; the person is told through the outbox."""
    cadre = require_cadre(session, cadre_code)
    outcome = register(session, cadre, course_code, today, hr_code)
    text = (f"Ban Tổ chức đã đăng ký cho bạn lớp {esc(outcome.course_code)} – {esc(outcome.course_name)}"
            + (" (danh sách chờ, vị trí " + str(outcome.position) + ")." if outcome.position else "."))
    told = enqueue(session, f"registered-by-hr:{outcome.course_code}:{cadre.code}:{utcnow():%Y%m%d%H%M%S}", cadre,
                   "course-registered", text)
    return replace(outcome, told=told)


@dataclass(frozen=True)
class Cancelled:
    course_code: str
    was_registered: bool
    promoted: str | None  # code of the cadre who got the freed seat


def _promote_next(session: Session, course: Course) -> Registration | None:
    """Hand a freed seat to the first in line, or give it back to the course."""
    nxt = session.scalar(
        select(Registration).where(Registration.course_id == course.id,
                                   Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.id).limit(1).with_for_update(skip_locked=True)
    )
    if nxt is None:
        session.execute(update(Course).where(Course.id == course.id)
                        .values(seats_taken=Course.seats_taken - 1).execution_options(synchronize_session=False))
        return None
    now = utcnow()
    nxt.status, nxt.promoted_at, nxt.updated_at = RegistrationStatus.REGISTERED, now, now
    enqueue(session, f"waitlist-promoted:{course.code}:{nxt.cadre.code}:{nxt.id}", nxt.cadre, "waitlist-promoted",
            f"🎉 Đã có chỗ cho bạn trong lớp {esc(course.code)} – {esc(course.name)}. Bạn đã được chuyển từ "
            f"danh sách chờ sang danh sách chính thức. {_start_line(course)}")
    audit(session, "system", "waitlist-promote", f"{nxt.cadre.code}@{course.code}")
    return nxt


def _start_line(course: Course) -> str:
    """A seat can come after the start (HR adds seats): then the class is under way, not about to begin."""
    if course.start_date <= utcnow().date():  # UTC's date: at most the first hours of the day off, said either way
        return f"Lớp đã khai giảng ngày {course.start_date:%d/%m/%Y}; hãy liên hệ nơi tổ chức lớp để vào học."
    return f"Khai giảng {course.start_date:%d/%m/%Y}."


def cancel(session: Session, cadre: Cadre, course_code: str, today: date, actor: str) -> Cancelled:
    course = _course(session, course_code, lock=True)
    registration = active_registration(session, course, cadre)
    if registration is None:
        raise NotFound(f"{cadre.full_name} chưa đăng ký lớp {course.code}.")
    check_not_started(course, today)
    was_registered = registration.status == RegistrationStatus.REGISTERED
    registration.status, registration.updated_at = RegistrationStatus.CANCELLED, utcnow()
    promoted = _promote_next(session, course) if was_registered else None
    audit(session, actor, "cancel-registration", f"{cadre.code}@{course.code}")
    return Cancelled(course.code, was_registered, promoted.cadre.code if promoted else None)


def cancel_self(session: Session, cadre_id: int, course_code: str, today: date) -> Cancelled:
    cadre = own_record(session, cadre_id)
    return cancel(session, cadre, course_code, today, cadre.code)


MAX_REASON_CHARS = 500
MIN_REASON_LETTERS = 4
# HR cancelling a course is one conversation step (its argument the course code): first the prompt for the
# reason, then, holding the reason, its confirmation. Kept in the database, so a restart between the two loses
# nothing, and the reason applied is the one HR read back, never a stale button's.
CANCEL_STEP = "course-kill-reason"


def check_reason(reason: str) -> str:
    """The reason as it will be sent (spaces folded), if it fits."""
    reason = " ".join(reason.split())
    if reason and sum(ch.isalpha() for ch in reason) < MIN_REASON_LETTERS:  # "ok", "x": no reason to send people
        raise ReasonRefused("Lý do hủy lớp cần vài chữ (ví dụ “Không đủ học viên”); hãy gõ lại, hoặc /cancel.")
    if len(reason) > MAX_REASON_CHARS:
        raise ReasonRefused(f"Lý do hủy lớp tối đa {vn.number(MAX_REASON_CHARS)} ký tự; bạn đã gõ "
                            f"{vn.number(len(reason))} ký tự. Hãy gõ ngắn hơn, hoặc /cancel để thôi.")
    return reason


def check_cancellable(session: Session, course: Course) -> None:
    """Rule: a course with recorded completions is not cancelled: the records they raised would name a cancelled
    course as their source, and the course (with its undo) would leave every list. Undo them first."""
    if course.cancelled:
        raise RegistrationRefused(f"Lớp {course.code} đã bị hủy trước đó.")
    done = session.scalar(select(func.count()).select_from(Registration).where(
        Registration.course_id == course.id, Registration.status == RegistrationStatus.COMPLETED)) or 0
    if done:
        raise RegistrationRefused(
            f"Lớp {course.code} đã có {vn.number(done)} người được ghi nhận hoàn thành, nên chưa hủy được: hồ sơ "
            "của họ đang ghi nguồn là lớp này. Nếu lớp thật sự không diễn ra, hãy hủy ghi nhận hoàn thành của "
            "từng người trước (“↩️ Hủy ghi nhận” trong danh sách học viên của lớp), rồi hủy lớp.")


def cancellation_check(session: Session, course_code: str) -> str:
    """Before HR types the reason: the course may be cancelled (check_cancellable). Its code as HR spelt it."""
    course = require_course(session, course_code)
    check_cancellable(session, course)
    return course.code


NOT_LINKED, BLOCKED = "chưa liên kết bot", "đã chặn bot"


@dataclass(frozen=True)
class Unreached:
    """Someone a course notice cannot reach through the bot: HR has to tell them another way."""

    code: str
    full_name: str
    unit_name: str
    why: str  # NOT_LINKED | BLOCKED


def unreached(session: Session, cadres: list[Cadre]) -> dict[int, str]:
    """Why each of these people would not get a message from the bot now, by cadre id (absent: reachable).
    A blocked chat still gets its notice queued, but only once they write to the bot again."""
    users = [c.telegram_user_id for c in cadres if c.telegram_chat_id is not None and c.telegram_user_id]
    blocked = set(session.scalars(select(ChatUser.telegram_user_id).where(
        ChatUser.telegram_user_id.in_(users), ChatUser.blocked.is_(True)))) if users else set()
    return {c.id: NOT_LINKED if c.telegram_chat_id is None else BLOCKED
            for c in cadres if c.telegram_chat_id is None or c.telegram_user_id in blocked}


def _active_people(session: Session, course: Course) -> list[tuple[Registration, Cadre, Unit]]:
    """Everyone registered or waiting for the course, in Vietnamese name order."""
    rows = session.execute(
        select(Registration, Cadre, Unit).join(Cadre, Registration.cadre_id == Cadre.id)
        .join(Unit, Cadre.unit_id == Unit.id)
        .where(Registration.course_id == course.id, Registration.status.in_(ACTIVE_STATUSES))).tuples().all()
    return sorted(rows, key=lambda row: (name_order(row[1].full_name), row[1].code))


@dataclass(frozen=True)
class CancellationPreview:
    """What cancelling a course would do, shown with the reason before HR confirms."""

    course_code: str
    course_name: str
    reason: str
    people: int  # registered or waiting
    reached: int  # of those, told by the bot; the others must be told another way
    tag: str = ""  # for the confirmation's button (reason_tag)


def cancellation_preview(session: Session, actor: Actor, course_code: str, reason: str) -> CancellationPreview:
    """The reason HR typed, checked, and whom the cancellation would reach: nothing is written."""
    require_hr(actor)
    reason = check_reason(reason)
    course = require_course(session, course_code)
    check_cancellable(session, course)
    people = [cadre for _, cadre, _ in _active_people(session, course)]
    missed = unreached(session, people)
    return CancellationPreview(course.code, course.name, reason, len(people), len(people) - len(missed),
                               reason_tag(reason, [cadre.code for cadre in people]))


@dataclass(frozen=True)
class CourseCancellation:
    course_code: str
    course_name: str
    reason: str
    people: int  # registered or waiting when the course was cancelled
    told: int  # of those, told by the bot
    not_told: list[Unreached]  # the others, in name order: HR tells them another way


def cancel_course(session: Session, course_code: str, actor: str, reason: str = "",
                  shown: str = "") -> CourseCancellation:
    """HR cancels a course with a reason: every active registration ends and each person is told why. `shown`:
    the tag of what HR's confirmation showed (reason_tag); other people than it showed cancel nothing."""
    reason = check_reason(reason)
    course = _course(session, course_code, lock=True)
    check_cancellable(session, course)
    people = _active_people(session, course)
    if shown and shown != reason_tag(reason, [cadre.code for _, cadre, _ in people]):
        raise RegistrationRefused(
            f"Nút đó xác nhận một lý do đã được thay, hoặc danh sách người đăng ký đã đổi từ khi xem (nay "
            f"{len(people)} người); chưa hủy gì. Lý do đang chờ: “{reason}”. Gõ lại lý do để xem xác nhận mới.")
    missed = unreached(session, [cadre for _, cadre, _ in people])
    # One moment for the course and the registrations it ends: the roster of a cancelled course is the
    # registrations cancelled at that moment, not those the people had cancelled themselves before.
    now = utcnow()
    course.cancelled, course.seats_taken, course.updated_at = True, 0, now
    course.cancel_reason, course.cancelled_at = reason or None, now
    why = f" Lý do: {esc(reason)}." if reason else ""
    not_told = []
    for registration, cadre, unit in people:
        registration.status, registration.updated_at = RegistrationStatus.CANCELLED, now
        enqueue(session, cancelled_notice_key(course.code, cadre.code), cadre, "course-cancelled",
                f"⛔ Lớp {esc(course.code)} – {esc(course.name)} đã bị hủy.{why} "
                "Đăng ký của bạn được hủy theo; hãy xem /courses để chọn lớp khác.")
        if cadre.id in missed:
            not_told.append(Unreached(cadre.code, cadre.full_name, unit.name, missed[cadre.id]))
    audit(session, actor, "cancel-course", course.code, reason or None)
    return CourseCancellation(course.code, course.name, reason, len(people), len(people) - len(not_told), not_told)


def cancelled_notice_key(course_code: str, cadre_code: str) -> str:
    """The outbox key of a course's cancellation notice to one person: its row says whether they were told."""
    return f"course-cancelled:{course_code}:{cadre_code}"


def reason_tag(reason: str, people: list[str]) -> str:
    """What a cancellation's confirmation showed, for its button: the reason and the people it concerns (codes).
    A reason typed again, or a registration made or cancelled meanwhile (one leaving as another joins too), makes
    another, and the older button cancels nothing."""
    return tag_of(sorted(people), reason)


def cancel_confirmed(session: Session, actor: Actor, chat: tuple[int, int], course_code: str,
                     tag: str = "") -> CourseCancellation:
    """HR confirmed the cancellation of the course with the reason kept at its step (closed here, in the same
    transaction). A press without that step (an older confirmation, another course's, the reason not typed yet)
    cancels nothing; nor does a confirmation of another reason than the one kept (`tag`: reason_tag)."""
    require_hr(actor)
    step = conversation.take_step(session, *chat, {CANCEL_STEP})
    reason = str(step.data.get("reason", "")) if step is not None else ""
    if step is None or step.argument.upper() != course_code.upper() or not reason:
        raise RegistrationRefused(
            f"Không có yêu cầu hủy lớp {course_code} nào đang chờ xác nhận (đã xong, đã thôi, hoặc chưa nhập lý "
            "do); chưa hủy gì. Muốn hủy lớp, bấm “⛔ Hủy lớp” trên trang lớp rồi nhập lý do.")
    return cancel_course(session, course_code, actor.code, reason, shown=tag)  # a refusal rolls the step back


def keep_course(session: Session, chat: tuple[int, int], course_code: str) -> None:
    """HR said no at the cancellation of this course: its step ends (another step the chat waits at is kept)."""
    step = conversation.current_step(session, *chat)
    if step is not None and step.name == CANCEL_STEP and step.argument.upper() == course_code.upper():
        conversation.close_step(session, *chat)


def registered_for_cancelling(session: Session, cadre_code: str, course_code: str) -> tuple[str, str, bool]:
    """HR is about to cancel someone's registration: who it is (name, code) and whether the bot can tell them, if
    the registration is still active; a button left from before it was cancelled asks nothing and says so."""
    cadre = require_cadre(session, cadre_code)
    course = require_course(session, course_code)
    if active_registration(session, course, cadre) is None:  # cancelled meanwhile, or never registered
        raise NotFound(f"{cadre.full_name} không còn đăng ký lớp {course.code} (đã hủy, hoặc chưa từng đăng ký); "
                       "không có gì để hủy.")
    return cadre.full_name, cadre.code, cadre.id not in unreached(session, [cadre])


def cancel_on_behalf(session: Session, hr_code: str, cadre_code: str, course_code: str, today: date) -> Cancelled:
    """HR cancels someone's registration; the person is told who did it (the next in line gets the seat)."""
    cadre = require_cadre(session, cadre_code)
    result = cancel(session, cadre, course_code, today, hr_code)
    course = require_course(session, course_code)
    enqueue(session, f"registration-cancelled:{course.code}:{cadre.code}:{utcnow():%Y%m%d%H%M%S}", cadre,
            "course-cancelled", f"ℹ️ Ban Tổ chức đã hủy đăng ký của bạn vào lớp {esc(course.code)} – "
            f"{esc(course.name)}. "
            "Nếu chưa rõ lý do, hãy liên hệ Ban Tổ chức; xem /courses để chọn lớp khác.")
    return result


MAX_CAPACITY = 10_000


@dataclass(frozen=True)
class CapacityChange:
    """A new seat count, before HR confirms it: who would be seated from the waiting list (told at once)."""

    course_code: str
    old: int
    new: int
    seated_from_waitlist: int


def waiting_count(session: Session, course: Course) -> int:
    """People on the course's waiting list."""
    return session.scalar(select(func.count()).select_from(Registration).where(
        Registration.course_id == course.id, Registration.status == RegistrationStatus.WAITLISTED)) or 0


def check_capacity(course: Course, capacity: int) -> None:
    if capacity < course.seats_taken:
        raise RegistrationRefused(
            f"Lớp {course.code} đã có {vn.number(course.seats_taken)} người đăng ký; số chỗ không thể nhỏ hơn."
        )
    if not 0 < capacity <= MAX_CAPACITY:
        raise RegistrationRefused(f"Số chỗ phải từ 1 đến {vn.number(MAX_CAPACITY)}.")


def capacity_change(session: Session, course_code: str, capacity: int) -> CapacityChange:
    """What setting the seat count would do, checked as set_capacity checks it."""
    course = require_course(session, course_code)
    check_capacity(course, capacity)
    waiting = waiting_count(session, course)
    seated = min(waiting, capacity - course.seats_taken) if seats_go_to_waitlist(course) else 0
    return CapacityChange(course.code, course.capacity, capacity, seated)


def set_capacity(session: Session, course_code: str, capacity: int, actor: str, was: int | None = None) -> int:
    """Change the seat count; new seats go to the waitlist at once. Returns how many were promoted.
    `was`: the count HR's confirmation showed; if it changed since (another HR, a new list), nothing is done."""
    course = _course(session, course_code, lock=True)
    if was is not None and course.capacity != was:
        raise RegistrationRefused(
            f"Số chỗ lớp {course.code} đã được đổi thành {vn.number(course.capacity)} sau khi bạn xem xác nhận "
            f"(lúc đó là {vn.number(was)}); chưa đổi gì. Bấm “✏️ Sửa số chỗ” trên trang lớp để nhập lại nếu vẫn cần.")
    check_capacity(course, capacity)
    course.capacity, course.updated_at = capacity, utcnow()
    session.flush()
    promoted = len(_fill_seats(session, course))
    audit(session, actor, "course-capacity", course.code, str(capacity))
    return promoted


def seats_go_to_waitlist(course: Course) -> bool:
    """Rule: a class that has ended seats nobody from its waiting list (the seat is of no use, and the notice
    would send them to a class already over). UTC's date, as _start_line: off by at most a few hours."""
    return course.end_date >= utcnow().date()


def _fill_seats(session: Session, course: Course) -> list[Registration]:
    """Free seats go to the waiting list, first in line first (each told, if linked); who was promoted."""
    promoted: list[Registration] = []
    if not seats_go_to_waitlist(course):
        return promoted
    while course.seats_taken < course.capacity:
        session.execute(update(Course).where(Course.id == course.id)
                        .values(seats_taken=Course.seats_taken + 1).execution_options(synchronize_session=False))
        session.refresh(course)
        seated = _promote_next(session, course)
        if seated is None:
            break
        promoted.append(seated)
    return promoted


def import_course_list(session: Session, path: Path, *, skip_bad_rows: bool = False) -> CourseImportResult:
    """A course list from HR (bot or command line): import_courses, then the seats it adds go to the waiting
    lists, as any freed seat does."""
    result = import_courses(session, path, skip_bad_rows=skip_bad_rows)
    for course_id in result.grown if result.applied else []:
        course = session.get(Course, course_id, with_for_update=True, populate_existing=True)
        if course is not None and not course.cancelled:
            seated = _fill_seats(session, course)
            result.promoted += len(seated)
            result.promoted_told += sum(r.cadre.telegram_chat_id is not None for r in seated)  # as enqueue decides
    return result
