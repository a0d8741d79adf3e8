"""HR's "no reviewer" list buttons (handlers/reviewers.py): `revw:list`, `revw:pick:<cadre code>`, and at the
confirmation `revw:ok:<cadre code>:<tag>` / `revw:no:<cadre code>`: the reviewer is held in the chat's step (a
code pair would not fit in 64 bytes), the tag names the one the confirmation showed."""

from __future__ import annotations

from typing import NamedTuple

from views.callbacks.base import code, join, pattern, split, tag

PREFIX = "revw"
PATTERN = pattern(PREFIX)


class ReviewersPress(NamedTuple):
    verb: str  # "list", "pick", "ok" or "no"
    cadre_code: str = ""
    tag: str = ""  # "ok": the reviewer the confirmation showed (domain.evaluation.reviewers.choice_tag)


def listing() -> str:
    return join(PREFIX, "list")


def pick(cadre_code: str) -> str:
    return join(PREFIX, "pick", cadre_code)


def confirm(cadre_code: str, tag: str) -> str:
    return join(PREFIX, "ok", cadre_code, tag)


def decline(cadre_code: str) -> str:
    return join(PREFIX, "no", cadre_code)


def parse(data: str) -> ReviewersPress | None:
    match split(data, PREFIX):
        case ["list"]:
            return ReviewersPress("list")
        case [("pick" | "ok" | "no") as verb, raw] if code(raw):
            return ReviewersPress(verb, raw)
        case ["ok", raw, raw_tag] if code(raw) and tag(raw_tag):
            return ReviewersPress("ok", raw, raw_tag)
    return None
