"""The command line: Vietnamese help, --db/--demo on every data command, one-line start-up errors."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from scheduler.jobs import JOBS
from tests.conftest import ROOT, SAMPLE_ROSTER
from tests.test_e2e_run import TOKEN, serve_json


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config whose databases live in tmp_path and whose Bot API answers nowhere (a closed port)."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('base_url = "https://api.telegram.org/bot"', f'base_url = "http://127.0.0.1:{_free_port()}/bot"')
    text = text.replace('url = "sqlite:///var/cadrebot.db"', f'url = "sqlite:///{tmp_path / "main.db"}"')
    text = text.replace('database_url = "sqlite:///var/demo.db"', f'database_url = "sqlite:///{tmp_path / "demo.db"}"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CADREBOT_CONFIG", str(path))
    monkeypatch.delenv("CADREBOT_DATABASE_URL", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:  # argparse's --help and usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip() and " INFO " not in line]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --- help ---------------------------------------------------------------------------------------


def test_help_is_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "Cách dùng: cadrebot" in out and "tùy chọn:" in out and "lệnh:" in out
    assert "usage:" not in out and "options:" not in out and "show this help" not in out
    _, report_help, _ = run(capsys, "report", "--help")
    assert "--db URL" in report_help and "--demo" in report_help and "in kết quả dạng JSON" in report_help


def test_run_job_help_lists_the_jobs_and_the_time_format(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "run-job", "--help")
    for name in JOBS:
        assert f"  {name} " in out
    assert "YYYY-MM-DDTHH:MM" in out and "2026-12-01T08:00" in out


def test_usage_errors_are_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "run-job")
    assert code == 2
    assert "lỗi: thiếu tham số bắt buộc: TÊN, --at" in err and "required" not in err
    _, _, err = run(capsys, "report", "--bogus")
    assert "tham số không nhận ra: --bogus" in err


# --- which database -------------------------------------------------------------------------------


def test_an_empty_database_says_how_to_get_cadres(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "gaps", "MAU003")
    assert code == 1
    assert "chưa có cán bộ nào" in err and "cadrebot import-roster" in err and "--demo" in err
    code, out, _ = run(capsys, "report", "--json")
    assert code == 0 and json.loads(out)["cadres"] == 0  # the JSON contract is unchanged; the hint is on stderr


def test_demo_and_db_choose_the_database(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "gaps", "MAU003", "--demo", "--json")
    assert code == 0, err
    assert json.loads(out)["cadre"] == "MAU003"
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert run(capsys, "import-roster", str(SAMPLE_ROSTER), "--db", other, "--json")[0] == 0
    code, out, err = run(capsys, "report", "--db", other, "--json")
    assert code == 0 and json.loads(out)["cadres"] > 0 and "chưa có cán bộ" not in err
    assert "chưa có cán bộ" in run(capsys, "report")[2]  # the configured database is still empty


# --- start-up errors ------------------------------------------------------------------------------


def test_no_network_is_one_line(config: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    code, _, err = run(capsys, "run")
    assert code == 3
    assert one_line(err).startswith("Không kết nối được tới Telegram (127.0.0.1:")
    assert TOKEN.split(":")[1] not in err


@pytest.fixture
def rejecting_api(config: Path) -> Iterator[int]:
    """A Bot API that refuses the token, as Telegram does (401 Unauthorized)."""
    server = serve_json(lambda path, body: (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}))
    port = server.server_address[1]
    text = re.sub(r'base_url = "[^"]*"', f'base_url = "http://127.0.0.1:{port}/bot"', config.read_text("utf-8"))
    config.write_text(text, encoding="utf-8")
    yield port
    server.shutdown()


def test_a_rejected_token_is_one_line(rejecting_api: int, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    code, _, err = run(capsys, "run")
    assert code == 2
    assert one_line(err).startswith("Telegram từ chối TELEGRAM_BOT_TOKEN")
    assert TOKEN.split(":")[1] not in err


def test_an_unreachable_database_is_one_line(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql+psycopg://cadrebot:secret@127.0.0.1:{_free_port()}/cadrebot"
    code, _, err = run(capsys, "report", "--db", url)
    assert code == 3
    line = one_line(err)
    assert line.startswith("Không kết nối được cơ sở dữ liệu postgresql+psycopg://cadrebot:***@127.0.0.1:")
    assert "secret" not in err
    code, _, err = run(capsys, "report", "--db", "nosuchdriver://x")
    assert code == 2 and one_line(err).startswith("URL cơ sở dữ liệu nosuchdriver://x không hợp lệ")


def test_every_command_help_is_vietnamese() -> None:
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands
    for name, command in commands.items():
        text = command.format_help()
        assert "usage:" not in text and "options:" not in text and "positional arguments" not in text, name
        assert "FILE" not in text and "CODE" not in text, name
