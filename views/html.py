"""HTML escaping for Telegram's HTML parse mode, and the plain-text form of the same message."""

from __future__ import annotations

import html
import re

from domain.markup import esc

__all__ = ["LABEL_LIMIT", "esc", "fit", "plain"]
LABEL_LIMIT = 60  # a button label a phone shows on one or two lines
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """A message as a terminal shows it: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def fit(text: str, limit: int = LABEL_LIMIT) -> str:
    """A button label within `limit` characters, cut between words with '…', never inside a name."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:–-(")
    return f"{cut}…"
