"""Schema versioning at start-up, and logs that never carry the token."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.logs import RedactTokenFilter
from db import SchemaOutdatedError
from db.migrate import current_revision, ensure_schema, head_revision
from db.session import make_engine


def test_fresh_database_is_upgraded_to_head(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    assert {"cadres", "units", "invite_tokens", "audit_log"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_old_schema_refused_without_auto_upgrade(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with pytest.raises(SchemaOutdatedError, match="cadrebot migrate"):
        ensure_schema(engine, auto_upgrade=False)


def test_token_redacted_from_log_records() -> None:
    token = "123456789:AAHsecretsecretsecretsecret12"
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1,
                               "POST https://api.telegram.org/bot%s/getUpdates", (token,), None)
    RedactTokenFilter(token).filter(record)
    assert token not in record.getMessage() and "<token>" in record.getMessage()
