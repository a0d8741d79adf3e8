"""The command line goes through the bot's domain functions: the same permission checks and audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from db import Database
from db.models import AuditLog
from tests.conftest import SAMPLE_ROSTER


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Database:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CADREBOT_DATABASE_URL", url)
    assert cli_main(["import-roster", str(SAMPLE_ROSTER)]) == 0
    capsys.readouterr()
    return Database.from_url(url)


def _audit(db: Database) -> list[tuple[str, str, str | None]]:
    return db.run(lambda s: [(a.actor, a.action, a.target) for a in s.scalars(select(AuditLog).order_by(AuditLog.id))])


def test_report_goes_through_the_bots_report_path(cli_db: Database, tmp_path: Path) -> None:
    assert cli_main(["report", "--unit", "XMH"]) == 0
    assert cli_main(["report", "--unit", "XMH", "--xlsx", str(tmp_path / "r.xlsx")]) == 0
    assert ("cli", "report", "XMH") in _audit(cli_db)
    assert ("cli", "export-xlsx", "XMH") in _audit(cli_db)
    assert (tmp_path / "r.xlsx").exists()


def test_report_of_an_unknown_unit_is_a_clear_error(cli_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["report", "--unit", "KHONGCO"]) == 1
    assert "Không có đơn vị KHONGCO" in capsys.readouterr().err


def test_outbox_counts_from_the_domain(cli_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["outbox"]) == 0
    assert "Theo trạng thái: trống" in capsys.readouterr().out
