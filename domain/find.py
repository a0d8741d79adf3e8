"""Finding a cadre by name or code (HR province-wide, a manager within their subtree) and their card.

People type names without diacritics and in part (`trieu van son`, `son`, `MAU005`): every typed word
must occur in the name folded the same way, or the code must match. Every search and every card read
is audit-logged, and so is a refused read (a card outside the reader's subtree).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Cadre, Course, Evaluation, Registration, Unit
from domain.accounts import Actor, Profile, audit, profile_of, require_manager
from domain.clock import as_utc
from domain.evaluation import EvalStatus
from domain.evaluation.review import rates_for, reviewers_above
from domain.gaps import CadreGaps, compute_gaps
from domain.records import qualification_sources
from domain.text import ascii_key, name_order
from domain.units import in_subtree

MAX_MATCHES = 10
MAX_QUERY_CHARS = 100
RECENT_MONTHS = 3


@dataclass(frozen=True)
class Match:
    cadre_id: int
    code: str
    full_name: str
    unit_name: str


@dataclass(frozen=True)
class SearchResult:
    matches: list[Match]
    total: int


def _scope(actor: Actor) -> str:
    """The unit path the actor may read below: the whole province for HR."""
    return "/" if actor.is_hr else actor.unit_path


def _words(query: str) -> list[str]:
    return ascii_key(query[:MAX_QUERY_CHARS]).split()


def _matches(words: list[str], code: str, name_key: str) -> bool:
    if len(words) == 1 and words[0] == code.casefold():
        return True
    return all(word in name_key for word in words)


def search_cadres(session: Session, actor: Actor, query: str) -> SearchResult:
    """Cadres in the actor's scope whose code is the query or whose name holds every typed word."""
    require_manager(actor)
    words = _words(query)
    audit(session, actor.code, "cadre-search", None, query[:MAX_QUERY_CHARS])
    if not words:
        return SearchResult([], 0)
    rows = session.execute(select(Cadre.id, Cadre.code, Cadre.full_name, Unit.name)
                           .join(Unit, Cadre.unit_id == Unit.id).where(in_subtree(_scope(actor)))).all()
    found = [Match(r[0], r[1], r[2], r[3]) for r in rows if _matches(words, r[1], ascii_key(r[2]))]
    exact = " ".join(words)
    found.sort(key=lambda m: (ascii_key(m.full_name) != exact, name_order(m.full_name)))
    return SearchResult(found[:MAX_MATCHES], len(found))


@dataclass(frozen=True)
class RegistrationLine:
    course_code: str
    course_name: str
    status: str
    start_date: date


@dataclass(frozen=True)
class EvaluationLine:
    year: int
    month: int
    status: str  # missing | draft | submitted | rated
    manager_rating: int | None
    late: bool


@dataclass(frozen=True)
class CadreCard:
    code: str
    full_name: str
    profile: Profile
    gaps: CadreGaps
    registrations: list[RegistrationLine]
    evaluations: list[EvaluationLine] | None  # None: the reader is not above this cadre in the review chain
    reviewer: str | None = None  # "Nguyễn Thị Lan (MAU002)": who rates them (HR sees and can correct it)


def _recent_months(year: int, month: int) -> list[tuple[int, int]]:
    months = []
    for _ in range(RECENT_MONTHS):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def _evaluations(session: Session, cadre: Cadre, period: tuple[int, int]) -> list[EvaluationLine]:
    months = _recent_months(*period)
    rows = {(ev.year, ev.month): ev for ev in session.scalars(select(Evaluation).where(
        Evaluation.cadre_id == cadre.id, Evaluation.year >= months[-1][0]))}
    added = as_utc(cadre.created_at)
    lines = []
    for y, m in months:
        ev = rows.get((y, m))
        absent = EvalStatus.NOT_LISTED if (y, m) < (added.year, added.month) else EvalStatus.MISSING
        lines.append(EvaluationLine(y, m, ev.status if ev else absent, ev.manager_rating if ev else None,
                                    bool(ev and ev.late)))
    return lines


def _registrations(session: Session, cadre: Cadre) -> list[RegistrationLine]:
    rows = session.execute(select(Course, Registration.status).join(Registration, Registration.course_id == Course.id)
                           .where(Registration.cadre_id == cadre.id).order_by(Course.start_date.desc())).all()
    return [RegistrationLine(course.code, course.name, status, course.start_date) for course, status in rows]


def cadre_card(session: Session, actor: Actor, cadre_id: int, today: date,
               period: tuple[int, int]) -> CadreCard | None:
    """One cadre's profile, gaps, registrations and recent evaluations; None (audited) outside the scope."""
    require_manager(actor)
    cadre = session.get(Cadre, cadre_id)
    if cadre is None or not cadre.unit.path.startswith(_scope(actor)):
        audit(session, actor.code, "cadre-read-refused", cadre.code if cadre else str(cadre_id))
        return None
    audit(session, actor.code, "cadre-read", cadre.code)
    profile = profile_of(cadre, qualification_sources(session, cadre.id))
    above = reviewers_above(session, cadre)  # the first is the cadre's reviewer
    evaluations = _evaluations(session, cadre, period) if _sees_evaluations(session, actor, cadre, above,
                                                                            today) else None
    boss = above[0] if above else None
    return CadreCard(cadre.code, cadre.full_name, profile, compute_gaps(session, cadre, today),
                     _registrations(session, cadre), evaluations, f"{boss.full_name} ({boss.code})" if boss else None)


def _sees_evaluations(session: Session, actor: Actor, cadre: Cadre, above: list[Cadre], today: date) -> bool:
    """A cadre's monthly evaluations are read by HR, by those above them in the review chain (the status views'
    rule), by a deputy who rates them today, and by the cadre: the unit scope alone showed a deputy head their own
    boss's rating."""
    if actor.is_hr or cadre.id == actor.cadre_id:
        return True
    return actor.cadre_id in {boss.id for boss in above} or rates_for(session, actor, cadre, today) is not None
