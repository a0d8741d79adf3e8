"""Schema upgrades at start-up through Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from db.session import SchemaOutdatedError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def ensure_schema(engine: Engine, auto_upgrade: bool = True) -> None:
    """Bring the schema to head, or refuse clearly when upgrades are not allowed."""
    if current_revision(engine) == head_revision():
        return
    if not auto_upgrade:
        raise SchemaOutdatedError(
            f"Cơ sở dữ liệu đang ở phiên bản {current_revision(engine)!r}, mã nguồn cần {head_revision()!r}. "
            "Chạy `cadrebot migrate` để nâng cấp."
        )
    upgrade(engine)
