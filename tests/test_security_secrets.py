"""Issue 10 item 5: the bot token never reaches logs or stderr, not even inside exception text."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from telegram.error import NetworkError

from bot.logs import setup_logging

TOKEN = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    import sys
    import threading

    root = logging.getLogger()
    handlers, level, hooks = root.handlers[:], root.level, (sys.excepthook, threading.excepthook)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks


def test_exception_text_and_traceback_are_redacted(capfd: pytest.CaptureFixture[str]) -> None:
    setup_logging(TOKEN)
    log = logging.getLogger("cadrebot.test")
    try:
        raise NetworkError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
    except NetworkError:
        log.exception("start failed")
    log.error("with args %s", TOKEN)
    log.error("url https://api.telegram.org/bot%s/getMe", "123456789:" + "x" * 35)
    err = capfd.readouterr().err
    assert "start failed" in err and "NetworkError" in err and "<token>" in err
    assert TOKEN not in err and "AAHdqTcv" not in err and "x" * 35 not in err


def test_an_uncaught_exception_is_redacted_too(capfd: pytest.CaptureFixture[str]) -> None:
    import sys

    setup_logging(TOKEN)
    try:
        raise RuntimeError(f"boom {TOKEN}")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    err = capfd.readouterr().err
    assert "RuntimeError" in err and TOKEN not in err


def test_a_rejected_token_ends_with_one_vietnamese_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capfd: pytest.CaptureFixture[str]) -> None:
    """Telegram answers 401: python-telegram-bot re-raises it as InvalidToken with the token in its text."""
    from telegram import Bot
    from telegram.error import InvalidToken

    from bot import cli

    async def rejected(self: Bot, *args: object, **kwargs: object) -> None:
        raise InvalidToken("Unauthorized")

    monkeypatch.setattr(Bot, "get_me", rejected)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("CADREBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    code = cli.main(["run"])
    err = capfd.readouterr().err
    assert code != 0
    assert TOKEN not in err and "AAHdqTcv" not in err
    assert "Traceback" not in err and "InvalidToken" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Telegram từ chối" in lines[-1] and sum("Telegram từ chối" in line for line in lines) == 1
