"""Facts with a source: every change to a cadre's record is kept with where it came from.

A change names its source (a roster file and its time, a course completion and the HR user who
recorded it, the undo of one, a manual correction) and the old and new values, so the profile
can say where each qualification came from and a later roster import can tell whether it
would undo something the bot recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from db.models import Cadre, Course, RecordChange, Registration, RegistrationStatus, RosterImport
from domain import vn
from domain.clock import as_utc, utcnow
from domain.levels import SCALES, TRAININGS
from domain.text import clean

TRAINING_SHORT = {
    "trained_job_position": "BD theo VTVL",
    "trained_digital_ai": "BD chuyển đổi số, AI",
    "trained_two_tier_gov": "BD CQĐP 2 cấp",
    "trained_planned_title": "BD chức danh quy hoạch",
    "retrained_specialty": "Đào tạo chuyên môn phù hợp",
}
FIELD_LABELS = {
    "political_theory": "LLCT", "state_management": "QLNN", "education": "Trình độ chuyên môn",
    "full_name": "Họ và tên", **TRAINING_SHORT,
}
# The qualification and training fields: what a completion raises and an import must not silently lower.
QUALIFICATIONS = (*SCALES, *TRAININGS)
COURSE_SOURCE = "course:"
FILE_MARK = "; tệp "  # a change's detail: "<course name>; tệp <the sheet HR sent>"
ROSTER_SOURCE = "import-roster"


def title_case(name: str) -> str:
    """Vietnamese names in title case: '  triệu văn SƠN ' -> 'Triệu Văn Sơn' (NFC, single spaces)."""
    return " ".join(word[:1].upper() + word[1:].lower() for word in clean(name).split(" ") if word)


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


YES_NO_FIELDS = ("is_leader", "job_matched", "in_succession_plan")


def value_label(field: str, value: Any) -> str:
    """A stored value as HR reads it: a level's name, a training's year ('chưa' when none), Có/Không, a date as
    26/11/2026. The history keeps values as text, so "False" and "1972-03-12" read the same as the values."""
    if value is None or value == "":
        return "chưa" if field in QUALIFICATIONS else "(trống)"
    if field in SCALES:
        return SCALES[field].label(int(value))
    if field in YES_NO_FIELDS:
        return "Có" if value in (True, "True", "1", 1) else "Không"
    if field == "birth_date":
        born = value if isinstance(value, date) else date.fromisoformat(str(value))
        return vn.day(born)
    return str(value)


def parse_value(field: str, raw: str | None) -> Any:
    """Back from the history's text to the column's type."""
    if raw is None:
        return None
    return int(raw) if field in QUALIFICATIONS else raw


def is_lower(field: str, new: Any, old: Any) -> bool:
    """Would writing `new` over `old` take away a level or a recorded training?"""
    if field in SCALES:
        ranks = SCALES[field].ranks
        return new is not None and old is not None and ranks[int(new)] < ranks[int(old)]
    if field in TRAININGS:
        return new is None and old is not None
    return False


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any

    @property
    def text(self) -> str:
        """'LLCT: Trung cấp → Cao cấp'."""
        return f"{field_label(self.field)}: {value_label(self.field, self.old)} → {value_label(self.field, self.new)}"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new,
                "old_label": value_label(self.field, self.old), "new_label": value_label(self.field, self.new)}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def apply_change(session: Session, cadre: Cadre, change: Change, source: str, *, actor: str | None = None,
                 detail: str | None = None, registration_id: int | None = None) -> None:
    """Write one field and its history row in the caller's transaction."""
    setattr(cadre, change.field, change.new)
    cadre.updated_at = utcnow()
    session.add(RecordChange(cadre_id=cadre.id, at=utcnow(), source=source, field=change.field,
                             old_value=_text(change.old), new_value=_text(change.new), actor=actor, detail=detail,
                             registration_id=registration_id))


# --- where a value came from ---------------------------------------------------------------------


# Actors that are no cadre, as users read them ("bởi cli" meant nothing to a cadre reading their profile).
NON_CADRE_ACTORS = {"cli": "Ban Tổ chức (dòng lệnh)", "system": "hệ thống"}


def actor_label(actor: str) -> str:
    return NON_CADRE_ACTORS.get(actor, actor)


def describe_source(change: RecordChange, file_name: str | None = None, actor_name: str | None = None) -> str:
    """'hoàn thành lớp CC-K26, ghi nhận 26/11/2026 bởi Phạm Thu Hương (MAU004)' and the like; an actor that is
    no cadre ("cli") is named for what it is (actor_label)."""
    when = f"{as_utc(change.at):%d/%m/%Y}"
    by = f" bởi {actor_name} ({change.actor})" if actor_name else (f" bởi {actor_label(change.actor)}"
                                                                   if change.actor else "")
    if change.source.startswith(COURSE_SOURCE):
        sheet = change.detail.split(FILE_MARK, 1)[1] if change.detail and FILE_MARK in change.detail else None
        return f"hoàn thành lớp {change.source[len(COURSE_SOURCE):]}, ghi nhận {when}{by}" + (
            f" từ tệp {sheet}" if sheet else "")
    if change.source.startswith("undo:"):
        return f"hủy ghi nhận lớp {change.source.rsplit(':', 1)[-1]}, {when}{by}"
    if change.source == ROSTER_SOURCE:
        return f"danh sách cán bộ {file_name or ''} nhập {when}".replace("  ", " ")
    return f"{change.source}, {when}{by}"


_ACTOR = aliased(Cadre)


def _changes(cadre_id: int) -> Select[tuple[RecordChange, str, str]]:  # both str may be NULL (outer joins)
    """A cadre's record changes with the file they came from and the name of who made them."""
    return (select(RecordChange, RosterImport.file_name, _ACTOR.full_name)
            .outerjoin(RosterImport, RosterImport.id == RecordChange.import_id)
            .outerjoin(_ACTOR, _ACTOR.code == RecordChange.actor)
            .where(RecordChange.cadre_id == cadre_id))


def value_sources(session: Session, cadre_id: int) -> dict[str, str]:
    """For each field ever changed, where its current value came from (the latest change)."""
    rows = session.execute(_changes(cadre_id).order_by(RecordChange.at, RecordChange.id)).all()
    return {change.field: describe_source(change, name, actor) for change, name, actor in rows}


QUALIFICATION_TITLES = {**{f: scale.name for f, scale in SCALES.items()}, **TRAININGS}


def qualification_sources(session: Session, cadre_id: int) -> list[tuple[str, str]]:
    """(qualification title, where its current value came from) for the profile, in the roster's order."""
    sources = value_sources(session, cadre_id)
    return [(title, sources[f]) for f, title in QUALIFICATION_TITLES.items() if f in sources]


def history(session: Session, cadre_id: int, limit: int = 30) -> list[tuple[RecordChange, str]]:
    """The newest changes first, each with its described source."""
    rows = session.execute(_changes(cadre_id).order_by(RecordChange.at.desc(), RecordChange.id.desc())
                           .limit(limit)).all()
    return [(change, describe_source(change, name, actor)) for change, name, actor in rows]


# --- what an import must not undo -----------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    """A completion recorded in the bot that raised a field."""

    course: str
    at: datetime
    actor: str | None
    value: Any
    actor_name: str | None = None  # the HR officer who recorded it, when the actor is a cadre


def protected_completions(session: Session) -> dict[tuple[int, str], Completion]:
    """(cadre id, field) -> a still-valid course completion that raised the field and that no roster
    import has overwritten since: a file may not lower these silently (also when re-imported again)."""
    query = (select(RecordChange, Course.code).join(Registration, Registration.id == RecordChange.registration_id)
             .join(Course, Course.id == Registration.course_id)
             .where(RecordChange.source.like(f"{COURSE_SOURCE}%"), Registration.status == RegistrationStatus.COMPLETED)
             .order_by(RecordChange.at))
    rows = session.execute(query).all()
    names = dict(session.execute(select(Cadre.code, Cadre.full_name).where(
        Cadre.code.in_({change.actor for change, _ in rows if change.actor}))).tuples().all()) if rows else {}
    raised = {(change.cadre_id, change.field): Completion(code, as_utc(change.at), change.actor,
                                                          parse_value(change.field, change.new_value),
                                                          names.get(change.actor or ""))
              for change, code in rows}
    if not raised:
        return {}
    imported = session.execute(
        select(RecordChange.cadre_id, RecordChange.field, func.max(RecordChange.at))
        .where(RecordChange.source == ROSTER_SOURCE, RecordChange.cadre_id.in_({c for c, _ in raised}))
        .group_by(RecordChange.cadre_id, RecordChange.field)).all()
    overwritten = {(cadre_id, name): as_utc(at) for cadre_id, name, at in imported}
    return {key: c for key, c in raised.items() if key not in overwritten or overwritten[key] < c.at}
