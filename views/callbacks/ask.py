"""The question answering's buttons (handlers/ask.py): `kb:full:<section ref>` shows a section's full text.

The reference is only looked up in the resolution (an unknown one is answered as such), never used otherwise.
"""

from __future__ import annotations

from views.callbacks.base import LIMIT, join

PREFIX = "kb"
PATTERN = rf"^{PREFIX}:full:"
_HEAD = f"{PREFIX}:full:"


def full_section(ref: str) -> str:
    return join(PREFIX, "full", ref)


def parse(data: str) -> str | None:
    """The section reference, or None."""
    if not data.startswith(_HEAD) or len(data.encode()) > LIMIT:
        return None
    ref = data[len(_HEAD):]
    return ref if ref.strip() else None
