"""The indicator rules file: loading, validation, and evaluation in SQL and in Python.

Both evaluators are generated from the same parsed rule, so a report (SQL aggregation)
and a person's gaps (Python over one record) cannot disagree.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from db.models import Cadre, Unit
from domain.levels import SCALES, TRAININGS, UNIT_LEVELS

RULES_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "rules" / "indicators.toml"
LIST_KEYS = {"title_group", "managed_by", "unit_level"}
BOOL_KEYS = {"is_leader", "job_matched", "in_succession_plan"}


class RuleError(ValueError):
    """A malformed rule; the message names the rule and the field."""


@dataclass(frozen=True)
class Condition:
    field: str  # a scale attribute or a training attribute
    min_code: int | None  # for scales: smallest stored code that meets; None for trainings
    label: str  # "Cao cấp" or the training's label

    @property
    def is_training(self) -> bool:
        return self.min_code is None


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    ref: str
    deadline: date
    target_pct: float
    requirement: str
    explanation: str
    population: dict[str, Any]
    condition: Condition
    baseline: dict[str, Any]

    @property
    def mandatory(self) -> bool:
        return self.target_pct >= 100


@dataclass(frozen=True)
class CourseKind:
    code: str
    label: str
    effect: Condition  # what the record satisfies after completion

    def closes(self, indicator: Indicator) -> bool:
        c, e = indicator.condition, self.effect
        if c.field != e.field:
            return False
        return c.is_training or (e.min_code is not None and c.min_code is not None and e.min_code >= c.min_code)


@dataclass(frozen=True)
class RuleBook:
    indicators: tuple[Indicator, ...]
    course_kinds: dict[str, CourseKind]

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)

    def kinds_closing(self, indicator: Indicator) -> list[str]:
        return [k.code for k in self.course_kinds.values() if k.closes(indicator)]


# --- parsing -----------------------------------------------------------------------------------


def _condition(raw: Any, where: str, level_key: str = "at_least") -> Condition:
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: phải là bảng {{ field = ..., {level_key} = ... }} hoặc {{ trained = ... }}")
    if set(raw) == {"trained"}:
        if raw["trained"] not in TRAININGS:
            raise RuleError(f"{where}.trained: không có loại bồi dưỡng {raw['trained']!r} "
                            f"(chọn: {', '.join(TRAININGS)})")
        return Condition(raw["trained"], None, TRAININGS[raw["trained"]])
    if set(raw) != {"field", level_key}:
        raise RuleError(f"{where}: cần đúng các khóa 'field' và '{level_key}', hoặc chỉ 'trained'")
    scale = SCALES.get(raw["field"])
    if scale is None:
        raise RuleError(f"{where}.field: {raw['field']!r} không phải thang trình độ (chọn: {', '.join(SCALES)})")
    try:
        return Condition(raw["field"], scale.min_code_at_least(str(raw[level_key])), str(raw[level_key]))
    except ValueError as exc:
        raise RuleError(f"{where}.{level_key}: {exc}") from exc


def _population(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: phải là một bảng")
    for key, value in raw.items():
        if key == "any":
            if not isinstance(value, list) or not value:
                raise RuleError(f"{where}.any: phải là danh sách bảng không rỗng")
            for i, sub in enumerate(value):
                _population(sub, f"{where}.any[{i}]")
        elif key in LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RuleError(f"{where}.{key}: phải là danh sách chuỗi")
            if key == "unit_level" and not set(value) <= set(UNIT_LEVELS):
                raise RuleError(f"{where}.unit_level: chỉ nhận {UNIT_LEVELS}")
        elif key in BOOL_KEYS:
            if not isinstance(value, bool):
                raise RuleError(f"{where}.{key}: phải là true/false")
        else:
            raise RuleError(f"{where}: khóa không hợp lệ {key!r}")
    return raw


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"{where}.{key}: bắt buộc, phải là chuỗi không rỗng")
    return value


def _indicator(raw: dict[str, Any], index: int) -> Indicator:
    ident = raw.get("id")
    where = f"indicator {ident!r}" if isinstance(ident, str) else f"indicator #{index + 1}"
    _text(raw, "id", where)
    known = {"id", "title", "ref", "deadline", "target_pct", "requirement", "explanation",
             "population", "condition", "baseline"}
    if unknown := set(raw) - known:
        raise RuleError(f"{where}: khóa không hợp lệ {sorted(unknown)}")
    deadline = raw.get("deadline")
    if not isinstance(deadline, date):
        raise RuleError(f"{where}.deadline: phải là ngày dạng YYYY-MM-DD")
    target = raw.get("target_pct")
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 100:
        raise RuleError(f"{where}.target_pct: phải là số trong (0, 100]")
    if "population" not in raw or "condition" not in raw:
        raise RuleError(f"{where}: thiếu 'population' hoặc 'condition'")
    return Indicator(
        id=str(ident), title=_text(raw, "title", where), ref=_text(raw, "ref", where), deadline=deadline,
        target_pct=float(target), requirement=_text(raw, "requirement", where),
        explanation=_text(raw, "explanation", where),
        population=_population(raw["population"], f"{where}.population"),
        condition=_condition(raw["condition"], f"{where}.condition"), baseline=dict(raw.get("baseline", {})),
    )


def parse_rules(text: str, source: str = "indicators.toml") -> RuleBook:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{source}: lỗi cú pháp TOML: {exc}") from exc
    indicators = tuple(_indicator(r, i) for i, r in enumerate(raw.get("indicator", [])))
    if not indicators:
        raise RuleError(f"{source}: không có [[indicator]] nào")
    ids = [i.id for i in indicators]
    if dupes := {i for i in ids if ids.count(i) > 1}:
        raise RuleError(f"{source}: trùng id {sorted(dupes)}")
    kinds = {}
    for k in raw.get("course_kind", []):
        code = _text(k, "code", "course_kind")
        kinds[code] = CourseKind(code, _text(k, "label", f"course_kind {code!r}"),
                                 _condition(k.get("effect"), f"course_kind {code!r}.effect", "raise_to"))
    return RuleBook(indicators, kinds)


def load_rules(path: Path = RULES_FILE) -> RuleBook:
    return parse_rules(path.read_text(encoding="utf-8"), str(path))


@cache
def default_rules() -> RuleBook:
    return load_rules()


# --- evaluation --------------------------------------------------------------------------------


def population_sql(population: dict[str, Any]) -> ColumnElement[bool]:
    """SQL for 'is in the population' over Cadre joined with Unit."""
    clauses: list[ColumnElement[bool]] = []
    for key, value in population.items():
        if key == "any":
            clauses.append(or_(*(population_sql(sub) for sub in value)))
        elif key == "unit_level":
            clauses.append(Unit.level.in_(value))
        elif key in LIST_KEYS:
            clauses.append(getattr(Cadre, key).in_(value))
        else:
            clauses.append(getattr(Cadre, key).is_(true() if value else false()))
    return and_(true(), *clauses)


def condition_sql(condition: Condition) -> ColumnElement[bool]:
    column = getattr(Cadre, condition.field)
    if condition.is_training:
        return column.is_not(None)
    return column >= condition.min_code


def in_population(population: dict[str, Any], cadre: Any, unit_level: str | None = None) -> bool:
    for key, value in population.items():
        if key == "any":
            if not any(in_population(sub, cadre, unit_level) for sub in value):
                return False
        elif key == "unit_level":
            if unit_level not in value:
                return False
        elif key in LIST_KEYS:
            if getattr(cadre, key) not in value:
                return False
        elif bool(getattr(cadre, key)) != value:
            return False
    return True


def meets(condition: Condition, cadre: Any) -> bool:
    value = getattr(cadre, condition.field)
    if condition.is_training:
        return value is not None
    return value is not None and value >= condition.min_code
