"""JSON-lines logs (ops.log_format = "json"): one object a line, with the update being handled and the
actor's cadre code (never a phone number: the text is redacted once more on the way out)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from core.logctx import current
from core.redact import redact


class JsonFormatter(logging.Formatter):
    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        update_id, actor = current()
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name,
            "msg": redact(record.getMessage(), self.token),
        }
        if update_id is not None:
            entry["update_id"] = update_id
        if actor is not None:
            entry["actor"] = actor
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info), self.token)
        return json.dumps(entry, ensure_ascii=False)


def use_json_lines(token: str | None) -> None:
    """Switch the handlers logging set up to JSON lines (their filters stay)."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(JsonFormatter(token))
