"""The manager's review buttons (handlers/evaluation.py, /review): `rev:<verb>[:<id>[:<rating>[:<version>]]]`.

A rating button carries the version of the evaluation shown (domain.evaluation.common.version_of): the rating
is refused if an edit replaced it since. Buttons sent without one (before it was added) rate unchecked."""

from __future__ import annotations

from typing import NamedTuple

from domain.evaluation import RATINGS
from views.callbacks.base import join, number, pattern, split

PREFIX = "rev"
PATTERN = pattern(PREFIX)
# "grid" and "year" are buttons sent before the quarter views moved to review_views (qv:); still answered.
PLAIN = frozenset({"unit", "nudge", "grid", "year"})
WITH_RATING = frozenset({"rate", "nocomment", "ok"})
MAX_VERSION = 10**12 - 1  # seconds since 1970 until year 33658


class ReviewPress(NamedTuple):
    verb: str  # one of PLAIN, "open" or one of WITH_RATING
    eval_id: int = 0
    rating: int = 0  # an index into RATINGS
    version: int = 0  # the version shown when the rating was chosen (0: not carried)


def plain(verb: str) -> str:
    assert verb in PLAIN, verb
    return join(PREFIX, verb)


def open_(eval_id: int) -> str:
    return join(PREFIX, "open", eval_id)


def rated(verb: str, eval_id: int, rating: int, version: int = 0) -> str:
    assert verb in WITH_RATING and 0 <= rating < len(RATINGS) and version >= 0, (verb, rating, version)
    return join(PREFIX, verb, eval_id, rating, version) if version else join(PREFIX, verb, eval_id, rating)


def parse(data: str) -> ReviewPress | None:
    match split(data, PREFIX):
        case [verb] if verb in PLAIN:
            return ReviewPress(verb)
        case ["open", raw] if (eval_id := number(raw)) is not None:
            return ReviewPress("open", eval_id)
        case [verb, raw, rating] if verb in WITH_RATING and (eval_id := number(raw)) is not None and (
                n := number(rating, len(RATINGS) - 1)) is not None:
            return ReviewPress(verb, eval_id, n)
        case [verb, raw, rating, seen] if verb in WITH_RATING and (eval_id := number(raw)) is not None and (
                n := number(rating, len(RATINGS) - 1)) is not None and (version := number(seen, MAX_VERSION)):
            return ReviewPress(verb, eval_id, n, version)
    return None
