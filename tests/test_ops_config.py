"""[ops] and [retention] are validated at start like the rest of config.toml, naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, load_settings

BASE = '[database]\nurl = "sqlite:///x.db"\n'


def _load(tmp_path: Path, body: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(BASE + body, encoding="utf-8")
    return load_settings(path, {})


def test_defaults_are_localhost_and_audit_longest(tmp_path: Path) -> None:
    settings = _load(tmp_path, "")
    assert settings.ops.health_listen == "127.0.0.1" and settings.ops.health_port == 9108
    assert settings.ops.alert_chat_ids == () and settings.ops.log_format == "text"
    keep = settings.retention
    assert keep.audit_days > max(keep.outbox_days, keep.chat_users_days)


@pytest.mark.parametrize(("body", "key"), [
    ('[telegram]\nmode = "webhook"\nwebhook_url = "https://x.invalid/t"\nwebhook_port = 9108\n', "ops.health_port"),
    ("[ops]\nhealth_port = 70000\n", "ops.health_port"),
    ('[ops]\nlog_format = "xml"\n', "ops.log_format"),
    ('[ops]\nalert_chat_ids = ["ops"]\n', "ops.alert_chat_ids"),
    ("[ops]\nstandby_retry_s = 60\n", "ops.standby_retry_s"),
    ("[retention]\naudit_days = 100\noutbox_days = 120\n", "retention.audit_days"),
    ('[retention]\nrun_at = "25:00"\n', "retention.run_at"),
    ("[scheduler]\nclaim_lease_s = 0\n", "scheduler.claim_lease_s"),
])
def test_bad_values_are_named(tmp_path: Path, body: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        _load(tmp_path, body)
