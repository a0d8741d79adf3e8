"""`cadrebot backup` / `cadrebot restore` on SQLite: a restore drill that compares row counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete

from bot.cli import main
from bot.ops.backup import row_counts
from db import Database
from db.migrate import upgrade
from db.models import AuditLog
from domain.roster import import_roster
from tests.conftest import SAMPLE_ROSTER


def _use(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("CADREBOT_DATABASE_URL", url)


@pytest.fixture
def live(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    database = Database.from_url(url)
    upgrade(database.engine)
    database.run(import_roster, SAMPLE_ROSTER)
    database.dispose()
    return url


def test_backup_then_restore_gives_the_same_rows(live: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "saved.db"
    _use(monkeypatch, live)
    assert main(["backup", "--out", str(saved)]) == 0
    original = row_counts(live)
    assert original["cadres"] > 0 and row_counts(f"sqlite:///{saved}") == original
    assert main(["backup", "--out", str(saved)]) == 1  # never overwrites a file silently
    assert "--force" in capsys.readouterr().err

    fresh = f"sqlite:///{tmp_path / 'drill' / 'fresh.db'}"
    _use(monkeypatch, fresh)
    assert main(["restore", str(saved)]) == 0  # an empty target: nothing to lose
    assert row_counts(fresh) == original

    database = Database.from_url(live)
    database.run(lambda s: s.execute(delete(AuditLog)))
    database.run(import_roster, SAMPLE_ROSTER)  # the live database moved on
    database.dispose()
    _use(monkeypatch, live)
    capsys.readouterr()
    assert main(["restore", str(saved)]) == 1  # it has data: refused without --force
    assert "GHI ĐÈ" in capsys.readouterr().err
    assert main(["restore", str(saved), "--force"]) == 0
    assert row_counts(live) == original


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database", encoding="utf-8")
    _use(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["restore", str(junk)]) == 1
    assert "không phải là bản sao lưu" in capsys.readouterr().err


def test_postgresql_is_backed_up_with_pg_dump(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _use(monkeypatch, "postgresql+psycopg://cadrebot@127.0.0.1:1/cadrebot")
    assert main(["backup", "--out", str(tmp_path / "x.db")]) == 1
    assert "pg_dump" in capsys.readouterr().err
