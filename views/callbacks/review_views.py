"""The quarter and year views' buttons (handlers/review_views.py): `qv:q:<year>:<quarter>`, `qv:y:<year>`,
`qv:x:<year>` (Excel). Whether the period has begun is checked by the handler against today."""

from __future__ import annotations

from typing import NamedTuple

from views.callbacks.base import join, number, pattern, split

PREFIX = "qv"
PATTERN = pattern(PREFIX)
FIRST_YEAR = 2020
LAST_YEAR = 9999


class ViewPress(NamedTuple):
    verb: str  # "q" quarter, "y" year, "x" the year's Excel export
    year: int
    quarter: int = 0  # 1..4 for "q"


def quarter(year: int, q: int) -> str:
    assert 1 <= q <= 4, q
    return join(PREFIX, "q", year, q)


def year(y: int) -> str:
    return join(PREFIX, "y", y)


def export(y: int) -> str:
    return join(PREFIX, "x", y)


def _year(raw: str) -> int | None:
    return number(raw, LAST_YEAR, FIRST_YEAR) if len(raw) == 4 else None


def parse(data: str) -> ViewPress | None:
    match split(data, PREFIX):
        case ["q", raw, q] if (y := _year(raw)) is not None and (n := number(q, 4, 1)) is not None:
            return ViewPress("q", y, n)
        case [verb, raw] if verb in ("y", "x") and (y := _year(raw)) is not None:
            return ViewPress(verb, y)
    return None
