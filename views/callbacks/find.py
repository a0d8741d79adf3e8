"""/find's buttons (handlers/find.py): `find:card:<cadre id>`; the search itself opens from `menu:find`.
The cadre's scope is re-checked on every press (domain.find.cadre_card)."""

from __future__ import annotations

from views.callbacks.base import join, number, split

PREFIX = "find"
PATTERN = rf"^({PREFIX}:|menu:find$)"


def card(cadre_id: int) -> str:
    return join(PREFIX, "card", cadre_id)


def parse(data: str) -> int | None:
    """The cadre id of a card button, or None."""
    match split(data, PREFIX):
        case ["card", raw]:
            return number(raw)
    return None
