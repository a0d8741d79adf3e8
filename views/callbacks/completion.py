"""A class's completion from a sheet (handlers/completion_sheet.py): `cpl:want:<course>` from the course page,
`cpl:c:<index>` choosing a course offered for the sheet, `cpl:ok|skip:<tag>` and `cpl:no` on the preview. The
state lives in a conversation step; the index only points into the choices stored there, and the tag names the
preview a confirm button was sent with (domain.completion_sheet.preview_tag): an older one confirms nothing."""

from __future__ import annotations

from typing import NamedTuple

from domain.completion_sheet import MAX_CHOICES
from views.callbacks.base import code, join, number, pattern, split, tag

PREFIX = "cpl"
PATTERN = pattern(PREFIX)
PLAIN = frozenset({"ok", "skip", "no"})  # record all, record the valid rows only, drop


class CompletionPress(NamedTuple):
    verb: str  # "want", "c" or one of PLAIN
    course: str = ""
    choice: int = 0  # an index into the courses offered for the sheet
    tag: str = ""  # ok/skip: the preview's; c: the sheet's ("" on a button sent before tags)


def plain(verb: str, tag: str = "") -> str:
    assert verb in PLAIN, verb
    return join(PREFIX, verb, tag) if tag else join(PREFIX, verb)


def want(course_code: str) -> str:
    return join(PREFIX, "want", course_code)


def choice(index: int, tag: str = "") -> str:
    assert 0 <= index < MAX_CHOICES, index
    return join(PREFIX, "c", index, tag) if tag else join(PREFIX, "c", index)


def parse(data: str) -> CompletionPress | None:
    match split(data, PREFIX):
        case [verb] if verb in PLAIN:
            return CompletionPress(verb)
        case [("ok" | "skip") as verb, raw_tag] if tag(raw_tag):
            return CompletionPress(verb, tag=raw_tag)
        case ["want", course] if code(course):
            return CompletionPress("want", course)
        case ["c", raw] if (index := number(raw, MAX_CHOICES - 1)) is not None:
            return CompletionPress("c", choice=index)
        case ["c", raw, raw_tag] if (index := number(raw, MAX_CHOICES - 1)) is not None and tag(raw_tag):
            return CompletionPress("c", choice=index, tag=raw_tag)
    return None
