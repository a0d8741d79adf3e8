"""Greetings, thanks, an okay or a button's words typed alone: not questions about the resolution.

The phrases are data (data/smalltalk.toml); a message is one of them only when it is that phrase
whole, so a question that starts with "chào" or mentions "xác nhận" is still a question.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache

from knowledge.text import DATA, fold_text

GREETING, THANKS, ACKNOWLEDGEMENT, BUTTON_WORD = "greeting", "thanks", "acknowledgement", "button_word"
KINDS = (GREETING, THANKS, ACKNOWLEDGEMENT, BUTTON_WORD)
_NOT_WORD = re.compile(r"[^\w]+")


def smalltalk_key(text: str) -> str:
    """'Xin chào!!' -> 'xin chao'."""
    return " ".join(_NOT_WORD.sub(" ", fold_text(text).replace("_", " ")).split())


@cache
def _phrases() -> dict[str, str]:
    raw = tomllib.loads((DATA / "smalltalk.toml").read_text(encoding="utf-8"))
    return {smalltalk_key(phrase): kind for kind in KINDS for phrase in raw.get(kind, [])}


def smalltalk_of(text: str) -> str | None:
    """The kind of small talk the whole message is (one of KINDS), or None for anything else. A number of one
    or two digits alone is a button's number (the offline chat's way of pressing one), never a question."""
    key = smalltalk_key(text)
    if key.isdecimal() and len(key) <= 2:
        return BUTTON_WORD
    return _phrases().get(key)
