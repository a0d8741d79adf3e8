"""The command line's Vietnamese face: argparse headings, help and errors, and the shared --db/--demo flags.

argparse writes its headings ("usage:", "options") and errors in English; HR reads this tool, so the
parser below says them in Vietnamese. Every command that reads data takes `--db URL` or `--demo`
(the terminal chat's database), and says what to do when that database has no cadres yet.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from typing import Any, NoReturn

from core.config import Settings
from scheduler.jobs import JOBS as SCHEDULED

USAGE = "Cách dùng: "
POSITIONALS, OPTIONALS, COMMANDS = "tham số", "tùy chọn", "lệnh"
HELP = "in hướng dẫn này rồi thoát"
_ERRORS = (
    (re.compile(r"^the following arguments are required: (.*)$"), "thiếu tham số bắt buộc: {0}"),
    (re.compile(r"^unrecognized arguments: (.*)$"), "tham số không nhận ra: {0}"),
    (re.compile(r"^argument (\S+): invalid choice: (.*) \(choose from (.*)\)$"),
     "{0}: lựa chọn không hợp lệ {1} (chọn một trong {2})"),
    (re.compile(r"^argument (\S+): expected one argument$"), "{0}: cần một giá trị"),
    (re.compile(r"^argument (\S+): not allowed with argument (\S+)$"), "{0}: không dùng cùng {1}"),
    (re.compile(r"^argument (\S+): invalid (\w+) value: (.*)$"), "{0}: giá trị {2} không hợp lệ"),
    (re.compile(r"^argument (\S+): ignored explicit argument (.*)$"), "{0}: không nhận giá trị {1}"),
)
# `chat` has its own --db (its default is the demo database); `ask` reads only the resolution.
NO_DATABASE_OPTIONS = frozenset({"chat", "ask"})
# Commands whose answer is about cadres: on a database without any, they say how to get some.
READS_CADRES = frozenset({"report", "gaps", "courses", "register", "complete", "invite", "grant-hr",
                          "evaluations", "digest", "run-job"})
JOBS = {
    "eval-open": "báo mở kỳ tự đánh giá tháng cho mọi cán bộ đã liên kết",
    "eval-reminder": "nhắc người chưa nộp tự đánh giá (các ngày scheduler.eval_reminder_days)",
    "weekly-digest": "bản tin tuần cho lãnh đạo đơn vị",
    "window-closed-digest": "bản tin khi hết kỳ tự đánh giá: ai đã nộp, ai chưa",
    "course-notices": "nhắc hạn đăng ký lớp và lịch khai giảng lớp đã đăng ký",
    "quarterly-gaps": "nhắc tiêu chuẩn còn thiếu đầu mỗi quý",
    "retention": "xóa dữ liệu quá hạn lưu giữ (không gửi tin)",
}
JOBS_EPILOG = (
    "Các công việc:\n{jobs}\n\n"
    "THỜI_ĐIỂM là giờ địa phương dạng ISO YYYY-MM-DDTHH:MM (có thể thêm múi giờ, ví dụ +07:00).\n"
    "Ví dụ: cadrebot run-job eval-reminder --at 2026-12-01T08:00 --demo\n"
    "Công việc chỉ xếp tin vào hàng đợi (outbox); bot đang chạy, hoặc cadrebot dispatch, gửi đi."
)
JSON_HELP = "in kết quả dạng JSON (cho công cụ khác)"
DB_HELP = "URL cơ sở dữ liệu (SQLAlchemy), thay cho [database] url / CADREBOT_DATABASE_URL"
DEMO_HELP = "dùng cơ sở dữ liệu mẫu của trò chuyện ngoại tuyến (cadrebot chat)"
EMPTY_DATABASE = (
    "Cơ sở dữ liệu {db} chưa có cán bộ nào. Nhập danh sách: cadrebot import-roster TỆP --db {db}; "
    "hoặc thử trên cơ sở dữ liệu mẫu của trò chuyện ngoại tuyến: thêm --demo ({demo})."
)


def translate_error(message: str) -> str:
    for pattern, vietnamese in _ERRORS:
        match = pattern.match(message)
        if match:
            return vietnamese.format(*match.groups())
    return message


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs keep their line breaks (job lists, examples); usage says "Cách dùng"."""

    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, USAGE if prefix is None else prefix)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with Vietnamese headings, -h/--help text and error messages; subcommands inherit it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title, self._optionals.title = POSITIONALS, OPTIONALS
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=HELP)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: lỗi: {translate_error(message)}\n")


def jobs_epilog() -> str:
    """Every scheduled job by name (from the scheduler itself), with what it does."""
    return JOBS_EPILOG.format(jobs="\n".join(f"  {name:<22}{JOBS.get(name, '')}" for name in SCHEDULED))


def add_database_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", metavar="URL", help=DB_HELP)
    where.add_argument("--demo", action="store_true", help=DEMO_HELP)


def with_database(settings: Settings, args: argparse.Namespace) -> Settings:
    """The settings a command runs with: --db or --demo replace the configured database."""
    if getattr(args, "demo", False):
        return replace(settings, database_url=settings.demo.database_url)
    if getattr(args, "db", None):
        return replace(settings, database_url=args.db)
    return settings


def empty_database_hint(settings: Settings) -> str:
    return EMPTY_DATABASE.format(db=settings.database_url, demo=settings.demo.database_url)
