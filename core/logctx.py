"""What goes with every log line while an update is handled: its id and the actor's cadre code.

Context variables, so concurrent updates never mix; handlers bind the actor once they know it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_UPDATE_ID: ContextVar[int | None] = ContextVar("cadrebot_update_id", default=None)
_ACTOR: ContextVar[str | None] = ContextVar("cadrebot_actor", default=None)


@contextmanager
def bound_update(update: object) -> Iterator[None]:
    update_id = getattr(update, "update_id", None)
    token = _UPDATE_ID.set(update_id if isinstance(update_id, int) else None)
    actor = _ACTOR.set(None)
    try:
        yield
    finally:
        _UPDATE_ID.reset(token)
        _ACTOR.reset(actor)


def bind_actor(code: str | None) -> None:
    """The update's actor is known: their cadre code (never a phone) joins its log lines."""
    _ACTOR.set(code)


def current() -> tuple[int | None, str | None]:
    return _UPDATE_ID.get(), _ACTOR.get()
