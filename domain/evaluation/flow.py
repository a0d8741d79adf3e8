"""The manager's rating flow on a phone: rate one evaluation and get the next pending one in the same update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from domain.accounts import Actor
from domain.evaluation.common import EvalView, Window
from domain.evaluation.review import evaluation_for_review, pending_reviews, rate_confirmed


@dataclass(frozen=True)
class RatedThenNext:
    done: EvalView
    next: EvalView | None
    remaining: int  # pending reviews left, the next one included


def rate_then_next(session: Session, actor: Actor, chat: tuple[int, int], eval_id: int, rating: int,
                   window: Window, today: date, seen: int = 0) -> RatedThenNext:
    done = rate_confirmed(session, actor, chat, eval_id, rating, window, today, seen)
    pending = pending_reviews(session, actor, today)
    following = evaluation_for_review(session, actor, pending[0].id, window, today) if pending else None
    return RatedThenNext(done, following, len(pending))
