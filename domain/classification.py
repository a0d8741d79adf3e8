"""Quarterly and yearly classification from monthly ratings, by the rule in knowledge/rules/classification.toml.

The resolution (Mục III.4) asks for monthly, quarterly and yearly classification without fixing the
arithmetic; the rule is data so HR can change it. See the file for the rule in words.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from domain.errors import DomainError

RULE_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "rules" / "classification.toml"
RATING_COUNT = 4  # domain.evaluation.RATINGS, best first


class ClassificationRuleError(DomainError):
    pass


@dataclass(frozen=True)
class Level:
    rating: int
    min_parts: int
    worst_allowed: int


@dataclass(frozen=True)
class PeriodRule:
    parts: int
    levels: tuple[Level, ...]

    def classify(self, ratings: Sequence[int | None]) -> int | None:
        """The period's rating, or None while any part is still unrated."""
        if len(ratings) != self.parts or any(r is None for r in ratings):
            return None
        rated = [r for r in ratings if r is not None]
        for level in self.levels:
            at_least = sum(r <= level.rating for r in rated)
            if at_least >= level.min_parts and max(rated) <= level.worst_allowed:
                return level.rating
        return self.levels[-1].rating


@dataclass(frozen=True)
class ClassificationRules:
    quarter: PeriodRule
    year: PeriodRule


def _int(raw: dict[str, object], key: str, where: str, low: int, high: int) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ClassificationRuleError(f"classification.toml: {where}.{key} phải là số nguyên từ {low} đến {high}.")
    return value


def _period(raw: object, name: str, parts: int) -> PeriodRule:
    if not isinstance(raw, dict) or not isinstance(raw.get("level"), list) or not raw["level"]:
        raise ClassificationRuleError(f"classification.toml: thiếu [{name}] với ít nhất một [[{name}.level]].")
    if _int(raw, "parts", name, parts, parts) != parts:
        raise ClassificationRuleError(f"classification.toml: {name}.parts phải là {parts}.")
    levels = tuple(Level(_int(lv, "rating", f"{name}.level", 0, RATING_COUNT - 1),
                         _int(lv, "min_parts", f"{name}.level", 0, parts),
                         _int(lv, "worst_allowed", f"{name}.level", 0, RATING_COUNT - 1))
                   for lv in raw["level"] if isinstance(lv, dict))
    if [lv.rating for lv in levels] != sorted({lv.rating for lv in levels}):
        raise ClassificationRuleError(f"classification.toml: các mức của {name} phải theo thứ tự tốt nhất trước.")
    if levels[-1].min_parts != 0 or levels[-1].worst_allowed != RATING_COUNT - 1:
        raise ClassificationRuleError(f"classification.toml: mức cuối của {name} phải áp dụng cho mọi trường hợp.")
    return PeriodRule(parts, levels)


def parse_classification(text: str) -> ClassificationRules:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClassificationRuleError(f"classification.toml: lỗi cú pháp TOML: {exc}") from exc
    return ClassificationRules(_period(raw.get("quarter"), "quarter", 3), _period(raw.get("year"), "year", 4))


@functools.cache
def default_classification() -> ClassificationRules:
    return parse_classification(RULE_FILE.read_text(encoding="utf-8"))


RESOLUTION_BASIS = ("Căn cứ Mục III.4 Nghị quyết: đánh giá, xếp loại chất lượng cán bộ hằng tháng, hằng quý, "
                    "hằng năm. Nghị quyết không quy định cách tổng hợp từ tháng lên quý, năm; "
                    "bot áp dụng quy tắc dưới đây.")


def _level_text(level: Level, rule: PeriodRule, part: str, labels: Sequence[str], last: bool) -> str:
    if last:
        return f"{labels[level.rating]}: các trường hợp còn lại"
    conditions = []
    if level.min_parts:
        conditions.append(f"ít nhất {level.min_parts}/{rule.parts} {part} đạt {labels[level.rating]} trở lên")
    if level.worst_allowed < RATING_COUNT - 1:
        conditions.append(f"không {part} nào dưới {labels[level.worst_allowed]}")
    return f"{labels[level.rating]}: " + (" và ".join(conditions) or "mọi trường hợp")


def describe_period(rule: PeriodRule, part: str, labels: Sequence[str]) -> list[str]:
    """The period's levels in Vietnamese, best first, from the data (so the words never drift from the rule)."""
    return [_level_text(level, rule, part, labels, i == len(rule.levels) - 1) for i, level in enumerate(rule.levels)]


def describe(rules: ClassificationRules, labels: Sequence[str]) -> list[str]:
    """The whole rule in Vietnamese, citing the resolution: what a manager or HR reads beside the grid."""
    return [RESOLUTION_BASIS,
            "Quý chỉ được xếp loại khi cả 3 tháng đã có xếp loại; năm chỉ khi cả 4 quý đã được xếp loại.",
            *(f"Quý – {line}." for line in describe_period(rules.quarter, "tháng", labels)),
            *(f"Năm – {line}." for line in describe_period(rules.year, "quý", labels))]


def quarter_months(quarter: int) -> list[int]:
    return [3 * (quarter - 1) + i for i in (1, 2, 3)]
