"""/courses' buttons (handlers/courses.py; the scheduler's course notices too): `course:<verb>[:<course>[:<cadre>]]`.

Only course and cadre codes travel; who may do what (the linked actor, HR for HR verbs) and the course's
state are re-checked on every press.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from views.callbacks.base import code, join, pattern, split, tag

PREFIX = "course"
PATTERN = pattern(PREFIX)
PLAIN = frozenset({"mine", "kinds", "closed"})
ON_COURSE = frozenset({"view", "reg", "regok", "cancel", "cancelok", "roster", "rosterx", "behalf", "capacity",
                       "kill", "killok", "killno"})
ON_CADRE = frozenset({"done", "doneok", "undo", "undook", "unreg", "unregok",  # HR, on one cadre of a course
                      "behalfok", "behalfdo"})  # HR registering someone: the person picked; confirmed
KIND = re.compile(r"[A-Za-z0-9_]{1,20}")  # a course kind's code (rules file)


MAX_SEATS = 10_000  # domain.registration.MAX_CAPACITY: a larger number is no button of ours


class CoursePress(NamedTuple):
    verb: str
    course: str = ""  # a course code, or for "list" the kind's code
    cadre: str = ""
    tag: str = ""  # killok: the reason the confirmation showed
    seats: int = 0  # "seatsok": the seat count HR typed and is confirming
    was: int = 0  # "seatsok": the seat count the confirmation showed as the current one (a later change: stale)


def plain(verb: str) -> str:
    assert verb in PLAIN, verb
    return join(PREFIX, verb)


def kind_list(kind: str) -> str:
    assert KIND.fullmatch(kind), kind
    return join(PREFIX, "list", kind)


def on_course(verb: str, course_code: str) -> str:
    assert verb in ON_COURSE, verb
    return join(PREFIX, verb, course_code)


def view(course_code: str) -> str:
    return on_course("view", course_code)


def on_cadre(verb: str, course_code: str, cadre_code: str) -> str:
    assert verb in ON_CADRE, verb
    return join(PREFIX, verb, course_code, cadre_code)


def seats(course_code: str, was: int, capacity: int) -> str:
    """HR confirms a new seat count (typed first, then confirmed: raising it seats the waiting list); `was`, the
    count the confirmation showed, so that a press after someone else changed it is refused, not applied."""
    assert 0 < capacity <= MAX_SEATS and 0 < was <= MAX_SEATS, (was, capacity)
    return join(PREFIX, "seatsok", course_code, str(was), str(capacity))


def _seats(n: str) -> int | None:
    return int(n) if n.isascii() and n.isdecimal() and len(n) <= 5 and 0 < int(n) <= MAX_SEATS else None


def kill_ok(course_code: str, tag: str) -> str:
    """The cancellation's "✅ Xác nhận", for the reason it showed (domain.registration.reason_tag)."""
    return join(PREFIX, "killok", course_code, tag)


def parse(data: str) -> CoursePress | None:
    match split(data, PREFIX):
        case ["killok", course, raw_tag] if code(course) and tag(raw_tag):
            return CoursePress("killok", course, tag=raw_tag)
        case [verb] if verb in PLAIN:
            return CoursePress(verb)
        case ["list", kind] if KIND.fullmatch(kind):
            return CoursePress("list", kind)
        case [verb, course] if verb in ON_COURSE and code(course):
            return CoursePress(verb, course)
        case [verb, course, cadre] if verb in ON_CADRE and code(course) and code(cadre):
            return CoursePress(verb, course, cadre)
        case ["seatsok", course, was, n] if code(course) and (old := _seats(was)) and (new := _seats(n)):
            return CoursePress("seatsok", course, seats=new, was=old)
    return None
