"""The command line goes through the bot's domain functions: the same permission checks and audit log."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import build_parser
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


ENGLISH_WORDS = re.compile(r"\b(UNIT|OUT|DB|FILE|CODE|YYYY|MM|KIND|NAME|PATH|QUESTION)\b")


def _every_argument() -> list[tuple[str, argparse.Action]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [(name, action) for name, command in sub.choices.items() for action in command._actions
            if not isinstance(action, argparse._HelpAction)]


def test_every_argument_is_explained_in_vietnamese() -> None:
    """Metavars name what to type in Vietnamese (MÃ_ĐƠN_VỊ, TỆP), and every argument has a help line."""
    for command, action in _every_argument():
        shown = action.metavar or (None if action.option_strings and action.nargs == 0 else action.dest.upper())
        names = shown if isinstance(shown, tuple) else (shown,)
        for name in names:
            assert name is None or not ENGLISH_WORDS.search(str(name)), (command, action.dest, name)
        assert action.help, (command, action.dest)


def test_evaluations_text_is_vietnamese(cli_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["evaluations", "--month", "2026-11", "--unit", "XMH"]) == 0
    out = capsys.readouterr().out
    assert "tháng 11/2026" in out and "2026-11" not in out and "chưa gửi" in out
    for bad in ("2026-13", "11/2026", "2026-1"):
        assert cli_main(["evaluations", "--month", bad]) == 2
        err = capsys.readouterr().err
        assert f"“{bad}”" in err and "NĂM-THÁNG" in err and "2026-11" in err and "01 đến 12" in err


def test_output_piped_into_a_reader_that_stops_early_ends_without_a_traceback() -> None:
    """`cadrebot ask … | head -1`: head closes the pipe; the command stops quietly (exit 141, like SIGPIPE)."""
    command = [sys.executable, "-m", "bot.cli", "ask", "tỷ lệ cán bộ có trình độ cao cấp"]
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=root)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    stderr = proc.stderr.read().decode()
    assert proc.wait(60) == 141
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_a_broken_pipe_that_is_not_our_output_is_still_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a reader closing our standard output ends quietly; another pipe or socket breaking is reported."""
    import bot.cli as cli

    def broken(_argv: object) -> int:
        raise BrokenPipeError("a socket to another service")

    monkeypatch.setattr(cli, "_main", broken)
    with pytest.raises(BrokenPipeError):
        cli.main(["report"])
