"""HTML escaping for Telegram's HTML parse mode, and the plain-text form of the same message."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]+>")


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=False)


def plain(text: str) -> str:
    """A message as a terminal shows it: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", text))
