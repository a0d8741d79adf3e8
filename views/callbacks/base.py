"""Joining and splitting callback data, and strict parsers of its fields (ASCII digits, ranges, codes)."""

from __future__ import annotations

import re

from domain.tags import TAG_LENGTH

LIMIT = 64  # bytes, Telegram's limit on callback data
MAX_ID = 2**31 - 1  # ids are PostgreSQL integers; SQLite overflows on anything past 2**63
# Cadre, course and unit codes: ASCII, at most 20 characters (domain.roster / domain.courses MAX_CODE), no ':'.
CODE = re.compile(r"[A-Za-z0-9_.-]{1,20}")
TAG = re.compile(f"[0-9a-f]{{{TAG_LENGTH}}}")


def join(prefix: str, *fields: object) -> str:
    """`prefix:field:…`; data past the limit is a programming error (Telegram would refuse the keyboard)."""
    data = ":".join([prefix, *(str(f) for f in fields)])
    assert len(data.encode()) <= LIMIT, f"callback data over {LIMIT} bytes: {data!r}"
    return data


def split(data: str, prefix: str) -> list[str] | None:
    """The fields after `prefix:`, or None when the data is not this feature's or could not be ours."""
    head, sep, rest = data.partition(":")
    if head != prefix or not sep or len(data.encode()) > LIMIT:
        return None
    return rest.split(":")


def number(raw: str, upper: int = MAX_ID, lower: int = 0) -> int | None:
    """A field as a number in lower..upper: ASCII digits only ('²' and '٣' pass isdigit()), no sign, no spaces."""
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > len(str(upper)):
        return None
    value = int(raw)
    return value if lower <= value <= upper else None


def code(raw: str) -> str | None:
    return raw if CODE.fullmatch(raw) else None


def tag(raw: str) -> str | None:
    """A confirmation's tag (domain.tags): TAG_LENGTH lower-case hex digits."""
    return raw if TAG.fullmatch(raw) else None


def pattern(prefix: str) -> str:
    """The handler's registration pattern: every data under this prefix (the parser decides the rest)."""
    return rf"^{re.escape(prefix)}:"
