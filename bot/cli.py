"""The `cadrebot` command: the bot itself and the HR/script commands of domain.md §5."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy.orm import Session

from bot.logs import setup_logging
from core.config import ConfigError, Settings, load_settings
from db import Database, SchemaOutdatedError
from db.migrate import ensure_schema
from domain import accounts
from domain.clock import today_in
from domain.errors import DomainError
from domain.roster import ImportResult, RowError, import_roster
from domain.rules import RuleError, default_rules
from views.html import plain

if TYPE_CHECKING:
    from domain.report import Report

log = logging.getLogger("cadrebot")


def _open_db(url: str, auto_upgrade: bool = True) -> Database:
    database = Database.from_url(url)
    ensure_schema(database.engine, auto_upgrade=auto_upgrade)
    return database


# --- bot ---------------------------------------------------------------------------------------


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        print("Chưa đặt TELEGRAM_BOT_TOKEN: chạy trò chuyện ngoại tuyến trên cơ sở dữ liệu mẫu.\n")
        return cmd_chat(settings, argparse.Namespace(as_code=None, db=None, fresh=False))
    from bot.app import build_application

    setup_logging(settings.token)
    database = _open_db(settings.database_url)
    app = build_application(settings, database)
    log.info("Starting cadrebot (%s mode)", settings.telegram.mode)
    # run_polling/run_webhook stop gracefully on SIGINT, SIGTERM and SIGABRT.
    updates = ["message", "edited_message", "callback_query", "my_chat_member"]
    if settings.telegram.mode == "webhook":
        tg = settings.telegram
        app.run_webhook(listen=tg.webhook_listen, port=tg.webhook_port, url_path=tg.webhook_path,
                        webhook_url=tg.webhook_url, secret_token=settings.webhook_secret, allowed_updates=updates)
    else:
        app.run_polling(allowed_updates=updates)
    database.dispose()
    log.info("cadrebot stopped")
    return 0


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import demo_identity, seed_demo
    from bot.terminal import TerminalChat

    logging.basicConfig(level=logging.WARNING)
    url = args.db or settings.demo.database_url
    if args.fresh and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    database = _open_db(url)
    database.run(seed_demo, settings)
    code = args.as_code or settings.demo.default_cadre
    identity = database.run(demo_identity, code)
    if identity is None:
        print(f"Không có cán bộ mã {code} trong cơ sở dữ liệu mẫu.", file=sys.stderr)
        return 2
    chat = TerminalChat(settings, database, *identity)
    asyncio.run(chat.run())
    return 0


# --- HR commands -------------------------------------------------------------------------------


class _Progress:
    """A bar on a terminal, plain lines when piped."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if self.tty:
            bar = "█" * (pct // 4) + "░" * (25 - pct // 4)
            sys.stderr.write(f"\r  {bar} {pct:3d}% ({done}/{total})")
            if done == total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"Đã xử lý {done}/{total} dòng ({pct}%)\n")
        sys.stderr.flush()


def _print_rejected(rejected: list[RowError]) -> None:
    for error in rejected:
        print(f"Dòng {error.row}{f' ({error.code})' if error.code else ''}: {error.reason}")


def _print_nothing_imported(rejected: list[RowError], applied: bool) -> None:
    if rejected and not applied:
        print("Tệp có dòng lỗi nên KHÔNG nhập gì. Sửa các dòng trên, hoặc chạy lại với --skip-bad-rows "
              "để nhập các dòng hợp lệ.")


def _print_import(result: ImportResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    _print_rejected(result.rejected)
    print("\n".join(result.summary_lines()))
    _print_nothing_imported(result.rejected, result.applied or result.dry_run)


def cmd_import_roster(settings: Settings, args: argparse.Namespace) -> int:
    database = _open_db(settings.database_url)
    progress = None if args.json else _Progress()
    result = database.run(import_roster, Path(args.file), skip_bad_rows=args.skip_bad_rows, dry_run=args.dry_run,
                          progress=progress)
    _print_import(result, args.json)
    return 0 if result.applied or (args.dry_run and result.would_apply) else 1


def _write_links(out: TextIO, rows: list[tuple[str, str, str]]) -> None:
    writer = csv.writer(out)
    writer.writerow(["Mã cán bộ", "Họ và tên", "Đường dẫn mời"])
    writer.writerows(rows)


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    database = _open_db(settings.database_url)
    ttl, bot = settings.invite_ttl_days, settings.telegram.bot_username
    if args.unit:
        pairs = database.run(
            lambda s: [(c.code, c.full_name, t) for c, t in accounts.create_unit_invites(s, args.unit, ttl, "cli",
                                                                                      args.all)]
        )
        rows = [(code, name, accounts.invite_link(bot, token)) for code, name, token in pairs]
        if args.out:
            with open(args.out, "w", encoding="utf-8-sig", newline="") as out:
                _write_links(out, rows)
            print(f"Đã tạo {len(pairs)} đường dẫn mời vào {args.out} (hết hạn sau {ttl} ngày).")
        else:
            _write_links(sys.stdout, rows)
        return 0
    if not args.code:
        print("Cần MÃ_CÁN_BỘ hoặc --unit MÃ_ĐƠN_VỊ.", file=sys.stderr)
        return 2
    token = database.run(accounts.create_invite, args.code, ttl, "cli")
    print(accounts.invite_link(bot, token))
    return 0


def cmd_grant_hr(settings: Settings, args: argparse.Namespace) -> int:
    database = _open_db(settings.database_url)
    code = database.run(lambda s: accounts.grant_hr(s, args.code, not args.revoke).code)
    print(f"Đã {'thu hồi' if args.revoke else 'cấp'} quyền Ban Tổ chức cho {code}.")
    return 0


def cmd_import_courses(settings: Settings, args: argparse.Namespace) -> int:
    from domain.courses import import_courses

    database = _open_db(settings.database_url)
    result = database.run(import_courses, Path(args.file), skip_bad_rows=args.skip_bad_rows)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0 if result.applied else 1
    _print_rejected(result.rejected)
    print(f"Lớp: thêm {result.added}, cập nhật {result.updated}, không đổi {result.unchanged}, "
          f"bị từ chối {len(result.rejected)}")
    _print_nothing_imported(result.rejected, result.applied)
    return 0 if result.applied else 1


def _report(session: Session, unit_code: str | None, today: date, xlsx: str | None) -> Report:
    from domain.exports import report_xlsx
    from domain.report import build_report, people_with_mandatory_gaps
    from domain.units import optional_unit

    unit = optional_unit(session, unit_code)
    report = build_report(session, unit, today)
    if xlsx:
        _, people = people_with_mandatory_gaps(session, unit, 0, 100_000)
        Path(xlsx).write_bytes(report_xlsx(report, people))
        accounts.audit(session, "cli", "export-xlsx", unit_code or "PROVINCE", xlsx)
    return report


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from views.report import render_report

    database = _open_db(settings.database_url)
    report = database.run(_report, args.unit, today_in(settings.timezone), args.xlsx)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print(plain(render_report(report)))
    if args.xlsx:
        print(f"Đã ghi {args.xlsx}", file=sys.stderr)
    return 0


def cmd_gaps(settings: Settings, args: argparse.Namespace) -> int:
    from domain.gaps import gaps_by_code
    from views.gaps import render_gaps

    database = _open_db(settings.database_url)
    data = database.run(_audited, "cli-gaps", args.code, gaps_by_code, args.code, today_in(settings.timezone))
    if args.json:
        print(json.dumps(data.as_json(), ensure_ascii=False, indent=2))
    else:
        print(plain(render_gaps(data)))
    return 0


def _audited(session: Session, action: str, target: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Reads of a person's record or of people lists from the command line are audit-logged too."""
    accounts.audit(session, "cli", action, target)
    return fn(session, *args)


def cmd_courses(settings: Settings, args: argparse.Namespace) -> int:
    from domain.catalogue import course_counts

    database = _open_db(settings.database_url)
    rows = database.run(course_counts)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return 0
    for r in rows:
        state = "ĐÃ HỦY" if r["cancelled"] else f"hạn ĐK {r['register_by']}"
        print(f"{r['code']:<12} {r['registered']:>4}/{r['capacity']:<4} chờ {r['waitlisted']:<4} {state}  {r['name']}")
    return 0


def cmd_register(settings: Settings, args: argparse.Namespace) -> int:
    from domain.registration import register_on_behalf

    database = _open_db(settings.database_url)
    outcome = database.run(register_on_behalf, "cli", args.cadre, args.course, today_in(settings.timezone))
    if outcome.status == "registered":
        print(f"Đã đăng ký {outcome.cadre_code} vào lớp {outcome.course_code}.")
    else:
        print(f"Lớp {outcome.course_code} đã đủ chỗ: {outcome.cadre_code} ở vị trí {outcome.position} danh sách chờ.")
    return 0


def cmd_complete(settings: Settings, args: argparse.Namespace) -> int:
    """Every row checked first; nothing written if one is refused (unless --skip-bad-rows)."""
    from domain.completion import complete, completion_codes

    codes = completion_codes(Path(args.file))
    database = _open_db(settings.database_url)
    plan = database.run(complete, args.course, codes, today_in(settings.timezone), "cli", args.skip_bad_rows)
    if args.json:
        print(json.dumps(plan.as_dict(), ensure_ascii=False, indent=2))
        return 0 if plan.applied else 1
    for row in plan.rows:
        mark = {"ok": "✓", "already": "=", "rejected": "✗"}[row.status]
        print(f"{mark} Dòng {row.row} {row.code}{f' – {row.name}' if row.name else ''}: {row.outcome}")
    if not plan.applied:
        print(f"KHÔNG ghi nhận gì: {len(plan.rejected)} dòng bị từ chối. Sửa tệp, hoặc chạy lại với "
              "--skip-bad-rows để ghi nhận các dòng hợp lệ.", file=sys.stderr)
        return 1
    print(f"Đã ghi nhận hoàn thành lớp {plan.course_code}: {len(plan.accepted)} cán bộ; "
          f"bỏ qua {len(plan.rows) - len(plan.accepted)} dòng.")
    return 0


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.index import default_kb

    if args.eval:
        from knowledge.evaluate import evaluate, print_report

        report = evaluate(Path(args.eval))
        print_report(Path(args.eval), report, verbose=not args.json)
        return 0
    if not args.question:
        print("Cần câu hỏi, ví dụ: cadrebot ask \"bí thư xã cần trình độ chính trị gì\"", file=sys.stderr)
        return 2
    answer = default_kb().ask(" ".join(args.question))
    if args.json:
        print(json.dumps(answer.as_json(), ensure_ascii=False, indent=2))
    else:
        print(answer.answer)
        if answer.source:
            print(f"Nguồn: {answer.source}")
        elif answer.suggestions:
            print("Các mục gần nhất: " + "; ".join(answer.suggestions))
    return 0


def _evaluations(session: Session, month: str, unit_code: str | None, xlsx: str | None) -> dict[str, object]:
    from domain.evaluation import RATINGS, month_status, status_counts
    from domain.exports import evaluations_xlsx
    from domain.units import optional_unit

    year, mon = (int(x) for x in month.split("-"))
    unit = optional_unit(session, unit_code)
    lines = month_status(session, unit, year, mon)
    label = lambda r: None if r is None else RATINGS[r]  # noqa: E731
    people = [{"cadre": x.code, "name": x.full_name, "unit": x.unit_name, "status": x.status, "late": x.late,
               "self_rating": label(x.self_rating), "manager_rating": label(x.manager_rating)} for x in lines]
    counts = status_counts(lines)
    if xlsx:
        Path(xlsx).write_bytes(evaluations_xlsx(f"{mon:02d}/{year}", unit.name if unit else "Toàn tỉnh", people,
                                                counts))
    accounts.audit(session, "cli", "export-evaluations", unit_code or "PROVINCE", month)
    return {"month": month, "unit": unit_code, "counts": counts, "cadres": people}


def cmd_evaluations(settings: Settings, args: argparse.Namespace) -> int:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        print("--month phải có dạng YYYY-MM, ví dụ 2026-11", file=sys.stderr)
        return 2
    database = _open_db(settings.database_url)
    data = database.run(_evaluations, args.month, args.unit, args.xlsx)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    counts = data["counts"]
    assert isinstance(counts, dict)
    print(f"Tự đánh giá {args.month} – {args.unit or 'toàn tỉnh'}: đã gửi {counts['submitted']}/{counts['cadres']}, "
          f"muộn {counts['late']}, chưa gửi {counts['missing']}, đã xếp loại {counts['reviewed']}")
    for person in data["cadres"]:  # type: ignore[attr-defined]
        print(f"{person['cadre']:<10} {person['status']:<10} {'MUỘN' if person['late'] else '':<5} "
              f"tự: {person['self_rating'] or '—'} | cấp trên: {person['manager_rating'] or '—'}  {person['name']}")
    return 0


def _outbox_counts(session: Session) -> dict[str, Any]:
    from sqlalchemy import func, select

    from db.models import Outbox

    by_status: dict[str, int] = {}
    by_kind: dict[str, dict[str, int]] = {}
    for status, kind, n in session.execute(select(Outbox.status, Outbox.kind, func.count()).group_by(
            Outbox.status, Outbox.kind)):
        by_status[status] = by_status.get(status, 0) + n
        by_kind.setdefault(kind, {})[status] = n
    return {"by_status": by_status, "by_kind": by_kind}


def cmd_outbox(settings: Settings, args: argparse.Namespace) -> int:
    database = _open_db(settings.database_url)
    counts = database.run(_outbox_counts)
    if args.json:
        print(json.dumps(counts, ensure_ascii=False, indent=2))
        return 0
    print("Theo trạng thái: " + (", ".join(f"{k} {v}" for k, v in sorted(counts["by_status"].items())) or "trống"))
    for kind, by_status in sorted(counts["by_kind"].items()):
        print(f"  {kind:<22} " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    return 0


def _digest_for_unit(session: Session, unit_code: str, settings: Settings) -> list[str]:
    from sqlalchemy import select

    from db.models import Cadre
    from domain.accounts import Actor
    from domain.evaluation import Window
    from domain.units import require_unit
    from scheduler.digest import build_digest

    unit = require_unit(session, unit_code)
    today = today_in(settings.timezone)
    period = Window(settings.evaluation.window_open_day, settings.evaluation.window_close_day).open_period(today)
    leaders = list(session.scalars(select(Cadre).where(Cadre.unit_id == unit.id, Cadre.is_leader.is_(True))
                                   .order_by(Cadre.code)))
    texts = []
    for leader in leaders or []:
        actor = Actor(leader.id, leader.code, leader.full_name, unit.id, unit.code, unit.name, unit.path, True,
                      leader.is_hr)
        texts.append(f"— {leader.full_name} ({leader.code}) —\n"
                     + build_digest(session, leader, actor, period, today, remember=False))
    return texts


def cmd_digest(settings: Settings, args: argparse.Namespace) -> int:
    database = _open_db(settings.database_url)
    texts = database.run(_audited, "cli-digest", args.unit, _digest_for_unit, args.unit, settings)
    if not texts:
        print(f"Đơn vị {args.unit} không có cán bộ lãnh đạo nào để nhận bản tin.")
    for text in texts:
        print(plain(text) + "\n")
    return 0


def cmd_run_job(settings: Settings, args: argparse.Namespace) -> int:
    from scheduler.jobs import JOBS, run_job

    if args.name not in JOBS:
        print(f"Không có công việc {args.name!r}. Có: {', '.join(JOBS)}", file=sys.stderr)
        return 2
    try:
        at = datetime.fromisoformat(args.at)
    except ValueError:
        print("--at phải là thời điểm ISO, ví dụ 2026-12-01T08:00", file=sys.stderr)
        return 2
    at = at.replace(tzinfo=settings.timezone) if at.tzinfo is None else at.astimezone(settings.timezone)
    database = _open_db(settings.database_url)
    queued = run_job(database, args.name, at, settings)
    print(f"{args.name} tại {at:%Y-%m-%d %H:%M}: đã xếp {queued} tin nhắn vào hàng đợi (outbox).")
    return 0


def cmd_dispatch(settings: Settings, args: argparse.Namespace) -> int:
    """Send the outbox without the rest of the bot (a standby sender, or a drain before maintenance)."""
    if not settings.token:
        print("Cần TELEGRAM_BOT_TOKEN để gửi tin.", file=sys.stderr)
        return 2
    setup_logging(settings.token, logging.WARNING)
    database = _open_db(settings.database_url)
    asyncio.run(_dispatch(settings, database, args.until_empty))
    return 0


async def _dispatch(settings: Settings, database: Database, until_empty: bool) -> None:
    from sqlalchemy import func, select
    from telegram import Bot

    from db.models import Outbox
    from scheduler.outbox import Dispatcher

    bot = Bot(settings.token or "", base_url=settings.telegram.base_url)
    async with bot:
        dispatcher = Dispatcher(bot, database, settings.scheduler, lambda: datetime.now(settings.timezone))
        while True:
            sent = await dispatcher.run_once(500)
            if sent == 0:
                waiting = database.run(lambda s: s.scalar(select(func.count(Outbox.id)).where(
                    Outbox.status.in_(("pending", "sending")))))
                if until_empty and not waiting:
                    return
                await asyncio.sleep(0.5)


def cmd_template(settings: Settings, args: argparse.Namespace) -> int:
    from domain.templates import TEMPLATES, template_xlsx

    Path(args.out).write_bytes(template_xlsx(args.kind))
    print(f"Đã ghi mẫu {TEMPLATES[args.kind].title.lower()} vào {args.out}.")
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    _open_db(settings.database_url, auto_upgrade=True)
    print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")
    return 0


# --- parser ------------------------------------------------------------------------------------

Command = Callable[[Settings, argparse.Namespace], int]


def _import_parser(sub: Any, name: str, help_text: str, func: Command) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text)
    parser.add_argument("file")
    parser.add_argument("--skip-bad-rows", action="store_true", help="bỏ qua dòng lỗi, nhập các dòng hợp lệ")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cadrebot", description="Trợ lý cán bộ tỉnh Tuyên Quang")
    parser.add_argument("--config", type=Path, help="đường dẫn config.toml")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="chạy bot (không có TELEGRAM_BOT_TOKEN: trò chuyện ngoại tuyến)").set_defaults(
        func=cmd_run)
    chat = sub.add_parser("chat", help="trò chuyện ngoại tuyến trên cơ sở dữ liệu mẫu")
    chat.add_argument("--as", dest="as_code", metavar="CODE", help="đóng vai cán bộ có mã này")
    chat.add_argument("--db", help="URL cơ sở dữ liệu thay cho cơ sở dữ liệu mẫu")
    chat.add_argument("--fresh", action="store_true", help="tạo lại cơ sở dữ liệu mẫu từ đầu")
    chat.set_defaults(func=cmd_chat)
    _import_parser(sub, "import-roster", "nhập danh sách cán bộ (.xlsx/.csv)", cmd_import_roster).add_argument(
        "--dry-run", action="store_true", help="chỉ xem trước thay đổi và xung đột, không ghi gì")
    inv = sub.add_parser("invite", help="tạo đường dẫn mời dùng một lần")
    inv.add_argument("code", nargs="?")
    inv.add_argument("--unit", help="mọi cán bộ chưa liên kết của đơn vị và đơn vị trực thuộc")
    inv.add_argument("--out", help="ghi ra tệp CSV")
    inv.add_argument("--all", action="store_true", help="gồm cả cán bộ đã liên kết")
    inv.set_defaults(func=cmd_invite)
    grant = sub.add_parser("grant-hr", help="cấp quyền Ban Tổ chức")
    grant.add_argument("code")
    grant.add_argument("--revoke", action="store_true")
    grant.set_defaults(func=cmd_grant_hr)
    _import_parser(sub, "import-courses", "nhập danh sách lớp (.xlsx/.csv)", cmd_import_courses)
    report = sub.add_parser("report", help="chỉ tiêu Nghị quyết của toàn tỉnh hoặc một đơn vị")
    report.add_argument("--unit", help="mã đơn vị (gồm các đơn vị trực thuộc)")
    report.add_argument("--json", action="store_true")
    report.add_argument("--xlsx", metavar="FILE", help="ghi thêm tệp Excel")
    report.set_defaults(func=cmd_report)
    gaps = sub.add_parser("gaps", help="tiêu chuẩn còn thiếu của một cán bộ")
    gaps.add_argument("code")
    gaps.add_argument("--json", action="store_true")
    gaps.set_defaults(func=cmd_gaps)
    listing = sub.add_parser("courses", help="danh sách lớp với số chỗ, đã đăng ký, danh sách chờ")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_courses)
    register = sub.add_parser("register", help="đăng ký một cán bộ vào lớp")
    register.add_argument("cadre")
    register.add_argument("course")
    register.set_defaults(func=cmd_register)
    done = sub.add_parser("complete", help="ghi nhận hoàn thành lớp từ tệp (cột “Mã cán bộ”)")
    done.add_argument("course")
    done.add_argument("file")
    done.add_argument("--skip-bad-rows", action="store_true", help="ghi nhận các dòng hợp lệ, bỏ dòng bị từ chối")
    done.add_argument("--json", action="store_true")
    done.set_defaults(func=cmd_complete)
    ask = sub.add_parser("ask", help="hỏi về Nghị quyết")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--eval", metavar="FILE", help="chấm điểm một tệp câu hỏi .jsonl, kèm mức cơ sở BM25")
    ask.set_defaults(func=cmd_ask)
    evals = sub.add_parser("evaluations", help="tình hình tự đánh giá một tháng")
    evals.add_argument("--month", required=True, metavar="YYYY-MM")
    evals.add_argument("--unit", help="mã đơn vị (gồm các đơn vị trực thuộc)")
    evals.add_argument("--json", action="store_true")
    evals.add_argument("--xlsx", metavar="FILE")
    evals.set_defaults(func=cmd_evaluations)
    outbox = sub.add_parser("outbox", help="hàng đợi tin nhắn theo trạng thái và loại")
    outbox.add_argument("--json", action="store_true")
    outbox.set_defaults(func=cmd_outbox)
    digest = sub.add_parser("digest", help="in bản tin của lãnh đạo một đơn vị (không gửi)")
    digest.add_argument("--unit", required=True)
    digest.set_defaults(func=cmd_digest)
    job = sub.add_parser("run-job", help="chạy một công việc định kỳ như tại thời điểm --at (chỉ xếp hàng tin)")
    job.add_argument("name")
    job.add_argument("--at", required=True, metavar="ISO_TIME")
    job.set_defaults(func=cmd_run_job)
    dispatch = sub.add_parser("dispatch", help="chỉ gửi hàng đợi tin nhắn (không nhận tin)")
    dispatch.add_argument("--until-empty", action="store_true", help="dừng khi hàng đợi trống")
    dispatch.set_defaults(func=cmd_dispatch)
    template = sub.add_parser("template", help="tệp Excel mẫu để nhập (roster, courses, completion)")
    template.add_argument("kind", choices=("roster", "courses", "completion"))
    template.add_argument("--out", required=True, metavar="FILE")
    template.set_defaults(func=cmd_template)
    sub.add_parser("migrate", help="nâng cấp cơ sở dữ liệu").set_defaults(func=cmd_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["run"])
    try:
        settings = load_settings(args.config) if args.config else load_settings()
        default_rules()  # a malformed rules file stops everything at start, naming the rule and field
        func: Command = args.func
        return func(settings, args)
    except ConfigError as exc:
        print(f"Lỗi cấu hình: {exc}", file=sys.stderr)
        return 2
    except RuleError as exc:
        print(f"Lỗi tệp chỉ tiêu (knowledge/rules/indicators.toml): {exc}", file=sys.stderr)
        return 2
    except (DomainError, SchemaOutdatedError) as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
