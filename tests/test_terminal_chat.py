"""The offline terminal chat runs the same Application, piped, as HR and developers use it."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

from bot.demo import demo_identity
from bot.terminal import TerminalChat, demo_user_id
from core.config import Settings
from db import Database
from domain.accounts import grant_hr
from domain.courses import import_courses
from tests.conftest import ROOT, TODAY
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

    call = ApiCall("sendDocument", {"chat_id": chat.user_id, "caption": "Báo cáo"}, saved=[Path("/tmp/x.xlsx")])
    chat.on_call(call)
    assert "📎 Tệp đã lưu: /tmp/x.xlsx" in out.getvalue()


async def play(settings: Settings, database: Database, code: str, lines: list[str]) -> str:
    """One `chat --as CODE` session, in process, on a shared database."""
    identity = database.read(demo_identity, code)
    assert identity is not None
    out = io.StringIO()
    chat = TerminalChat(settings, database, *identity, io.StringIO("\n".join(lines) + "\n"), out, clock=lambda: TODAY)
    await chat.run()
    return out.getvalue()


def test_every_cadre_is_its_own_telegram_user() -> None:
    assert demo_user_id("MAU003") == demo_user_id("mau003 ")
    assert len({demo_user_id(f"MAU{n:03d}") for n in range(1, 100)}) == 99


async def test_cadre_submits_manager_reviews_cadre_sees_rating(settings: Settings, roster: Database) -> None:
    cadre = await play(settings, roster, "MAU004", [
        "1", "/eval", "Hoàn thành báo cáo quý", "Xong", "Bỏ qua", "2", "Gửi"])
    assert "chưa liên kết: gõ 1" in cadre  # --as with no link offers to link at once
    assert "Đã liên kết tài khoản với hồ sơ MAU004" in cadre
    assert "Đã gửi tự đánh giá" in cadre
    manager = await play(settings, roster, "MAU003", [
        "1", "/review", "1", "Hoàn thành tốt nhiệm vụ", "Không nhận xét", "Xác nhận"])
    assert "Đã liên kết tài khoản với hồ sơ MAU003" in manager
    assert "Đã xếp loại Phạm Thu Hương" in manager
    assert "→ Phạm Thu Hương (MAU004): " in manager  # the notice to the cadre, with its recipient
    again = await play(settings, roster, "MAU004", ["/eval"])
    assert "chưa liên kết" not in again  # the link persists for this user
    assert "Cấp trên xếp loại: Hoàn thành tốt nhiệm vụ" in again


async def test_who_names_the_person_and_the_database(settings: Settings, roster: Database) -> None:
    out = await play(settings, roster, "MAU016", ["/who"])
    assert out.count("Bạn đóng vai cán bộ MAU016 – Vũ Văn Nam") == 2
    assert "Cơ sở dữ liệu: " in out


async def test_a_number_is_text_when_the_last_message_has_no_buttons(settings: Settings, roster: Database) -> None:
    roster.run(grant_hr, "MAU004")
    roster.run(import_courses, ROOT / "bot" / "demo_data" / "courses.csv")
    out = await play(settings, roster, "MAU004", ["1", "/courses", "1", "Sửa số chỗ", "1", "1",  # then confirmed
                                              "/courses", "1", "Sửa số chỗ", "40", "1"])
    assert "Đổi số chỗ lớp CDS-01 từ 500 thành 1?" in out
    assert "Đã đổi số chỗ lớp CDS-01 thành 1." in out
    assert "Đã đổi số chỗ lớp CDS-01 thành 40." in out
    assert "Không có nút" not in out


async def test_old_buttons_never_capture_a_line_a_prompt_waits_for(settings: Settings, roster: Database) -> None:
    out = await play(settings, roster, "MAU016", ["1", "/eval", "Khóa học", "Hồ sơ của tôi"])
    assert "Đã ghi 2 kết quả" in out  # both typed lines are results, not the menu's old buttons
    assert "Lớp đang mở đăng ký" not in out and "Mã cán bộ: MAU016" not in out
    menu = await play(settings, roster, "MAU016", ["/cancel", "/menu", "Xóa", "Hồ sơ của tôi"])
    assert "Mã cán bộ: MAU016" in menu  # with no prompt waiting, an older message's label presses it


async def test_a_profile_held_by_the_old_shared_terminal_user_is_released(settings: Settings,
                                                                          roster: Database) -> None:
    from bot.demo import LEGACY_TERMINAL_USER, release_legacy_terminal_user
    from domain.accounts import link_by_contact

    roster.run(link_by_contact, LEGACY_TERMINAL_USER, LEGACY_TERMINAL_USER, LEGACY_TERMINAL_USER, "0912345003")
    roster.run(release_legacy_terminal_user)
    out = await play(settings, roster, "MAU003", ["1"])
    assert "Đã liên kết tài khoản với hồ sơ MAU003" in out


def test_log_lines_go_to_a_file_not_into_the_chat(tmp_path: Path) -> None:
    """A refusal logs a WARNING; in the chat it must not print between the conversation's lines."""
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "CADREBOT_DATABASE_URL")}
    env["CADREBOT_CONFIG"] = str(config)
    proc = subprocess.run(
        [*_cadrebot(), "chat", "--db", f"sqlite:///{tmp_path / 'demo.db'}", "--as", "MAU016"],
        input="/contact\n/report\n/who\n", capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Báo cáo chỉ dành cho cán bộ quản lý" in proc.stdout
    assert "WARNING" not in proc.stdout + proc.stderr and "refused" not in proc.stdout + proc.stderr
    log = tmp_path / "var" / "chat.log"
    assert f"ghi vào tệp {log}" in proc.stdout  # the banner and /who say where the log is
    assert "WARNING handlers.common: refused /report" in log.read_text(encoding="utf-8")


def test_a_restart_keeps_the_last_buttons_and_the_files_sent(tmp_path: Path) -> None:
    """The README promises a restart changes nothing: after one, the last message's buttons still answer to their
    numbers, and a roster previewed before it can still be confirmed (the file is kept, walkthrough 5 and 6)."""
    roster = ROOT / "bot" / "demo_data" / "roster.csv"
    first = run_chat(tmp_path, ["/contact", f"/file {roster}"], "--as", "MAU004")
    assert "Xem trước danh sách cán bộ" in first
    again = run_chat(tmp_path, ["1"], "--as", "MAU004")
    assert "Nút của tin nhắn trước" in again and "Đã nhập danh sách cán bộ" in again
    menu = run_chat(tmp_path, ["/menu"], "--as", "MAU004")
    assert "[1]" in menu
    assert "Hồ sơ của tôi" in run_chat(tmp_path, ["1"], "--as", "MAU004")
