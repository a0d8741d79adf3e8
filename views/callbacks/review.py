"""The manager's review buttons (handlers/evaluation.py, /review): `rev:<verb>[:<id>[:<rating>]]`."""

from __future__ import annotations

from typing import NamedTuple

from domain.evaluation import RATINGS
from views.callbacks.base import join, number, pattern, split

PREFIX = "rev"
PATTERN = pattern(PREFIX)
# "grid" and "year" are buttons sent before the quarter views moved to review_views (qv:); still answered.
PLAIN = frozenset({"unit", "nudge", "grid", "year"})
WITH_RATING = frozenset({"rate", "nocomment", "ok"})


class ReviewPress(NamedTuple):
    verb: str  # one of PLAIN, "open" or one of WITH_RATING
    eval_id: int = 0
    rating: int = 0  # an index into RATINGS


def plain(verb: str) -> str:
    assert verb in PLAIN, verb
    return join(PREFIX, verb)


def open_(eval_id: int) -> str:
    return join(PREFIX, "open", eval_id)


def rated(verb: str, eval_id: int, rating: int) -> str:
    assert verb in WITH_RATING and 0 <= rating < len(RATINGS), (verb, rating)
    return join(PREFIX, verb, eval_id, rating)


def parse(data: str) -> ReviewPress | None:
    match split(data, PREFIX):
        case [verb] if verb in PLAIN:
            return ReviewPress(verb)
        case ["open", raw] if (eval_id := number(raw)) is not None:
            return ReviewPress("open", eval_id)
        case [verb, raw, rating] if verb in WITH_RATING and (eval_id := number(raw)) is not None and (
                n := number(rating, len(RATINGS) - 1)) is not None:
            return ReviewPress(verb, eval_id, n)
    return None
