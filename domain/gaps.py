"""A cadre's gaps against the resolution's indicators (domain.md §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from db.models import Cadre, Course, Registration, RegistrationStatus
from domain.cadres import own_record, require_cadre
from domain.courses import audience_fits, open_courses
from domain.levels import SCALES
from domain.rules import Indicator, RuleBook, default_rules, in_population, meets


@dataclass(frozen=True)
class CourseOption:
    code: str
    name: str
    register_by: date


@dataclass(frozen=True)
class Enrolled:
    """A class the cadre is registered or waiting for that closes the gap."""

    code: str
    name: str
    start_date: date
    waiting: bool


@dataclass(frozen=True)
class Gap:
    indicator: str
    title: str
    requirement: str  # what is missing, in plain Vietnamese
    deadline: date
    days_left: int
    ref: str
    mandatory: bool
    target_pct: float
    courses: list[CourseOption]  # open classes to register for (none when already registered for one)
    enrolled: list[Enrolled] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "requirement": self.requirement, "deadline": self.deadline.isoformat(),
                "mandatory": self.mandatory, "courses": [c.code for c in self.courses]}


@dataclass
class CadreGaps:
    code: str
    full_name: str
    unit_name: str
    gaps: list[Gap] = field(default_factory=list)
    met: list[Indicator] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"cadre": self.code, "gaps": [g.as_json() for g in self.gaps]}


def describe_missing(indicator: Indicator, cadre: Cadre) -> str:
    c = indicator.condition
    if c.is_training:
        return f"{c.label}: chưa hoàn thành"
    scale = SCALES[c.field]
    current = scale.label(getattr(cadre, c.field))
    return f"{scale.name}: hiện có {current}, cần {c.label} trở lên"


def _live(today: Any) -> Any:
    """A place that still counts: a seat until the class ends, a waiting-list place until it starts (a class
    that ended with no completion recorded no longer covers a gap)."""
    return and_(Course.cancelled.is_(False), or_(
        and_(Registration.status == RegistrationStatus.REGISTERED, Course.end_date >= today),
        and_(Registration.status == RegistrationStatus.WAITLISTED, Course.start_date > today)))


# The cadre's live registrations with their courses; built once, see domain.accounts.
_ACTIVE_COURSES = (select(Course, Registration.status).join(Registration, Registration.course_id == Course.id)
                   .where(Registration.cadre_id == bindparam("cadre_id"), _live(bindparam("today")))
                   .order_by(Course.start_date, Course.code))
CHUNK = 2000  # cadre ids per query: well inside every database's limit on bound parameters


def active_courses(session: Session, cadre_id: int, today: date) -> list[tuple[Course, str]]:
    """(course, registration status) for every class the cadre holds a live place in (_live)."""
    rows = session.execute(_ACTIVE_COURSES, {"cadre_id": cadre_id, "today": today})
    return [(course, status) for course, status in rows]


def active_courses_of(session: Session, cadre_ids: list[int], today: date) -> dict[int, list[tuple[Course, str]]]:
    """active_courses() for many cadres, a chunk of ids per query (a job over the province)."""
    found: dict[int, list[tuple[Course, str]]] = {}
    for start in range(0, len(cadre_ids), CHUNK):
        query = (select(Registration.cadre_id, Course, Registration.status)
                 .join(Course, Registration.course_id == Course.id)
                 .where(Registration.cadre_id.in_(cadre_ids[start:start + CHUNK]), _live(today))
                 .order_by(Course.start_date, Course.code))
        for cadre_id, course, status in session.execute(query):
            found.setdefault(cadre_id, []).append((course, status))
    return found


def compute_gaps(session: Session, cadre: Cadre, today: date, rules: RuleBook | None = None,
                 courses: list[Course] | None = None,
                 registered: list[tuple[Course, str]] | None = None) -> CadreGaps:
    """`courses`: the open courses, `registered`: active_courses() of the cadre, when the caller has them
    (many people at once, or read already)."""
    rules = rules or default_rules()
    unit_level = cadre.unit.level
    result = CadreGaps(cadre.code, cadre.full_name, cadre.unit.name)
    available = open_courses(session, today) if courses is None else courses
    courses = [c for c in available if audience_fits(c.audience, cadre, unit_level)]
    registered = active_courses(session, cadre.id, today) if registered is None else registered
    for indicator in rules.indicators:
        if not in_population(indicator.population, cadre, unit_level):
            continue
        if meets(indicator.condition, cadre):
            result.met.append(indicator)
            continue
        kinds = set(rules.kinds_closing(indicator))
        enrolled = [Enrolled(c.code, c.name, c.start_date, status == RegistrationStatus.WAITLISTED)
                    for c, status in registered if c.kind in kinds]
        taken = {e.code for e in enrolled}
        # a seat in a class that closes the gap: no other class is suggested (a waitlist place still may be)
        options = [] if any(not e.waiting for e in enrolled) else [
            CourseOption(c.code, c.name, c.register_by) for c in courses if c.kind in kinds and c.code not in taken]
        result.gaps.append(Gap(
            indicator=indicator.id, title=indicator.title, requirement=describe_missing(indicator, cadre),
            deadline=indicator.deadline, days_left=(indicator.deadline - today).days, ref=indicator.ref,
            mandatory=indicator.mandatory, target_pct=indicator.target_pct, courses=options, enrolled=enrolled,
        ))
    result.gaps.sort(key=lambda g: (not g.mandatory, g.deadline, g.indicator))
    return result


def gaps_by_code(session: Session, code: str, today: date, rules: RuleBook | None = None) -> CadreGaps:
    cadre = require_cadre(session, code)
    return compute_gaps(session, cadre, today, rules)


def gaps_by_id(session: Session, cadre_id: int, today: date, rules: RuleBook | None = None) -> CadreGaps:
    cadre = own_record(session, cadre_id)
    return compute_gaps(session, cadre, today, rules)
