"""The one escaping path for Telegram's HTML parse mode.

Domain code writes notifications that the outbox sends as HTML, and handlers render replies
in HTML: both escape every interpolated value with esc() (views.html re-exports it).
"""

from __future__ import annotations

import html


def esc(value: object) -> str:
    """A value as literal text in an HTML message: '<', '>' and '&' can neither break nor add markup."""
    return html.escape("" if value is None else str(value), quote=False)
