"""HTML escaping for Telegram's HTML parse mode, and the plain-text form of the same message."""

from __future__ import annotations

import html
import re

from domain.markup import esc

__all__ = ["esc", "plain"]
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """A message as a terminal shows it: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", text))
