"""HR's "no reviewer" list buttons (handlers/reviewers.py): `revw:list`, `revw:pick:<cadre code>`."""

from __future__ import annotations

from typing import NamedTuple

from views.callbacks.base import code, join, pattern, split

PREFIX = "revw"
PATTERN = pattern(PREFIX)


class ReviewersPress(NamedTuple):
    verb: str  # "list" or "pick"
    cadre_code: str = ""


def listing() -> str:
    return join(PREFIX, "list")


def pick(cadre_code: str) -> str:
    return join(PREFIX, "pick", cadre_code)


def parse(data: str) -> ReviewersPress | None:
    match split(data, PREFIX):
        case ["list"]:
            return ReviewersPress("list")
        case ["pick", raw] if code(raw):
            return ReviewersPress("pick", raw)
    return None
