"""The self-evaluation form's buttons (handlers/evaluation.py, /eval): `eval:<verb>[:<id>[:<step|rating>]]`."""

from __future__ import annotations

from typing import NamedTuple

from domain.evaluation import RATINGS, STEPS
from views.callbacks.base import join, number, pattern, split

PREFIX = "eval"
PATTERN = pattern(PREFIX)
# Verbs that carry only the evaluation id.
ON_ID = frozenset({"pause", "undo", "skip", "submit", "edit", "view", "discard"})


class EvalPress(NamedTuple):
    verb: str  # "history", one of ON_ID, "step", "self" or "keep"
    eval_id: int = 0
    step: str = ""  # for "step": one of domain.evaluation.STEPS
    rating: int = 0  # for "self": an index into RATINGS
    message: int = 0  # for "keep": the id of the typed message whose line goes into the form


def history() -> str:
    return join(PREFIX, "history")


def on(verb: str, eval_id: int) -> str:
    assert verb in ON_ID, verb
    return join(PREFIX, verb, eval_id)


def go_to(eval_id: int, step: str) -> str:
    assert step in STEPS, step
    return join(PREFIX, "step", eval_id, step)


def self_rating(eval_id: int, rating: int) -> str:
    assert 0 <= rating < len(RATINGS), rating
    return join(PREFIX, "self", eval_id, rating)


def keep(eval_id: int, message_id: int) -> str:
    """Put the line typed in message `message_id` (held by the chat's step) into the form."""
    return join(PREFIX, "keep", eval_id, message_id)


def parse(data: str) -> EvalPress | None:
    match split(data, PREFIX):
        case ["history"]:
            return EvalPress("history")
        case [verb, raw] if verb in ON_ID and (eval_id := number(raw)) is not None:
            return EvalPress(verb, eval_id)
        case ["step", raw, step] if step in STEPS and (eval_id := number(raw)) is not None:
            return EvalPress("step", eval_id, step=step)
        case ["self", raw, rating] if (eval_id := number(raw)) is not None and (
                n := number(rating, len(RATINGS) - 1)) is not None:
            return EvalPress("self", eval_id, rating=n)
        case ["keep", raw, message] if (eval_id := number(raw)) is not None and (
                message_id := number(message)) is not None:
            return EvalPress("keep", eval_id, message=message_id)
    return None
