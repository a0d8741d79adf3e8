"""Vietnamese phone numbers in every form HR and Telegram write them, to one canonical form."""

from __future__ import annotations

import re

_NOISE = re.compile(r"[\s.\-()/]")
_CANONICAL = re.compile(r"0[1-9]\d{8}")


def normalize_phone(raw: str | None) -> str | None:
    """'0912 345 678', '+84912345678', '84912345678', '912345678' -> '0912345678'.

    Returns None for an empty value; raises ValueError for anything that is not a
    Vietnamese 10-digit number.
    """
    if raw is None:
        return None
    digits = _NOISE.sub("", str(raw))
    if not digits:
        return None
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif len(digits) == 9 and digits[0] != "0":
        digits = "0" + digits  # Excel drops the leading zero of a number typed as a number
    if not _CANONICAL.fullmatch(digits):
        raise ValueError(f"Số điện thoại không hợp lệ: {raw!r}")
    return digits


def normalize_contact_phone(raw: str | None) -> str | None:
    """A number Telegram sent with a shared contact, or None if it is not a Vietnamese number.

    Telegram writes the country code (with or without '+'): the 9-digit rule above is for
    spreadsheet cells only, where Excel drops the leading zero. Here '376312345' is Andorra.
    """
    digits = _NOISE.sub("", str(raw or "")).removeprefix("+")
    if digits.startswith("0084"):
        digits = digits[2:]
    national = "0" + digits[2:] if digits.startswith("84") and len(digits) == 11 else digits
    return national if _CANONICAL.fullmatch(national) else None
