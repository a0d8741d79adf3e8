"""The [ops] and [retention] tables of config.toml, typed and validated like the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from core.errors import ConfigError


@dataclass(frozen=True)
class OpsSettings:
    health_listen: str = "127.0.0.1"
    health_port: int = 9108  # 0: no health/metrics server
    standby_retry_s: float = 5.0  # how often a standby tries to become active
    alert_chat_ids: tuple[int, ...] = ()
    alert_window_s: float = 60.0  # one report at once, then at most one summary per window
    log_format: str = "text"  # "text" | "json" (JSON lines)


@dataclass(frozen=True)
class RetentionSettings:
    outbox_days: int = 90  # delivered (or dropped) outbox messages
    chat_users_days: int = 180  # people who wrote to the bot but never linked a record
    audit_days: int = 1825  # the audit log is kept longest
    run_at: time = field(default_factory=lambda: time(3, 30))


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"config.toml: '{key}' phải là một bảng [{key}]")
    return value


def _int(table: dict[str, Any], key: str, default: int, lo: int, hi: int, prefix: str) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"config.toml: '{prefix}{key}' phải là số nguyên trong {lo}..{hi}, nhận được {value!r}")
    return value


def _float(table: dict[str, Any], key: str, default: float, lo: float, hi: float, prefix: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ConfigError(f"config.toml: '{prefix}{key}' phải là số trong {lo}..{hi}, nhận được {value!r}")
    return float(value)


def _str(table: dict[str, Any], key: str, default: str, prefix: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"config.toml: '{prefix}{key}' phải là chuỗi, nhận được {value!r}")
    return value


def ops_settings(raw: dict[str, Any], webhook_port: int | None = None) -> OpsSettings:
    p, table = "ops.", _table(raw, "ops")
    ids = table.get("alert_chat_ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ConfigError("config.toml: 'ops.alert_chat_ids' phải là danh sách số nguyên (chat id Telegram)")
    log_format = _str(table, "log_format", "text", p)
    if log_format not in ("text", "json"):
        raise ConfigError(f"config.toml: 'ops.log_format' phải là 'text' hoặc 'json', nhận được {log_format!r}")
    port = _int(table, "health_port", 9108, 0, 65535, p)
    if port and port == webhook_port:
        raise ConfigError("config.toml: 'ops.health_port' phải khác 'telegram.webhook_port'")
    return OpsSettings(
        health_listen=_str(table, "health_listen", "127.0.0.1", p), health_port=port,
        standby_retry_s=_float(table, "standby_retry_s", 5.0, 0.2, 25.0, p), alert_chat_ids=tuple(ids),
        alert_window_s=_float(table, "alert_window_s", 60.0, 1.0, 86400.0, p), log_format=log_format)


def retention_settings(raw: dict[str, Any]) -> RetentionSettings:
    p, table = "retention.", _table(raw, "retention")
    outbox = _int(table, "outbox_days", 90, 7, 3650, p)
    chat_users = _int(table, "chat_users_days", 180, 7, 3650, p)
    audit = _int(table, "audit_days", 1825, 30, 36500, p)
    if audit <= max(outbox, chat_users):
        raise ConfigError("config.toml: 'retention.audit_days' phải lớn hơn mọi thời hạn lưu khác "
                          "(nhật ký kiểm tra được giữ lâu nhất)")
    at = _str(table, "run_at", "03:30", p)
    try:
        run_at = datetime.strptime(at, "%H:%M").time()
    except ValueError as exc:
        raise ConfigError(f"config.toml: '{p}run_at' phải có dạng HH:MM, nhận được {at!r}") from exc
    return RetentionSettings(outbox, chat_users, audit, run_at)
