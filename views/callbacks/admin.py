"""The HR admin menu's buttons (handlers/admin_menu.py): `adm:import|tpl|invite`, `adm:tpl:<template>`;
the menu itself opens from `menu:admin`. Template names are looked up in domain.templates, never used as paths."""

from __future__ import annotations

from typing import NamedTuple

from domain.templates import TEMPLATES
from views.callbacks.base import join, split

PREFIX = "adm"
PATTERN = rf"^(menu:admin$|{PREFIX}:)"
PLAIN = frozenset({"import", "tpl", "invite"})


class AdminPress(NamedTuple):
    verb: str  # "menu" (menu:admin), one of PLAIN, or "template"
    template: str = ""  # a key of TEMPLATES


def plain(verb: str) -> str:
    assert verb in PLAIN, verb
    return join(PREFIX, verb)


def template(kind: str) -> str:
    assert kind in TEMPLATES, kind
    return join(PREFIX, "tpl", kind)


def parse(data: str) -> AdminPress | None:
    if data == "menu:admin":
        return AdminPress("menu")
    match split(data, PREFIX):
        case [verb] if verb in PLAIN:
            return AdminPress(verb)
        case ["tpl", kind] if kind in TEMPLATES:
            return AdminPress("template", kind)
    return None
