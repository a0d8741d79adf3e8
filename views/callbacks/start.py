"""/unlink's buttons (handlers/start.py): `unlink:ask` opens the confirmation, `unlink:yes` unlinks."""

from __future__ import annotations

from views.callbacks.base import join, split

PREFIX = "unlink"
VERBS = ("ask", "yes")


def press(verb: str) -> str:
    assert verb in VERBS, verb
    return join(PREFIX, verb)


def verb_pattern(verb: str) -> str:
    assert verb in VERBS, verb
    return rf"^{PREFIX}:{verb}$"


def parse(data: str) -> str | None:
    match split(data, PREFIX):
        case [verb] if verb in VERBS:
            return verb
    return None
