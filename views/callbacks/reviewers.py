"""HR's "no reviewer" list buttons (handlers/reviewers.py): `revw:list`, `revw:pick:<cadre code>`, and
`revw:ok:<cadre code>` confirming the reviewer held in the chat's step (a code pair would not fit in 64 bytes)."""

from __future__ import annotations

from typing import NamedTuple

from views.callbacks.base import code, join, pattern, split

PREFIX = "revw"
PATTERN = pattern(PREFIX)


class ReviewersPress(NamedTuple):
    verb: str  # "list", "pick" or "ok"
    cadre_code: str = ""


def listing() -> str:
    return join(PREFIX, "list")


def pick(cadre_code: str) -> str:
    return join(PREFIX, "pick", cadre_code)


def confirm(cadre_code: str) -> str:
    return join(PREFIX, "ok", cadre_code)


def parse(data: str) -> ReviewersPress | None:
    match split(data, PREFIX):
        case ["list"]:
            return ReviewersPress("list")
        case [("pick" | "ok") as verb, raw] if code(raw):
            return ReviewersPress(verb, raw)
    return None
