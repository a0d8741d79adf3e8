"""Indicators per unit: exact agreement with direct counts, the resolution's baselines, the bot's /report."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.synthetic import write_roster
from bot.cli import main as cli_main
from bot.fakeapi import UpdateFactory
from db import Database
from db.models import AuditLog, Cadre, Unit
from domain import vn
from domain.gaps import compute_gaps
from domain.report import build_report, shortfall
from domain.roster import import_roster
from domain.rules import RULES_FILE, default_rules, in_population, meets, parse_rules
from domain.units import unit_by_code
from tests.baseline_roster import write_baseline_roster
from tests.conftest import SAMPLE_ROSTER, BotHarness, link

TODAY = date(2026, 11, 26)


def test_shortfall_is_exact() -> None:
    assert shortfall(68, 626, 412) == 14  # ceil(425.68) = 426
    assert shortfall(20, 6525, 1183) == 122
    assert shortfall(100, 10, 10) == 0
    assert shortfall(25, 4, 3) == 0


def test_resolution_baselines_reproduced(database: Database, tmp_path: Path) -> None:
    database.run(import_roster, write_baseline_roster(tmp_path / "baseline.csv"))
    report = database.run(build_report, None, TODAY)
    rows = {r.id: (r.met, r.population, r.pct, r.shortfall) for r in report.rows}
    assert rows["XA_CHU_CHOT_LLCT_CAO_CAP"] == (368, 372, 98.92, 4)
    assert rows["BTV_MASTERS"] == (412, 626, 65.81, 14)
    assert rows["CO_QUAN_MASTERS"] == (1183, 6525, 18.13, 122)
    assert rows["CO_QUAN_LLCT_TRUNG_CAP"] == (6394, 6525, 97.99, 131)
    # The resolution truncates to 19,58% and 54,98%; the report rounds, as the CLI contract says.
    assert rows["CO_QUAN_LLCT_CAO_CAP"] == (1278, 6525, 19.59, 354)
    assert rows["PCT_XA_LLCT_CAO_CAP"] == (204, 371, 54.99, 75)


def test_report_text_prints_baselines(database: Database, tmp_path: Path) -> None:
    from handlers.report import render_report

    database.run(import_roster, write_baseline_roster(tmp_path / "baseline.csv"))
    text = render_report(database.run(build_report, None, TODAY))
    assert "Đạt 412/626 = 65,81% · chỉ tiêu 68% · còn thiếu 14 người · hạn 31/12/2029" in text


def _direct_counts(session: Session) -> dict[str, tuple[int, int]]:
    rules = default_rules()
    counts = {i.id: [0, 0] for i in rules.indicators}
    for cadre in session.scalars(select(Cadre)):
        for ind in rules.indicators:
            if in_population(ind.population, cadre, cadre.unit.level):
                counts[ind.id][0] += 1
                counts[ind.id][1] += meets(ind.condition, cadre)
    return {k: (v[0], v[1]) for k, v in counts.items()}


def test_sql_aggregation_agrees_with_direct_count(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "synthetic.csv"
    write_roster(path, cadres=3000, seed=7)
    database.run(import_roster, path)
    report = database.run(build_report, None, TODAY)
    direct = database.run(_direct_counts)
    assert {r.id: (r.population, r.met) for r in report.rows} == direct
    assert report.cadres == 3000

    def subtree_check(session: Session) -> None:
        commune = unit_by_code(session, "X005")
        sub = build_report(session, commune, TODAY)
        people = session.scalars(select(Cadre).join(Unit).where(Unit.path.startswith(commune.path))).all()
        assert sub.cadres == len(people) > 0
        for row in sub.rows:
            ind = default_rules().indicator(row.id)
            members = [c for c in people if in_population(ind.population, c, c.unit.level)]
            assert row.population == len(members)
            assert row.met == sum(meets(ind.condition, c) for c in members)

    database.run(subtree_check)


def test_extra_rule_appears_in_report_and_gaps(roster: Database) -> None:
    extra = """
[[indicator]]
id = "ALL_QLNN_CHINH"
title = "Cán bộ có QLNN chuyên viên chính"
ref = "Thử nghiệm"
deadline = 2030-12-31
target_pct = 50
requirement = "QLNN chuyên viên chính trở lên"
explanation = "e"
population = {}
condition = { field = "state_management", at_least = "Chuyên viên chính" }
"""
    rules = parse_rules(RULES_FILE.read_text(encoding="utf-8") + extra)
    report = roster.run(build_report, None, TODAY, rules)
    row = report.rows[-1]
    assert (row.id, row.population, row.met) == ("ALL_QLNN_CHINH", 16, 4)

    def gaps(session: Session) -> list[str]:
        cadre = session.scalar(select(Cadre).where(Cadre.code == "MAU004"))
        return [g.indicator for g in compute_gaps(session, cadre, TODAY, rules).gaps]

    assert "ALL_QLNN_CHINH" in roster.run(gaps)


def test_cli_report_json_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CADREBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    cli_main(["import-roster", str(SAMPLE_ROSTER)])
    capsys.readouterr()
    assert cli_main(["report", "--unit", "XMH", "--json", "--xlsx", str(tmp_path / "r.xlsx")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"as_of", "unit", "cadres", "indicators"}
    assert data["unit"] == "XMH" and data["cadres"] == 9
    first = data["indicators"][0]
    assert set(first) == {"id", "title", "ref", "deadline", "target_pct", "population", "met", "pct", "shortfall"}
    assert first["pct"] == 66.67 and first["deadline"] == "2028-12-31"
    assert load_workbook(tmp_path / "r.xlsx").sheetnames == ["Tổng hợp", "Cán bộ thiếu chuẩn bắt buộc"]


# --- in the bot ---------------------------------------------------------------------------------

MANAGER = "0912345010"  # MAU010, Bí thư xã Minh Hương (XMH)
CADRE = "0912345004"


async def test_cadre_cannot_open_report(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    assert "chỉ dành cho cán bộ quản lý" in (await bot.send(user.text("/report")))[-1]


async def test_manager_report_drill_down_people_chart_excel(bot: BotHarness, roster: Database,
                                                            user: UpdateFactory) -> None:
    await link(bot, user, MANAGER)
    texts = await bot.send(user.text("/report"))
    assert "Xã Minh Hương" in texts[-1] and "Đạt 2/3 = 66,67%" in texts[-1]
    texts = await bot.send(user.callback("rep:d:0:0"))
    assert "Đơn vị trực thuộc Xã Minh Hương" in texts[-1]
    assert "Văn phòng HĐND và UBND xã" in texts[-1] and "Phòng Kinh tế xã" in texts[-1]
    child = next(b["callback_data"] for b in bot.last_buttons() if b["callback_data"].startswith("rep:u:"))
    texts = await bot.send(user.callback(child))
    assert "Chỉ tiêu Nghị quyết – " in texts[-1]
    texts = await bot.send(user.callback("rep:p:0:0"))
    assert "Cán bộ còn thiếu chuẩn bắt buộc – Xã Minh Hương" in texts[-1] and "Thiếu:" in texts[-1]
    await bot.send(user.callback("rep:c:0"))
    photo = bot.api.calls[-1]
    assert photo.method == "sendPhoto" and photo.files and photo.saved[0].exists()
    assert photo.files["photo"][1][:8] == b"\x89PNG\r\n\x1a\n"
    await bot.send(user.callback("rep:x:0"))
    doc = bot.api.calls[-1]
    assert doc.method == "sendDocument"
    book = load_workbook(io.BytesIO(doc.files["document"][1]))
    assert book.sheetnames == ["Tổng hợp", "Cán bộ thiếu chuẩn bắt buộc"]
    listed = [r[0].value for r in book["Cán bộ thiếu chuẩn bắt buộc"].iter_rows(min_row=2)]
    assert listed and all(code.startswith("MAU01") for code in listed)
    header = [c.value for c in book["Cán bộ thiếu chuẩn bắt buộc"][1]]
    assert header[:4] == ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị"]  # codes beside the Vietnamese names
    assert {r[2].value for r in book["Cán bộ thiếu chuẩn bắt buộc"].iter_rows(min_row=2)} <= {"XMH", "XMH-VP", "XMH-KT"}
    actions = roster.run(lambda s: s.scalars(select(AuditLog.action)).all())
    assert "export-xlsx" in actions and "view-people-with-gaps" in actions


async def test_forged_unit_button_refused(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, MANAGER)
    sibling = roster.run(lambda s: s.scalar(select(Unit.id).where(Unit.code == "XTP")))
    for data in (f"rep:u:{sibling}", f"rep:x:{sibling}", f"rep:p:{sibling}:0", f"rep:d:{sibling}:0"):
        texts = await bot.send(user.callback(data))
        assert "chỉ xem được đơn vị của mình" in texts[-1], data
    assert "không còn hiệu lực" in (await bot.send(user.callback("rep:u:abc")))[-1]
    assert "không còn hiệu lực" in (await bot.send(user.callback("rep:z:0")))[-1]


async def test_hr_sees_province_and_any_unit(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    from domain import accounts

    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, CADRE)
    assert "Toàn tỉnh" in (await bot.send(user.text("/report")))[-1]
    assert "Xã Thái Bình" in (await bot.send(user.text("/report XTP")))[-1]
    texts = await bot.send(user.callback("rep:d:0:0"))
    assert "Đơn vị trực thuộc Toàn tỉnh" in texts[-1] and "Tỉnh Tuyên Quang" in texts[-1]


def test_subtree_reports_agree_with_build_report(database: Database, tmp_path: Path) -> None:
    from domain.report import subtree_reports

    path = tmp_path / "synthetic.csv"
    write_roster(path, cadres=2500, seed=11)
    database.run(import_roster, path)

    def compare(session: Session) -> None:
        all_reports = subtree_reports(session, TODAY)
        for code in ("TINH", "X003", "S002", "X003-P04"):
            unit = unit_by_code(session, code)
            direct = build_report(session, unit, TODAY)
            assert all_reports[unit.id].rows == direct.rows and all_reports[unit.id].cadres == direct.cadres

    database.run(compare)


def test_chart_leaves_out_empty_populations_and_xlsx_has_typed_cells(roster: Database) -> None:
    from domain.exports import chart_png, chart_rows, report_xlsx

    report = roster.run(lambda s: build_report(s, unit_by_code(s, "XMH-VP"), TODAY))
    drawn, skipped = chart_rows(report)
    assert skipped and all(r.population for r in drawn) and all(not r.population for r in skipped)
    assert chart_png(report)[:8] == b"\x89PNG\r\n\x1a\n"
    sheet = load_workbook(io.BytesIO(report_xlsx(report, []))).active
    header = next(row for row in sheet.iter_rows() if row[0].value == "Mã chỉ tiêu")
    first = sheet[header[0].row + 1]
    assert isinstance(first[3].value, datetime) and first[3].number_format == "DD/MM/YYYY"
    assert first[4].number_format == "0.00%" and first[4].value == 1.0
    empty = next(r for r in sheet.iter_rows(min_row=header[0].row + 1) if r[5].value == 0)
    assert empty[7].value == "không áp dụng"
    assert sheet.freeze_panes == f"A{header[0].row + 1}"


# --- navigation found by a walkthrough on a phone ---------------------------------------------

DIVISION_HEAD = "0912345003"  # MAU003, head of SNV-TCCB: no units below it


def _labels(bot: BotHarness) -> list[str]:
    return [b["text"] for b in bot.last_buttons()]


async def test_children_button_only_for_a_unit_with_units_below(bot: BotHarness, roster: Database,
                                                                user: UpdateFactory) -> None:
    await link(bot, user, DIVISION_HEAD)
    assert "Phòng Tổ chức cán bộ" in (await bot.send(user.text("/report")))[-1]
    assert "🏢 Đơn vị trực thuộc" not in _labels(bot)  # pressing it could only say there are none
    assert "👥 Cán bộ thiếu chuẩn" in _labels(bot)

    other = UpdateFactory(user_id=555002, first_name="Chiến")
    await link(bot, other, MANAGER)
    await bot.send(other.text("/report"))
    assert "🏢 Đơn vị trực thuộc" in _labels(bot)  # XMH has XMH-VP and XMH-KT
    kt = roster.run(lambda s: s.scalar(select(Unit.id).where(Unit.code == "XMH-KT")))
    assert "Phòng Kinh tế xã" in (await bot.send(other.callback(f"rep:u:{kt}")))[-1]
    assert "🏢 Đơn vị trực thuộc" not in _labels(bot)


def _unit_ids(roster: Database, *codes: str) -> list[int]:
    found = roster.run(lambda s: dict(s.execute(select(Unit.code, Unit.id).where(Unit.code.in_(codes))).all()))
    return [found[c] for c in codes]


def _up(bot: BotHarness) -> list[dict[str, object]]:
    """The button back to the parent unit's report (every ⬅️ button but the one to the menu)."""
    return [b for b in bot.last_buttons() if b["text"].startswith("⬅️") and b["text"] != "⬅️ Về menu"]


async def test_drilled_unit_leads_back_to_its_parent_inside_the_scope(bot: BotHarness, roster: Database,
                                                                      user: UpdateFactory) -> None:
    xmh, kt, tinh = _unit_ids(roster, "XMH", "XMH-KT", "TINH")
    await link(bot, user, MANAGER)
    await bot.send(user.text("/report"))
    assert _up(bot) == []  # above Xã Minh Hương is the province: not MAU010's to see
    assert "Phòng Kinh tế xã" in (await bot.send(user.callback(f"rep:u:{kt}")))[-1]
    assert [(b["text"], b["callback_data"]) for b in _up(bot)] == [("⬅️ Xã Minh Hương", f"rep:u:{xmh}")]
    texts = await bot.send(user.callback(f"rep:u:{xmh}"))
    assert "Chỉ tiêu Nghị quyết – Xã Minh Hương" in texts[-1]
    # The press is checked like any other: a button naming the unit above is refused.
    assert "chỉ xem được đơn vị của mình" in (await bot.send(user.callback(f"rep:u:{tinh}")))[-1]

    head_of_kt = UpdateFactory(user_id=555018, first_name="Phúc")  # MAU018 heads XMH-KT only
    await link(bot, head_of_kt, "0912345018")
    assert "Phòng Kinh tế xã" in (await bot.send(head_of_kt.text("/report")))[-1]
    assert _up(bot) == []
    assert "chỉ xem được đơn vị của mình" in (await bot.send(head_of_kt.callback(f"rep:u:{xmh}")))[-1]

    # A name too long for a phone's button gives way to a generic label; the button still opens the parent.
    def rename(session: Session) -> None:
        session.get(Unit, xmh).name = "Đảng ủy, HĐND, UBND và Ủy ban MTTQ Việt Nam xã Minh Hương"

    roster.run(rename)
    await bot.send(user.callback(f"rep:u:{kt}"))
    assert [(b["text"], b["callback_data"]) for b in _up(bot)] == [("⬅️ Đơn vị cấp trên", f"rep:u:{xmh}")]


async def test_hr_climbs_back_to_the_province(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    from domain import accounts

    (tinh,) = _unit_ids(roster, "TINH")
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, CADRE)
    await bot.send(user.text("/report XTP"))
    assert [(b["text"], b["callback_data"]) for b in _up(bot)] == [("⬅️ Tỉnh Tuyên Quang", f"rep:u:{tinh}")]
    assert "Chỉ tiêu Nghị quyết – Tỉnh Tuyên Quang" in (await bot.send(user.callback(f"rep:u:{tinh}")))[-1]
    assert [(b["text"], b["callback_data"]) for b in _up(bot)] == [("⬅️ Toàn tỉnh", "rep:u:0")]
    assert "Chỉ tiêu Nghị quyết – Toàn tỉnh" in (await bot.send(user.callback("rep:u:0")))[-1]
    assert _up(bot) == []


def test_chart_labels_read_each_percentage_as_the_report_text_does(roster: Database) -> None:
    from matplotlib.text import Text

    from domain.exports import chart_figure, chart_rows
    from views.report import render_report

    report = roster.run(lambda s: build_report(s, unit_by_code(s, "XMH"), TODAY))
    text = render_report(report)
    labels = [t.get_text() for t in chart_figure(report).findobj(Text)]
    assert "Đạt 2/3 = 66,67%" in text and any(label.startswith("66,67%\n") for label in labels)
    assert not any("66,7%" in label for label in labels)
    figures = [label.split("\n")[0] for label in labels if "\n/ " in label]  # "<reached>\n/ <target>"
    assert figures == [vn.pct(r.pct) for r in chart_rows(report)[0]]
    assert all(f"= {figure} · chỉ tiêu" in text for figure in figures)


async def test_child_units_list_percentages_with_two_decimals(bot: BotHarness, roster: Database,
                                                              user: UpdateFactory) -> None:
    await link(bot, user, MANAGER)
    text = (await bot.send(user.callback("rep:d:0:0")))[-1]
    assert "1. Phòng Kinh tế xã: 2/2 người (100,00%)" in text
    assert "2. Văn phòng HĐND và UBND xã: 1/2 người (50,00%)" in text


async def test_chart_and_excel_come_with_buttons_back(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    (kt,) = _unit_ids(roster, "XMH-KT")
    await link(bot, user, MANAGER)
    for verb, method in (("c", "sendPhoto"), ("x", "sendDocument")):
        await bot.send(user.callback(f"rep:{verb}:{kt}"))
        sent = bot.api.calls[-1]
        assert sent.method == method and sent.files
        assert [(b["text"], b["callback_data"]) for b in sent.buttons] == [
            ("⬅️ Về báo cáo", f"rep:u:{kt}"), ("⬅️ Về menu", "menu:home")]
        # The file's buttons are the chat's last ones: typing a label presses it, as after any other answer.
        assert "Chỉ tiêu Nghị quyết – Phòng Kinh tế xã" in (await bot.send(user.text("về báo cáo")))[-1]


async def test_a_refused_command_is_not_a_dead_end(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """'/report abc' answered with a refusal and nothing to tap (walkthrough as HR): a refused press or command
    now offers the menu."""
    await link(bot, user, "0912345010")
    await bot.send(user.text("/report abc"))
    assert [b["text"] for b in bot.last_buttons()][-1] == "⬅️ Về menu"
