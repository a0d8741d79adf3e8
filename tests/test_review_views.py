"""Quarter and year views of monthly ratings (always reachable), classification by a data rule, Excel export."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import AuditLog, Cadre, Evaluation
from domain import accounts
from domain.classification import ClassificationRuleError, default_classification, parse_classification
from domain.clock import utcnow
from tests.conftest import BotHarness, link

MANAGER = "0912345015"  # MAU015 reviews MAU016
COMMUNE_HEAD = "0912345010"  # MAU010, Xã Minh Hương subtree
PLAIN = "0912345016"


@pytest.mark.parametrize(("months", "expected"), [
    ([0, 0, 1], 0), ([0, 0, 0], 0), ([0, 0, 2], 1), ([1, 1, 3], 2), ([1, 2, 2], 2), ([2, 2, 3], 2),
    ([3, 3, 0], 3), ([0, None, 0], None),
])
def test_quarter_rule(months: list[int | None], expected: int | None) -> None:
    assert default_classification().quarter.classify(months) == expected


def test_year_rule_uses_quarters() -> None:
    rule = default_classification().year
    assert rule.classify([0, 0, 0, 1]) == 0 and rule.classify([0, 0, 1, 2]) == 1
    assert rule.classify([0, 0, 0, None]) is None


def test_bad_rule_file_is_named() -> None:
    with pytest.raises(ClassificationRuleError, match=r"quarter\.level\.rating"):
        parse_classification("[quarter]\nparts = 3\n[[quarter.level]]\nrating = 9\nmin_parts = 0\nworst_allowed = 3\n")
    with pytest.raises(ClassificationRuleError, match="year"):
        parse_classification("[quarter]\nparts = 3\n[[quarter.level]]\nrating = 3\nmin_parts = 0\nworst_allowed = 3\n")


def _rate(db: Database, code: str, year: int, ratings: dict[int, int | None]) -> None:
    def write(session) -> None:  # type: ignore[no-untyped-def]
        cadre = session.scalar(select(Cadre).where(Cadre.code == code))
        for month, rating in ratings.items():
            session.add(Evaluation(cadre_id=cadre.id, year=year, month=month, step="done", results='["x"]',
                                   status="rated" if rating is not None else "submitted", self_rating=1,
                                   manager_rating=rating, created_at=utcnow(), updated_at=utcnow()))
    db.run(write)


async def test_review_always_offers_quarter_and_year(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, MANAGER)
    texts = await bot.send(user.text("/review"))
    assert "Không có bản tự đánh giá nào chờ" in texts[-1]
    labels = {b["text"]: b["callback_data"] for b in bot.last_buttons()}
    assert labels["📅 Theo quý"] == "qv:q:2026:4" and labels["📆 Cả năm"] == "qv:y:2026"


async def test_quarter_and_year_views_show_classification(bot: BotHarness, roster: Database,
                                                          user: UpdateFactory) -> None:
    _rate(roster, "MAU016", 2026, {7: 0, 8: 0, 9: 1, 10: 1, 11: None})
    await link(bot, user, MANAGER)
    texts = await bot.send(user.callback("qv:q:2026:3"))
    assert "Xếp loại quý 3/2026" in texts[-1]
    assert "Vũ Văn Nam: T7 XS · T8 XS · T9 Tốt → Quý: XS" in texts[-1] and "Mục III.4" in texts[-1]
    # the thresholds are the bot's rule (data file), not the resolution's: the text must not say otherwise
    assert "Căn cứ Mục III.4" not in texts[-1] and "không quy định cách tổng hợp" in texts[-1]
    labels = [b["text"] for b in bot.last_buttons()]
    assert "◀️ Quý 2/2026" in labels and "Quý 4/2026 ▶️" in labels
    texts = await bot.send(user.callback("qv:q:2026:4"))
    assert "T10 Tốt · T11 chờ · T12 — → Quý: chưa đủ" in texts[-1]
    assert not any("Quý 1/2027" in b["text"] for b in bot.last_buttons())
    texts = await bot.send(user.callback("qv:y:2026"))
    assert "Vũ Văn Nam: Q1 chưa đủ · Q2 chưa đủ · Q3 XS · Q4 chưa đủ → Năm: chưa đủ" in texts[-1]


async def test_forged_view_buttons_are_stale(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, MANAGER)
    for forged in ("qv:q:2027:1", "qv:q:2026:5", "qv:q:2026:0", "qv:y:20260", "qv:x:abcd", "qv:z:2026",
                   "qv:y:2026:1", "qv:q:1999:1", "qv:q:٢٠٢٦:1"):
        texts = await bot.send(user.callback(forged))
        assert "Nút này đã cũ" in texts[-1], forged
    plain = UpdateFactory(user_id=616)
    await link(bot, plain, "0912345004")
    assert "chỉ dành cho cán bộ quản lý" in (await bot.send(plain.callback("qv:x:2026")))[-1]


def _export(bot: BotHarness):  # type: ignore[no-untyped-def]
    doc = next(c for c in reversed(bot.api.calls) if c.method == "sendDocument")
    return doc, load_workbook(io.BytesIO(doc.files["document"][1]))


async def test_quarter_export_is_scoped_to_the_subtree(bot: BotHarness, roster: Database,
                                                       user: UpdateFactory) -> None:
    _rate(roster, "MAU016", 2026, {7: 0, 8: 0, 9: 1})
    await link(bot, user, COMMUNE_HEAD)
    await bot.send(user.callback("qv:x:2026"))
    doc, book = _export(bot)
    assert "Xã Minh Hương" in doc.params["caption"]
    ws = book["Năm 2026"]
    assert ws.freeze_panes == "A6"
    header = [c.value for c in ws[5]]
    assert header[:4] == ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị"] and header[-1] == "Cả năm 2026"
    codes = {row[0] for row in ws.iter_rows(min_row=6, values_only=True)}
    assert "MAU016" in codes and "MAU005" not in codes and "MAU020" not in codes
    assert "MAU010" not in codes  # the manager himself is not in his own grid (as on the phone)
    nam = next(row for row in ws.iter_rows(min_row=6, values_only=True) if row[0] == "MAU016")
    assert nam[10:13] == ("XS", "XS", "Tốt") and nam[18] == "Hoàn thành xuất sắc nhiệm vụ"
    assert roster.run(lambda s: s.scalar(select(AuditLog.target).where(AuditLog.action == "export-evaluation-grid")))


async def test_hr_export_covers_the_province_and_names_stay_text(bot: BotHarness, roster: Database,
                                                                 user: UpdateFactory) -> None:
    roster.run(accounts.grant_hr, "MAU004")
    roster.run(lambda s: setattr(s.scalar(select(Cadre).where(Cadre.code == "MAU005")), "full_name", "=1+1"))
    await link(bot, user, "0912345004")
    await bot.send(user.callback("qv:x:2026"))
    _, book = _export(bot)
    rows = list(book["Năm 2026"].iter_rows(min_row=6, values_only=True))
    assert {"MAU005", "MAU016", "MAU020"} <= {r[0] for r in rows}
    assert next(r for r in rows if r[0] == "MAU005")[1] == "=1+1"
    cell = next(c for c in book["Năm 2026"]["B"] if c.value == "=1+1")
    assert cell.data_type == "s"


async def test_phone_and_excel_views_list_the_same_people(bot: BotHarness, roster: Database,
                                                         user: UpdateFactory) -> None:
    """Everyone below the manager in the review chain, never himself nor his own superiors (walkthrough 1)."""
    _rate(roster, "MAU016", 2026, {7: 0, 8: 0, 9: 1})
    await link(bot, user, "0912345011")  # MAU011 (chủ tịch xã) answers to MAU010, in the same unit
    text = (await bot.send(user.callback("qv:y:2026")))[-1]
    await bot.send(user.callback("qv:x:2026"))
    doc, book = _export(bot)
    codes = {row[0] for row in book["Năm 2026"].iter_rows(min_row=6, values_only=True)}
    assert codes == {"MAU013", "MAU015", "MAU016", "MAU017", "MAU018"}
    names = roster.run(lambda s: {c.code: c.full_name for c in s.scalars(select(Cadre))})
    assert all(names[code] in text for code in codes)
    assert names["MAU010"] not in text and names["MAU011"] not in text
    assert "(5 cán bộ)" in doc.params["caption"]


async def test_excel_rule_sheet_is_vietnamese_and_cites_the_resolution(bot: BotHarness, roster: Database,
                                                                       user: UpdateFactory) -> None:
    await link(bot, user, COMMUNE_HEAD)
    await bot.send(user.callback("qv:x:2026"))
    _, book = _export(bot)
    text = "\n".join(str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value) + "\n".join(
        str(c.value) for row in book["Quy tắc xếp loại"].iter_rows() for c in row if c.value)
    assert "Mục III.4" in text and "Hoàn thành xuất sắc nhiệm vụ" in text and "ít nhất 2/3 tháng" in text
    for internal in ("knowledge/", ".toml", "min_parts", "worst_allowed", "Quarter", "at least", "rating"):
        assert internal not in text, internal


def test_chain_survives_a_loop_and_counts_everyone(roster: Database) -> None:
    """A loop in the roster's manager codes ends where it comes back; the phone page counts all people."""
    from domain.review_grid import review_chain, reviewee_year

    def loop(session) -> None:  # type: ignore[no-untyped-def]
        session.scalar(select(Cadre).where(Cadre.code == "MAU015")).manager_code = "MAU016"
    roster.run(loop)
    chain = roster.run(lambda s: sorted(p.code for p in review_chain(
        s, s.scalar(select(Cadre.id).where(Cadre.code == "MAU015")))))
    assert chain == ["MAU016"]
    def head(session) -> accounts.Actor:  # type: ignore[no-untyped-def]
        cadre = session.scalar(select(Cadre).where(Cadre.code == "MAU010"))
        u = cadre.unit
        return accounts.Actor(cadre.id, cadre.code, cadre.full_name, u.id, u.code, u.name, u.path, True, False)
    page = roster.run(lambda s: reviewee_year(s, head(s), 2026, 2))
    assert len(page.people) == 2 and page.total == 6  # the commune below its secretary, less the detached loop


def test_the_walk_and_the_in_memory_chain_agree(roster: Database) -> None:
    """The chain walked level by level and the one computed in memory (past CHAIN_WALK_LIMIT) are the same
    people for every cadre of the sample roster."""
    from domain.review_grid import _chain_in_memory, review_chain

    def edges(session) -> None:  # type: ignore[no-untyped-def]
        by_code = {c.code: c for c in session.scalars(select(Cadre))}
        by_code["MAU020"].reviewer_code = "MAU002"  # assigned by HR (no manager in the roster)
        by_code["MAU021"].manager_code = "MAU999"  # a manager code naming nobody
        by_code["MAU015"].manager_code = "MAU016"  # a loop
    roster.run(edges)

    def both(session) -> list[tuple[str, set[str], set[str]]]:  # type: ignore[no-untyped-def]
        return [(c.code, {p.code for p in review_chain(session, c.id)},
                 {p.code for p in _chain_in_memory(session, c.id)}) for c in session.scalars(select(Cadre))]
    for code, walked, in_memory in roster.run(both):
        assert walked == in_memory, code


def test_names_sort_with_their_accents_aside() -> None:
    """The quarter view put "Đỗ Thị Mai" last, after "Vũ" (Đ comes after every plain letter in code-point
    order) (walkthrough)."""
    from domain.text import name_order

    names = ["Vũ Văn Nam", "Lê Văn Đức", "Hoàng Thị Yến", "Phạm Văn Dũng", "Trần Ánh"]
    # By given name, as Vietnamese lists are (then the rest): Ánh, Dũng, Đức (Đ after D), Nam, Yến.
    assert sorted(names, key=name_order) == ["Trần Ánh", "Phạm Văn Dũng", "Lê Văn Đức", "Vũ Văn Nam", "Hoàng Thị Yến"]
