"""Scheduled jobs on a controllable clock: each fills the outbox once, missed ones run once on return."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.cli import main as cli_main
from bot.demo import DEMO_DATA
from bot.fakeapi import UpdateFactory
from core.config import Settings
from db import Database
from db.models import Cadre, Course, JobRun, Outbox
from domain import evaluation as ev
from domain import registration as reg
from domain.completion import complete
from domain.courses import import_courses
from domain.evaluation import Window
from scheduler.jobs import JOBS, run_due, run_job
from tests.conftest import SAMPLE_ROSTER, BotHarness, link

WINDOW = Window(25, 5)


def at(settings: Settings, *args: int) -> datetime:
    return datetime(*args, tzinfo=settings.timezone)  # type: ignore[misc]


def link_codes(db: Database, *codes: str) -> None:
    db.run(lambda s: s.execute(update(Cadre).where(Cadre.code.in_(codes))
                               .values(telegram_chat_id=Cadre.id + 70000, telegram_user_id=Cadre.id + 70000)))


def keys(db: Database, kind: str) -> list[str]:
    return db.run(lambda s: s.scalars(select(Outbox.key).where(Outbox.kind == kind).order_by(Outbox.key)).all())


def submit(db: Database, code: str, today: date) -> None:
    cid = db.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == code)))
    v = db.run(ev.start_or_resume, cid, today, WINDOW)
    db.run(ev.add_results, cid, v.id, "Việc", WINDOW, today)
    db.run(ev.set_self_rating, cid, v.id, 1, WINDOW, today)
    db.run(ev.submit, cid, v.id, WINDOW, today)


@pytest.fixture
def linked(roster: Database) -> Database:
    link_codes(roster, "MAU010", "MAU011", "MAU016", "MAU017")
    return roster


def test_window_opening_tells_everyone_linked(linked: Database, settings: Settings) -> None:
    submit(linked, "MAU017", date(2026, 11, 25))
    assert run_job(linked, "eval-open", at(settings, 2026, 11, 25, 8, 0), settings) == 3
    assert keys(linked, "eval-open") == ["eval-open:2026-11:MAU010", "eval-open:2026-11:MAU011",
                                         "eval-open:2026-11:MAU016"]
    assert run_job(linked, "eval-open", at(settings, 2026, 11, 25, 8, 0), settings) == 0  # a second run: nothing


def test_reminders_stop_when_submitted_and_say_last_day(linked: Database, settings: Settings) -> None:
    assert run_job(linked, "eval-reminder", at(settings, 2026, 12, 1, 8, 0), settings) == 4
    assert "eval-reminder:2026-11:MAU016:1" in keys(linked, "eval-reminder")
    submit(linked, "MAU016", date(2026, 12, 2))
    assert run_job(linked, "eval-reminder", at(settings, 2026, 12, 5, 8, 0), settings) == 3
    last = linked.run(lambda s: s.scalar(select(Outbox.payload).where(Outbox.key == "eval-reminder:2026-11:MAU010:3")))
    assert "Hôm nay là hạn cuối" in json.loads(last)["text"]


def test_missed_jobs_run_once_when_the_bot_comes_back(linked: Database, settings: Settings) -> None:
    first = run_due(linked, at(settings, 2026, 11, 26, 10, 0), settings)
    assert first["eval-open"] == 4 and "weekly-digest" in first
    assert run_due(linked, at(settings, 2026, 11, 26, 10, 1), settings) == {}  # not twice
    # down from 26/11 to 2/12 09:00: the 1/12 reminder and Monday 30/11's digest run, once each
    back = run_due(linked, at(settings, 2026, 12, 2, 9, 0), settings)
    assert back["eval-reminder"] == 4 and "weekly-digest" in back
    occurrences = linked.run(lambda s: s.scalars(select(JobRun.occurrence).where(JobRun.name == "eval-reminder")).all())
    assert occurrences == ["2026-12-01T08:00"]


def test_schedule_arithmetic(settings: Settings) -> None:
    now = at(settings, 2026, 12, 2, 9, 0)  # a Wednesday
    assert JOBS["weekly-digest"].latest(now, settings) == at(settings, 2026, 11, 30, 7, 30)
    assert JOBS["eval-open"].latest(now, settings) == at(settings, 2026, 11, 25, 8, 0)
    assert JOBS["eval-reminder"].latest(now, settings) == at(settings, 2026, 12, 1, 8, 0)
    assert JOBS["window-closed-digest"].latest(now, settings) == at(settings, 2026, 11, 6, 7, 30)
    assert JOBS["quarterly-gaps"].latest(now, settings) == at(settings, 2026, 10, 1, 8, 0)
    assert JOBS["course-notices"].latest(now, settings) == at(settings, 2026, 12, 2, 8, 30)


def test_one_digest_per_manager_with_changes(linked: Database, settings: Settings) -> None:
    submit(linked, "MAU016", date(2026, 11, 26))
    assert run_job(linked, "weekly-digest", at(settings, 2026, 11, 30, 7, 30), settings) == 2  # MAU010, MAU011
    assert run_job(linked, "weekly-digest", at(settings, 2026, 11, 30, 7, 30), settings) == 0  # nothing twice
    assert linked.run(lambda s: s.scalar(select(func.count()).select_from(Outbox).where(
        Outbox.key.like("digest:weekly:2026-11-30T07:30:%")))) == 4  # two digests, each with its chart
    digest = json.loads(linked.run(lambda s: s.scalar(select(Outbox.payload).where(
        Outbox.key == "digest:weekly:2026-11-30T07:30:MAU010"))))["text"]
    assert "Bản tin Xã Minh Hương" in digest and "đã gửi 1/8" in digest and "Chưa gửi (7)" in digest  # the chain
    assert "Chờ bạn xếp loại" in digest and "Chỉ tiêu Nghị quyết" in digest
    linked.run(import_courses, DEMO_DATA / "courses.csv")
    linked.run(lambda s: s.execute(update(Course).where(Course.code == "CDS-01").values(start_date=date(2026, 11, 30))))
    for code in ("MAU013", "MAU017"):
        linked.run(reg.register_on_behalf, "hr", code, "CDS-01", date(2026, 11, 26))
    linked.run(complete, "CDS-01", [(1, "MAU013"), (2, "MAU017")], date(2026, 12, 1), "hr")
    run_job(linked, "weekly-digest", at(settings, 2026, 12, 7, 7, 30), settings)
    second = json.loads(linked.run(lambda s: s.scalar(select(Outbox.payload).where(
        Outbox.key == "digest:weekly:2026-12-07T07:30:MAU010"))))["text"]
    assert "chuyển đổi số, kỹ năng số và ứng dụng AI: 55,56% (+22,23) / 100%" in second


def test_unreachable_people_appear_in_the_digest(bot: BotHarness, linked: Database, settings: Settings) -> None:
    from db.models import ChatUser
    from domain.clock import utcnow

    def block(session: Session) -> None:
        cadre = session.scalars(select(Cadre).where(Cadre.code == "MAU017")).one()
        session.add(ChatUser(telegram_user_id=cadre.telegram_user_id, chat_id=cadre.telegram_chat_id,
                             first_seen=utcnow(), last_seen=utcnow(), blocked=True))

    linked.run(block)
    run_job(linked, "weekly-digest", at(settings, 2026, 11, 30, 7, 30), settings)
    digest = json.loads(linked.run(lambda s: s.scalar(select(Outbox.payload).where(
        Outbox.key == "digest:weekly:2026-11-30T07:30:MAU010"))))["text"]
    assert "Không nhận được tin nhắn" in digest and "Bùi Thị Trang" in digest


def test_course_deadline_and_start_notices_respect_mute(linked: Database, settings: Settings) -> None:
    linked.run(import_courses, DEMO_DATA / "courses.csv")
    link_codes(linked, "MAU013")
    linked.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "MAU017").values(mute_optional=True)))
    queued = run_job(linked, "course-notices", at(settings, 2026, 12, 25, 8, 30), settings)  # CDS-01 closes 28/12
    deadline = keys(linked, "course-deadline")
    assert queued == len(deadline) and "course-deadline:CDS-01:MAU013" in deadline
    assert not any("MAU017" in k for k in deadline)  # muted
    assert not any("MAU001" in k for k in deadline)  # not linked
    linked.run(lambda s: reg.register(s, s.scalars(select(Cadre).where(Cadre.code == "MAU013")).one(), "CDS-01",
                                      date(2026, 12, 26), "MAU013"))
    run_job(linked, "course-notices", at(settings, 2027, 1, 4, 8, 30), settings)  # starts 05/01
    assert keys(linked, "course-start") == ["course-start:CDS-01:MAU013"]


def test_quarterly_gap_reminder(linked: Database, settings: Settings) -> None:
    linked.run(import_courses, DEMO_DATA / "courses.csv")
    # MAU016 has every mandatory training already
    assert run_job(linked, "quarterly-gaps", at(settings, 2027, 1, 1, 8, 0), settings) == 3
    text = json.loads(linked.run(lambda s: s.scalar(select(Outbox.payload).where(
        Outbox.key == "quarterly-gaps:2027Q1:MAU017"))))["text"]
    assert "tiêu chuẩn bắt buộc" in text and "hạn 31/12/2028" in text


async def test_mute_setting_in_the_bot(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345016")
    texts = await bot.send(user.callback("menu:settings"))
    assert "đang bật" in texts[-1]
    texts = await bot.send(user.callback("settings:mute:on"))
    assert "đang tắt" in texts[-1]
    assert roster.run(lambda s: s.scalar(select(Cadre.mute_optional).where(Cadre.code == "MAU016"))) is True


def test_cli_outbox_digest_run_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CADREBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    cli_main(["import-roster", str(SAMPLE_ROSTER)])
    link_codes(Database.from_url(f"sqlite:///{tmp_path / 'cli.db'}"), "MAU010", "MAU016")
    capsys.readouterr()
    assert cli_main(["run-job", "eval-reminder", "--at", "2026-12-01T08:00"]) == 0
    assert "đã xếp 2 tin nhắn" in capsys.readouterr().out
    assert cli_main(["outbox", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["by_status"] == {"pending": 2} and data["by_kind"] == {"eval-reminder": {"pending": 2}}
    assert cli_main(["digest", "--unit", "XMH"]) == 0
    out = capsys.readouterr().out
    assert "Bản tin Xã Minh Hương" in out and "Ma Văn Chiến (MAU010)" in out
    assert cli_main(["run-job", "nope", "--at", "2026-12-01T08:00"]) == 2
    assert cli_main(["run-job", "eval-open", "--at", "yesterday"]) == 2


def test_digest_carries_the_unit_chart_as_a_photo(linked: Database, settings: Settings) -> None:
    run_job(linked, "weekly-digest", at(settings, 2026, 11, 30, 7, 30), settings)
    rows = linked.run(lambda s: [(o.key, json.loads(o.payload)) for o in s.scalars(
        select(Outbox).where(Outbox.kind == "digest").order_by(Outbox.id))])
    by_key = dict(rows)
    chart = by_key["digest:weekly:2026-11-30T07:30:MAU010:chart"]
    assert chart["file"] == "photo" and "Xã Minh Hương" in chart["text"]
    # The row names the unit and the date; the sender draws the chart (no PNG drawn in the job or stored per row).
    assert chart["chart"]["as_of"] == "2026-11-30" and "content" not in chart
    keys_in_order = [k for k, _ in rows]
    assert keys_in_order.index("digest:weekly:2026-11-30T07:30:MAU010") < keys_in_order.index(
        "digest:weekly:2026-11-30T07:30:MAU010:chart")
    assert run_job(linked, "weekly-digest", at(settings, 2026, 11, 30, 7, 30), settings) == 0  # once
