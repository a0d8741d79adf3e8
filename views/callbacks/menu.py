"""The main menu's buttons (handlers/menu.py) and each feature's entry from it: `menu:<entry>`; and the
settings toggle `settings:mute:on|off`. An entry is registered by the feature it opens (menu:eval by
handlers/evaluation.py), with `entry_pattern(name)`."""

from __future__ import annotations

from views.callbacks.base import join, split

PREFIX = "menu"
ENTRIES = frozenset({"home", "profile", "settings", "gaps", "courses", "eval", "ask", "unit", "review", "admin",
                     "find", "mydata"})
SETTINGS_PREFIX = "settings"


def entry(name: str) -> str:
    assert name in ENTRIES, name
    return join(PREFIX, name)


def entry_pattern(name: str) -> str:
    assert name in ENTRIES, name
    return rf"^{PREFIX}:{name}$"


def parse(data: str) -> str | None:
    """The menu entry pressed, or None."""
    match split(data, PREFIX):
        case [name] if name in ENTRIES:
            return name
    return None


def mute(on: bool) -> str:
    return join(SETTINGS_PREFIX, "mute", "on" if on else "off")


MUTE_PATTERN = rf"^{SETTINGS_PREFIX}:mute:(on|off)$"


def parse_mute(data: str) -> bool | None:
    """True to mute, False to unmute, None for anything else."""
    match split(data, SETTINGS_PREFIX):
        case ["mute", "on"]:
            return True
        case ["mute", "off"]:
            return False
    return None
