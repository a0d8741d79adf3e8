"""Backups of a SQLite database with SQLite's online backup API: consistent while the bot writes.

PostgreSQL is backed up with pg_dump / pg_restore (README, "Backups"); these functions refuse it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect

from db.session import make_engine


class BackupError(Exception):
    """A backup or restore that must not go ahead; the message says why, in Vietnamese."""


PG_HINT = ("Cơ sở dữ liệu là PostgreSQL: hãy sao lưu bằng pg_dump và khôi phục bằng pg_restore "
           "(xem mục “Sao lưu” trong README).")


def sqlite_file(url: str) -> Path:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or ":memory:" in url:
        raise BackupError(PG_HINT if url.startswith("postgresql") else f"Không sao lưu được cơ sở dữ liệu {url!r}.")
    return Path(url[len(prefix):])


def _copy(source: Path, target: Path) -> None:
    """Page-by-page copy through the backup API; readers and writers of `source` may go on meanwhile."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=1024)
    finally:
        dst.close()
        src.close()


def row_counts(url: str) -> dict[str, int]:
    """Rows per table: what a restore drill compares."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            return {t: int(conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{t}"').scalar_one()) for t in tables}
    finally:
        engine.dispose()


def backup(url: str, out: Path, force: bool = False) -> dict[str, int]:
    source = sqlite_file(url)
    if not source.exists():
        raise BackupError(f"Không có cơ sở dữ liệu {source} để sao lưu.")
    if out.exists() and not force:
        raise BackupError(f"Tệp {out} đã có. Chọn tên khác, hoặc thêm --force để ghi đè.")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    _copy(source, partial)
    partial.replace(out)  # a half-written backup never carries the final name
    return row_counts(f"sqlite:///{out}")


def _has_data(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    counts = row_counts(f"sqlite:///{path}")
    return any(n for table, n in counts.items() if table != "alembic_version")


def restore(backup_file: Path, url: str, force: bool = False) -> dict[str, int]:
    target = sqlite_file(url)
    if not backup_file.exists():
        raise BackupError(f"Không có tệp sao lưu {backup_file}.")
    try:
        counts = row_counts(f"sqlite:///{backup_file}")
    except Exception as exc:
        raise BackupError(f"{backup_file} không phải là bản sao lưu SQLite của cadrebot.") from exc
    if "alembic_version" not in counts:
        raise BackupError(f"{backup_file} không phải là bản sao lưu SQLite của cadrebot.")
    if _has_data(target) and not force:
        raise BackupError(f"Cơ sở dữ liệu {target} đang có dữ liệu. Khôi phục sẽ GHI ĐÈ toàn bộ; dừng bot, "
                          "sao lưu nó trước, rồi chạy lại với --force.")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(backup_file, target)
    return row_counts(url)
