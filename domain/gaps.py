"""A cadre's gaps against the resolution's indicators (domain.md §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from db.models import Cadre, Course
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
class Gap:
    indicator: str
    title: str
    requirement: str  # what is missing, in plain Vietnamese
    deadline: date
    days_left: int
    ref: str
    mandatory: bool
    target_pct: float
    courses: list[CourseOption]

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


def compute_gaps(session: Session, cadre: Cadre, today: date, rules: RuleBook | None = None,
                 courses: list[Course] | None = None) -> CadreGaps:
    """`courses`: the open courses, when the caller computes gaps for many people at once."""
    rules = rules or default_rules()
    unit_level = cadre.unit.level
    result = CadreGaps(cadre.code, cadre.full_name, cadre.unit.name)
    available = open_courses(session, today) if courses is None else courses
    courses = [c for c in available if audience_fits(c.audience, cadre, unit_level)]
    for indicator in rules.indicators:
        if not in_population(indicator.population, cadre, unit_level):
            continue
        if meets(indicator.condition, cadre):
            result.met.append(indicator)
            continue
        kinds = set(rules.kinds_closing(indicator))
        result.gaps.append(Gap(
            indicator=indicator.id, title=indicator.title, requirement=describe_missing(indicator, cadre),
            deadline=indicator.deadline, days_left=(indicator.deadline - today).days, ref=indicator.ref,
            mandatory=indicator.mandatory, target_pct=indicator.target_pct,
            courses=[CourseOption(c.code, c.name, c.register_by) for c in courses if c.kind in kinds],
        ))
    result.gaps.sort(key=lambda g: (not g.mandatory, g.deadline, g.indicator))
    return result


def gaps_by_code(session: Session, code: str, today: date, rules: RuleBook | None = None) -> CadreGaps:
    cadre = require_cadre(session, code)
    return compute_gaps(session, cadre, today, rules)


def gaps_by_id(session: Session, cadre_id: int, today: date, rules: RuleBook | None = None) -> CadreGaps:
    cadre = own_record(session, cadre_id)
    return compute_gaps(session, cadre, today, rules)
