"""Typed, frozen settings read from config.toml; secrets only from the environment.

A bad value fails at start with a ConfigError naming the key, so a typo in production
is caught before the bot talks to anyone.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ConfigError
from core.ops_settings import OpsSettings, RetentionSettings, ops_settings, retention_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.toml"

T = TypeVar("T")


@dataclass(frozen=True)
class TelegramSettings:
    mode: str
    base_url: str
    bot_username: str
    hr_telegram_ids: tuple[int, ...]
    webhook_url: str
    webhook_listen: str
    webhook_port: int
    webhook_path: str


@dataclass(frozen=True)
class DemoSettings:
    database_url: str
    output_dir: Path
    default_cadre: str
    hr_cadres: tuple[str, ...]


@dataclass(frozen=True)
class EvaluationSettings:
    window_open_day: int
    window_close_day: int


@dataclass(frozen=True)
class SchedulerSettings:
    global_rate_per_s: float
    per_chat_interval_s: float
    concurrent_sends: int
    quiet_start: time
    quiet_end: time
    holidays: frozenset[date]
    urgent_kinds: frozenset[str]
    eval_open_time: time
    eval_reminder_days: tuple[int, ...]
    eval_reminder_time: time
    digest_weekday: int
    digest_time: time
    course_deadline_notice_days: int
    course_start_notice_days: int
    course_notice_time: time
    quarterly_gap_time: time
    claim_lease_s: float = 30.0  # an outbox claim not renewed for this long is taken back


@dataclass(frozen=True)
class SpreadsheetLimits:
    """Bounds on one spreadsheet (domain.spreadsheet reads with them). The one place of their defaults,
    which fit the province's 48,000 cadres; [imports] in config.toml overrides them."""

    max_rows: int = 60_000
    max_columns: int = 100
    empty_rows_stop: int = 1_000
    max_unzipped_mb: int = 200
    max_zip_members: int = 200


@dataclass(frozen=True)
class ImportSettings(SpreadsheetLimits):
    """[imports]: the spreadsheet bounds and the bot's time limit for one import."""

    time_limit_s: int = 300


@dataclass(frozen=True)
class Settings:
    timezone: ZoneInfo
    database_url: str
    telegram: TelegramSettings
    invite_ttl_days: int
    max_text_length: int
    evaluation: EvaluationSettings
    demo: DemoSettings
    config_dir: Path
    scheduler: SchedulerSettings
    token: str | None = None
    webhook_secret: str | None = None  # Telegram echoes it in a header; requests without it are refused
    ops: OpsSettings = field(default_factory=OpsSettings)  # [ops]: health, metrics, alerts, logs
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    imports: ImportSettings = field(default_factory=ImportSettings)

    def __repr__(self) -> str:  # never show the token, even in a traceback
        return f"Settings(database_url={self.database_url!r}, mode={self.telegram.mode!r})"


def _get(table: dict[str, Any], key: str, kind: type[T], default: Any, prefix: str) -> T:
    value = table.get(key, default)
    full = f"{prefix}{key}"
    if value is None:
        raise ConfigError(f"config.toml: thiếu khóa bắt buộc '{full}'")
    if kind is int and isinstance(value, bool):
        raise ConfigError(f"config.toml: '{full}' phải là số nguyên, không phải {value!r}")
    if not isinstance(value, kind):
        raise ConfigError(f"config.toml: '{full}' phải có kiểu {kind.__name__}, nhận được {value!r}")
    return value


def _int_in(table: dict[str, Any], key: str, default: int, lo: int, hi: int, prefix: str) -> int:
    value = _get(table, key, int, default, prefix)
    if not lo <= value <= hi:
        raise ConfigError(f"config.toml: '{prefix}{key}' phải nằm trong {lo}..{hi}, nhận được {value}")
    return value


def _resolve_sqlite_path(url: str, base: Path) -> str:
    """Make relative SQLite paths relative to the config file, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and ":memory:" not in url:
        return prefix + str((base / url[len(prefix):]).resolve())
    return url


def _telegram(raw: dict[str, Any]) -> TelegramSettings:
    p = "telegram."
    mode = _get(raw, "mode", str, "polling", p)
    if mode not in ("polling", "webhook"):
        raise ConfigError(f"config.toml: 'telegram.mode' phải là 'polling' hoặc 'webhook', nhận được {mode!r}")
    ids = _get(raw, "hr_telegram_ids", list, [], p)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ConfigError("config.toml: 'telegram.hr_telegram_ids' phải là danh sách số nguyên")
    webhook_url = _get(raw, "webhook_url", str, "", p)
    if mode == "webhook" and not webhook_url.startswith("https://"):
        raise ConfigError("config.toml: 'telegram.webhook_url' phải là địa chỉ https:// khi mode = 'webhook'")
    return TelegramSettings(
        mode=mode,
        base_url=_get(raw, "base_url", str, "https://api.telegram.org/bot", p),
        bot_username=_get(raw, "bot_username", str, "cadrebot", p).lstrip("@"),
        hr_telegram_ids=tuple(ids),
        webhook_url=webhook_url,
        webhook_listen=_get(raw, "webhook_listen", str, "0.0.0.0", p),
        webhook_port=_int_in(raw, "webhook_port", 8443, 1, 65535, p),
        webhook_path=_get(raw, "webhook_path", str, "telegram", p).strip("/"),
    )


def _clock_time(raw: dict[str, Any], key: str, default: str, prefix: str) -> time:
    value = _get(raw, key, str, default, prefix)
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError as exc:
        raise ConfigError(f"config.toml: '{prefix}{key}' phải có dạng HH:MM, nhận được {value!r}") from exc


def _float_in(raw: dict[str, Any], key: str, default: float, lo: float, hi: float, prefix: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ConfigError(f"config.toml: '{prefix}{key}' phải là số trong {lo}..{hi}, nhận được {value!r}")
    return float(value)


def _scheduler(raw: dict[str, Any]) -> SchedulerSettings:
    p = "scheduler."
    holidays = set()
    for item in _get(raw, "holidays", list, [], p):
        try:
            holidays.add(date.fromisoformat(str(item)))
        except ValueError as exc:
            raise ConfigError(f"config.toml: '{p}holidays' có ngày không hợp lệ {item!r} (dạng YYYY-MM-DD)") from exc
    days = _get(raw, "eval_reminder_days", list, [1, 3, 5], p)
    if not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 28 for d in days):
        raise ConfigError(f"config.toml: '{p}eval_reminder_days' phải là các ngày 1..28")
    return SchedulerSettings(
        global_rate_per_s=_float_in(raw, "global_rate_per_s", 28.0, 0.1, 10000.0, p),
        per_chat_interval_s=_float_in(raw, "per_chat_interval_s", 1.0, 0.0, 60.0, p),
        concurrent_sends=_int_in(raw, "concurrent_sends", 8, 1, 64, p),
        quiet_start=_clock_time(raw, "quiet_start", "21:00", p),
        quiet_end=_clock_time(raw, "quiet_end", "07:00", p),
        holidays=frozenset(holidays),
        urgent_kinds=frozenset(_get(raw, "urgent_kinds", list, [], p)),
        eval_open_time=_clock_time(raw, "eval_open_time", "08:00", p),
        eval_reminder_days=tuple(days),
        eval_reminder_time=_clock_time(raw, "eval_reminder_time", "08:00", p),
        digest_weekday=_int_in(raw, "digest_weekday", 0, 0, 6, p),
        digest_time=_clock_time(raw, "digest_time", "07:30", p),
        course_deadline_notice_days=_int_in(raw, "course_deadline_notice_days", 3, 0, 60, p),
        course_start_notice_days=_int_in(raw, "course_start_notice_days", 1, 0, 60, p),
        course_notice_time=_clock_time(raw, "course_notice_time", "08:30", p),
        quarterly_gap_time=_clock_time(raw, "quarterly_gap_time", "08:00", p),
        claim_lease_s=_float_in(raw, "claim_lease_s", 30.0, 1.0, 600.0, p),
    )


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"config.toml: '{key}' phải là một bảng [{key}]")
    return value


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if environ is None else environ
    path = path or Path(env.get("CADREBOT_CONFIG", DEFAULT_CONFIG))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"Không tìm thấy tệp cấu hình {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: lỗi cú pháp TOML: {exc}") from exc
    base = path.resolve().parent
    tz_name = _get(raw, "timezone", str, "Asia/Ho_Chi_Minh", "")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"config.toml: 'timezone' không hợp lệ: {tz_name!r}") from exc
    db = _table(raw, "database")
    url = env.get("CADREBOT_DATABASE_URL") or _get(db, "url", str, None, "database.")
    ev = _table(raw, "evaluation")
    demo = _table(raw, "demo")
    return Settings(
        timezone=tz,
        database_url=_resolve_sqlite_path(url, base),
        telegram=_telegram(_table(raw, "telegram")),
        invite_ttl_days=_int_in(_table(raw, "invites"), "ttl_days", 14, 1, 365, "invites."),
        max_text_length=_int_in(_table(raw, "limits"), "max_text_length", 4000, 100, 4096, "limits."),
        evaluation=EvaluationSettings(
            window_open_day=_int_in(ev, "window_open_day", 25, 1, 28, "evaluation."),
            window_close_day=_int_in(ev, "window_close_day", 5, 1, 28, "evaluation."),
        ),
        demo=DemoSettings(
            database_url=_resolve_sqlite_path(
                _get(demo, "database_url", str, "sqlite:///var/demo.db", "demo."), base
            ),
            output_dir=base / _get(demo, "output_dir", str, "var/chat-files", "demo."),
            default_cadre=_get(demo, "default_cadre", str, "MAU003", "demo."),
            hr_cadres=tuple(_get(demo, "hr_cadres", list, [], "demo.")),
        ),
        config_dir=base,
        scheduler=_scheduler(_table(raw, "scheduler")),
        token=env.get("TELEGRAM_BOT_TOKEN") or None,
        webhook_secret=env.get("CADREBOT_WEBHOOK_SECRET") or None,
        imports=_imports(_table(raw, "imports")),
        **_ops_tables(raw),
    )


def _imports(table: dict[str, Any]) -> ImportSettings:
    p, d = "imports.", ImportSettings()
    return ImportSettings(
        max_rows=_int_in(table, "max_rows", d.max_rows, 100, 1_000_000, p),
        max_columns=_int_in(table, "max_columns", d.max_columns, 10, 1_000, p),
        empty_rows_stop=_int_in(table, "empty_rows_stop", d.empty_rows_stop, 10, 100_000, p),
        max_unzipped_mb=_int_in(table, "max_unzipped_mb", d.max_unzipped_mb, 1, 4_000, p),
        max_zip_members=_int_in(table, "max_zip_members", d.max_zip_members, 10, 10_000, p),
        time_limit_s=_int_in(table, "time_limit_s", d.time_limit_s, 5, 3_600, p),
    )


def _ops_tables(raw: dict[str, Any]) -> dict[str, Any]:
    telegram = _table(raw, "telegram")
    webhook_port = telegram.get("webhook_port") if telegram.get("mode") == "webhook" else None
    return {"ops": ops_settings(raw, webhook_port), "retention": retention_settings(raw)}
