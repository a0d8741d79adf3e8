from pathlib import Path

import pytest

from core.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_project_config_loads_and_hides_token() -> None:
    settings = load_settings(ROOT / "config.toml", {"TELEGRAM_BOT_TOKEN": "123456:SECRETSECRETSECRETSECRET"})
    assert settings.token == "123456:SECRETSECRETSECRETSECRET"
    assert "SECRET" not in repr(settings)
    assert settings.database_url.startswith("sqlite:///")
    assert str(ROOT) in settings.database_url


def test_env_overrides_database_url() -> None:
    settings = load_settings(ROOT / "config.toml", {"CADREBOT_DATABASE_URL": "postgresql+psycopg://x@h/db"})
    assert settings.database_url == "postgresql+psycopg://x@h/db"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('[telegram]\nmode = "carrier-pigeon"\n', "telegram.mode"),
        ("[invites]\nttl_days = 0\n", "invites.ttl_days"),
        ('[invites]\nttl_days = "two weeks"\n', "invites.ttl_days"),
        ("[evaluation]\nwindow_open_day = 31\n", "evaluation.window_open_day"),
        ('timezone = "Mars/Olympus"\n', "timezone"),
        ("[telegram]\nhr_telegram_ids = [\"abc\"]\n", "telegram.hr_telegram_ids"),
        ('[telegram]\nmode = "webhook"\n', "telegram.webhook_url"),
    ],
)
def test_bad_value_fails_naming_the_key(tmp_path: Path, body: str, key: str) -> None:
    path = write(tmp_path, body + '\n[database]\nurl = "sqlite:///x.db"\n')
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(path, {})


def test_missing_database_url_names_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"database\.url"):
        load_settings(write(tmp_path, "[database]\n"), {})


def test_broken_toml_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TOML"):
        load_settings(write(tmp_path, "[database\n"), {})
