"""People listed by the database come in Vietnamese alphabetical order, as the lists sorted in Python do: by given
name, then family and middle names, accents aside, Đ after D.

In code-point order "Đỗ", "Ông" and "Ứng" came after "Vũ": on a page of ten, a manager looking for Đỗ Thị Mai
found her after the Z's, or on another page.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from db import Database
from db.models import Cadre
from domain.report import people_with_mandatory_gaps
from domain.roster import import_roster
from domain.text import name_order
from tests import builders as build

NAMES = ["Vũ Văn Nam", "Đỗ Thị Mai", "Ông Văn Bình", "Dương Văn An", "Ánh Nguyễn", "Hoàng Thị Yến", "Ứng Thị Hoa"]
EXPECTED = sorted(NAMES, key=name_order)


def test_expected_order_is_the_alphabet() -> None:
    """By given name, then the family and middle names, as Vietnamese lists are ordered (and /find was already):
    An, Bình, Hoa, Mai, Nam, Nguyễn, Yến; among the same given name, Đỗ after Dương."""
    assert EXPECTED == ["Dương Văn An", "Ông Văn Bình", "Ứng Thị Hoa", "Đỗ Thị Mai", "Vũ Văn Nam", "Ánh Nguyễn",
                        "Hoàng Thị Yến"]
    assert sorted(["Đỗ Văn An", "Dương Văn An", "Lê Đức", "Lê Dũng"], key=name_order) == [
        "Dương Văn An", "Đỗ Văn An", "Lê Dũng", "Lê Đức"]


def test_report_people_pages_in_vietnamese_order(database: Database) -> None:
    def check(session):  # type: ignore[no-untyped-def]
        unit = build.unit(session, "XA1")
        for name in NAMES:  # no training done: everyone has a mandatory gap
            build.cadre(session, unit, full_name=name)
        total, first = people_with_mandatory_gaps(session, unit, page=0, page_size=4)
        _, second = people_with_mandatory_gaps(session, unit, page=1, page_size=4)
        assert total == len(NAMES)
        assert [p.full_name for p in first + second] == EXPECTED
    database.run(check)


def test_key_follows_a_rename_by_attribute(database: Database) -> None:
    def check(session):  # type: ignore[no-untyped-def]
        unit = build.unit(session, "XA1")
        person = build.cadre(session, unit, full_name="Vũ Văn Nam")
        person.full_name = "Đỗ Văn Nam"
        session.flush()
        assert session.scalar(select(Cadre.name_key).where(Cadre.id == person.id)) == "nam dzo van"
    database.run(check)


ROSTER_HEAD = ("Mã cán bộ,Họ và tên,Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Cấp,Chức vụ,Nhóm chức danh,"
               "Lãnh đạo quản lý,Trình độ chuyên môn,Lý luận chính trị\n")


def _roster(path: Path, names: dict[str, str]) -> Path:
    rest = "XA1,Xã Một,,Xã,Chuyên viên,KHAC,Không,Đại học,Sơ cấp"
    rows = "".join(f"{code},{name},{rest}\n" for code, name in names.items())
    path.write_text(ROSTER_HEAD + rows, encoding="utf-8")
    return path


def test_roster_import_keys_new_and_renamed_people(database: Database, tmp_path: Path) -> None:
    database.run(import_roster, _roster(tmp_path / "a.csv", {"A1": "Vũ Văn Nam", "A2": "ông văn bình"}))
    database.run(import_roster, _roster(tmp_path / "b.csv", {"A1": "Đỗ Văn Nam", "A2": "ông văn bình"}))

    def keys(session):  # type: ignore[no-untyped-def]
        return dict(session.execute(select(Cadre.code, Cadre.name_key).order_by(Cadre.code)).tuples().all())
    assert database.run(keys) == {"A1": "nam dzo van", "A2": "binh ong van"}


def test_course_roster_lists_registered_people_in_vietnamese_order(database: Database) -> None:
    from domain.catalogue import course_roster
    from domain.registration import register

    def check(session):  # type: ignore[no-untyped-def]
        unit = build.unit(session, "XA1")
        course = build.course(session, "CDS-01", seats=20)
        for name in NAMES:
            register(session, build.cadre(session, unit, full_name=name), course.code, date(2026, 11, 27), "test")
        _, lines = course_roster(session, course.code)
        assert [line.full_name for line in lines] == EXPECTED
    database.run(check)


def test_month_status_and_deputy_picker_in_vietnamese_order(database: Database) -> None:
    from domain.accounts import actor_for
    from domain.evaluation.delegation import deputy_candidates
    from domain.evaluation.status import month_status

    def check(session):  # type: ignore[no-untyped-def]
        unit = build.unit(session, "XA1")
        boss = build.cadre(session, unit, is_leader=True, full_name="Â Văn Trưởng", telegram_user_id=555001)
        for name in NAMES:  # leaders the boss does not rate: each may be a deputy
            build.cadre(session, unit, full_name=name, is_leader=True)
        build.cadre(session, unit, manager=boss)  # the boss manages someone, so is a manager
        assert [line.full_name for line in month_status(session, unit, 2026, 11)
                if line.full_name in NAMES] == EXPECTED
        actor = actor_for(session, 555001)
        assert [c.full_name for c in deputy_candidates(session, actor)] == EXPECTED
    database.run(check)
