"""The files the operator names on the command line (TỆP): a wrong path is one Vietnamese line, not a traceback.

A mistyped path, a directory where a file was meant, a file the user running cadrebot may not read or
write: the operator's to fix, like the start-up errors of bot.cli.startup. The line names the path as it
was typed and says what to do; the exit code is EXIT_CONFIG; the traceback goes to the debug log only.
An OSError about any other file (one the program opens itself) is not the operator's typo and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import errno
import os

from bot.cli.startup import EXIT_CONFIG

# The destinations of every TỆP argument (tests/test_cli_files.py checks that none is missing).
INPUTS = ("config", "file", "eval")  # --config; import-roster, import-courses, complete, restore; ask --eval
OUTPUTS = ("out", "xlsx")  # template, invite, backup --out; report, evaluations --xlsx

EXIT_OTHER = 1
NOT_FOUND = "Không tìm thấy tệp {path}: kiểm tra lại đường dẫn."
READ_DIRECTORY = "Đường dẫn {path} là một thư mục, không phải tệp: ghi đường dẫn đến chính tệp cần đọc."
READ_DENIED = ("Không có quyền đọc tệp {path}: cấp quyền đọc cho người dùng chạy cadrebot, hoặc chép tệp sang "
               "thư mục khác.")
READ_FAILED = "Không đọc được tệp {path}: {reason}."
NO_DIRECTORY = "Không có thư mục {directory} để ghi tệp {path}: tạo thư mục trước, hoặc chọn đường dẫn khác."
WRITE_DIRECTORY = "Đường dẫn {path} là một thư mục: ghi thêm tên tệp cần tạo vào cuối đường dẫn."
WRITE_DENIED = ("Không có quyền ghi tệp {path}: chọn thư mục khác, hoặc cấp quyền ghi cho người dùng chạy "
                "cadrebot.")
WRITE_FAILED = "Không ghi được tệp {path}: {reason}."

_MISSING = (errno.ENOENT, errno.ENOTDIR)
_DENIED = (errno.EACCES, errno.EPERM)


def _named(args: argparse.Namespace, dests: tuple[str, ...]) -> list[str]:
    return [str(value) for dest in dests if (value := getattr(args, dest, None))]


def check_outputs(args: argparse.Namespace) -> None:
    """Raise, before the command does anything, what writing an output would raise at its end.

    Otherwise the report is printed, the invites are made (their links then lost) or the export is
    audited, and only the last step fails.
    """
    for path in _named(args, OUTPUTS):
        if not os.path.isdir(os.path.dirname(path) or os.curdir):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)


def _same(filename: object, path: str) -> bool:
    if not isinstance(filename, str | bytes | os.PathLike):
        return False
    return os.path.abspath(os.fsdecode(filename)) == os.path.abspath(path)


def _given(exc: OSError, args: argparse.Namespace, dests: tuple[str, ...]) -> str | None:
    """The path as the operator typed it, if the error is about it."""
    for path in _named(args, dests):
        if _same(exc.filename, path) or _same(exc.filename2, path):
            return path
    return None


# What each kind of failure says, for a file read and for a file written.
_LINES = (
    (INPUTS, (NOT_FOUND, READ_DIRECTORY, READ_DENIED, READ_FAILED)),
    (OUTPUTS, (NO_DIRECTORY, WRITE_DIRECTORY, WRITE_DENIED, WRITE_FAILED)),
)


def explain(exc: BaseException, args: argparse.Namespace) -> tuple[str, int] | None:
    """The line and exit code for an OSError on a file named on the command line, else None."""
    if not isinstance(exc, OSError):
        return None
    for dests, (missing, directory, denied, failed) in _LINES:
        if (path := _given(exc, args, dests)) is None:
            continue
        fields = {"path": path, "directory": os.path.dirname(path) or os.curdir, "reason": exc.strerror or str(exc)}
        if exc.errno in _MISSING:
            return missing.format(**fields), EXIT_CONFIG
        if exc.errno == errno.EISDIR:
            return directory.format(**fields), EXIT_CONFIG
        if exc.errno in _DENIED:
            return denied.format(**fields), EXIT_CONFIG
        return failed.format(**fields), EXIT_OTHER
    return None
