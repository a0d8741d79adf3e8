"""The demo database behind the offline chat: the sample roster (and courses once they exist)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from db import Database
from db.migrate import ensure_schema
from db.models import Cadre
from domain.accounts import grant_hr
from domain.cadres import cadre_by_code
from domain.courses import import_courses
from domain.roster import import_roster

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"


def open_demo_database(settings: Settings, url: str | None = None, fresh: bool = False) -> Database:
    """The chat's database (the configured demo one unless `url`), created and seeded on first use."""
    url = url or settings.demo.database_url
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    database = Database.from_url(url)
    ensure_schema(database.engine, auto_upgrade=True)
    database.run(seed_demo, settings)
    database.run(release_legacy_terminal_user)
    return database


LEGACY_TERMINAL_USER = 424242  # before each --as had its own id, every role was this one Telegram user


def release_legacy_terminal_user(session: Session) -> None:
    """A demo database from before per-cadre ids: free the profile the one shared terminal user held."""
    for cadre in session.scalars(select(Cadre).where(Cadre.telegram_user_id == LEGACY_TERMINAL_USER)):
        cadre.telegram_user_id = cadre.telegram_chat_id = cadre.linked_at = None


def seed_demo(session: Session, settings: Settings) -> bool:
    """Fill an empty database with the sample data; returns False if it already had cadres."""
    if session.scalar(select(func.count(Cadre.id))):
        return False
    import_roster(session, DEMO_DATA / "roster.csv")
    import_courses(session, DEMO_DATA / "courses.csv")
    for code in settings.demo.hr_cadres:
        grant_hr(session, code, actor="demo-seed")
    return True


def demo_identity(session: Session, code: str) -> tuple[str, str, str | None] | None:
    cadre = cadre_by_code(session, code)
    return (cadre.code, cadre.full_name, cadre.phone) if cadre else None


def linked_code(session: Session, telegram_user_id: int) -> str | None:
    """The cadre code this Telegram account is linked to, if any."""
    return session.scalar(select(Cadre.code).where(Cadre.telegram_user_id == telegram_user_id))


def recipient_of(session: Session, chat_id: int) -> str | None:
    """'Lê Minh Tuấn (MAU003)' for the cadre whose private chat this is."""
    row = session.execute(select(Cadre.full_name, Cadre.code).where(Cadre.telegram_chat_id == chat_id)).first()
    return f"{row[0]} ({row[1]})" if row else None


def has_cadres(session: Session) -> bool:
    return session.scalar(select(Cadre.id).limit(1)) is not None
