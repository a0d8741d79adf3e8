"""Registration rules, waitlist promotion, course cancellation, and completion updating the record."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from benchmarks.synthetic import write_course, write_people
from bot.demo import DEMO_DATA
from db import Database
from db.models import Cadre, Course, Outbox, RecordChange, Registration
from domain import registration as reg
from domain.completion import complete
from domain.courses import import_courses
from domain.errors import NotFound
from domain.gaps import gaps_by_code
from domain.levels import POLITICAL_THEORY
from domain.report import build_report
from domain.roster import import_roster
from tests.conftest import SAMPLE_ROSTER

TODAY = date(2026, 11, 26)


def cadre(session: Session, code: str) -> Cadre:
    return session.scalars(select(Cadre).where(Cadre.code == code)).one()


def link_all(session: Session) -> None:
    session.execute(update(Cadre).values(telegram_chat_id=Cadre.id + 900000, telegram_user_id=Cadre.id + 900000))


@pytest.fixture
def catalogue(database: Database) -> Database:
    database.run(import_roster, SAMPLE_ROSTER)
    database.run(import_courses, DEMO_DATA / "courses.csv")
    database.run(link_all)
    return database


@pytest.fixture
def small_class(database: Database, tmp_path: Path) -> Database:
    database.run(import_roster, write_people(tmp_path / "people.csv", 6))
    database.run(import_courses, write_course(tmp_path / "c.csv", "LOP2", 2, date(2027, 1, 10)))
    database.run(link_all)
    return database


def do(db: Database, fn, *args):  # type: ignore[no-untyped-def]
    return db.run(lambda s: fn(s, *args))


def test_register_then_waitlist_with_positions(small_class: Database) -> None:
    outcomes = [do(small_class, lambda s, c: reg.register(s, cadre(s, c), "LOP2", TODAY, c), f"P00{i}")
                for i in range(5)]
    assert [o.status for o in outcomes] == ["registered"] * 2 + ["waitlisted"] * 3
    assert [o.position for o in outcomes] == [None, None, 1, 2, 3]
    assert small_class.run(lambda s: s.scalar(select(Course.seats_taken))) == 2


def test_cancel_promotes_first_in_line_and_queues_message(small_class: Database) -> None:
    for i in range(4):
        do(small_class, lambda s, c: reg.register(s, cadre(s, c), "LOP2", TODAY, c), f"P00{i}")
    result = do(small_class, lambda s: reg.cancel(s, cadre(s, "P000"), "lop2", TODAY, "P000"))
    assert result.promoted == "P002"
    statuses = small_class.run(lambda s: dict(s.execute(
        select(Cadre.code, Registration.status).join(Registration, Registration.cadre_id == Cadre.id)).all()))
    assert statuses == {"P000": "cancelled", "P001": "registered", "P002": "registered", "P003": "waitlisted"}
    message = small_class.run(lambda s: s.scalars(select(Outbox)).one())
    assert message.kind == "waitlist-promoted" and "LOP2" in message.payload and message.status == "pending"
    # a waitlisted person cancelling frees no seat
    assert do(small_class, lambda s: reg.cancel(s, cadre(s, "P003"), "LOP2", TODAY, "P003")).promoted is None
    assert small_class.run(lambda s: s.scalar(select(Course.seats_taken))) == 2


def test_cancel_without_waitlist_returns_the_seat(small_class: Database) -> None:
    do(small_class, lambda s: reg.register(s, cadre(s, "P000"), "LOP2", TODAY, "x"))
    do(small_class, lambda s: reg.cancel(s, cadre(s, "P000"), "LOP2", TODAY, "x"))
    assert small_class.run(lambda s: s.scalar(select(Course.seats_taken))) == 0
    again = do(small_class, lambda s: reg.register(s, cadre(s, "P000"), "LOP2", TODAY, "x"))
    assert again.status == "registered"  # history row kept, new active row allowed


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("none", "CDS-01", None),
        ("late", "CDS-01", "hết hạn đăng ký"),
        ("audience", "VTVL-DC", "dành cho"),
        ("twice", "CDS-01", "đã đăng ký"),
        ("overlap", "TC-K26A", None),  # both part-time ("Không tập trung"): no clash (tests/test_course_paths.py)
        ("cancelled", "CDS-01", "đã bị hủy"),
    ],
)
def test_refusals(catalogue: Database, setup: str, code: str, message: str | None) -> None:
    today = date(2027, 1, 1) if setup == "late" else TODAY
    if setup in ("twice", "overlap"):
        first = "CDS-01" if setup == "twice" else "CC-K26"
        do(catalogue, lambda s: reg.register(s, cadre(s, "MAU013"), first, TODAY, "x"))
    if setup == "cancelled":
        do(catalogue, lambda s: reg.cancel_course(s, "CDS-01", "hr"))
    if message is None:
        assert do(catalogue, lambda s: reg.register(s, cadre(s, "MAU013"), code, today, "x")).status == "registered"
        return
    with pytest.raises(reg.RegistrationRefused, match=message):
        do(catalogue, lambda s: reg.register(s, cadre(s, "MAU013"), code, today, "x"))


def test_cancel_after_start_refused_and_unknown_course(catalogue: Database) -> None:
    do(catalogue, lambda s: reg.register(s, cadre(s, "MAU013"), "CDS-01", TODAY, "x"))
    with pytest.raises(reg.RegistrationRefused, match="đã bắt đầu"):
        do(catalogue, lambda s: reg.cancel(s, cadre(s, "MAU013"), "CDS-01", date(2027, 1, 6), "x"))
    with pytest.raises(NotFound, match="Không có lớp mã NOPE"):
        do(catalogue, lambda s: reg.register(s, cadre(s, "MAU013"), "NOPE", TODAY, "x"))


def test_course_cancel_tells_everyone_and_frees_seats(catalogue: Database) -> None:
    for code in ("MAU013", "MAU016", "MAU017"):
        do(catalogue, lambda s, c: reg.register(s, cadre(s, c), "CDS-01", TODAY, c), code)
    assert do(catalogue, lambda s: reg.cancel_course(s, "CDS-01", "hr")).told == 3
    kinds = catalogue.run(lambda s: s.scalars(select(Outbox.kind)).all())
    assert kinds == ["course-cancelled"] * 3


def test_capacity_increase_promotes_waitlist(small_class: Database) -> None:
    for i in range(5):
        do(small_class, lambda s, c: reg.register(s, cadre(s, c), "LOP2", TODAY, c), f"P00{i}")
    assert do(small_class, lambda s: reg.set_capacity(s, "LOP2", 4, "hr")) == 2
    with pytest.raises(reg.RegistrationRefused, match="không thể nhỏ hơn"):
        do(small_class, lambda s: reg.set_capacity(s, "LOP2", 1, "hr"))
    assert small_class.run(lambda s: s.scalar(select(Course.seats_taken))) == 4


def _started(db: Database, code: str) -> None:
    """The course began before TODAY, so completion may be recorded."""
    db.run(lambda s: s.execute(update(Course).where(Course.code == code).values(start_date=date(2026, 11, 1))))


def test_completion_updates_record_history_gaps_and_report(catalogue: Database) -> None:
    do(catalogue, lambda s: reg.register(s, cadre(s, "MAU013"), "CC-K26", TODAY, "x"))
    do(catalogue, lambda s: reg.register(s, cadre(s, "MAU001"), "CC-K26", TODAY, "x"))
    _started(catalogue, "CC-K26")
    before = {g.indicator for g in catalogue.run(gaps_by_code, "MAU013", TODAY).gaps}
    assert "PCT_XA_LLCT_CAO_CAP" in before
    pct_before = next(r for r in catalogue.run(build_report, None, TODAY).rows if r.id == "PCT_XA_LLCT_CAO_CAP")
    plan = do(catalogue, lambda s: complete(s, "CC-K26", [(1, "MAU013"), (2, "MAU001")], TODAY, "MAU004"))
    assert [r.outcome for r in plan.rows] == ["LLCT: Trung cấp → Cao cấp", "hồ sơ đã đạt sẵn, không đổi"]
    assert catalogue.run(lambda s: cadre(s, "MAU013").political_theory) == POLITICAL_THEORY.code_of("Cao cấp")
    after = {g.indicator for g in catalogue.run(gaps_by_code, "MAU013", TODAY).gaps}
    assert "PCT_XA_LLCT_CAO_CAP" not in after and "CO_QUAN_LLCT_CAO_CAP" not in after
    pct_after = next(r for r in catalogue.run(build_report, None, TODAY).rows if r.id == "PCT_XA_LLCT_CAO_CAP")
    assert pct_after.met == pct_before.met + 1
    change = catalogue.run(lambda s: s.scalars(select(RecordChange)).one())
    assert (change.source, change.field, change.new_value, change.actor) == (
        "course:CC-K26", "political_theory", "3", "MAU004")


def test_training_completion_sets_the_year(catalogue: Database) -> None:
    do(catalogue, lambda s: reg.register(s, cadre(s, "MAU013"), "CDS-01", TODAY, "x"))
    _started(catalogue, "CDS-01")
    do(catalogue, lambda s: complete(s, "CDS-01", [(1, "MAU013")], TODAY, "hr"))
    assert catalogue.run(lambda s: cadre(s, "MAU013").trained_digital_ai) == 2026
    again = do(catalogue, lambda s: complete(s, "CDS-01", [(1, "MAU013")], TODAY, "hr"))
    assert [(r.status, r.reason) for r in again.rows] == [("already", "đã ghi nhận hoàn thành trước đó")]


def test_report_projection_counts_seats_not_waitlist(small_class: Database) -> None:
    for i in range(3):  # 2 seats, 1 waitlisted; CDS_AI closes TRAINED_DIGITAL_AI
        do(small_class, lambda s, c: reg.register(s, cadre(s, c), "LOP2", TODAY, c), f"P00{i}")
    row = next(r for r in small_class.run(build_report, None, TODAY).rows if r.id == "TRAINED_DIGITAL_AI")
    assert (row.population, row.met, row.projected_met) == (6, 0, 2)
    from handlers.report import render_report

    assert "Nếu những người đã đăng ký lớp hoàn thành: 2/6 = 33,33%" in render_report(
        small_class.run(build_report, None, TODAY))


def test_a_class_that_has_ended_seats_nobody_from_its_waiting_list(roster: Database, tmp_path: Path) -> None:
    """Seats added to a class that ended (by HR or a new list) promoted the waiting list and told them "Lớp đã
    khai giảng … hãy liên hệ nơi tổ chức lớp để vào học" for a class already over (walkthrough)."""
    roster.run(import_courses, write_course(tmp_path / "over.csv", "OVER", 1, date(2026, 11, 10)))
    for code in ("MAU013", "MAU016"):
        cadre_id = roster.run(lambda s, c=code: s.scalar(select(Cadre.id).where(Cadre.code == c)))
        roster.run(reg.register_self, cadre_id, "OVER", date(2026, 11, 1))
    assert roster.run(reg.capacity_change, "OVER", 5).seated_from_waitlist == 0
    assert roster.run(reg.set_capacity, "OVER", 5, "MAU004") == 0
    statuses = roster.run(lambda s: sorted(s.scalars(select(Registration.status))))
    assert statuses == ["registered", "waitlisted"]


def test_a_new_list_does_not_move_the_start_of_a_class_with_recorded_completions(roster: Database,
                                                                                 tmp_path: Path) -> None:
    """A list that moved a class's start after its completions were recorded left completions dated before the
    class began (walkthrough): that row is refused with its reason; other changes to the class still apply."""
    roster.run(import_courses, write_course(tmp_path / "done.csv", "DONE", 5, date(2026, 11, 10)))
    cadre_id = roster.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == "MAU013")))
    roster.run(reg.register_self, cadre_id, "DONE", date(2026, 11, 1))
    roster.run(complete, "DONE", [(1, "MAU013")], date(2026, 11, 26), "MAU004")
    moved = roster.run(import_courses, write_course(tmp_path / "moved.csv", "DONE", 5, date(2027, 1, 12)))
    assert not moved.applied and "đã có 1 người được ghi nhận hoàn thành" in moved.rejected[0].reason
    assert roster.run(lambda s: s.scalar(select(Course.start_date).where(Course.code == "DONE"))) == date(2026, 11, 10)
    more = roster.run(import_courses, write_course(tmp_path / "more.csv", "DONE", 9, date(2026, 11, 10)))
    assert more.applied and more.updated == 1


def test_a_new_list_does_not_change_the_kind_of_a_class_with_recorded_completions(roster: Database,
                                                                                  tmp_path: Path) -> None:
    """A list that turned an LLCT class into a VTVL one left records saying 'Cao cấp do hoàn thành lớp X' for a
    class that gives no such level (helper's attack): refused like a moved start."""
    roster.run(import_courses, write_course(tmp_path / "done.csv", "DONE", 5, date(2026, 11, 10), kind="LLCT_CAO_CAP"))
    cadre_id = roster.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == "MAU013")))
    roster.run(reg.register_self, cadre_id, "DONE", date(2026, 11, 1))
    roster.run(complete, "DONE", [(1, "MAU013")], date(2026, 11, 26), "MAU004")
    changed = roster.run(import_courses, write_course(tmp_path / "kind.csv", "DONE", 5, date(2026, 11, 10),
                                                      kind="VTVL"))
    assert not changed.applied and "“Loại”" in changed.rejected[0].reason
    assert roster.run(lambda s: s.scalar(select(Course.kind).where(Course.code == "DONE"))) == "LLCT_CAO_CAP"


def test_people_registered_hear_when_their_class_changes_kind(roster: Database, tmp_path: Path) -> None:
    """What a class gives on completion is why people registered: a new kind is news, as a new date is."""
    roster.run(import_courses, write_course(tmp_path / "a.csv", "SOON", 5, date(2027, 1, 10), kind="LLCT_CAO_CAP"))
    roster.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "MAU013").values(telegram_chat_id=13013)))
    cadre_id = roster.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == "MAU013")))
    roster.run(reg.register_self, cadre_id, "SOON", date(2026, 11, 26))
    changed = roster.run(import_courses, write_course(tmp_path / "b.csv", "SOON", 5, date(2027, 1, 10), kind="VTVL"))
    assert changed.applied and changed.told == 1
    told = roster.run(lambda s: s.scalar(select(Outbox.payload).where(Outbox.kind == "course-moved")))
    assert "Cao cấp" in told and "vị trí việc làm" in told


def test_a_cancelled_class_in_a_new_list_is_named_as_staying_cancelled(roster: Database, tmp_path: Path) -> None:
    """A class cancelled in the bot, listed again (more seats): the import said 'cập nhật 1' and the class stayed
    cancelled without a word (helper's attack). The list does not reopen it, and now says so."""
    from domain.registration import cancel_course

    roster.run(import_courses, write_course(tmp_path / "a.csv", "GONE", 5, date(2027, 1, 10)))
    roster.run(cancel_course, "GONE", "MAU004", "Không đủ học viên")
    again = roster.run(import_courses, write_course(tmp_path / "b.csv", "GONE", 9, date(2027, 1, 10)))
    assert any("GONE" in line and "đã hủy" in line and "giữ" in line for line in again.changes)
    assert "1 lớp đã hủy vẫn giữ hủy" in again.summary
    assert roster.run(lambda s: s.scalar(select(Course.cancelled).where(Course.code == "GONE")))


def test_a_list_moving_a_class_into_the_past_is_flagged_in_the_preview(roster: Database, tmp_path: Path) -> None:
    """A course list that moved a class's start to a date already past was accepted without a word (walkthrough
    as HR); the change line now flags it (the import still takes it: a class may be recorded after the fact)."""
    roster.run(import_courses, write_course(tmp_path / "a.csv", "LATE", 5, date(2027, 3, 10)))
    moved = roster.run(import_courses, write_course(tmp_path / "b.csv", "LATE", 5, date(2026, 1, 10)))
    assert moved.applied and any("LATE" in line and "đã qua" in line for line in moved.changes)
