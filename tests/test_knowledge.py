"""The knowledge module: normalisation, the resolution's structure, answers, refusals, and the bot."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from bot.fakeapi import UpdateFactory
from db import Database
from knowledge.evaluate import evaluate, load_cases
from knowledge.index import MAX_ANSWER, default_kb
from knowledge.resolution import load
from knowledge.text import content_words, strip_question_patterns, words
from tests.conftest import BotHarness, link

DATA = Path(__file__).resolve().parent.parent / "knowledge" / "data"


# --- normalisation -------------------------------------------------------------------------------


def test_nfd_and_no_diacritics_are_the_same_words() -> None:
    nfc = "Lý luận chính trị"
    nfd = unicodedata.normalize("NFD", nfc)
    # i/y spellings are one form too: "lý"/"lí" -> "li"
    assert words(nfc) == words(nfd) == words("ly luan chinh tri") == [*words("lí luận"), "chinh", "tri"]
    assert words(nfc) == ["li", "luan", "chinh", "tri"]
    assert words("thạc sỹ") == words("thạc sĩ") == ["thac", "si"]


def test_d_with_stroke_and_case() -> None:
    assert words("ĐẢNG ỦY") == words("đảng ủy") == words("dang uy") == ["dang", "uy"]


@pytest.mark.parametrize(
    ("abbreviation", "expanded"),
    [("LLCT", "ly luan chinh tri"), ("BTV", "ban thuong vu"), ("HĐND", "hoi dong nhan dan"),
     ("UBND", "uy ban nhan dan"), ("CBCCVC", "can bo cong chuc vien chuc"), ("VTVL", "vi tri viec lam"),
     ("QLNN", "quan ly nha nuoc"), ("CĐS", "chuyen doi so"), ("ThS", "thac si"), ("TS", "tien si"),
     ("PCT", "pho chu tich"), ("CT", "chu tich"), ("BT", "bi thu")],
)
def test_abbreviations(abbreviation: str, expanded: str) -> None:
    assert words(abbreviation) == words(expanded)


def test_question_patterns_and_commune_wording() -> None:
    assert content_words(strip_question_patterns("Đảng ủy xã phải làm gì?")) == ["dang", "uy", "cap", "xa"]
    assert "cap" not in content_words(strip_question_patterns("tổ chức chính trị - xã hội"))


# --- the document ----------------------------------------------------------------------------------


def test_resolution_sections_and_footnotes() -> None:
    resolution = load()
    refs = {p.ref for p in resolution.passages}
    assert {"Mục II.2.1", "Mục II.2.2 (2)", "Mục II.2.2 (3)", "Mục III.5.2", "Mục IV.10"} <= refs
    assert len(resolution.footnotes) == 10
    assert "412/626" in resolution.footnotes[6]
    # a paragraph broken by a page and a footnote is joined again
    assert any("Tình trạng thiếu cán bộ, nhất là ở các lĩnh vực" in p.text for p in resolution.passages)


# --- answers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected", "source"),
    [
        ("bí thư xã cần trình độ chính trị gì", "cao cấp", "Mục II.2.2 (2)"),
        ("den 2029 bao nhieu % lanh dao co thac si", "68%", "Mục II.2.2 (3)"),
        ("PCT UBND xã có cần cao cấp LLCT không", "75%", "Mục II.2.2 (3)"),
        (unicodedata.normalize("NFD", "Bình dân học vụ số"), "Bình dân học vụ số", "Mục III.5.4"),
        ("luan chuyn can bo dien BTV", "luân chuyển", None),  # a typo
    ],
)
def test_answers_cite_the_section(question: str, expected: str, source: str | None) -> None:
    answer = default_kb().ask(question)
    assert answer.found and expected in answer.answer
    assert len(answer.answer) <= MAX_ANSWER + 40
    if source:
        assert answer.source == source


@pytest.mark.parametrize("question", ["Thời tiết Hà Nội hôm nay", "Giá xăng hôm nay", "công thức nấu phở bò",
                                      "asdfgh", "", "???"])
def test_off_topic_is_declined_not_guessed(question: str) -> None:
    answer = default_kb().ask(question)
    assert not answer.found and answer.source is None
    assert "không thuộc nội dung Nghị quyết" in answer.answer
    assert len(answer.suggestions) <= 3


def test_typed_diacritics_tell_words_apart() -> None:
    """'giảm cân' folds like 'giám sát cán bộ'; what the user typed decides."""
    assert not default_kb().ask("Làm sao để giảm cân nhanh").found
    assert default_kb().ask("giam sat can bo").found


def test_personal_questions_are_flagged() -> None:
    assert default_kb().ask("Tôi là phó chủ tịch UBND xã, tôi cần học gì?").personal
    assert not default_kb().ask("phó chủ tịch UBND xã cần học gì").personal


@pytest.mark.parametrize("name", ["questions-dev.jsonl", "questions-extra.jsonl"])
def test_question_sets_score_well_above_baseline(name: str) -> None:
    report = evaluate(DATA / name, default_kb())
    assert report.passed / report.cases >= 0.95, report.failures
    assert report.passed > report.baseline_passed


def test_every_answer_fits_the_length_limit() -> None:
    for case in load_cases(DATA / "questions-extra.jsonl"):
        assert len(default_kb().ask(case.question).answer) <= 800, case.question


def test_cli_ask_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main as cli_main

    assert cli_main(["ask", "Bi thu dang uy xa can trinh do ly luan chinh tri nao den 2028", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"answer", "found", "source", "score", "suggestions"}
    assert data["found"] is True and "cao cấp" in data["answer"] and data["source"].startswith("Mục")
    assert isinstance(data["score"], float)
    assert cli_main(["ask", "Cách làm bánh chưng", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["found"] is False and data["source"] is None


# --- in the bot -------------------------------------------------------------------------------------


async def test_ask_command_free_text_and_full_section(bot: BotHarness, database: Database,
                                                      user: UpdateFactory) -> None:
    texts = await bot.send(user.text("/ask bi thu xa can trinh do chinh tri gi"))
    assert "cao cấp" in texts[-1] and "Nguồn: Mục II.2.2 (2)" in texts[-1]
    assert bot.last_buttons()[0]["callback_data"] == "kb:full:Mục II.2.2 (2)"
    texts = await bot.send(user.callback("kb:full:Mục II.2.2 (2)"))
    assert "Mục II.2.2 (2) – Đến hết năm 2028" in texts[-1] and "100% cán bộ được bồi dưỡng" in texts[-1]
    texts = await bot.send(user.text("den 2029 bao nhieu % lanh dao co thac si"))  # no command needed
    assert "68%" in texts[-1]
    texts = await bot.send(user.text("Cách làm bánh chưng"))
    assert "không thuộc nội dung Nghị quyết" in texts[-1]
    assert all(b["callback_data"].startswith(("kb:full:", "menu:")) for b in bot.last_buttons())
    assert "Không tìm thấy mục" in (await bot.send(user.callback("kb:full:Mục XX")))[-1]


async def test_menu_prompt_then_question(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345013")
    assert "Gõ câu hỏi" in (await bot.send(user.callback("menu:ask")))[-1]
    texts = await bot.send(user.text("Tôi là PCT UBND xã, tôi có cần cao cấp LLCT không?"))
    assert "75%" in texts[-1] and "/gaps" in texts[-1]


def test_a_bare_number_is_not_a_question() -> None:
    assert not default_kb().ask("9").found
    assert not default_kb().ask("2029").found
