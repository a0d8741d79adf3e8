"""A digest run reads the province once (DigestCache); each manager's text is what the per-manager reads give."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.demo import DEMO_DATA
from db import Database
from db.models import Cadre, ChatUser, Course, DigestSnapshot, Registration
from domain.accounts import Actor
from domain.clock import utcnow
from domain.courses import import_courses
from scheduler.digest import DigestCache, build_digest

TODAY = date(2026, 11, 30)


def _province_with_news(session: Session) -> None:
    """Some people blocked the bot, some registered or wait for a class, some managers had a digest before."""
    import_courses(session, DEMO_DATA / "courses.csv")
    cadres = list(session.scalars(select(Cadre).order_by(Cadre.code)))
    course = session.scalars(select(Course).order_by(Course.id)).first()
    assert course is not None
    now = utcnow()
    for n, cadre in enumerate(cadres):
        if n % 3 == 0:
            cadre.telegram_user_id = cadre.telegram_chat_id = 900_000 + n
            session.add(ChatUser(telegram_user_id=900_000 + n, chat_id=900_000 + n, first_seen=now, last_seen=now,
                                 blocked=n % 2 == 0))
        if n % 4 == 1:
            session.add(Registration(course_id=course.id, cadre_id=cadre.id, registered_by="test", created_at=now,
                                     updated_at=now, status="registered" if n % 8 == 1 else "waitlisted"))
        if cadre.is_leader and n % 2:
            session.add(DigestSnapshot(manager_id=cadre.id, at=now, payload=json.dumps({"I1": 10.0})))
    session.flush()


def test_a_shared_cache_gives_every_manager_the_same_digest(roster: Database) -> None:
    def compare(session: Session) -> int:
        _province_with_news(session)
        cache = DigestCache()
        compared = 0
        for manager in session.scalars(select(Cadre).order_by(Cadre.code)):
            unit = manager.unit
            actor = Actor(manager.id, manager.code, manager.full_name, unit.id, unit.code, unit.name, unit.path,
                          True, manager.is_hr)
            alone = build_digest(session, manager, actor, (2026, 11), TODAY, remember=False)
            shared = build_digest(session, manager, actor, (2026, 11), TODAY, cache, remember=False)
            assert shared == alone, manager.code
            compared += 1
        assert cache.blocked and cache.registered and cache.registered[0]  # the province-wide reads were used
        return compared

    assert roster.run(compare) > 10
