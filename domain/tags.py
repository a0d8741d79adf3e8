"""A short fingerprint of what a confirmation showed, carried in its button's data.

A confirmation's button says what it confirms: the preview it was sent with, the reason and the people of a
cancellation, the reviewer chosen. The press is checked against what is pending now; an older copy of the
button, after what it showed was replaced, names something else and confirms nothing.
"""

from __future__ import annotations

import hashlib

TAG_LENGTH = 8  # hex digits: room in Telegram's 64 bytes beside two codes, and no collision in one chat's life


def tag_of(*parts: object) -> str:
    """The tag of what these parts describe (their text, in order)."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:TAG_LENGTH]
