"""Editing keeps the submission: the submitted version stays submitted, and in the manager's queue,
until the edit is sent (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.app import build_application
from bot.cli import main as cli_main
from bot.fakeapi import FakeBotApi, UpdateFactory
from core.config import Settings
from db import Database
from db.migrate import upgrade
from db.models import Cadre, Evaluation
from domain.roster import import_roster
from tests.conftest import SAMPLE_ROSTER, TODAY, BotHarness, link
from tests.test_conversation_state import restarted
from tests.test_evaluation import CADRE, MANAGER, button, eval_id, fill_and_submit


def stored(db: Database) -> Evaluation:
    return db.run(lambda s: s.scalars(select(Evaluation)).one())


async def test_edit_keeps_the_submission_until_resubmitted(bot: BotHarness, roster: Database, settings: Settings,
                                                           user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    texts = await bot.send(user.callback(button(bot, "eval:edit:")))
    assert "Bạn đang sửa bản đã gửi. Bản đã gửi vẫn được giữ" in texts[-1]
    await bot.send(user.callback(f"eval:step:{eval_id(roster)}:results"))
    await bot.send(user.text("Việc thêm khi sửa"))
    assert stored(roster).status == "submitted" and "Việc thêm khi sửa" not in stored(roster).results
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MANAGER)
    assert "Chờ bạn xếp loại (1)" in (await bot.send(manager.text("/review")))[-1]
    texts = await bot.send(manager.callback(f"rev:open:{eval_id(roster)}"))
    assert "Việc thêm khi sửa" not in texts[-1]
    async with restarted(settings, roster) as again:  # left mid-edit; the bot restarts; /eval resumes the edit
        texts = await again.send(user.text("/eval"))
        assert "Bạn đang sửa bản đã gửi" in texts[-1] and "Việc thêm khi sửa" in texts[-1]
        await again.send(user.callback(f"eval:step:{eval_id(roster)}:preview"))
        texts = await again.send(user.callback(f"eval:submit:{eval_id(roster)}"))
        assert "Đã gửi tự đánh giá" in texts[0]
    assert "Việc thêm khi sửa" in stored(roster).results and stored(roster).edit_draft is None


async def test_discarding_the_edit_and_rating_during_an_edit(bot: BotHarness, roster: Database,
                                                             user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    await bot.send(user.callback(f"eval:edit:{eval_id(roster)}"))
    texts = await bot.send(user.callback(f"eval:discard:{eval_id(roster)}"))
    assert "Đã bỏ bản sửa" in texts[0] and "đã gửi, chờ xếp loại" in texts[-1]
    await bot.send(user.callback(f"eval:edit:{eval_id(roster)}"))
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MANAGER)
    await bot.send(manager.callback(f"rev:nocomment:{eval_id(roster)}:1"))
    assert "Đã xếp loại" in (await bot.send(manager.callback(f"rev:ok:{eval_id(roster)}:1")))[0]
    texts = await bot.send(user.callback(f"eval:submit:{eval_id(roster)}"))
    assert "đã xếp loại" in texts[-1]
    assert (stored(roster).status, stored(roster).manager_rating) == ("rated", 1)


async def test_cli_still_shows_submitted_after_edit_and_quit(tmp_path: Path, settings: Settings,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    db = Database.from_url(url)
    upgrade(db.engine)
    db.run(import_roster, SAMPLE_ROSTER)
    api = FakeBotApi()
    app = build_application(settings, db, request=api, clock=lambda: TODAY)
    async with app:
        chat = BotHarness(app, api)
        user = UpdateFactory(user_id=555)
        await link(chat, user, CADRE)
        await fill_and_submit(chat, user)
        await chat.send(user.callback(button(chat, "eval:edit:")))
    monkeypatch.setenv("CADREBOT_DATABASE_URL", url)
    capsys.readouterr()
    assert cli_main(["evaluations", "--month", "2026-11", "--unit", "XMH-VP", "--json"]) == 0
    nam = next(p for p in json.loads(capsys.readouterr().out)["cadres"] if p["cadre"] == "MAU016")
    assert nam["status"] == "submitted"
    db.dispose()


async def test_edit_texts_name_the_buttons_shown(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """Every sentence of the edit mode names a button that is on the screen, by its exact label (walkthrough 5)."""
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    text = (await bot.send(user.callback(f"eval:edit:{eval_id(roster)}")))[-1]
    labels = [b["text"] for b in bot.last_buttons()]
    assert "📤 Gửi bản sửa" in labels and "🗑 Bỏ bản sửa" in labels and "⏸ Để sau (giữ bản đã gửi)" in labels
    quoted = {q.split("”")[0] for q in text.split("“")[1:]}
    assert quoted and quoted <= set(labels), quoted - set(labels)
    text = (await bot.send(user.callback(f"eval:pause:{eval_id(roster)}")))[-1]
    assert "bản đã gửi giữ nguyên" in text.lower() and "nháp" not in text and "“📤 Gửi bản sửa”" in text
    await bot.send(user.text("/eval"))
    await bot.send(user.callback(f"eval:step:{eval_id(roster)}:results"))
    text = (await bot.send(user.text("/gaps")))[0]
    assert "bản đã gửi giữ nguyên" in text and "“📤 Gửi bản sửa”" in text


async def test_an_edit_overtaken_by_the_rating_is_given_back_not_lost(bot: BotHarness, roster: Database,
                                                                      settings: Settings, user: UpdateFactory) -> None:
    """The manager rated while the cadre was editing: the unsent edit was dropped without a word, and the next
    line typed was refused with "không sửa được nữa", gone too (walkthrough). Both are now given back."""
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    await bot.send(user.callback(f"eval:edit:{eval_id(roster)}"))
    await bot.send(user.callback(f"eval:step:{eval_id(roster)}:results"))
    await bot.send(user.text("Hoàn thành báo cáo quý IV & <tổng kết>"))
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MANAGER)
    await bot.send(manager.callback(f"rev:nocomment:{eval_id(roster)}:1"))
    await bot.send(manager.callback(f"rev:ok:{eval_id(roster)}:1"))
    notice = next(c.text for c in bot.api.sent(chat_id=user.user_id) if "đã được xếp loại" in c.text)
    assert "Bản sửa bạn đang soạn chưa gửi nên không được tính" in notice
    assert "Hoàn thành báo cáo quý IV &amp; &lt;tổng kết&gt;" in notice
    from domain.evaluation import form
    from domain.evaluation.common import EvaluationRefused, Window

    window = Window.of(settings.evaluation)
    with pytest.raises(EvaluationRefused) as refused:  # a line that still reached the form (a step left open)
        roster.run(form.add_results, stored(roster).cadre_id, eval_id(roster), "Tổ chức hội nghị cán bộ", window,
                   TODAY)
    assert "không sửa được nữa" in str(refused.value) and "Tổ chức hội nghị cán bộ" in str(refused.value)


def test_an_edit_sent_after_the_window_closed_is_refused_and_given_back(roster: Database,
                                                                         settings: Settings) -> None:
    """Reopened on the last day, sent on 20/12: the edit replaced an on-time submission and marked it late for good
    (walkthrough). Edits are allowed until the window closes (domain.md §4): sent after, it is refused, the
    submitted version stays as it was, and what the edit held comes back in the message (the edit is kept too)."""
    from datetime import date

    from domain.evaluation import EvaluationRefused, Window
    from domain.evaluation import form as ev_form

    window = Window.of(settings.evaluation)
    cadre_id = roster.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == "MAU016")))

    def submitted_on_time(session):  # type: ignore[no-untyped-def]
        form = ev_form.start_or_resume(session, cadre_id, date(2026, 11, 27), window)
        ev_form.add_results(session, cadre_id, form.id, "Hoàn thành báo cáo tháng", window, date(2026, 11, 27))
        ev_form.set_self_rating(session, cadre_id, form.id, 1, window, date(2026, 11, 27))
        ev_form.submit(session, cadre_id, form.id, window, date(2026, 11, 27))
        ev_form.reopen(session, cadre_id, form.id, window, date(2026, 12, 5))
        ev_form.go_to(session, cadre_id, form.id, "results", window, date(2026, 12, 5))
        ev_form.add_results(session, cadre_id, form.id, "Việc thêm sau khi gửi", window, date(2026, 12, 5))
        return form.id
    eval_no = roster.run(submitted_on_time)
    with pytest.raises(EvaluationRefused) as refused:
        roster.run(ev_form.submit, cadre_id, eval_no, window, date(2026, 12, 20))
    assert "đã đóng ngày 05/12/2026" in str(refused.value) and "Việc thêm sau khi gửi" in str(refused.value)
    kept = stored(roster)
    assert (kept.status, kept.late) == ("submitted", False)
    assert "Việc thêm sau khi gửi" not in kept.results


async def test_dropping_an_edit_gives_its_text_back(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """“🗑 Bỏ bản sửa” sits beside “📤 Gửi bản sửa”: one tap dropped what was typed (walkthrough). The reply now
    hands it back; an edit opened and left as sent has nothing to give back."""
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    await bot.send(user.callback(f"eval:edit:{eval_id(roster)}"))
    texts = await bot.send(user.callback(f"eval:discard:{eval_id(roster)}"))
    assert "Đã bỏ bản sửa" in texts[0] and "để giữ lại" not in texts[0]
    await bot.send(user.callback(f"eval:edit:{eval_id(roster)}"))
    await bot.send(user.callback(f"eval:step:{eval_id(roster)}:results"))
    await bot.send(user.text("Thêm một việc quan trọng nữa"))
    texts = await bot.send(user.callback(f"eval:discard:{eval_id(roster)}"))
    assert "Đã bỏ bản sửa" in texts[0] and "• Thêm một việc quan trọng nữa" in texts[0]
    assert "Thêm một việc" not in stored(roster).results and stored(roster).edit_draft is None


def _away(db: Database, minutes: int) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from domain.clock import utcnow
    db.run(lambda s: s.execute(update(Evaluation).values(updated_at=utcnow() - timedelta(minutes=minutes))))


async def _form_left_a_while(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """MAU016 opens /eval, writes one work item, and comes back 40 minutes later (the form's buttons still shown)."""
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    await bot.send(user.text("Việc thứ nhất của tháng"))
    _away(roster, 40)


async def test_a_line_typed_after_a_break_is_not_taken_for_a_question_without_asking(
        bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """Back after 30 minutes with the form still on screen, a work item was answered as an off-topic question and
    not saved (walkthrough). The bot now asks where the line goes, keeping it until a button says."""
    await _form_left_a_while(bot, roster, user)
    texts = await bot.send(user.text("Tổng hợp báo cáo thống kê quý IV"))
    assert "Thêm vào bản tự đánh giá" in texts[-1] and "tháng 11/2026" in texts[-1]
    assert "Tổng hợp" not in stored(roster).results
    first_line = button(bot, "eval:keep:")
    texts = await bot.send(user.callback(first_line))
    assert "Tổng hợp báo cáo thống kê quý IV" in stored(roster).results and "Tổng hợp báo cáo" in texts[-1]
    _away(roster, 40)
    texts = await bot.send(user.text("Chỉ tiêu thạc sĩ của diện BTV là bao nhiêu?"))
    assert "68" in texts[-1] and "Thêm vào bản tự đánh giá" in texts[-1] and "thạc sĩ" not in stored(roster).results
    texts = await bot.send(user.callback(first_line))  # an older line's button: nothing waits for it
    assert "đã cũ" in texts[-1] and stored(roster).results.count("Tổng hợp") == 1
    _away(roster, 40)
    await bot.send(user.text("Rà soát hồ sơ đảng viên"))
    await bot.send(user.text("thêm vào bản tự đánh giá"))  # the button's label, typed, presses it
    assert "Rà soát hồ sơ đảng viên" in stored(roster).results


async def test_past_months_read_as_titles(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """'📜 Các tháng trước' listed '• tháng 11/2026: …' and buttons '📄 tháng 11/2026' in lower case (walkthrough)."""
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    texts = await bot.send(user.callback("eval:history"))
    assert "• Tháng 11/2026: tự xếp loại" in texts[-1]
    assert "📄 Tháng 11/2026" in [b["text"] for b in bot.last_buttons()]


# Attack on the held line (eval:keep): what it must not break.


async def test_pressing_an_older_lines_button_does_not_lose_the_newer_held_line(
        bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """Two lines typed after a break (two work items, two messages): the first one's button is stale by design,
    but pressing it takes the chat's step (conversation.take_step) before comparing, so the second line's button,
    which the bot is still offering, now says 'đã cũ' as well: the line is lost."""
    await _form_left_a_while(bot, roster, user)
    await bot.send(user.text("Tổng hợp báo cáo thống kê quý IV"))
    first = button(bot, "eval:keep:")
    await bot.send(user.text("Rà soát hồ sơ đảng viên"))
    second = button(bot, "eval:keep:")
    assert first != second
    texts = await bot.send(user.callback(first))
    assert "đã cũ" in texts[-1]  # as designed
    texts = await bot.send(user.callback(second))  # the newest line's button, still the last on screen
    assert "Rà soát hồ sơ đảng viên" in stored(roster).results, texts[-1]


async def test_typing_xong_after_a_held_line_still_presses_xong(bot: BotHarness, roster: Database,
                                                                user: UpdateFactory) -> None:
    """Before 9269727 the form's step (eval-results) stayed open after a break, so typing “xong” pressed “✅ Xong”.
    Now the held line's step replaces it: “xong” is answered as a question and held as a work item."""
    await _form_left_a_while(bot, roster, user)
    await bot.send(user.text("Tổng hợp báo cáo thống kê quý IV"))
    texts = await bot.send(user.text("xong"))
    assert stored(roster).step == "difficulties", texts[-1]


async def test_a_thank_you_after_a_break_is_smalltalk_not_an_off_topic_question(
        bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """_answer_and_hold calls answer_question directly, skipping smalltalk: “cảm ơn” typed after a break with a draft
    open is now 'Câu hỏi này không thuộc nội dung Nghị quyết…' plus an offer to add “cảm ơn” to the evaluation.
    Before 9269727 it got the thank-you reply."""
    await _form_left_a_while(bot, roster, user)
    texts = await bot.send(user.text("cảm ơn"))
    assert "Rất vui được giúp bạn" in texts[-1], texts[-1]
    assert "Thêm vào bản tự đánh giá" not in texts[-1]


async def test_a_held_line_goes_to_the_part_it_was_typed_at(bot: BotHarness, roster: Database,
                                                            user: UpdateFactory) -> None:
    """A line held at 'Kết quả công việc' stays a work item even if the form moved on meanwhile (another device):
    it never overwrites the difficulties the note did not name (attack)."""
    await _form_left_a_while(bot, roster, user)
    await bot.send(user.text("Tổng hợp báo cáo thống kê quý IV"))
    held = button(bot, "eval:keep:")
    roster.run(lambda s: s.execute(update(Evaluation).values(step="difficulties")))  # moved on elsewhere
    await bot.send(user.callback(held))
    assert "Tổng hợp báo cáo thống kê quý IV" in stored(roster).results and not stored(roster).difficulties


async def test_an_old_remove_last_button_at_a_later_step_removes_nothing(bot: BotHarness, roster: Database,
                                                                        user: UpdateFactory) -> None:
    """At step 3, the step-1 message's '↩️ Xóa mục cuối' deleted work items unseen; twice, and the list was empty
    (second walkthrough as a cadre). It now acts only at step 1, and says what it removed."""
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    await bot.send(user.text("Việc thứ nhất của tháng\nViệc thứ hai của tháng"))
    undo = f"eval:undo:{eval_id(roster)}"
    await bot.send(user.callback(f"eval:step:{eval_id(roster)}:difficulties"))
    texts = await bot.send(user.callback(undo))
    assert "chưa xóa gì" in texts[-1] and "Việc thứ hai" in stored(roster).results
    await bot.send(user.callback(f"eval:step:{eval_id(roster)}:results"))
    texts = await bot.send(user.callback(undo))
    assert any("Đã xóa mục: “Việc thứ hai của tháng”" in t for t in texts)
    assert "Việc thứ hai" not in stored(roster).results


async def test_a_line_typed_after_pausing_is_held_too(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """After '⏸ Để sau', a typed work item was answered as an off-topic question with no way to keep it (second
    walkthrough as a cadre): it is answered and held one press away, as after a break."""
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    await bot.send(user.text("Việc thứ nhất của tháng"))
    await bot.send(user.callback(f"eval:pause:{eval_id(roster)}"))
    assert [b["text"] for b in bot.last_buttons()] == ["📝 Làm tiếp", "⬅️ Về menu"]  # the pause is no dead end
    texts = await bot.send(user.text("Tiếp xúc cử tri tại 3 thôn"))
    assert "Thêm vào bản tự đánh giá" in texts[-1] and "Tiếp xúc" not in stored(roster).results
    await bot.send(user.callback(button(bot, "eval:keep:")))
    assert "Tiếp xúc cử tri tại 3 thôn" in stored(roster).results


# Attack on the paused draft's held lines: a typed button label still presses its button.


async def _paused(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    await bot.send(user.text("Việc thứ nhất của tháng"))
    await bot.send(user.callback(f"eval:pause:{eval_id(roster)}"))
    assert "📝 Làm tiếp" in [b["text"] for b in bot.last_buttons()]


async def test_typed_lam_tiep_resumes(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await _paused(bot, roster, user)
    texts = await bot.send(user.text("Làm tiếp"))
    assert not any("Thêm vào bản tự đánh giá" in t for t in texts), texts
    assert any("Việc thứ nhất của tháng" in t for t in texts), texts  # the form shown again


async def test_typed_menu_label_after_pause(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await _paused(bot, roster, user)
    await bot.send(user.text("/menu"))
    labels = [b["text"] for b in bot.last_buttons()]
    texts = await bot.send(user.text(labels[0]))  # "👤 Hồ sơ của tôi": the menu's button, not a work item
    assert not any("Thêm vào bản tự đánh giá" in t for t in texts), (labels, texts)
    assert any("Mã cán bộ: MAU016" in t for t in texts)


async def test_a_refused_form_press_leads_back_to_the_form(bot: BotHarness, roster: Database,
                                                           user: UpdateFactory) -> None:
    """'📤 Gửi' refused for an empty list offered only the menu (second walkthrough as a cadre): the form is one tap
    away."""
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    texts = await bot.send(user.callback(f"eval:submit:{eval_id(roster)}"))
    assert "Cần ít nhất một kết quả" in texts[-1]
    assert [b["text"] for b in bot.last_buttons()] == ["📝 Mở bản tự đánh giá", "⬅️ Về menu"]
