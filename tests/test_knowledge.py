"""The knowledge module: normalisation, the resolution's structure, answers, refusals, and the bot."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from bot.fakeapi import UpdateFactory
from db import Database
from domain.text import ascii_key
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


async def test_a_source_named_by_its_title_is_named_once(bot: BotHarness, database: Database,
                                                         user: UpdateFactory) -> None:
    """'Phần mở đầu' is both the reference and the title: the source line and the full section say it once."""
    text = (await bot.send(user.text("/ask nghị quyết do ai ký")))[-1]
    assert "Nguồn: Phần mở đầu" in text and "Phần mở đầu – Phần mở đầu" not in text
    text = (await bot.send(user.callback("kb:full:Phần mở đầu")))[0]
    assert "Phần mở đầu" in text and "Phần mở đầu – Phần mở đầu" not in text
    text = (await bot.send(user.text("/ask đảng ủy ubnd tỉnh tham mưu thực hiện những gì")))[-1]
    assert ": –" not in text and ":\n" not in text.split("Nguồn:")[-1][:120]


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


# --- issue 16: unseen questions, agreement, intents, refusals ------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected", "source"),
    [
        ("nghị quyết có hiệu lực đến năm nào", "2026 - 2030", None),  # not "hiệu lực, hiệu quả"
        ("xã có được trang bị máy tính không", "trang thiết bị", "Mục II.2.2 (3)"),
        ("BCH là gì", "Ban chấp hành", None),
        ("quy hoạch cán bộ trẻ", "cán bộ trẻ", "Mục III.2"),
        ("cán bộ được đánh giá xếp loại bao lâu một lần", "tháng, quý", "Mục III.4"),
        ("đào tạo lạii ưu tiên lĩh vực nào", "lĩnh vực còn thiếu", "Mục III.5.3"),  # two typos
        ("Tôi là bí thư đảng ủy xã, tôi phải xây dựng những kế hoạch gì?", "kế hoạch", "Mục IV.10"),
    ],
)
def test_named_questions_of_issue_16(question: str, expected: str, source: str | None) -> None:
    answer = default_kb().ask(question)
    assert answer.found and expected in answer.answer, answer.answer
    if source:
        assert answer.source == source


def test_a_provincial_chairman_is_not_given_the_commune_targets() -> None:
    answer = default_kb().ask("Chủ tịch UBND tỉnh cần gì")
    assert "Chủ tịch UBND cấp xã" not in answer.answer and "Chủ tịch Ủy ban nhân dân cấp xã" not in answer.answer


@pytest.mark.parametrize(
    ("question", "expected", "not_expected"),
    [
        ("tôi là phó chủ tịch UBND xã, tôi cần LLCT gì", "75%", "100% Bí thư"),  # phó chủ tịch, not chủ tịch
        ("chủ tịch HĐND xã cần lý luận chính trị gì", "cao cấp", "75%"),
        ("lđ diện btv ql cần ths ko", "68%", "20%"),  # diện BTV, not diện sở ngành
        ("target thạc sĩ của leader diện sở ngành là bao nhiêu", "20%", "68%"),
        ("nghi quyet 26 cua trung uong ve can bo ban hanh ngay nao", "19/5/2018", None),  # a date is asked
        ("còn mấy người chưa được bố trí đúng chuyên môn", "463", None),  # a figure is asked
        ("ai chịu trách nhiệm kiểm tra giám sát việc thực hiện nghị quyết", "Ủy ban Kiểm tra Tỉnh ủy", None),
    ],
)
def test_answers_agree_with_the_entity_and_type_asked(question: str, expected: str, not_expected: str | None) -> None:
    answer = default_kb().ask(question)
    assert answer.found and expected in answer.answer, answer.answer
    if not_expected:
        assert not_expected not in answer.answer


def test_question_types_and_entity_conflicts() -> None:
    from knowledge import features

    assert features.question_type("bao nhieu % lanh dao co thac si") == features.FIGURE
    assert features.question_type("nghi quyet co hieu luc den nam nao") == features.DATE
    assert features.question_type("ai phe duyet danh muc vi tri viec lam") == features.BODY
    asked = features.question_entities("pho chu tich uy ban nhan dan cap xa")
    assert features.conflicts(asked, features.entities("chu tich uy ban nhan dan cap xa"))
    assert not features.conflicts(asked, features.entities("pho chu tich uy ban nhan dan cap xa"))
    assert features.conflicts(features.question_entities("chu tich uy ban nhan dan tinh"),
                              features.entities("chu tich uy ban nhan dan cap xa"))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("thacj sis", "thac si"),
        ("caos caaps lys luaanj chinhs trij", "cao cap li luan chinh tri"),
        ("tha5c si4", "thac si"),
        ("lyluanchinhtri", "li luan chinh tri"),
        ("lanhdao", "lanh dao"),
        ("danh gia da chieuu", "danh gia da chieu"),
        ("ko dc j ntn bn", "khong duoc gi nhu the nao bao nhieu"),
        ("target cho leader", "chi tieu cho lanh dao"),
    ],
)
def test_typing_is_mapped_back_to_the_resolution_words(typed: str, meant: str) -> None:
    assert default_kb().typing.normalize(typed) == meant


def test_off_topic_words_are_not_corrected_into_the_resolution() -> None:
    for question in ("luật giao thông đường bộ mới", "cách chữa đau đầu", "thời tiết tuyên quang ngày mai",
                     "cho e xin số đt của chủ tịch xã", "how to learn python"):
        assert not default_kb().ask(question).found, question


@pytest.mark.parametrize(
    ("question", "intent"),
    [("tôi muốn đăng ký lớp học", "courses"), ("dang ky khoa hoc chuyen doi so o dau", "courses"),
     ("tôi còn thiếu tiêu chuẩn gì", "gaps"), ("em con thieu gi de dat chuan", "gaps"),
     ("tôi muốn tự đánh giá tháng 11", "eval"), ("làm sao để nộp bản tự đánh giá tháng này", "eval"),
     # which course for me: /gaps lists the open courses that close the person's own gaps
     ("khóa học nào cho tôi", "gaps"), ("toi nen hoc lop nao", "gaps"), ("lớp nào phù hợp với em", "gaps"),
     ("có lớp nào dành cho tôi", "gaps"), ("mình cần học thêm gì", "gaps"),
     # a menu's words typed alone (walkthrough 7): the course list, not a quote from the resolution
     ("khoa hoc", "courses"), ("Khóa học", "courses"), ("lop cua toi", "courses"), ("lớp học của em", "courses"),
     ("các lớp đã đăng ký", "courses"), ("lop hoc", "courses"),
     # a registration named by its course code, or cancelled (walkthrough): the course list, not the resolution
     ("huy dang ky cds-01", "courses"), ("hủy đăng ký lớp CC-K26", "courses"), ("dang ky CDS-01", "courses"),
     ("toi muon rut dang ky", "courses")],
)
def test_app_requests_point_to_the_app(question: str, intent: str) -> None:
    answer = default_kb().ask(question)
    assert answer.intent == intent and f"/{intent}" in answer.answer
    assert "không thuộc nội dung" not in answer.answer
    assert set(answer.as_json()) == {"answer", "found", "source", "score", "suggestions"}


def test_questions_about_evaluation_in_general_still_answer_from_the_resolution() -> None:
    answer = default_kb().ask("đánh giá cán bộ theo tháng như thế nào")
    assert answer.found and answer.intent is None and answer.source == "Mục III.4"


def test_section_labels_are_cut_between_words() -> None:
    from handlers.ask import section_label

    title = "Nâng cao chất lượng công tác tiếp nhận và tuyển dụng cán bộ"
    label = section_label("Mục III.3", title)
    assert len(label) <= 60 and label.endswith("…")
    assert f"Mục III.3 – {title}".startswith(label[:-1] + " ")
    assert section_label("Mục I.2", "Căn cứ ban hành Nghị quyết") == "Mục I.2 – Căn cứ ban hành Nghị quyết"


@pytest.mark.parametrize("name", ["questions-new-paraphrase.jsonl", "questions-new-situational.jsonl"])
def test_new_question_sets_hold(name: str) -> None:
    report = evaluate(DATA / name, default_kb())
    assert report.passed / report.cases >= 0.92, report.failures
    assert report.passed > report.baseline_passed


async def test_intent_reply_has_its_button_and_a_refusal_has_no_pointer(bot: BotHarness, roster: Database,
                                                                       user: UpdateFactory) -> None:
    await link(bot, user, "0912345013")
    texts = await bot.send(user.text("tôi muốn đăng ký lớp học"))
    assert "/courses" in texts[-1] and "không thuộc nội dung" not in texts[-1]
    assert bot.last_buttons()[0]["callback_data"] == "menu:courses"
    texts = await bot.send(user.text("tôi muốn biết giá vàng hôm nay"))
    assert "không thuộc nội dung Nghị quyết" in texts[-1] and "/gaps" not in texts[-1]
    for button in bot.last_buttons():
        label = button["text"]
        if button["callback_data"].startswith("kb:full:") and label.endswith("…"):
            ref = button["callback_data"].removeprefix("kb:full:")
            full = f"{ref} – {default_kb().title_of(ref)}"
            assert full.startswith(label[:-1] + " "), label


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("bí thư xã cần trình độ cính trị gì", "cao cấp"),  # a dropped letter in a real-looking syllable
     ("ai chịu tách nhiệm theo dõi đôn đốc thực hiện nghị quyết", "Ban Tổ chức Tỉnh ủy"),
     ("UBKTtỉnh ủy làm gì trong thực hiện nghị quyết", "kiểm tra, giám sát"),  # abbreviation run into a word
     ("thsbtv", "68%"), ("Tỷlệ PCT HĐND xã có cao cấp chính trị hiện nay", "54,98")],
)
def test_dropped_letters_and_run_together_words(typed: str, expected: str) -> None:
    answer = default_kb().ask(typed)
    assert answer.found and expected in answer.answer, answer.answer


@pytest.mark.parametrize("question", ["cos ai ddi ddas bongs ko", "cachs chuwax ddau ddaauf", "cach lam banh chung",
                                      "mua ve tau hoa", "Thur tucj caaps hooj chieeus"])
def test_off_topic_typed_without_diacritics_or_with_telex_is_declined(question: str) -> None:
    assert not default_kb().ask(question).found


def test_telex_keys_give_back_the_accented_word() -> None:
    from knowledge.typing import telex_accented

    assert [telex_accented(w) for w in ("chuwax", "ddi", "luaanj", "dduwowcj", "quoocs")] == \
        ["chữa", "đi", "luận", "được", "quốc"]
    assert telex_accented("lanh") is None


@pytest.mark.parametrize("comment", ["Cần nêu rõ số liệu", "Đề nghị bổ sung minh chứng"])
def test_a_review_comment_is_not_answered_from_the_resolution(comment: str) -> None:
    assert not default_kb().ask(comment).found


def test_a_stop_word_typed_as_another_word_counts() -> None:
    kb = default_kb()
    assert not kb.ask("cho hỏi giờ làm việc của bộ phận một cửa").found  # "cửa" is not "của"
    assert kb.ask("bảo vệ chính trị nội bộ").found  # "vệ" is dropped like "về", as in the resolution
    assert kb.ask("Nhị quyết áp dụng cho ai").found  # "nghị" with a dropped letter, not "nhỉ"


def test_my_gaps_and_our_commune_lacking_people_are_told_apart() -> None:
    assert default_kb().ask("em muốn xem mình còn thiếu tiêu chí gì").intent == "gaps"
    assert default_kb().ask("xã mình thiếu cán bộ cntt thì tỉnh có tăng cường ko").intent is None


@pytest.mark.parametrize("question", ["co ai di da bong ko", "cach chua dau dau"])
def test_short_chit_chat_without_diacritics_is_declined(question: str) -> None:
    # 'bong' and 'cach' are the resolution's words only beside their partner ('học bổng', 'cách làm')
    assert not default_kb().ask(question).found


def test_a_syllable_away_from_its_only_partner_is_a_stranger() -> None:
    kb = default_kb()
    assert "bong" in kb.parse("co ai di da bong ko").strangers
    assert "bong" not in kb.parse("hoc bong cho sinh vien nganh dac thu").strangers
    assert kb.ask("hoc bong cho sinh vien nganh dac thu").source == "Mục III.7.2"


@pytest.mark.parametrize(("question", "expected", "source"), [
    ("tôi mới bầu làm chủ tịch xã cần llct gì", "cao cấp", "Mục II.2.2 (2)"),
    ("kính gửi bot, cho tôi hỏi đảng ủy hội đồng nhân dân tỉnh có trách nhiệm gì trong việc thực hiện "
     "nghị quyết này ạ, tôi xin cảm ơn", "chính sách", "Mục IV.3"),
])
def test_an_everyday_word_the_resolution_never_uses_does_not_sink_an_anchored_question(
        question: str, expected: str, source: str) -> None:
    answer = default_kb().ask(question)
    assert answer.found and answer.source == source and expected in answer.answer


def test_an_unknown_word_still_declines_a_question_with_one_anchor_only() -> None:
    assert not default_kb().ask("thời tiết tuyên quang hôm nay thế nào").found


@pytest.mark.parametrize(("question", "expected", "source"), [
    ("nâng cao chất lượng cán bộ là trách nhiệm của ai theo quan điểm nghị quyết", "cả hệ thống chính trị",
     "Mục II.1"),
    ("MTTQ tỉnh giám sát việc gì", "tu dưỡng, rèn luyện đạo đức", "Mục IV.9"),
])
def test_a_long_section_is_shown_from_the_paragraph_that_answers(question: str, expected: str, source: str) -> None:
    answer = default_kb().ask(question)
    assert answer.source == source and expected in answer.answer


def test_held_out_set_3_stays_right_and_never_confidently_wrong() -> None:
    report = evaluate(DATA / "questions-heldout3.jsonl", default_kb())
    assert report.passed / report.cases >= 0.94, report.failures
    assert report.confidently_wrong <= 1, report.failures


@pytest.mark.parametrize("question", [
    "Tôi cần học gì về chuyển đổi số theo nghị quyết?", "Tôi phải học gì về kỹ năng số?", "Em can hoc gi ve AI",
    "Tôi phải học gì để đạt chuẩn chủ tịch UBND xã theo nghị quyết?", "Cán bộ cấp xã như tôi phải học gì đến năm 2028?",
])
def test_first_person_questions_about_what_the_resolution_requires_are_answered_from_it(question: str) -> None:
    """Only "which course for me" as a whole question goes to /gaps; asking what the resolution requires is answered."""
    answer = default_kb().ask(question)
    assert answer.intent is None and answer.found, (question, answer.answer)


@pytest.mark.parametrize("question", ["tôi nên học lớp nào ạ?", "Có lớp nào dành cho tôi không?", "em can hoc gi nhi"])
def test_which_course_for_me_with_a_closing_particle_still_points_to_gaps(question: str) -> None:
    assert default_kb().ask(question).intent == "gaps"


@pytest.mark.parametrize("question", [
    "hạn hoàn thành bồi dưỡng chuyển đổi số là khi nào", "han hoan thanh boi duong chuyen doi so la khi nao",
])
def test_a_deadline_question_is_answered_with_the_target_not_a_paragraph_sharing_completion_words(
        question: str) -> None:
    """'hạn hoàn thành' asks by when; Mục III.4's 'kết quả hoàn thành' and 'năng lực hạn chế' answer nothing."""
    answer = default_kb().ask(question)
    assert answer.found and answer.source == "Mục II.2.2 (2)", (answer.source, answer.answer)
    assert "Đến hết năm 2028" in answer.answer and "chuyển đổi số" in answer.answer


def test_deadline_words_are_dropped_only_from_a_question_that_asks_when() -> None:
    kb = default_kb()
    assert kb.parse("hạn hoàn thành bồi dưỡng chuyển đổi số là khi nào").words == \
        ["boi", "duong", "chuyen", "doi", "so"]
    assert {"hoan", "thanh"} <= set(kb.parse("cán bộ không hoàn thành nhiệm vụ bị xử lý thế nào").words)
    # the resolution's own pairs stay: "hạn chế", "hoàn thành chức trách"
    assert "han" in kb.parse("hạn chế của cán bộ phải khắc phục đến năm nào").words
    assert "hoan" in kb.parse("khi nào cán bộ không hoàn thành chức trách bị thay thế").words


@pytest.mark.parametrize("question", [
    "bao giờ phải bồi dưỡng chuyển đổi số xong", "thời hạn bồi dưỡng kỹ năng số, AI",
    "đến khi nào phải hoàn thành bồi dưỡng về chuyển đổi số và AI", "khi nào phải hoàn thành bồi dưỡng chuyển đổi số",
    "thời hạn hoàn thành bồi dưỡng chuyển đổi số", "bồi dưỡng chuyển đổi số hoàn thành vào năm nào",
    "hạn hoàn thành bồi dưỡng kỹ năng số và ứng dụng AI", "hạn hoàn thành bồi dưỡng AI là khi nào",
])
@pytest.mark.parametrize("typed", ["as typed", "no diacritics"])
def test_ways_of_asking_the_digital_training_deadline(question: str, typed: str) -> None:
    if typed == "no diacritics":  # capitals kept: a capital "AI" is artificial intelligence, "ai" is "who"
        plain = unicodedata.normalize("NFD", question.replace("đ", "d").replace("Đ", "D"))
        question = "".join(c for c in plain if not unicodedata.combining(c))
    answer = default_kb().ask(question)
    assert answer.found and answer.source == "Mục II.2.2 (2)", (question, answer.source, answer.answer)
    assert "Đến hết năm 2028" in answer.answer and "chuyển đổi số" in answer.answer, (question, answer.answer)


@pytest.mark.parametrize("question", [
    "thực trạng cán bộ cấp xã hiện nay thế nào", "thuc trang can bo cap xa hien nay ra sao",
])
def test_a_long_paragraph_is_answered_from_the_chunk_whose_own_words_answer(question: str) -> None:
    """A section's way of asking ("thực trạng đội ngũ cán bộ") leads to one chunk of a long paragraph; the chunk of
    the same paragraph that itself says "cán bộ cấp xã hiện nay" is the answer."""
    answer = default_kb().ask(question)
    assert answer.found and answer.source == "Mục I.1", (answer.source, answer.answer)
    assert "cấp xã" in answer.answer, answer.answer


@pytest.mark.parametrize("question", [
    "Nghị quyết yêu cầu gì về nâng cao nhận thức công tác cán bộ", "nâng cao nhận thức về công tác cán bộ",
    "nang cao nhan thuc ve cong tac xay dung doi ngu can bo",
])
def test_a_question_quoting_a_long_heading_is_answered_from_the_section_start(question: str) -> None:
    """The question is the opening of Mục III.1's heading: the section answers from its start ("quán triệt"),
    not from the later sentence that repeats "nâng cao nhận thức"."""
    answer = default_kb().ask(question)
    assert answer.found and answer.source == "Mục III.1", (answer.source, answer.answer)
    assert "quán triệt" in answer.answer, answer.answer


def test_a_question_quoting_the_later_half_of_a_heading_gets_its_own_paragraph() -> None:
    answer = default_kb().ask("bảo vệ chính trị nội bộ cần làm gì")
    assert answer.found and answer.source == "Mục III.6" and "bảo vệ chính trị nội bộ" in answer.answer


@pytest.mark.parametrize("question", [
    "nam 2026 phai tuyen du cong chuc cap xa chua", "năm 2026 tuyển dụng công chức cấp xã thế nào",
    "mục tiêu năm 2026",
])
def test_the_2026_targets_are_quoted_in_the_resolution_words(question: str) -> None:
    answer = default_kb().ask(question)
    assert answer.found and answer.source == "Mục II.2.2 (1)", (answer.source, answer.answer)
    assert "cơ bản đủ số lượng" in answer.answer, answer.answer


@pytest.mark.parametrize("question", [
    "cán bộ học sai chuyên ngành so với vị trí mới thì sao", "can bo hoc trai nganh voi vi tri viec lam thi sao",
    "cán bộ làm không đúng chuyên môn được đào tạo lại không", "công chức sai chuyên môn với vị trí việc làm mới",
])
def test_wrong_field_of_study_is_the_resolution_s_unsuited_specialism(question: str) -> None:
    """'sai/trái chuyên ngành', 'không đúng chuyên môn' are the resolution's 'chuyên môn chưa phù hợp'."""
    answer = default_kb().ask(question)
    assert answer.found and answer.source == "Mục II.2.2 (2)", (answer.source, answer.answer)
    assert "chưa phù hợp" in answer.answer, answer.answer


@pytest.mark.parametrize("question", [
    "trưởng phòng cấp xã phải có thạc sĩ không", "truong phong cap xa phai co thac si ko",
    "bí thư xã có phải học thạc sĩ không",
])
def test_a_question_naming_a_qualification_is_not_answered_by_a_passage_without_it(question: str) -> None:
    """"Đủ số lượng cấp trưởng, cấp phó phòng cấp xã" shares the post, not the level asked: decline or name it."""
    answer = default_kb().ask(question)
    assert not answer.found or "thạc sĩ" in answer.answer or "sau đại học" in answer.answer, \
        (answer.source, answer.answer)


def test_qualification_levels() -> None:
    from knowledge import features
    assert features.levels("truong phong cap xa phai co thac si") == {"sau dai hoc"}
    assert features.levels("ho tro dao tao sau dai hoc") == {"sau dai hoc"}
    assert features.levels("li luan chinh tri tu trung cap tro len; 25% cao cap") == {"trung cap", "cao cap"}
    assert features.levels("du so luong cap truong cap pho phong") == frozenset()


@pytest.mark.parametrize("question", [
    "đánh giá cán bộ bao lâu một lần", "danh gia can bo bao lau 1 lan", "cán bộ được đánh giá xếp loại bao lâu một lần",
])
def test_how_often_is_answered_by_a_passage_that_says_how_often(question: str) -> None:
    answer = default_kb().ask(question)
    assert answer.found and answer.source == "Mục III.4", (answer.source, answer.answer)
    assert "tháng" in answer.answer, answer.answer


def test_how_often_is_a_question_type() -> None:
    from knowledge import features
    assert features.question_type("dao tao lai bao lau mot lan") == features.PERIOD
    assert features.PERIOD in features.passage_types("danh gia can bo theo thang, quy", "Mục III.4")
    assert features.PERIOD not in features.passage_types("danh gia can bo da chieu, lien tuc", "Mục III.4")


@pytest.mark.parametrize("question", [
    "cong chuc xa co phai co bang thac si khong", "công chức cấp xã có cần bằng thạc sĩ không",
    "cán bộ xã phải có thạc sĩ không", "công chức xã có được đi học thạc sĩ ko hay chỉ lđ",
])
def test_a_level_set_for_another_group_does_not_answer_for_this_group(question: str) -> None:
    """The thạc sĩ targets are for leaders managed by the BTV or by sở/ngành, not for a commune's civil servants:
    the 2029 list, which names cấp xã only beside the deputy chairs' cao cấp, is not the answer."""
    answer = default_kb().ask(question)
    assert not answer.found or ("68%" not in answer.answer and "20%" not in answer.answer), \
        (answer.source, answer.answer)


def test_clauses_tie_a_level_to_the_group_it_is_set_for() -> None:
    from knowledge import features
    text = "lanh dao dien ban thuong vu tinh uy quan li 68% tro len co thac si; 75% pho chu tich cap xa co cao cap"
    assert features.level_applies(text, frozenset({"sau dai hoc"}), frozenset({"cap xa"})) is False
    assert features.level_applies(text, frozenset({"cao cap"}), frozenset({"cap xa"})) is True
    assert features.level_applies("ho tro dao tao sau dai hoc", frozenset({"sau dai hoc"}), frozenset({"cap xa"}))
    assert features.level_applies(text, frozenset({"sau dai hoc"}), frozenset({"dien ban thuong vu"}))


@pytest.mark.parametrize("question", [
    "den 2028 bao nhieu phan tram can bo phai duoc boi duong kien thuc so",
    "đến 2028 bao nhiêu phần trăm cán bộ được bồi dưỡng kiến thức số",
])
def test_digital_knowledge_is_the_digital_skills_target(question: str) -> None:
    """'Kiến thức số' is the resolution's chuyển đổi số, kỹ năng số: not the job-position training item."""
    answer = default_kb().ask(question)
    assert not answer.found or "chuyển đổi số" in answer.answer, (answer.source, answer.answer)


@pytest.mark.parametrize("question", ["danh gia can bo dua vao dau", "đánh giá cán bộ dựa trên cơ sở nào",
                                      "đánh giá cán bộ căn cứ vào đâu"])
def test_what_evaluation_is_based_on(question: str) -> None:
    """'Dựa vào đâu' asks what the evaluation is tied to: "gắn với sản phẩm công việc ... mức độ hài lòng"."""
    answer = default_kb().ask(question)
    assert not answer.found or "sản phẩm công việc" in answer.answer, (answer.source, answer.answer)


# --- footnotes, the current state, groups and who-questions ---------------------------------------------


@pytest.mark.parametrize("question", [
    "chủ tịch hđnd xã cần trình độ gì", "chu tich hdnd xa can trinh do gi",
    "Chủ tịch UBND cấp xã có bắt buộc cao cấp lý luận chính trị không?",
    "chu tich ubnd cap xa co bat buoc cao cap ly luan chinh tri khong",
])
def test_a_footnote_about_another_group_is_not_appended(question: str) -> None:
    """Footnote 10 (204/371) counts the Phó Chủ tịch; a question about the Chủ tịch is not given it."""
    answer = default_kb().ask(question)
    assert answer.found and "Chủ tịch" in answer.answer, (answer.source, answer.answer)
    assert "204/371" not in answer.answer, answer.answer


@pytest.mark.parametrize("typed", ["as typed", "no diacritics"])
@pytest.mark.parametrize("question", [
    "nhiệm kỳ 2025-2030 đột phá gì", "thạc sĩ cho lãnh đạo diện btv bn %", "Tổng Bí thư Tô Lâm kết luận gì",
])
def test_a_footnote_shown_says_what_it_annotates(question: str, typed: str) -> None:
    """Wherever a footnote's own text is shown, the sentence it annotates is quoted before it."""
    kb = default_kb()
    answer = kb.ask(question if typed == "as typed" else ascii_key(question))
    notes = [d for d in kb.docs if d.ref.startswith("Chú thích") and not d.is_faq and d.text[:40] in answer.answer]
    assert notes, (answer.source, answer.answer)
    for note in notes:
        # the whole sentence, or its opening words where the answer above already quotes it
        before = answer.answer[:answer.answer.index(note.text[:40])]
        assert before.endswith("”: ") and "Về “" in before, answer.answer
        quoted = before[before.rindex("Về “") + 4:-3]
        assert quoted == note.about or (quoted.endswith("…") and note.about.startswith(quoted[:-1])
                                        and ascii_key(note.about) in ascii_key(before)), answer.answer
    assert len(answer.answer) <= MAX_ANSWER


def test_a_footnote_is_about_its_sentence_and_the_group_that_sentence_names() -> None:
    about = {d.ref.split(" (")[0]: d.about for d in default_kb().docs if d.ref.startswith("Chú thích") and not d.is_faq}
    assert about["Chú thích 10"].startswith("75% Phó Chủ tịch Hội đồng nhân dân")
    # the clause names no group: the sentence's opening before ':' says whom its figures count
    assert about["Chú thích 8"] == ("Đối với cán bộ giữ chức danh lãnh đạo diện các sở, ngành, cấp ủy, cơ quan, đơn vị "
                                   "quản lý: lý luận chính trị từ trung cấp trở lên đạt 100%")
    assert about["Chú thích 4"] == ("Nghị quyết Đại hội đại biểu Đảng bộ tỉnh Tuyên Quang lần thứ nhất, "
                                   "nhiệm kỳ 2025-2030")


@pytest.mark.parametrize(("question", "now"), [
    ("ty le thac si dien btv hien nay", "65,81"),
    ("tỷ lệ thạc sĩ diện Ban Thường vụ hiện nay", "65,81"),
    ("bây giờ bao nhiêu % lãnh đạo diện btv có thạc sĩ", "65,81"),
    ("bay gio bao nhieu % lanh dao dien btv co thac si", "65,81"),
    ("tỷ lệ phó chủ tịch ubnd xã có cao cấp lý luận chính trị hiện tại", "54,98"),
    ("ty le pho chu tich ubnd xa co cao cap ly luan chinh tri hien tai", "54,98"),
])
def test_now_asks_for_the_current_figure_not_the_target(question: str, now: str) -> None:
    """'Hiện nay', 'hiện tại', 'bây giờ' ask for the state the resolution reports (its footnotes), not the target."""
    answer = default_kb().ask(question)
    assert answer.found and now in answer.answer, (answer.source, answer.answer)


@pytest.mark.parametrize("question", [
    "hiện nay bao nhiêu phần trăm cán bộ đã được bồi dưỡng chuyển đổi số",
    "hien nay bao nhieu phan tram can bo da duoc boi duong chuyen doi so",
])
def test_now_is_not_answered_with_a_target_when_the_resolution_reports_no_current_figure(question: str) -> None:
    """The resolution sets 100% by 2028 and reports no figure for today: declined, saying so, not given the target
    or another section's current figure."""
    answer = default_kb().ask(question)
    assert not answer.found and answer.intent is None, (answer.source, answer.answer)
    assert "không nêu số liệu hiện nay" in answer.answer and "Mục II.2.2 (2)" in answer.answer, answer.answer


def test_now_is_a_question_feature_and_a_footnote_reports_the_current_state() -> None:
    from knowledge import features
    assert features.asks_now("ti le thac si dien ban thuong vu hien nay")
    assert features.asks_now("bay gio co bao nhieu nguoi")
    assert not features.asks_now("den het nam 2029 bao nhieu phan tram")
    assert not features.asks_now("hien nay can bo co phai hoc ai khong")  # "these days", no figure asked
    assert not features.asks_now("hien tai toi la pho chu tich xa, toi can bao nhieu phan tram")  # the asker's post
    assert features.CURRENT in features.passage_types("den thoi diem thang 4/2026 co 412/626 dong chi", "Chú thích 6")
    assert features.CURRENT not in features.passage_types("68% tro len co trinh do thac si", "Mục II.2.2 (3)")


@pytest.mark.parametrize("question", [
    "cong chuc xa can trinh do llct gi", "công chức xã cần trình độ lý luận chính trị gì",
    "công chức cấp xã phải có trình độ chính trị nào", "cong chuc cap xa phai co trinh do chinh tri nao",
    "viên chức xã có cần cao cấp lý luận chính trị không", "vien chuc xa co can cao cap ly luan chinh tri khong",
])
def test_a_qualification_set_for_leaders_is_not_the_answer_for_civil_servants(question: str) -> None:
    """The LLCT targets name Bí thư, Chủ tịch, Phó Chủ tịch and leaders: not a commune's civil servants. The
    resolution sets no level for them; what it says is that cadres are sent to LLCT courses to meet their post's
    standard, with courses planned for cấp xã (Mục III.5.2) — that, or a refusal, never another group's target."""
    answer = default_kb().ask(question)
    assert not answer.found or answer.source == "Mục III.5.2", (answer.source, answer.answer)
    for other in ("75%", "100% Bí thư", "Phó Chủ tịch", "25%", "204/371"):
        assert other not in answer.answer, answer.answer


@pytest.mark.parametrize("question", [
    "trưởng phòng cấp xã cần trình độ lý luận chính trị gì", "truong phong cap xa can trinh do ly luan chinh tri gi",
])
def test_a_qualification_set_for_other_posts_is_not_the_answer_for_a_head_of_department(question: str) -> None:
    """A trưởng phòng is not a Phó Chủ tịch: not the 75% target alone; the leaders' list it belongs to, or nothing."""
    answer = default_kb().ask(question)
    assert not answer.found or "lãnh đạo diện các sở, ngành, cấp ủy" in answer.answer, (answer.source, answer.answer)


def test_civil_servants_and_leaders_are_groups_of_their_own() -> None:
    from knowledge import features
    assert features.whom("cong chuc cap xa") == {"cong chuc", "cap xa"}
    text = "75% pho chu tich hoi dong nhan dan cap xa co trinh do li luan chinh tri cao cap tro len"
    assert not features.level_applies(text, frozenset({"cao cap"}), frozenset({"cong chuc", "cap xa"}))
    assert features.level_applies(text, frozenset({"cao cap"}), frozenset({"pho chu tich", "cap xa"}))
    # a civil servant who leads is a leader too; but a rule for Phó Chủ tịch is not one for a trưởng phòng
    assert features.level_applies(text, frozenset({"cao cap"}), frozenset({"cong chuc", "lanh dao", "cap xa"}))
    assert not features.level_applies(text, frozenset({"cao cap"}), features.whom("truong phong cap xa"))
    assert features.level_applies("cu can bo di dao tao cao cap li luan chinh tri", frozenset({"cao cap"}),
                                  frozenset({"cong chuc", "cap xa"}))


@pytest.mark.parametrize("question", [
    "ai đánh giá cán bộ cấp xã", "ai danh gia can bo cap xa", "ai là người đánh giá cán bộ xã",
    "ai chịu trách nhiệm đánh giá cán bộ", "ai chiu trach nhiem danh gia can bo",
    "năng lực lãnh đạo của cấp ủy do ai đánh giá", "nang luc lanh dao cua cap uy do ai danh gia",
    "cơ quan nào đánh giá xếp loại cán bộ hằng tháng", "co quan nao danh gia xep loai can bo hang thang",
    # "xây dựng Kế hoạch luân chuyển cán bộ diện Ban Thường vụ …": the body comes after, as whose cadres they are
    "ai quyết định luân chuyển cán bộ", "ai quyet dinh luan chuyen can bo",
    # "Tổ chức hiệu quả các lớp bồi dưỡng dự nguồn cán bộ quy hoạch Ban Chấp hành …": nobody is named to
    "ai mở lớp bồi dưỡng dự nguồn", "ai mo lop boi duong du nguon",
])
def test_who_does_it_is_not_answered_by_a_passage_that_only_mentions_it(question: str) -> None:
    """The resolution says how cadres are evaluated (Mục III.4), never by whom; Mục III.1 names the Mặt trận as
    the one that supervises the published evaluations. A 'who' question about it is declined."""
    answer = default_kb().ask(question)
    assert not answer.found and answer.intent is None, (answer.source, answer.answer)


@pytest.mark.parametrize("question", ["ai đánh giá cán bộ cấp xã", "ai danh gia can bo cap xa"])
def test_a_who_question_declined_says_the_resolution_names_nobody(question: str) -> None:
    answer = default_kb().ask(question)
    assert not answer.found and "không nêu ai (cơ quan nào) thực hiện" in answer.answer, answer.answer
    assert "Mục III.4" in answer.suggestions or "Mục III.1" in answer.answer, (answer.answer, answer.suggestions)


@pytest.mark.parametrize(("question", "source"), [
    ("công khai thông tin đánh giá cán bộ để ai giám sát", "Mục III.1"),
    ("cong khai thong tin danh gia can bo de ai giam sat", "Mục III.1"),
    ("khung năng lực vị trí việc làm do ai xây dựng", "Mục III.3"),
    ("khung nang luc vi tri viec lam do ai xay dung", "Mục III.3"),
    ("ai kiểm tra giám sát việc thực hiện nghị quyết", "Mục IV.6"),
    ("ai ban hành nghị quyết", "Phần mở đầu"),
])
def test_who_does_it_is_answered_where_the_resolution_names_the_doer(question: str, source: str) -> None:
    answer = default_kb().ask(question)
    assert answer.found and answer.source == source, (answer.source, answer.answer)


def test_the_action_a_who_question_asks_about_and_the_doers_a_passage_names() -> None:
    from knowledge import features
    assert features.asked_action("ai danh gia can bo cap xa") == "danh gia can bo cap xa"
    assert features.asked_action("ai la nguoi danh gia can bo") == "danh gia can bo"
    assert features.asked_action("ke hoach do ai xay dung") == "xay dung"
    assert features.asked_action("co quan nao chiu trach nhiem tuyen truyen") == "tuyen truyen"
    assert features.asked_action("cho hoi ai danh gia can bo") == "danh gia can bo"
    assert features.asked_action("ai duoc cu di hoc sau dai hoc") is None  # who is sent: not who sends
    assert features.asked_action("nghi quyet ap dung cho nhung ai") is None
    kb = default_kb()
    published = next(d for d in kb.docs if d.ref == "Mục III.1" and d.text.startswith("Thực hiện công khai"))
    assert published.acted is not None and "giam_sat" in published.acted and "danh_gia" not in published.acted


def test_a_passage_that_opens_with_a_body_goes_on_with_its_tasks() -> None:
    """Mục III.2: "Cấp ủy các cấp phải có kế hoạch … Xây dựng và thực hiện Đề án tạo nguồn cán bộ trẻ …"."""
    from knowledge import features
    assert features.opens_with_doer("cac cap uy, to chuc dang, co quan, don vi can cu chuc nang")
    assert not features.opens_with_doer("thuc hien cong khai thong tin de mat tran to quoc giam sat")
    answer = default_kb().ask("ai xây dựng đề án tạo nguồn cán bộ trẻ")
    assert answer.found and answer.source == "Mục III.2" and "Cấp ủy các cấp" in answer.answer, answer.answer
