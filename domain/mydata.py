""""Dữ liệu của tôi": everything the bot keeps about the cadre who asks, read-only and audit-logged.

Profile fields, trainings with where each came from, evaluations, course registrations and when the
Telegram account was linked, as personal-data rules expect a person to be able to see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Course, Evaluation, Registration
from domain.accounts import Actor, Profile, audit, profile_of
from domain.cadres import own_record
from domain.catalogue import STATUS_LABELS
from domain.clock import as_utc
from domain.evaluation import RATINGS, status_label
from domain.levels import TRAININGS
from domain.records import value_sources

SHOWN = 24  # newest evaluations and registrations listed; the count says how many there are in all


@dataclass(frozen=True)
class Training:
    label: str
    year: str
    source: str | None


@dataclass(frozen=True)
class EvaluationLine:
    period: str  # "11/2026"
    status: str
    self_rating: str | None
    manager_rating: str | None
    late: bool


@dataclass(frozen=True)
class RegistrationLine:
    course_code: str
    course_name: str
    status: str
    since: datetime


@dataclass(frozen=True)
class MyData:
    profile: Profile
    trainings: list[Training]
    evaluations: list[EvaluationLine]
    evaluations_total: int
    registrations: list[RegistrationLine]
    registrations_total: int
    linked_at: datetime | None


def _rating(value: int | None) -> str | None:
    return None if value is None else RATINGS[value]


def my_data(session: Session, actor: Actor) -> MyData:
    """The actor's own data only (the id comes from the server-side actor); the read is audit-logged."""
    cadre = own_record(session, actor.cadre_id)
    sources = value_sources(session, cadre.id)
    trainings = [Training(label, str(getattr(cadre, attr) or "chưa"), sources.get(attr))
                 for attr, label in TRAININGS.items()]
    evaluations = [EvaluationLine(f"{e.month:02d}/{e.year}", status_label(e.status),
                                  _rating(e.self_rating), _rating(e.manager_rating), e.late)
                   for e in session.scalars(select(Evaluation).where(Evaluation.cadre_id == cadre.id)
                                            .order_by(Evaluation.year.desc(), Evaluation.month.desc()))]
    registrations = [RegistrationLine(code, name, STATUS_LABELS.get(status, status), as_utc(updated))
                     for code, name, status, updated in session.execute(
                         select(Course.code, Course.name, Registration.status, Registration.updated_at)
                         .join(Course, Course.id == Registration.course_id)
                         .where(Registration.cadre_id == cadre.id).order_by(Registration.id.desc()))]
    audit(session, actor.code, "my-data", actor.code)
    return MyData(profile_of(cadre), trainings, evaluations[:SHOWN], len(evaluations), registrations[:SHOWN],
                  len(registrations), as_utc(cadre.linked_at) if cadre.linked_at else None)
