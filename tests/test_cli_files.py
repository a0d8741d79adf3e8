"""A file path the operator mistyped is one Vietnamese line and exit 2, never a Python traceback.

Inputs (import-roster, import-courses, complete, ask --eval, --config) and outputs
(template --out, invite --out, backup --out, report --xlsx, evaluations --xlsx) alike: the line names
the path as it was typed and says what to do; the traceback goes to the debug log only. (restore
says its own line for a missing or wrong backup file: bot.ops.backup.BackupError.)
"""

from __future__ import annotations

import argparse
import logging
import os
import pathlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import cli
from db import Database
from db.models import AuditLog, InviteToken
from tests.conftest import SAMPLE_ROSTER


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database with the sample roster for the whole module (a migration per test is slow)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('files') / 'cli.db'}"
    assert cli.main(["import-roster", str(SAMPLE_ROSTER), "--db", url]) == 0
    return url


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str,
         capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    """Run from an empty directory (relative paths land there) against the module's database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CADREBOT_DATABASE_URL", db_url)
    monkeypatch.delenv("CADREBOT_CONFIG", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    # `cadrebot run` in an earlier test module leaves bot.logs' handler on the root logger, writing to
    # that test's captured (now closed) stderr: logging would print "--- Logging error ---" here.
    monkeypatch.setattr(logging, "raiseExceptions", False)
    capsys.readouterr()
    (tmp_path / "adir").mkdir()
    yield tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def the_line(err: str) -> str:
    assert "Traceback" not in err and "Error" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


# Every command that reads a named file, with {p} where the path goes.
READERS = [
    ("complete", "XMH-2026-01", "{p}"),
    ("import-roster", "{p}"),
    ("import-roster", "{p}", "--dry-run"),
    ("import-courses", "{p}"),
    ("ask", "--eval", "{p}"),
]


def _argv(template: tuple[str, ...], path: str) -> list[str]:
    return [part.replace("{p}", path) for part in template]


# --- inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c))
@pytest.mark.parametrize("path", ["/tmp/cadrebot-nope/nope.csv", "nope.csv", "./khong-co/danh sách.xlsx"])
def test_a_missing_input_file_is_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                          command: tuple[str, ...], path: str) -> None:
    code, out, err = run(capsys, *_argv(command, path))
    assert (code, out) == (2, "")
    assert the_line(err) == f"Không tìm thấy tệp {path}: kiểm tra lại đường dẫn."


def test_the_reported_case(here: Path, capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    code, _, err = run(capsys, "complete", "SOMECOURSE", "/tmp/nope.csv", "--db", db_url)
    assert code == 2
    assert the_line(err) == "Không tìm thấy tệp /tmp/nope.csv: kiểm tra lại đường dẫn."


@pytest.mark.parametrize("command", [*READERS, ("--config", "{p}", "report")], ids=lambda c: " ".join(c))
def test_an_input_that_is_a_directory_is_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                                  command: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *_argv(command, "adir"))
    assert (code, out) == (2, "")
    assert the_line(err) == "Đường dẫn adir là một thư mục, không phải tệp: ghi đường dẫn đến chính tệp cần đọc."


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path, *methods: str) -> None:
    """What the OS answers for a file the user may not open (the tests may run as root, which may)."""
    for name in methods:
        original = getattr(pathlib.Path, name)

        def refuse(self: Path, *args: object, _original: Callable[..., object] = original,
                   **kwargs: object) -> object:
            if self.resolve() == denied.resolve():
                raise PermissionError(13, "Permission denied", str(self))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(pathlib.Path, name, refuse)


@pytest.mark.parametrize("command", [*READERS, ("--config", "{p}", "report")], ids=lambda c: " ".join(c))
def test_an_unreadable_input_is_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]) -> None:
    secret = here / "bi-mat.csv"
    secret.write_text("Mã cán bộ\n", encoding="utf-8")
    _deny(monkeypatch, secret, "read_bytes", "read_text")
    code, out, err = run(capsys, *_argv(command, "bi-mat.csv"))
    assert (code, out) == (2, "")
    assert the_line(err) == ("Không có quyền đọc tệp bi-mat.csv: cấp quyền đọc cho người dùng chạy cadrebot, "
                             "hoặc chép tệp sang thư mục khác.")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_input_on_disk_is_one_line(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = here / "bi-mat.csv"
    secret.write_text("Mã cán bộ\n", encoding="utf-8")
    secret.chmod(0)
    code, _, err = run(capsys, "import-roster", "bi-mat.csv")
    assert code == 2
    assert the_line(err).startswith("Không có quyền đọc tệp bi-mat.csv:")


def test_the_traceback_goes_to_the_debug_log(here: Path, capsys: pytest.CaptureFixture[str],
                                             caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="cadrebot"):
        assert run(capsys, "import-courses", "nope.csv")[0] == 2
    assert any(r.exc_info and isinstance(r.exc_info[1], FileNotFoundError) for r in caplog.records)


# --- outputs -----------------------------------------------------------------------------------

WRITERS = [
    ("template", "roster", "--out", "{p}"),
    ("report", "--unit", "XMH", "--xlsx", "{p}"),
    ("evaluations", "--month", "2026-11", "--xlsx", "{p}"),
    ("invite", "--unit", "XMH", "--out", "{p}"),
    ("backup", "--out", "{p}"),
    ("backup", "--out", "{p}", "--force"),
]


def _counts(db_url: str) -> tuple[int, int]:
    database = Database.from_url(db_url)
    try:
        return database.run(lambda s: (s.scalar(select(func.count()).select_from(AuditLog)),
                                       s.scalar(select(func.count()).select_from(InviteToken))))
    finally:
        database.dispose()


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: " ".join(c))
def test_an_output_in_a_missing_directory_is_one_line_and_nothing_is_done(
        here: Path, capsys: pytest.CaptureFixture[str], db_url: str, command: tuple[str, ...]) -> None:
    before = _counts(db_url)
    code, out, err = run(capsys, *_argv(command, "bao-cao/thang 11/ket-qua.xlsx"))
    assert (code, out) == (2, "")  # no report printed, then refused
    assert the_line(err) == ("Không có thư mục bao-cao/thang 11 để ghi tệp bao-cao/thang 11/ket-qua.xlsx: "
                             "tạo thư mục trước, hoặc chọn đường dẫn khác.")
    assert _counts(db_url) == before  # no invite made whose link is lost, no export audited
    assert sorted(p.name for p in here.iterdir()) == ["adir"]


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: " ".join(c))
def test_an_output_that_is_a_directory_is_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                                   command: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *_argv(command, "adir"))
    assert (code, out) == (2, "")
    assert the_line(err) == "Đường dẫn adir là một thư mục: ghi thêm tên tệp cần tạo vào cuối đường dẫn."
    assert sorted(p.name for p in here.iterdir()) == ["adir"]  # no adir.partial left behind


def test_an_output_that_cannot_be_written_is_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _deny(monkeypatch, here / "mau.xlsx", "write_bytes")
    code, _, err = run(capsys, "template", "roster", "--out", "mau.xlsx")
    assert code == 2
    assert the_line(err) == ("Không có quyền ghi tệp mau.xlsx: chọn thư mục khác, hoặc cấp quyền ghi cho người dùng "
                             "chạy cadrebot.")


def test_a_good_output_path_still_works(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "ra").mkdir()
    code, out, _ = run(capsys, "template", "roster", "--out", "ra/mau.xlsx")
    assert code == 0 and "ra/mau.xlsx" in out
    assert (here / "ra" / "mau.xlsx").stat().st_size > 0


# --- only the named paths ----------------------------------------------------------------------


def test_an_os_error_about_another_file_keeps_its_traceback(here: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the operator did not name (a bug, or the program's own files) is not blamed on the path typed."""
    import bot.cli.templates as templates

    def broken(_kind: str) -> bytes:
        raise FileNotFoundError(2, "No such file or directory", "/usr/share/cadrebot/mau-goc.xlsx")

    monkeypatch.setattr(templates, "template_xlsx", broken)
    with pytest.raises(FileNotFoundError):
        cli.main(["template", "roster", "--out", "mau.xlsx"])


def test_every_file_argument_is_known_as_input_or_output() -> None:
    """A new TỆP argument must say which it is, or its errors would go back to being tracebacks."""
    from bot.cli import files

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = {a.dest for a in parser._actions if a.metavar == "TỆP"}
    for command in sub.choices.values():
        found |= {a.dest for a in command._actions if a.metavar == "TỆP"}
    assert found == set(files.INPUTS) | set(files.OUTPUTS)
    assert not set(files.INPUTS) & set(files.OUTPUTS)


def test_a_template_never_overwrites_a_filled_sheet(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`template roster --out keep.xlsx` wrote an empty template over HR's filled roster without asking (helper's
    attack). A file holding rows under the header, or something that is not a spreadsheet, is kept unless
    --force; an earlier template (headers only) is replaced as before, so scripts that refresh one keep working."""
    assert run(capsys, "template", "roster", "--out", "mau.xlsx")[0] == 0
    assert run(capsys, "template", "roster", "--out", "mau.xlsx")[0] == 0  # a template over a template
    filled = here / "keep.csv"
    filled.write_bytes(SAMPLE_ROSTER.read_bytes())
    code, _, err = run(capsys, "template", "roster", "--out", "keep.csv")
    assert code == 1 and "keep.csv" in the_line(err) and "--force" in the_line(err)
    assert filled.read_bytes() == SAMPLE_ROSTER.read_bytes()
    (here / "notes.txt").write_text("ghi chú quan trọng", encoding="utf-8")
    assert run(capsys, "template", "roster", "--out", "notes.txt")[0] == 1
    assert run(capsys, "template", "roster", "--out", "keep.csv", "--force")[0] == 0
