"""The offline terminal chat runs the same Application, piped, as HR and developers use it."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

from bot.terminal import TerminalChat
from db import Database
from tests.test_e2e_run import _cadrebot


def run_chat(tmp_path: Path, lines: list[str], *extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "CADREBOT_DATABASE_URL")}
    proc = subprocess.run(
        [*_cadrebot(), "chat", "--db", f"sqlite:///{tmp_path / 'demo.db'}", *extra],
        input="\n".join(lines) + "\n", capture_output=True, text=True, env=env, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_piped_chat_links_and_presses_buttons(tmp_path: Path) -> None:
    out = run_chat(tmp_path, ["/start", "/contact", "1", "Về menu", "99", "/quit"])
    assert "[1] 📱 Chia sẻ số điện thoại của tôi" in out
    assert "Đã liên kết tài khoản với hồ sơ MAU003" in out
    assert "[1] 👤 Hồ sơ của tôi" in out
    assert "Hồ sơ của tôi\n   Mã cán bộ: MAU003" in out  # pressed [1] by number
    assert out.count("Menu chính") == 2  # pressed "Về menu" by label
    assert "Không có nút [99]" in out
    after = out.split("Không có nút [99]", 1)[1].split("👤", 1)[0]
    assert "🤖" not in after  # a mistyped button number is not sent to the bot as a message
    assert "<b>" not in out


def test_chat_as_hr_cadre_sees_admin(tmp_path: Path) -> None:
    out = run_chat(tmp_path, ["/contact", "Quản trị (Ban Tổ chức)", "/invite MAU010"], "--as", "MAU004")
    assert "Quản trị – Ban Tổ chức" in out
    assert "https://t.me/TuyenQuangCadreBot?start=" in out


def test_chat_state_persists_between_runs_and_fresh_resets(tmp_path: Path) -> None:
    run_chat(tmp_path, ["/contact"])
    assert "đã liên kết với hồ sơ MAU003" in run_chat(tmp_path, ["/start"])
    assert "Chia sẻ số điện thoại" in run_chat(tmp_path, ["/start"], "--fresh")


async def test_documents_are_saved_and_paths_printed(settings, roster: Database) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    chat = TerminalChat(settings, roster, "MAU003", "Lê Minh Tuấn", "0912345003", io.StringIO(""), out)
    from bot.fakeapi import ApiCall

    call = ApiCall("sendDocument", {"chat_id": 1, "caption": "Báo cáo"}, saved=[Path("/tmp/x.xlsx")])
    chat.on_call(call)
    assert "📎 Tệp đã lưu: /tmp/x.xlsx" in out.getvalue()
