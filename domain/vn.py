"""Vietnamese number and date formats for every text people read (JSON keeps its own contract).

Decimal comma, dot between thousands, dd/mm/yyyy: 1.183/6.525 = 18,13%; 26/11/2026.
"""

from __future__ import annotations

import re
from datetime import date


def number(value: float, decimals: int = 0) -> str:
    """1183 -> '1.183'; 18.1333 with 2 decimals -> '18,13'."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


_GROUPED = re.compile(r"\d{1,3}(?:[. ]\d{3})+")


def whole_number(typed: str) -> int | None:
    """A whole number typed as the bot writes it ("1.000", "1 000") or plain ("1000"); None if it is not one."""
    text = typed.strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(".", "").replace(" ", "")
    return int(text) if text.isascii() and text.isdecimal() else None  # "²" passes isdigit() but fails int()


def pct(value: float, decimals: int = 2) -> str:
    """33.333 -> '33,33%' (always the given decimals: a measured share, not a target)."""
    return f"{number(value, decimals)}%"


def target(value: float) -> str:
    """A target as the resolution writes it: 100%, 68%, 25%, 12,5%."""
    return f"{number(value)}%" if float(value).is_integer() else f"{number(value, 1)}%"


def signed(value: float, decimals: int = 1) -> str:
    """A change in percentage points: '+1,5', '-0,3'."""
    return ("+" if value >= 0 else "-") + number(abs(value), decimals)


def day(value: date) -> str:
    return f"{value:%d/%m/%Y}"
