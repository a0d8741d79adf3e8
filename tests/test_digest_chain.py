"""The digest's evaluation part is the manager's review chain (the "Tình hình cấp dưới" view), never the manager nor a
boss; its figures add up; class registrations are counted by person (walkthrough on the demo roster)."""

from __future__ import annotations

import json
import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.demo import DEMO_DATA
from core.config import Settings
from db import Database
from db.models import Cadre, Outbox
from domain import evaluation as ev
from domain import registration as reg
from domain.accounts import Actor
from domain.courses import import_courses
from domain.review_grid import team_month_status
from domain.units import require_unit
from scheduler.digest import DigestCache, build_digest, unit_leader_digests
from scheduler.jobs import run_job
from tests.test_scheduler import at, link_codes, submit
from views.html import plain

SUBMITTED_ON = date(2026, 11, 26)
TODAY = date(2026, 11, 30)
PERIOD = (2026, 11)


def _commune(db: Database) -> Database:
    """Xã Minh Hương's four commune leaders linked; the deputy secretary, a clerk and a land officer have submitted."""
    link_codes(db, "MAU010", "MAU011", "MAU012", "MAU013")
    for code in ("MAU012", "MAU016", "MAU017"):
        submit(db, code, SUBMITTED_ON)
    return db


def _weekly(db: Database, settings: Settings) -> dict[str, str]:
    """The weekly run of Monday 30/11 (one shared cache for every manager): code -> the text as a phone shows it."""
    run_job(db, "weekly-digest", at(settings, 2026, 11, 30, 7, 30), settings)
    rows = db.run(lambda s: s.execute(select(Outbox.key, Outbox.payload).where(
        Outbox.key.like("digest:weekly:%"), Outbox.key.not_like("%:chart"))).all())
    return {key.rsplit(":", 1)[1]: plain(json.loads(payload)["text"]) for key, payload in rows}


def _evaluation_part(text: str) -> list[str]:
    """From the evaluation heading to the "waiting for your rating" line."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("Tự đánh giá"))
    last = next(i for i, line in enumerate(lines) if line.startswith("Chờ bạn xếp loại"))
    return lines[first:last + 1]


def test_each_leader_reads_the_people_below_them_never_a_boss(roster: Database, settings: Settings) -> None:
    """The deputy secretary's copy listed "Chưa gửi (6): Hoàng Thị Yến, Ma Văn Chiến…", his superiors; the secretary's
    said "đã gửi 3/9" with 5 not sent while /review said 3/8."""
    texts = _weekly(_commune(roster), settings)
    assert _evaluation_part(texts["MAU010"]) == [
        "Tự đánh giá tháng 11/2026 – cấp dưới của bạn: đã gửi 3/8 (muộn 0), đã xếp loại 0.",
        "Chưa gửi (5): Sùng A Long, Đỗ Thị Mai, Hoàng Thị Yến, Lý Văn Phúc, Giàng Thị Vân",  # by unit, then given name
        "",
        "Chờ bạn xếp loại: 1 – gõ /review"]
    assert _evaluation_part(texts["MAU011"]) == [
        "Tự đánh giá tháng 11/2026 – cấp dưới của bạn: đã gửi 2/5 (muộn 0), đã xếp loại 0.",
        "Chưa gửi (3): Sùng A Long, Lý Văn Phúc, Giàng Thị Vân",
        "",
        "Chờ bạn xếp loại: 0"]
    assert _evaluation_part(texts["MAU012"]) == [
        "Tự đánh giá tháng 11/2026 – cấp dưới của bạn: không có ai dưới bạn trong chuỗi đánh giá "
        "(bạn không xếp loại ai, trực tiếp hay qua cấp dưới).",
        "",
        "Chờ bạn xếp loại: 0"]
    assert _evaluation_part(texts["MAU013"]) == [
        "Tự đánh giá tháng 11/2026 – cấp dưới của bạn: đã gửi 1/2 (muộn 0), đã xếp loại 0.",
        "Chưa gửi (1): Lý Văn Phúc",
        "",
        "Chờ bạn xếp loại: 1 – gõ /review"]
    assert "Ma Văn Chiến" not in texts["MAU011"] + texts["MAU012"] + texts["MAU013"]


def test_the_digest_counts_the_people_the_status_view_lists(roster: Database, settings: Settings) -> None:
    """Every leader's figures and names are those of "Tình hình cấp dưới" (team_month_status), the numbers add up,
    and the command-line preview (no shared cache) says the same as the weekly run."""
    db = _commune(roster)
    texts = _weekly(db, settings)

    def status_views(session: Session) -> dict[str, tuple[dict[str, int], list[str]]]:
        views = {}
        for cadre in session.scalars(select(Cadre).where(Cadre.code.in_(texts))):
            u = cadre.unit
            actor = Actor(cadre.id, cadre.code, cadre.full_name, u.id, u.code, u.name, u.path, True, cadre.is_hr)
            lines = team_month_status(session, actor, *PERIOD)
            views[cadre.code] = (ev.status_counts(lines),
                                 [line.full_name for line in lines if not ev.is_submitted(line.status)])
        return views

    for code, (counts, missing) in db.run(status_views).items():
        part = "\n".join(_evaluation_part(texts[code]))
        if not counts["cadres"]:
            assert "không có ai dưới bạn" in part, code
            continue
        shown = re.search(r"đã gửi (\d+)/(\d+) \(muộn (\d+)\), đã xếp loại (\d+)", part)
        assert shown is not None, code
        assert [int(x) for x in shown.groups()] == [counts[k] for k in ("submitted", "cadres", "late", "reviewed")]
        assert counts["submitted"] + len(missing) == counts["cadres"]
        assert f"Chưa gửi ({len(missing)}): {', '.join(missing)}" in part, code

    previews = db.run(lambda s: {leader.code: plain(text) for leader, text in unit_leader_digests(
        s, require_unit(s, "XMH"), PERIOD, TODAY)})
    for code in texts:
        assert _evaluation_part(previews[code]) == _evaluation_part(texts[code]), code


def test_registrations_count_people_not_classes(roster: Database) -> None:
    """Bùi Thị Trang registered in two classes was counted twice ("8 người đã có chỗ" for 7 people)."""
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    for code, course in (("MAU017", "CDS-01"), ("MAU017", "CQDP-03"), ("MAU016", "CDS-01")):
        roster.run(reg.register_on_behalf, "hr", code, course, SUBMITTED_ON)

    def both(session: Session) -> tuple[str, str]:
        manager = session.scalars(select(Cadre).where(Cadre.code == "MAU010")).one()
        u = manager.unit
        actor = Actor(manager.id, manager.code, manager.full_name, u.id, u.code, u.name, u.path, True, False)
        return (build_digest(session, manager, actor, PERIOD, TODAY, remember=False),
                build_digest(session, manager, actor, PERIOD, TODAY, DigestCache(), remember=False))

    for text in roster.run(both):
        assert "\nĐăng ký lớp: 2 người đã có chỗ, 0 người trong danh sách chờ.\n" in plain(text)
