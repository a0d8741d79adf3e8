"""The one redaction: text that leaves the process or is stored (log lines, JSON logs, operator alerts,
exception text and tracebacks, a delivery error kept in the outbox) carries no bot token and no phone."""

from __future__ import annotations

import re

_TOKEN_SHAPE = re.compile(r"\d{6,}:[A-Za-z0-9_-]{20,}")
# Vietnamese mobile numbers in any written form (0912 345 678, +84912345678, 84-912-345-678), and any
# other run of 9+ digits (a phone in another form): Telegram ids are shorter than 9 digits rarely enough
# that a report with an id masked is a price worth paying.
_PHONE_SHAPE = re.compile(r"(?<![\w])(?:\+?84|0)?[\s.-]?\d{2,3}(?:[\s.-]?\d{3}){2}(?![\w])|\d{9,}")


def redact(text: str, token: str | None = None) -> str:
    if token:
        text = text.replace(token, "<token>")
    text = _TOKEN_SHAPE.sub("<token>", text)
    return _PHONE_SHAPE.sub("<số>", text)
