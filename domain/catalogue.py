"""What a cadre sees of the course catalogue: open courses, those closing their gaps first."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from db.models import ACTIVE_STATUSES, Cadre, Course, Outbox, Registration, RegistrationStatus
from domain.accounts import Actor, audit, require_hr
from domain.cadres import own_record, require_cadre
from domain.clock import as_utc, utcnow
from domain.completion import already_held
from domain.courses import CourseView, audience_fits, course_state, open_courses, require_course, view_of
from domain.gaps import active_courses, compute_gaps
from domain.registration import (
    BLOCKED,
    NOT_LINKED,
    cancelled_notice_key,
    check_audience,
    check_course_open,
    check_no_overlap,
    check_not_registered,
    unreached,
    waiting_count,
    waitlist_position,
)
from domain.rules import default_rules
from domain.text import name_order

# The one wording of each registration status (bot, roster export, personal data).
STATUS_LABELS: dict[str, str] = {
    RegistrationStatus.REGISTERED: "đã đăng ký", RegistrationStatus.WAITLISTED: "danh sách chờ",
    RegistrationStatus.CANCELLED: "đã hủy", RegistrationStatus.COMPLETED: "đã hoàn thành",
}


@dataclass(frozen=True)
class CourseItem:
    code: str
    name: str
    kind: str
    kind_label: str
    register_by: date
    start_date: date
    seats_left: int
    closes_my_gap: bool
    fits_me: bool
    my_status: str | None


_MY_ACTIVE = select(Registration).where(Registration.cadre_id == bindparam("cadre_id"),
                                        Registration.status.in_(ACTIVE_STATUSES))  # built once, see domain.accounts


def _my_status(session: Session, cadre_id: int) -> dict[int, Registration]:
    return {r.course_id: r for r in session.scalars(_MY_ACTIVE, {"cadre_id": cadre_id})}


def courses_for(session: Session, cadre_id: int, today: date, kind: str | None = None) -> list[CourseItem]:
    cadre = own_record(session, cadre_id)
    rules = default_rules()
    available = open_courses(session, today)
    registered = active_courses(session, cadre_id, today)
    gap_courses = {c.code for g in compute_gaps(session, cadre, today, courses=available, registered=registered).gaps
                   for c in g.courses}
    mine = {course.id: status for course, status in registered}
    items = []
    for course in available:
        if kind and course.kind != kind:
            continue
        label = rules.course_kinds[course.kind].label if course.kind in rules.course_kinds else course.kind
        items.append(CourseItem(course.code, course.name, course.kind, label, course.register_by, course.start_date,
                                max(0, course.capacity - course.seats_taken), course.code in gap_courses,
                                audience_fits(course.audience, cadre, cadre.unit.level), mine.get(course.id)))
    items.sort(key=lambda i: (not i.closes_my_gap, not i.fits_me, i.register_by, i.code))
    return items


@dataclass(frozen=True)
class MyRegistration:
    code: str
    name: str
    status: str
    position: int | None
    start_date: date
    can_cancel: bool


def my_registrations(session: Session, cadre_id: int, today: date) -> list[MyRegistration]:
    rows = session.execute(
        select(Registration, Course).join(Course, Registration.course_id == Course.id)
        .where(Registration.cadre_id == cadre_id,
               Registration.status.in_((*ACTIVE_STATUSES, RegistrationStatus.COMPLETED)))
        .order_by(Course.start_date)
    ).all()
    return [MyRegistration(c.code, c.name, r.status,
                           waitlist_position(session, r) if r.status == RegistrationStatus.WAITLISTED else None,
                           c.start_date,
                           r.status in ACTIVE_STATUSES and today < c.start_date)
            for r, c in rows]


@dataclass(frozen=True)
class MyPlace:
    status: str | None
    position: int | None
    fits_audience: bool = True  # False: the course page says why before any "Đăng ký" button
    already_held: str | None = None  # what the record holds that the course would give (completion.already_held)


def course_page(session: Session, cadre_id: int, course_code: str, today: date) -> tuple[CourseView, MyPlace]:
    """A course's details and the viewer's own place in it, in one transaction."""
    course = require_course(session, course_code)
    place = _place(session, cadre_id, course)
    cadre = own_record(session, cadre_id)
    return view_of(course, today), replace(place, fits_audience=audience_fits(course.audience, cadre, cadre.unit.level),
                                           already_held=already_held(cadre, course.kind))


@dataclass(frozen=True)
class BehalfChoice:
    """Whom HR is about to register, shown before the confirmation."""

    code: str
    full_name: str
    unit_name: str
    already_held: str | None  # what the record holds that the course would give (completion.already_held)
    waiting_position: int | None = None  # the course is full: their place on the waiting list, if confirmed


def behalf_choice(session: Session, actor: Actor, cadre_code: str, course_code: str, today: date) -> BehalfChoice:
    """HR's registration on someone's behalf, checked before it is confirmed (open, audience), as at the end."""
    require_hr(actor)
    course = require_course(session, course_code)
    cadre = require_cadre(session, cadre_code)
    check_course_open(course, today)
    check_audience(course, cadre, own=False)
    check_not_registered(session, course, cadre)
    check_no_overlap(session, course, cadre)
    waiting = 1 + waiting_count(session, course) if course.seats_taken >= course.capacity else None
    return BehalfChoice(cadre.code, cadre.full_name, cadre.unit.name, already_held(cadre, course.kind), waiting)


def _place(session: Session, cadre_id: int, course: Course) -> MyPlace:
    reg = _my_status(session, cadre_id).get(course.id)
    if reg is None:
        return MyPlace(None, None)
    return MyPlace(reg.status, waitlist_position(session, reg) if reg.status == RegistrationStatus.WAITLISTED else None)


@dataclass(frozen=True)
class RosterLine:
    code: str
    full_name: str
    unit_name: str
    status: str
    position: int | None
    unreached: str | None = None  # a cancelled course's roster: why the bot could not tell this person
    # what the Excel roster adds (domain.course_exports), for the same people in the same order
    unit_code: str = ""
    title: str = ""  # chức vụ
    registered_on: date | None = None
    registered_by: str = ""  # the code of whoever registered them (themself, HR), or "cli"
    completed_on: date | None = None


def _line(reg: Registration, position: int | None = None, unreached: str | None = None) -> RosterLine:
    cadre = reg.cadre
    return RosterLine(cadre.code, cadre.full_name, cadre.unit.name, reg.status, position, unreached,
                      cadre.unit.code, cadre.position, reg.created_at.date(), reg.registered_by,
                      reg.completed_at.date() if reg.completed_at else None)


def course_roster(session: Session, course_code: str) -> tuple[Course, list[RosterLine]]:
    """Who is on the course: registered and completed, then the waiting list in its order. For a cancelled
    course, the people it had when it was cancelled (whom HR may have to tell another way)."""
    course = require_course(session, course_code)
    if course.cancelled:
        return course, _cancelled_roster(session, course)
    regs = session.scalars(select(Registration).where(Registration.course_id == course.id,
                                                      Registration.status != RegistrationStatus.CANCELLED)
                           .order_by(Registration.status, Registration.id))
    lines, place = [], 0
    for r in regs:
        if r.status == RegistrationStatus.WAITLISTED:
            place += 1
        lines.append(_line(r, place if r.status == RegistrationStatus.WAITLISTED else None))
    order: dict[str, int] = {RegistrationStatus.REGISTERED: 0, RegistrationStatus.COMPLETED: 1,
                             RegistrationStatus.WAITLISTED: 2}
    lines.sort(key=lambda line: (order.get(line.status, 3), line.position or 0, name_order(line.full_name)))
    return course, lines


def _cancelled_roster(session: Session, course: Course) -> list[RosterLine]:
    """The registrations the course's cancellation ended: cancel_course stamps them with the course's
    cancelled_at (those the people had cancelled themselves are older). A course cancelled before cancelled_at
    was kept cannot tell them apart: every cancelled registration is listed, rather than someone left out."""
    query = select(Registration).join(Course, Registration.course_id == Course.id).where(
        Registration.course_id == course.id, Registration.status == RegistrationStatus.CANCELLED)
    if course.cancelled_at is not None:
        query = query.where(Registration.updated_at >= Course.cancelled_at)
    regs = list(session.scalars(query))
    missed = _unreached_then(session, course, [r.cadre for r in regs])
    lines = [_line(r, unreached=missed.get(r.cadre.id)) for r in regs]
    return sorted(lines, key=lambda line: (name_order(line.full_name), line.code))


def _unreached_then(session: Session, course: Course, cadres: list[Cadre]) -> dict[int, str]:
    """Who the cancellation's notice did not reach, as it was then: a notice queued for them (its outbox row) or
    none (not linked at the time). Linking afterwards tells them nothing, so it must not clear the mark. Once
    the outbox has purged the rows (after its retention), only today's link state is left to go by."""
    keys = {cancelled_notice_key(course.code, c.code): c.id for c in cadres}
    rows = dict(session.execute(select(Outbox.key, Outbox.status).where(Outbox.key.in_(keys))).tuples().all())
    if not rows and cadres and course.cancelled_at is not None and as_utc(course.cancelled_at) < utcnow() - OUTBOX_KEPT:
        return unreached(session, cadres)
    now = unreached(session, cadres)
    missed: dict[int, str] = {}
    for key, cadre_id in keys.items():
        if key not in rows:
            missed[cadre_id] = NOT_LINKED  # nothing was queued: they were not linked then
        elif rows[key] == "failed" or now.get(cadre_id) == BLOCKED:
            missed[cadre_id] = BLOCKED  # queued, but the chat is blocked: it waits until they write again
    return missed


OUTBOX_KEPT = timedelta(days=90)  # [retention] outbox_days in config.toml: rows older than this may be gone


def course_roster_as(session: Session, actor: Actor, course_code: str) -> tuple[Course, list[RosterLine]]:
    """HR reading who is on a course: the role is checked in the transaction, and the read is audited."""
    require_hr(actor)
    course, lines = course_roster(session, course_code)
    audit(session, actor.code, "course-roster", course.code, f"{len(lines)} người")
    return course, lines


def course_counts(session: Session) -> list[dict[str, object]]:
    """Every course with capacity, registered and waitlisted counts (for scripts)."""
    counts = dict(((course_id, status), n) for course_id, status, n in session.execute(
        select(Registration.course_id, Registration.status, func.count()).group_by(
            Registration.course_id, Registration.status)))
    return [{"code": c.code, "name": c.name, "kind": c.kind, "capacity": c.capacity,
             "registered": counts.get((c.id, RegistrationStatus.REGISTERED), 0),
             "waitlisted": counts.get((c.id, RegistrationStatus.WAITLISTED), 0),
             "completed": counts.get((c.id, RegistrationStatus.COMPLETED), 0), "register_by": c.register_by.isoformat(),
             "start_date": c.start_date.isoformat(), "cancelled": c.cancelled}
            for c in session.scalars(select(Course).order_by(Course.start_date, Course.code))]


@dataclass(frozen=True)
class ClosedCourse:
    code: str
    name: str
    start_date: date
    end_date: date
    state: str  # domain.courses.course_state


def closed_courses_as(session: Session, actor: Actor, today: date) -> list[ClosedCourse]:
    """HR's courses past their registration deadline, and cancelled ones, newest first: where completions are
    recorded and undone, and where a cancelled course's roster stays readable (whom to tell another way)."""
    require_hr(actor)
    query = select(Course).where(or_(Course.cancelled.is_(True), Course.register_by < today))
    items = []
    for c in session.scalars(query.order_by(Course.start_date.desc(), Course.code)):
        items.append(ClosedCourse(c.code, c.name, c.start_date, c.end_date, course_state(c, today)))
    return items
