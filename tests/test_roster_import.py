"""HR's roster import: messy real-world files, all-or-nothing, idempotent, history kept."""

from __future__ import annotations

import csv
import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.cli import main as cli_main
from db import Database
from db.models import Cadre, RecordChange, Unit
from domain.errors import SpreadsheetError
from domain.levels import POLITICAL_THEORY
from domain.phone import normalize_phone
from domain.roster import import_roster
from tests.conftest import SAMPLE_ROSTER


def sample_rows() -> tuple[list[str], list[dict[str, str]]]:
    with SAMPLE_ROSTER.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]], title_rows: int = 0) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        for i in range(title_rows):
            writer.writerow(["DANH SÁCH CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC" if i == 0 else ""])
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(h, "") for h in header])
    return path


def count(database: Database, model: type) -> int:
    return database.run(lambda s: s.scalar(select(func.count()).select_from(model)))


def test_sample_roster_imports_units_tree_and_cadres(database: Database) -> None:
    result = database.run(import_roster, SAMPLE_ROSTER)
    assert result.applied and not result.rejected
    assert (result.cadres_added, result.units_added) == (16, 8)
    paths = dict(database.run(lambda s: s.execute(select(Unit.code, Unit.path)).tuples().all()))
    assert paths["XMH-KT"] == "/TINH/XMH/XMH-KT/"
    assert paths["TINH"] == "/TINH/"


def test_reimport_changes_nothing(database: Database) -> None:
    database.run(import_roster, SAMPLE_ROSTER)
    again = database.run(import_roster, SAMPLE_ROSTER)
    assert (again.cadres_added, again.cadres_updated, again.cadres_unchanged) == (0, 0, 16)
    assert (again.units_added, again.units_updated) == (0, 0)
    assert count(database, RecordChange) == 0


def test_newer_file_updates_by_code_and_records_history(database: Database, tmp_path: Path) -> None:
    database.run(import_roster, SAMPLE_ROSTER)
    header, rows = sample_rows()
    rows[2]["Lý luận chính trị"] = "Cao cấp"  # MAU003 finished the course
    rows = [r for r in rows if r["Mã cán bộ"] != "MAU021"]  # absent from the newer file
    result = database.run(import_roster, write_csv(tmp_path / "new.csv", header, rows))
    assert result.cadres_updated == 1 and result.cadres_added == 0
    assert count(database, Cadre) == 16  # nobody deleted
    change = database.run(lambda s: s.scalars(select(RecordChange)).one())
    assert (change.field, change.old_value, change.new_value) == ("political_theory", "2", "3")


def test_title_rows_nfd_case_spaces_and_phone_forms(database: Database, tmp_path: Path) -> None:
    header, rows = sample_rows()
    nfd = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731
    header = [f"  {nfd(h).upper()} " if i % 2 else nfd(h) for i, h in enumerate(header)]
    raw_header, _ = sample_rows()
    messy = []
    for row in rows:
        row = {h2: row[h1] for h1, h2 in zip(raw_header, header, strict=True)}
        messy.append({k: f"  {nfd(v).lower()}  " if v and "Mã" not in k else v for k, v in row.items()})
    messy[0][header[5]] = "+84 912 345 001"
    messy[1][header[5]] = "0084912345002"
    messy[2][header[5]] = "912.345.003"
    result = database.run(import_roster, write_csv(tmp_path / "messy.csv", header, messy, title_rows=3))
    assert result.applied and not result.rejected, result.rejected
    cadre = database.run(lambda s: s.scalars(select(Cadre).where(Cadre.code == "MAU012")).one())
    assert cadre.political_theory == POLITICAL_THEORY.code_of("Cử nhân")
    phones = database.run(lambda s: s.scalars(select(Cadre.phone).order_by(Cadre.code).limit(3)).all())
    assert phones == ["0912345001", "0912345002", "0912345003"]


def test_xlsx_with_title_rows_and_merged_cells(database: Database, tmp_path: Path) -> None:
    header, rows = sample_rows()
    wb = Workbook()
    ws = wb.active
    ws.append(["ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"])
    ws.append(["DANH SÁCH CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC NĂM 2026"])
    ws.merge_cells("A1:F1")
    ws.merge_cells("A2:F2")
    ws.append([])
    ws.append(header)
    for row in rows:
        ws.append([int(v) if v.isdigit() and len(v) == 4 else v for v in (row[h] for h in header)])
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    result = database.run(import_roster, path)
    assert result.applied and result.cadres_added == 16


def test_parent_unit_defined_on_a_later_row(database: Database, tmp_path: Path) -> None:
    header, rows = sample_rows()
    result = database.run(import_roster, write_csv(tmp_path / "rev.csv", header, list(reversed(rows))))
    assert result.applied and result.units_added == 8


def reject_reasons(database: Database, path: Path) -> dict[int, str]:
    result = database.run(import_roster, path)
    assert not result.applied
    assert count(database, Cadre) == 0, "a file with errors imports nothing"
    return {e.row: e.reason for e in result.rejected}


def test_every_bad_row_is_named_and_nothing_imported(database: Database, tmp_path: Path) -> None:
    header, rows = sample_rows()
    rows[1]["Ngày sinh"] = "31/02/1980"
    rows[2]["Lý luận chính trị"] = "Rất cao"
    rows[3]["Mã cán bộ"] = "MAU001"  # duplicate of row 2
    rows[4]["Mã đơn vị cấp trên"] = "KHONG-CO"
    rows[4]["Mã đơn vị"] = "MOI"
    rows[5]["Nhóm chức danh"] = "GIAM_DOC"
    rows[6]["Diện quản lý"] = ""
    rows[7]["Số điện thoại"] = "12345"
    rows[8]["BD theo VTVL"] = "năm ngoái"
    rows[9]["Mã người quản lý"] = "AI_DO"
    reasons = reject_reasons(database, write_csv(tmp_path / "bad.csv", header, rows))
    assert "Ngày sinh" in reasons[3]
    assert "Lý luận chính trị" in reasons[4] and "Rất cao" in reasons[4]
    assert "trùng" in reasons[5] and "dòng 2" in reasons[5]
    assert "KHONG-CO" in reasons[6]
    assert "Nhóm chức danh" in reasons[7]
    assert "Diện quản lý" in reasons[8]
    assert "Số điện thoại" in reasons[9]
    assert "BD theo VTVL" in reasons[10]
    assert "AI_DO" in reasons[11]


def test_skip_bad_rows_imports_the_rest(database: Database, tmp_path: Path) -> None:
    header, rows = sample_rows()
    rows[15]["Trình độ chuyên môn"] = "Giỏi"
    result = database.run(import_roster, write_csv(tmp_path / "bad.csv", header, rows), skip_bad_rows=True)
    assert result.applied and len(result.rejected) == 1 and result.cadres_added == 15


def test_unit_cycle_is_rejected(database: Database, tmp_path: Path) -> None:
    header, rows = sample_rows()
    for row in rows:
        if row["Mã đơn vị"] == "TINH":
            row["Mã đơn vị cấp trên"] = "SNV"
    reasons = reject_reasons(database, write_csv(tmp_path / "cycle.csv", header, rows))
    assert any("vòng lặp" in r for r in reasons.values())


def test_missing_required_columns_named(database: Database, tmp_path: Path) -> None:
    header, rows = sample_rows()
    header = [h for h in header if h not in ("Lý luận chính trị", "Cấp")]
    with pytest.raises(SpreadsheetError, match="Cấp") as exc:
        database.run(import_roster, write_csv(tmp_path / "cols.csv", header, rows))
    assert "Lý luận chính trị" in str(exc.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "rỗng"),
        ("binary.csv", bytes(range(256)) * 4, "nhị phân"),
        ("utf16.csv", "Mã cán bộ;Họ".encode("utf-16")[2:], "UTF-8"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "xlsx"),
        ("roster.pdf", b"%PDF-1.4", "không được hỗ trợ"),
    ],
)
def test_unreadable_files(database: Database, tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SpreadsheetError, match=message):
        database.run(import_roster, path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0912 345 678", "0912345678"), ("+84912345678", "0912345678"), ("84912345678", "0912345678"),
     ("(+84) 912-345-678", "0912345678"), ("912345678", "0912345678"), ("", None)],
)
def test_phone_forms(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


def test_cli_import_prints_summary_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CADREBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert cli_main(["import-roster", str(SAMPLE_ROSTER)]) == 0
    out = capsys.readouterr().out
    assert "Cán bộ: thêm 16, cập nhật 0, không đổi 0, bị từ chối 0" in out
    assert "Đơn vị: thêm 8" in out
    assert cli_main(["import-roster", str(SAMPLE_ROSTER), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cadres"] == {"added": 0, "updated": 0, "unchanged": 16, "rejected": 0}


def test_cli_progress_plain_lines_when_piped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CADREBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert cli_main(["import-roster", str(SAMPLE_ROSTER)]) == 0
    err = capsys.readouterr().err
    assert "Đã xử lý 16/16 dòng (100%)" in err and "\r" not in err


def test_cli_bad_file_exit_code_and_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CADREBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    header, rows = sample_rows()
    rows[0]["Cấp"] = "Huyện"
    assert cli_main(["import-roster", str(write_csv(tmp_path / "b.csv", header, rows))]) == 1
    out = capsys.readouterr().out
    assert "Dòng 2 (MAU001): “Cấp” không hợp lệ" in out and "KHÔNG nhập gì" in out


def test_codes_must_fit_in_button_data(database: Database, tmp_path: Path) -> None:
    header, rows = sample_rows()
    rows[3]["Mã cán bộ"] = "MÃ CÓ DẤU VÀ RẤT RẤT DÀI"
    reasons = reject_reasons(database, write_csv(tmp_path / "long.csv", header, rows))
    assert "tối đa 20 ký tự" in reasons[5]


def test_absent_optional_columns_keep_what_is_recorded(database: Database, tmp_path: Path) -> None:
    """A file with only the required columns (an extract, say) updates what it carries and nothing else: an absent
    column is not an empty one. It used to clear every birth date, phone, manager and training year, and drop the
    unit tree flat (no "Mã đơn vị cấp trên": every unit a top unit), all as ordinary updates."""
    from domain.roster import REQUIRED
    database.run(import_roster, SAMPLE_ROSTER)
    _, rows = sample_rows()
    header = [*REQUIRED, "Diện quản lý"]
    rows[0]["Chức vụ"] = "Chủ tịch UBND tỉnh"
    result = database.run(import_roster, write_csv(tmp_path / "extract.csv", header, rows))
    assert (result.cadres_updated, result.units_updated) == (1, 0)
    assert result.changes == [{"cadre": "MAU001", "changes": [
        {"field": "position", "old": "Phó Chủ tịch UBND tỉnh", "new": "Chủ tịch UBND tỉnh",
         "old_label": "Phó Chủ tịch UBND tỉnh", "new_label": "Chủ tịch UBND tỉnh"}]}]
    assert "Ngày sinh" in result.kept_columns and "Mã đơn vị cấp trên" in result.kept_columns
    assert any("giữ nguyên" in line and "Ngày sinh" in line for line in result.summary_lines())
    paths = dict(database.run(lambda s: s.execute(select(Unit.code, Unit.path)).tuples().all()))
    assert paths["XMH-KT"] == "/TINH/XMH/XMH-KT/"
    manager = database.run(lambda s: s.scalar(select(Cadre.manager_code).where(Cadre.code == "MAU002")))
    assert manager == "MAU001"


def test_absent_optional_columns_take_defaults_for_new_cadres(database: Database, tmp_path: Path) -> None:
    from domain.roster import REQUIRED
    _, rows = sample_rows()
    header = [*REQUIRED, "Diện quản lý", "Mã đơn vị cấp trên"]  # a new unit needs it (test below)
    result = database.run(import_roster, write_csv(tmp_path / "extract.csv", header, rows[:1]))
    assert result.cadres_added == 1 and result.applied


@pytest.mark.parametrize(("field", "value", "label"), [
    ("in_succession_plan", True, "Có"), ("job_matched", False, "Không"), ("in_succession_plan", "False", "Không"),
    ("birth_date", date(1972, 3, 12), "12/03/1972"), ("birth_date", "1972-03-12", "12/03/1972"),
    ("birth_date", None, "(trống)"), ("phone", None, "(trống)"), ("trained_digital_ai", None, "chưa"),
])
def test_preview_values_read_as_hr_writes_them(field: str, value: object, label: str) -> None:
    """A preview said "Trong quy hoạch: True → False" and "Ngày sinh: 1972-03-12 → chưa"."""
    from domain.records import value_label
    assert value_label(field, value) == label


def test_a_new_unit_needs_the_parent_column(database: Database, tmp_path: Path) -> None:
    """Without 'Mã đơn vị cấp trên', recorded units keep their parent, but a new unit became a top unit without a
    word, outside every manager's scope (attack): its rows are refused, saying to add the column."""
    from domain.roster import REQUIRED
    database.run(import_roster, SAMPLE_ROSTER)
    _, rows = sample_rows()
    new = dict(rows[-1])
    new.update({"Mã cán bộ": "MAU900", "Họ và tên": "Lò Văn Mới", "Mã đơn vị": "XMH-VH", "Cấp": "Xã",
                "Tên đơn vị": "Phòng Văn hóa - Xã hội xã Minh Hương", "Số điện thoại": ""})
    result = database.run(import_roster, write_csv(tmp_path / "extract.csv", [*REQUIRED, "Diện quản lý"],
                                                   [*rows, new]))
    assert not result.applied and [e.code for e in result.rejected] == ["MAU900"]
    assert "Mã đơn vị cấp trên" in result.rejected[0].reason and "XMH-VH" in result.rejected[0].reason
