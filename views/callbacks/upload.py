"""The confirmation of a previewed roster file (handlers/admin.py): `upl:ok` imports it, `upl:no` drops it."""

from __future__ import annotations

from views.callbacks.base import join, split

PREFIX = "upl"
PATTERN = rf"^{PREFIX}:(ok|no)$"


def apply() -> str:
    return join(PREFIX, "ok")


def drop() -> str:
    return join(PREFIX, "no")


def parse(data: str) -> bool | None:
    """True to import, False to drop, None for anything else."""
    match split(data, PREFIX):
        case ["ok"]:
            return True
        case ["no"]:
            return False
    return None
