"""A class's completion from a sheet (handlers/completion_sheet.py): `cpl:want:<course>` from the course page,
`cpl:c:<index>` choosing a course offered for the sheet, `cpl:ok|skip|no` on the preview. The state lives in
a conversation step; the index only points into the choices stored there."""

from __future__ import annotations

from typing import NamedTuple

from domain.completion_sheet import MAX_CHOICES
from views.callbacks.base import code, join, number, pattern, split

PREFIX = "cpl"
PATTERN = pattern(PREFIX)
PLAIN = frozenset({"ok", "skip", "no"})  # record all, record the valid rows only, drop


class CompletionPress(NamedTuple):
    verb: str  # "want", "c" or one of PLAIN
    course: str = ""
    choice: int = 0  # an index into the courses offered for the sheet


def plain(verb: str) -> str:
    assert verb in PLAIN, verb
    return join(PREFIX, verb)


def want(course_code: str) -> str:
    return join(PREFIX, "want", course_code)


def choice(index: int) -> str:
    assert 0 <= index < MAX_CHOICES, index
    return join(PREFIX, "c", index)


def parse(data: str) -> CompletionPress | None:
    match split(data, PREFIX):
        case [verb] if verb in PLAIN:
            return CompletionPress(verb)
        case ["want", course] if code(course):
            return CompletionPress("want", course)
        case ["c", raw] if (index := number(raw, MAX_CHOICES - 1)) is not None:
            return CompletionPress("c", choice=index)
    return None
