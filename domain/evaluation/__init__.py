"""Monthly self-evaluation and the manager's review (domain.md §4, resolution Mục III.4).

Three parts: the cadre's form (form.py), the manager's review (review.py) and a unit's status for a
month (status.py); what they share is in common.py. This package re-exports their public names, so
callers write `from domain import evaluation as ev` and `ev.submit(...)`.
"""

from __future__ import annotations

from domain.evaluation.common import (
    RATING_SHORT,
    RATINGS,
    EvaluationRefused,
    EvalView,
    Window,
    period_label,
    view,
)
from domain.evaluation.form import (
    ACTIVE_MINUTES,
    MAX_DIFFICULTIES_CHARS,
    MAX_ITEM_CHARS,
    MAX_ITEMS,
    STEPS,
    active_draft,
    add_results,
    discard_edit,
    go_to,
    history,
    own_evaluation,
    pause,
    remove_last_result,
    reopen,
    set_difficulties,
    set_self_rating,
    split_items,
    start_or_resume,
    submit,
)
from domain.evaluation.review import (
    MAX_COMMENT_CHARS,
    REVIEW_CONFIRM_STEP,
    Pending,
    delegate,
    evaluation_for_review,
    pending_reviews,
    rate,
    rate_confirmed,
    reviewees,
    reviewer_of,
)
from domain.evaluation.reviewers import Unreviewed, assign_reviewer, without_reviewer
from domain.evaluation.status import (
    StatusLine,
    month_status,
    ratings_grid,
    remind_missing,
    status_counts,
    unit_month_status,
)

__all__ = [
    "ACTIVE_MINUTES",
    "MAX_COMMENT_CHARS",
    "MAX_DIFFICULTIES_CHARS",
    "MAX_ITEMS",
    "MAX_ITEM_CHARS",
    "RATINGS",
    "RATING_SHORT",
    "REVIEW_CONFIRM_STEP",
    "STEPS",
    "EvalView",
    "EvaluationRefused",
    "Pending",
    "StatusLine",
    "Unreviewed",
    "Window",
    "active_draft",
    "add_results",
    "assign_reviewer",
    "delegate",
    "discard_edit",
    "evaluation_for_review",
    "go_to",
    "history",
    "month_status",
    "own_evaluation",
    "pause",
    "pending_reviews",
    "period_label",
    "rate",
    "rate_confirmed",
    "ratings_grid",
    "remind_missing",
    "remove_last_result",
    "reopen",
    "reviewees",
    "reviewer_of",
    "set_difficulties",
    "set_self_rating",
    "split_items",
    "start_or_resume",
    "status_counts",
    "submit",
    "unit_month_status",
    "view",
    "without_reviewer",
]
