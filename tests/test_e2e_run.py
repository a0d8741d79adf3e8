"""`cadrebot run` as a real process against a local stand-in for the Bot API, over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from bot.fakeapi import BOT_ID, UpdateFactory
from tests.conftest import ROOT, SAMPLE_ROSTER

TOKEN = "123456789:AAE2eTestTokenAbcdefghijklmnopq"


class StandIn:
    """Just enough of the Bot API: getMe, long-polling getUpdates, and recording of every send."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.paths: list[str] = []

    def handle(self, path: str, body: dict[str, Any]) -> Any:
        self.paths.append(path)
        method = path.rsplit("/", 1)[-1]
        with self.lock:
            self.calls.append((method, body))
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "cadrebot", "username": "TuyenQuangCadreBot"}
        if method == "getUpdates":
            return self._poll(int(body.get("offset", 0) or 0))
        if method in ("sendMessage",):
            return {"message_id": len(self.calls), "date": int(time.time()),
                    "chat": {"id": body.get("chat_id"), "type": "private"}, "text": body.get("text", "")}
        return True

    def _poll(self, offset: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            with self.lock:
                ready = [u for u in self.updates if u["update_id"] >= offset]
            if ready:
                return ready
            time.sleep(0.05)
        return []

    def texts(self) -> list[str]:
        with self.lock:
            return [str(b.get("text", "")) for m, b in self.calls if m == "sendMessage"]

    def wait_for(self, fragment: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(fragment in t for t in self.texts()):
                return
            time.sleep(0.05)
        raise AssertionError(f"no message containing {fragment!r}; got {self.texts()}")


def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        return json.loads(raw or b"{}")
    fields = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    out: dict[str, Any] = {}
    for key, value in fields.items():
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def serve_json(respond: Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]) -> ThreadingHTTPServer:
    """A local HTTP server answering every POST with respond(path, body) -> (status, JSON body)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, body = respond(self.path, _decode(raw, self.headers.get("Content-Type", "")))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def stand_in() -> Iterator[tuple[StandIn, int]]:
    api = StandIn()
    server = serve_json(lambda path, body: (200, {"ok": True, "result": api.handle(path, body)}))
    yield api, server.server_address[1]
    server.shutdown()


def _cadrebot() -> list[str]:
    script = Path(sys.executable).parent / "cadrebot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def test_run_start_link_menu_over_http(stand_in: tuple[StandIn, int], tmp_path: Path) -> None:
    api, port = stand_in
    config = (ROOT / "config.toml").read_text(encoding="utf-8")
    config = config.replace('base_url = "https://api.telegram.org/bot"', f'base_url = "http://127.0.0.1:{port}/bot"')
    config = config.replace('url = "sqlite:///var/cadrebot.db"', f'url = "sqlite:///{tmp_path / "e2e.db"}"')
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CADREBOT_DATABASE_URL"}
    env |= {"CADREBOT_CONFIG": str(tmp_path / "config.toml")}
    subprocess.run([*_cadrebot(), "import-roster", str(SAMPLE_ROSTER)], env=env, check=True,
                   capture_output=True, timeout=60)
    proc = subprocess.Popen([*_cadrebot(), "run"], env=env | {"TELEGRAM_BOT_TOKEN": TOKEN},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        user = UpdateFactory(user_id=424200, first_name="Tuấn")
        api.updates.append(user.text("/start"))
        api.wait_for("liên kết tài khoản")
        api.updates.append(user.own_contact("84912345003"))
        api.wait_for("Đã liên kết")
        api.wait_for("Menu chính")
        assert any(m == "setMyCommands" for m, _ in api.calls)
        assert all(TOKEN in p for p in api.paths)  # the token went where it belongs: the URL
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "cadrebot stopped" in err
    assert TOKEN not in out + err and TOKEN.split(":")[1] not in out + err


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_webhook_mode_accepts_only_telegram(stand_in: tuple[StandIn, int], tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    api, port = stand_in
    hook = _free_port()
    config = (ROOT / "config.toml").read_text(encoding="utf-8")
    config = config.replace('base_url = "https://api.telegram.org/bot"', f'base_url = "http://127.0.0.1:{port}/bot"')
    config = config.replace('url = "sqlite:///var/cadrebot.db"', f'url = "sqlite:///{tmp_path / "hook.db"}"')
    config = config.replace('mode = "polling"', 'mode = "webhook"')
    config = config.replace('webhook_url = ""', 'webhook_url = "https://bot.example.invalid/telegram"')
    config = config.replace('webhook_listen = "0.0.0.0"', 'webhook_listen = "127.0.0.1"')
    config = config.replace("webhook_port = 8443", f"webhook_port = {hook}")
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CADREBOT_DATABASE_URL"}
    env |= {"CADREBOT_CONFIG": str(tmp_path / "config.toml"), "TELEGRAM_BOT_TOKEN": TOKEN,
            "CADREBOT_WEBHOOK_SECRET": "s3cret-hook"}
    proc = subprocess.Popen([*_cadrebot(), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = json.dumps(UpdateFactory(user_id=4243).text("/start")).encode()

        def post(secret: str | None) -> int:
            headers = {"Content-Type": "application/json"}
            if secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            request = urllib.request.Request(f"http://127.0.0.1:{hook}/telegram", data=body, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return int(response.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                status = post(None)
                break
            except OSError:
                time.sleep(0.2)
        assert status == 403  # no secret: refused
        assert post("s3cret-hook") == 200
        api.wait_for("liên kết tài khoản")
        assert any(m == "setWebhook" for m, _ in api.calls)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert TOKEN not in out + err
