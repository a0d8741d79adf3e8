"""Errors that stop a command before it can work, each said in one Vietnamese line with its fix.

No network, a token Telegram rejects and an unreachable database are the operator's to fix,
not bugs: they get a sentence naming the cause and what to do, and a non-zero exit; the
traceback goes to the debug log only.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError
from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from core.config import Settings

EXIT_UNAVAILABLE = 3  # the network or the database: retrying later may work
EXIT_CONFIG = 2  # a value the operator must change
TOKEN_REJECTED = (
    "Telegram từ chối TELEGRAM_BOT_TOKEN (token sai hoặc đã bị thu hồi): lấy token từ @BotFather "
    "rồi đặt lại biến môi trường TELEGRAM_BOT_TOKEN."
)
NO_NETWORK = (
    "Không kết nối được tới Telegram ({host}): kiểm tra mạng, DNS, tường lửa hoặc proxy (HTTPS_PROXY) "
    "rồi chạy lại; bỏ TELEGRAM_BOT_TOKEN để dùng trò chuyện ngoại tuyến."
)
NO_DATABASE = (
    "Không kết nối được cơ sở dữ liệu {db}: kiểm tra máy chủ cơ sở dữ liệu đang chạy, địa chỉ, tên và "
    "mật khẩu trong CADREBOT_DATABASE_URL hoặc [database] url của config.toml (hoặc --db URL)."
)
BAD_DATABASE_URL = (
    "URL cơ sở dữ liệu {db} không hợp lệ hoặc thiếu trình điều khiển: dùng dạng sqlite:///đường/dẫn.db "
    "hoặc postgresql+psycopg://người_dùng@máy/tên_csdl."
)


async def check_telegram(settings: Settings) -> None:
    """Ask Telegram who the bot is, once: raises InvalidToken or NetworkError before the bot starts."""
    async with Bot(settings.token or "", base_url=settings.telegram.base_url):
        return


def _host(base_url: str) -> str:
    return base_url.split("//", 1)[-1].split("/", 1)[0]


def _db_label(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(URL không đọc được)"


def explain(exc: BaseException, settings: Settings) -> tuple[str, int] | None:
    """The line and exit code for a start-up error, or None if it is not one (a bug keeps its traceback)."""
    if isinstance(exc, InvalidToken):
        return TOKEN_REJECTED, EXIT_CONFIG
    if isinstance(exc, NetworkError):  # TimedOut included
        return NO_NETWORK.format(host=_host(settings.telegram.base_url)), EXIT_UNAVAILABLE
    if isinstance(exc, OperationalError | InterfaceError) and exc.statement is None:  # raised while connecting
        return NO_DATABASE.format(db=_db_label(settings.database_url)), EXIT_UNAVAILABLE
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return BAD_DATABASE_URL.format(db=_db_label(settings.database_url)), EXIT_CONFIG
    return None
