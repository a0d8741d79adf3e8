"""/report's buttons (handlers/report.py): `rep:<verb>:<unit id>[:<page>]`; unit id 0 is the default scope
(one's own unit, or the province for HR). The unit is re-checked against the actor's subtree on every press."""

from __future__ import annotations

from typing import NamedTuple

from views.callbacks.base import join, number, pattern, split

PREFIX = "rep"
PATTERN = pattern(PREFIX)
UNIT_VERBS = frozenset({"u", "c", "x"})  # open the unit's report, its chart, its Excel export
PAGED_VERBS = frozenset({"d", "p"})  # units below, people with gaps: a page
MAX_PAGE = 100_000


class ReportPress(NamedTuple):
    verb: str
    unit_id: int | None  # None: the default scope
    page: int = 0


def unit(verb: str, unit_id: int | None) -> str:
    assert verb in UNIT_VERBS, verb
    return join(PREFIX, verb, unit_id or 0)


def paged(verb: str, unit_id: int | None, page: int) -> str:
    assert verb in PAGED_VERBS and 0 <= page <= MAX_PAGE, (verb, page)
    return join(PREFIX, verb, unit_id or 0, page)


def parse(data: str) -> ReportPress | None:
    match split(data, PREFIX):
        case [verb, raw] if verb in UNIT_VERBS | PAGED_VERBS and (unit_id := number(raw)) is not None:
            return ReportPress(verb, unit_id or None)
        case [verb, raw, page] if verb in PAGED_VERBS and (unit_id := number(raw)) is not None and (
                n := number(page, MAX_PAGE)) is not None:
            return ReportPress(verb, unit_id or None, n)
    return None
