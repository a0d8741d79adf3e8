"""Helpers for tests that start real `cadrebot` processes: a committed database (a SQLite file or a
PostgreSQL schema of its own), a config file pointing at the local Bot API stand-in, and a filled outbox."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from benchmarks.synthetic import insert_linked_with_messages
from db import Database
from db.migrate import upgrade
from tests.conftest import ROOT
from tests.test_e2e_run import StandIn, _decode

TOKEN = "123456789:AAE2eTestTokenAbcdefghijklmnopq"


def postgres_url() -> str | None:
    return os.environ.get("CADREBOT_TEST_POSTGRES_URL") or None


def backends() -> list[Any]:
    """SQLite always; PostgreSQL too when CADREBOT_TEST_POSTGRES_URL names a server."""
    params: list[Any] = ["sqlite"]
    if postgres_url():
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return params


@contextmanager
def committed_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database whose transactions really commit; yields its URL (for child processes too)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'procs.db'}"
        database = Database.from_url(url)
        upgrade(database.engine)
        database.dispose()
        yield url
        return
    base = postgres_url()
    assert base is not None
    schema = f"procs_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    database = Database.from_url(url)
    upgrade(database.engine)
    database.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def fill_outbox(url: str, n: int, kind: str = "digest") -> None:
    """n linked cadres and one pending message each, texts 'tin #i'."""
    database = Database.from_url(url)
    database.run(insert_linked_with_messages, n, kind, "test:{i}", "tin #{i}", 20_000_000, "C{i:05d}")
    database.dispose()


def write_config(tmp_path: Path, api_port: int, name: str = "config.toml", **replacements: str) -> Path:
    """config.toml aimed at the stand-in, without quiet hours or holidays; extra `old=new` text replacements."""
    config = (ROOT / "config.toml").read_text(encoding="utf-8")
    config = config.replace('base_url = "https://api.telegram.org/bot"',
                            f'base_url = "http://127.0.0.1:{api_port}/bot"')
    config = config.replace('quiet_start = "21:00"', 'quiet_start = "07:00"')
    config = config.replace("holidays = [", "holidays_unused = [")
    for old, new in replacements.items():
        assert old in config, old
        config = config.replace(old, new)
    path = tmp_path / name
    path.write_text(config, encoding="utf-8")
    return path


def cadrebot() -> list[str]:
    script = Path(sys.executable).parent / "cadrebot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def env_for(config: Path, url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CADREBOT_DATABASE_URL", "TELEGRAM_BOT_TOKEN")}
    return env | {"CADREBOT_CONFIG": str(config), "CADREBOT_DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN} | extra


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([*cadrebot(), *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class ApiStandIn(StandIn):
    """The end-to-end stand-in (getMe, long-polling getUpdates, recorded sends) plus injected refusals,
    like Telegram's: `fail("sendMessage", 429)` answers the next sendMessage with a 429."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[tuple[str, int]] = []

    def fail(self, method: str, status: int) -> None:
        with self.lock:
            self.failures.append((method, status))

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        method = path.rsplit("/", 1)[-1]
        with self.lock:
            for i, (name, status) in enumerate(self.failures):
                if name == method:
                    del self.failures[i]
                    extra = {"parameters": {"retry_after": 1}} if status == 429 else {}
                    return status, {"ok": False, "error_code": status, "description": f"refused {status}", **extra}
        return 200, {"ok": True, "result": self.handle(path, body)}


@contextmanager
def serve_api() -> Iterator[tuple[ApiStandIn, int]]:
    api = ApiStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = _decode(raw, self.headers.get("Content-Type", ""))
            status, answer = api.answer(self.path, body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            with suppress(ConnectionError):  # a long poll whose process was stopped or killed
                self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield api, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def http_get(port: int, path: str) -> tuple[int, str]:
    """(status, body) of GET http://127.0.0.1:port/path; (0, '') while nothing listens."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def readyz(port: int) -> dict[str, Any]:
    status, body = http_get(port, "/readyz")
    return (json.loads(body) | {"status": status}) if body else {"status": status}


def stop(proc: subprocess.Popen[str] | None, sig: int = signal.SIGTERM) -> tuple[str, str]:
    if proc is None or proc.poll() is not None:
        return proc.communicate() if proc is not None else ("", "")
    proc.send_signal(sig)
    try:
        return proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()
