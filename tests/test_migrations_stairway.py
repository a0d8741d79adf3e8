"""Migrations: every revision upgrades, downgrades and upgrades again on its own (the stairway), on SQLite
and PostgreSQL; and the models agree with what the migrations build (autogenerate finds nothing)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Engine, create_engine, text

from db.migrate import MIGRATIONS
from db.models import Base
from db.session import make_engine

SCHEMA = "stairway"


def _revisions() -> list[Script]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return list(reversed(list(ScriptDirectory.from_config(config).walk_revisions("base", "heads"))))


def _backends() -> list[object]:
    params: list[object] = ["sqlite"]
    if os.environ.get("CADREBOT_TEST_POSTGRES_URL"):
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=_backends())
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database: a fresh SQLite file, or a schema of its own on the test PostgreSQL server."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'stairway.db'}")
        yield engine
        engine.dispose()
        return
    url = os.environ["CADREBOT_TEST_POSTGRES_URL"]
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={SCHEMA}"})
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


def _run(engine: Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def test_one_head() -> None:
    heads = [r.revision for r in _revisions() if r.is_head]
    assert len(heads) == 1, f"several heads {heads}: point your down_revision at main's head"


@pytest.mark.parametrize("revision", _revisions(), ids=lambda r: r.revision)
def test_stairway(empty_engine: Engine, revision: Script) -> None:
    """Up to this revision, down one step, up again: each downgrade undoes exactly its upgrade."""
    _run(empty_engine, "upgrade", revision.revision)
    _run(empty_engine, "downgrade", revision.down_revision or "base")  # type: ignore[arg-type]
    _run(empty_engine, "upgrade", revision.revision)


def test_models_match_migrations(empty_engine: Engine) -> None:
    _run(empty_engine, "upgrade", "head")
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_name_key_added_to_a_populated_database(empty_engine: Engine) -> None:
    """0011 on a database in use: rows that other tables refer to (an evaluation) are keyed, and nothing is
    rebuilt (SQLite refuses to drop a table other rows point at, and the batch rebuild did exactly that)."""
    _run(empty_engine, "upgrade", "0010_reviewer_code_index")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO units (id, code, name, level, path) VALUES (1, 'XA1', 'Xã Một', 'Xã', '/XA1/')"))
        for cadre_id, name in ((1, "Đỗ  Thị Mai"), (2, "Ông Văn Bình")):
            conn.execute(text(
                "INSERT INTO cadres (id, code, full_name, unit_id, position, title_group, is_leader, education, "
                "political_theory, state_management, job_matched, in_succession_plan, is_hr, mute_optional, "
                "created_at, updated_at) VALUES (:id, :code, :name, 1, 'CV', 'KHAC', false, 2, 1, 0, true, false, "
                "false, false, '2026-11-01', '2026-11-01')"), {"id": cadre_id, "code": f"C{cadre_id}", "name": name})
        conn.execute(text(
            "INSERT INTO evaluations (cadre_id, year, month, status, step, paused, results, late, created_at, "
            "updated_at) VALUES (1, 2026, 10, 'submitted', 'done', false, '[]', false, '2026-11-01', '2026-11-01')"))
    _run(empty_engine, "upgrade", "head")
    with empty_engine.connect() as conn:
        keys = conn.execute(text("SELECT code, name_key FROM cadres ORDER BY code")).all()
    assert [tuple(row) for row in keys] == [("C1", "mai dzo thi"), ("C2", "binh ong van")]
    _run(empty_engine, "downgrade", "0010_reviewer_code_index")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM evaluations")).scalar() == 1
