"""The confirmation of a previewed file (handlers/admin.py): `upl:ok:<tag>` imports it, `upl:no:<tag>` drops it.

The tag names the preview the button was sent with (domain.hr_import.preview_tag): an older preview's button,
after a new file replaced that preview, must not confirm the new one. Buttons sent before tags carry none.
"""

from __future__ import annotations

from typing import NamedTuple

from views.callbacks.base import TAG, join, split, tag

PREFIX = "upl"
PATTERN = rf"^{PREFIX}:(ok|no)(:{TAG.pattern})?$"


class UploadPress(NamedTuple):
    apply: bool  # True to import, False to drop
    tag: str = ""  # the preview's; "" on a button sent before tags


def apply(tag: str) -> str:
    return join(PREFIX, "ok", tag)


def drop(tag: str) -> str:
    return join(PREFIX, "no", tag)


def parse(data: str) -> UploadPress | None:
    match split(data, PREFIX):
        case [("ok" | "no") as verb]:
            return UploadPress(verb == "ok")
        case [("ok" | "no") as verb, raw_tag] if tag(raw_tag):
            return UploadPress(verb == "ok", raw_tag)
    return None
