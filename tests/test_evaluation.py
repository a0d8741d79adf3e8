"""Monthly self-evaluation through the bot, a restart mid-form, and the manager's review."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.app import build_application
from bot.fakeapi import FakeBotApi, UpdateFactory
from db import Database
from db.models import AuditLog, Evaluation, Outbox
from domain import evaluation as ev
from domain.clock import utcnow
from domain.evaluation import Window
from tests.conftest import TODAY, BotHarness, link

WINDOW = Window(25, 5)
CADRE, MANAGER, OTHER_MANAGER = "0912345016", "0912345015", "0912345020"  # MAU016 -> MAU015; MAU020 is XTP


def eval_id(db: Database, code: str = "MAU016") -> int:
    from db.models import Cadre

    return db.run(lambda s: s.scalar(select(Evaluation.id).join(Cadre, Cadre.id == Evaluation.cadre_id)
                                     .where(Cadre.code == code)))


def button(bot: BotHarness, prefix: str) -> str:
    return next(b["callback_data"] for b in bot.last_buttons() if b.get("callback_data", "").startswith(prefix))


async def fill_and_submit(bot: BotHarness, user: UpdateFactory) -> None:
    await bot.send(user.text("/eval"))
    await bot.send(user.text("Hoàn thành báo cáo tháng\n- Tổ chức hội nghị\n2) Rà soát hồ sơ"))
    await bot.send(user.callback(button(bot, "eval:step:")))
    await bot.send(user.callback(button(bot, "eval:skip:")))
    await bot.send(user.callback(button(bot, "eval:self:")))
    await bot.send(user.callback(button(bot, "eval:submit:")))


# --- the window ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "period", "late"),
    [(date(2026, 11, 25), (2026, 11), False), (date(2026, 12, 5), (2026, 11), False),
     (date(2026, 12, 6), (2026, 11), True), (date(2027, 1, 3), (2026, 12), False)],
)
def test_window(today: date, period: tuple[int, int], late: bool) -> None:
    assert WINDOW.open_period(today) == period
    assert WINDOW.is_late(*period, today) is late


def test_month_not_yet_open_refused(roster: Database) -> None:
    with pytest.raises(ev.EvaluationRefused, match="chưa mở"):
        roster.run(ev.start_or_resume, _cid(roster, "MAU016"), date(2026, 11, 20), WINDOW, (2026, 11))


def test_item_limits(roster: Database) -> None:
    cid = _cid(roster, "MAU016")
    v = roster.run(ev.start_or_resume, cid, TODAY, WINDOW)
    with pytest.raises(ev.EvaluationRefused, match="Tối đa 30"):
        roster.run(ev.add_results, cid, v.id, "\n".join(f"việc {i}" for i in range(31)), WINDOW, TODAY)
    with pytest.raises(ev.EvaluationRefused, match=r"1\.000 ký tự"):
        roster.run(ev.add_results, cid, v.id, "x" * 1001, WINDOW, TODAY)
    with pytest.raises(ev.EvaluationRefused, match="ít nhất một"):
        roster.run(ev.go_to, cid, v.id, "difficulties", WINDOW, TODAY)


# --- the cadre's form -----------------------------------------------------------------------------


async def test_whole_form_with_restart_in_the_middle(bot: BotHarness, roster: Database, settings,  # type: ignore[no-untyped-def]
                                                     user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    texts = await bot.send(user.text("/eval"))
    assert "Tự đánh giá tháng 11/2026" in texts[-1] and "Bước 1/3" in texts[-1]
    texts = await bot.send(user.text("Hoàn thành báo cáo tháng\n- Tổ chức hội nghị"))
    assert "Đã ghi 2 kết quả" in texts[-1]

    # The bot restarts: a new Application on the same database; the user just keeps typing.
    api = FakeBotApi()
    app = build_application(settings, roster, request=api, clock=lambda: TODAY)
    async with app:
        again = BotHarness(app, api)
        texts = await again.send(user.text("Rà soát 120 hồ sơ"))
        assert "Đã ghi 3 kết quả" in texts[-1]
        await again.send(user.callback(button(again, "eval:step:")))
        texts = await again.send(user.text("Thiếu máy tính; đề xuất cấp thêm 2 máy"))
        assert "Bước 3/3" in texts[-1]
        texts = await again.send(user.callback(button(again, "eval:self:")))
        assert "Xem lại" in texts[-1] and "Rà soát 120 hồ sơ" in texts[-1] and "Thiếu máy tính" in texts[-1]
        texts = await again.send(user.callback(button(again, "eval:submit:")))
        assert "Đã gửi tự đánh giá tháng 11/2026" in texts[0]
    stored = roster.run(lambda s: s.scalars(select(Evaluation)).one())
    assert (stored.status, stored.self_rating, stored.late) == ("submitted", 0, False)
    assert "Rà soát 120 hồ sơ" in stored.results


async def test_cancel_keeps_the_draft_and_eval_resumes(bot: BotHarness, roster: Database,
                                                        user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    await bot.send(user.text("Việc thứ nhất"))
    assert "Đã hủy thao tác" in (await bot.send(user.text("/cancel")))[-1]
    texts = await bot.send(user.text("bí thư xã cần trình độ chính trị gì"))  # goes to the knowledge module
    assert "cao cấp" in texts[-1]
    texts = await bot.send(user.text("/eval"))
    assert "Đã ghi 1 kết quả" in texts[-1] and "Việc thứ nhất" in texts[-1]


async def test_stale_draft_does_not_swallow_questions(bot: BotHarness, roster: Database,
                                                      user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    stale = utcnow() - timedelta(hours=2)
    roster.run(lambda s: s.execute(update(Evaluation).values(updated_at=stale)))
    texts = await bot.send(user.text("bí thư xã cần trình độ chính trị gì"))
    assert "cao cấp" in texts[-1]


async def test_edit_until_rated_and_two_submits_make_one(bot: BotHarness, roster: Database,
                                                         user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    texts = await bot.send(user.callback(button(bot, "eval:edit:")))
    assert "Xem lại" in texts[-1]
    await bot.send(user.callback(button(bot, "eval:submit:")))
    await bot.send(user.callback(f"eval:submit:{eval_id(roster)}"))  # a double press
    assert roster.run(lambda s: s.scalar(select(func.count(Evaluation.id)))) == 1
    await bot.send(user.text("/eval"))
    assert "đã gửi, chờ xếp loại" in bot.api.last_text()


async def test_forged_callbacks_on_someone_elses_evaluation(bot: BotHarness, roster: Database,
                                                           user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    intruder = UpdateFactory(user_id=999)
    await link(bot, intruder, "0912345017")  # MAU017, a colleague
    target = eval_id(roster)
    for data in (f"eval:edit:{target}", f"eval:submit:{target}", f"eval:view:{target}", f"rev:rate:{target}:0",
                 f"rev:ok:{target}:0", f"rev:open:{target}"):
        texts = await bot.send(intruder.callback(data))
        assert "không phải" in texts[-1], data
    assert "không còn hiệu lực" in (await bot.send(intruder.callback("eval:self:abc")))[-1]
    assert roster.run(lambda s: s.scalar(select(Evaluation.status))) == "submitted"


# --- the manager ----------------------------------------------------------------------------------


async def test_manager_reviews_with_comment_and_cadre_is_told(bot: BotHarness, roster: Database,
                                                              user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MANAGER)
    texts = await bot.send(manager.text("/review"))
    assert "Chờ bạn xếp loại (1)" in texts[-1]
    texts = await bot.send(manager.callback(button(bot, "rev:open:")))
    assert "Vũ Văn Nam" in texts[-1] and "Tổ chức hội nghị" in texts[-1]
    await bot.send(manager.callback(f"rev:rate:{eval_id(roster)}:1"))
    texts = await bot.send(manager.text("Làm tốt, cần chủ động hơn"))
    assert "Xác nhận xếp loại" in texts[-1] and "Hoàn thành tốt nhiệm vụ" in texts[-1]
    texts = await bot.send(manager.callback(button(bot, "rev:ok:")))
    assert "Đã xếp loại Vũ Văn Nam" in texts[0]
    told = [c.text for c in bot.api.sent(chat_id=user.chat_id)]
    assert any("Hoàn thành tốt nhiệm vụ" in t and "cần chủ động hơn" in t for t in told)
    texts = await bot.send(user.text("/eval"))
    assert "đã xếp loại" in texts[-1]
    with pytest.raises(ev.EvaluationRefused, match="đã xếp loại"):
        roster.run(ev.reopen, roster.run(lambda s: s.scalar(select(Evaluation.cadre_id))), eval_id(roster),
                   WINDOW, TODAY)


async def test_manager_outside_subtree_refused(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    stranger = UpdateFactory(user_id=520)
    await link(bot, stranger, OTHER_MANAGER)
    assert "Không có bản tự đánh giá nào chờ" in (await bot.send(stranger.text("/review")))[-1]
    texts = await bot.send(stranger.callback(f"rev:ok:{eval_id(roster)}:0"))
    assert "không phải người đánh giá" in texts[-1]


async def test_unit_status_nudge_and_grid(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    colleague = UpdateFactory(user_id=517)
    await link(bot, colleague, "0912345017")
    manager = UpdateFactory(user_id=510)
    await link(bot, manager, "0912345010")  # MAU010 heads Xã Minh Hương
    texts = await bot.send(manager.callback("rev:unit"))
    assert "Đã gửi: 1/8" in texts[-1] and "Bùi Thị Trang" in texts[-1]  # his review chain, as the year view
    assert texts[-1].count("Chưa gửi") == 1 and "Ma Văn Chiến" not in texts[-1]  # one list, without himself
    texts = await bot.send(manager.callback("rev:nudge"))
    assert any("Đã gửi lời nhắc tới" in t for t in texts)
    assert any("nhắc bạn gửi tự đánh giá" in c.text for c in bot.api.sent(chat_id=colleague.chat_id))
    mau015 = UpdateFactory(user_id=515)
    await link(bot, mau015, MANAGER)
    texts = await bot.send(mau015.callback("rev:grid"))
    assert "quý 4/2026" in texts[-1] and "Vũ Văn Nam: T10 — · T11 chờ · T12 — → Quý: chưa đủ" in texts[-1]
    plain = UpdateFactory(user_id=530)
    await link(bot, plain, "0912345004")
    assert "chỉ dành cho cán bộ quản lý" in (await bot.send(plain.callback("rev:unit")))[-1]


async def test_delegation_lets_a_deputy_rate_and_audit_names_both(bot: BotHarness, roster: Database,
                                                                  user: UpdateFactory) -> None:
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    manager, deputy = UpdateFactory(user_id=515), UpdateFactory(user_id=516)
    await link(bot, manager, MANAGER)
    await link(bot, deputy, "0912345013")  # MAU013, not in MAU015's unit
    peer = UpdateFactory(user_id=517)
    await link(bot, peer, "0912345012")  # MAU012, a leader of XMH reviewed by MAU010
    texts = await bot.send(manager.text("/delegate MAU013 26/11/2026 30/11/2026"))
    assert "Chỉ ủy quyền được cho một cán bộ khác trong đơn vị của bạn" in texts[-1]
    assert "Cách dùng" in (await bot.send(manager.text("/delegate MAU016 hôm nay")))[-1]
    boss = UpdateFactory(user_id=511)
    await link(bot, boss, "0912345011")
    texts = await bot.send(boss.text("/delegate MAU013 26/11/2026 30/11/2026"))
    assert "Không ủy quyền được cho người bạn trực tiếp xếp loại" in texts[-1]  # MAU013 reports to MAU011
    texts = await bot.send(boss.text("/delegate MAU012 26/11/2026 30/11/2026"))
    assert any("Đã ủy quyền cho Nông Văn Dũng" in t for t in texts)  # the deputy is told too (delivered after)
    # MAU011 is MAU015's direct manager, so MAU012 may now rate MAU015's evaluation for them.
    mau015_eval = roster.run(ev.start_or_resume, _cid(roster, "MAU015"), TODAY, WINDOW)
    roster.run(ev.add_results, _cid(roster, "MAU015"), mau015_eval.id, "Việc A", WINDOW, TODAY)
    roster.run(ev.set_self_rating, _cid(roster, "MAU015"), mau015_eval.id, 2, WINDOW, TODAY)
    roster.run(ev.submit, _cid(roster, "MAU015"), mau015_eval.id, WINDOW, TODAY)
    await bot.send(peer.text("/review"))
    assert any("Giàng Thị Vân" in b["text"] for b in bot.last_buttons())
    await bot.send(peer.callback(f"rev:nocomment:{mau015_eval.id}:2"))
    texts = await bot.send(peer.callback(f"rev:ok:{mau015_eval.id}:2"))
    assert "Đã xếp loại Giàng Thị Vân" in texts[0]
    detail = roster.run(lambda s: s.scalar(select(AuditLog.detail).where(AuditLog.action == "evaluation-rate")))
    actor_code = roster.run(lambda s: s.scalar(select(AuditLog.actor).where(AuditLog.action == "evaluation-rate")))
    assert actor_code == "MAU012" and "thay mặt MAU011" in detail


def _cid(db: Database, code: str) -> int:
    from db.models import Cadre

    return db.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == code)))


def test_late_submission_is_marked(roster: Database) -> None:
    cid = _cid(roster, "MAU016")
    late_day = date(2026, 12, 9)
    v = roster.run(ev.start_or_resume, cid, late_day, WINDOW)
    assert (v.year, v.month) == (2026, 11)
    roster.run(ev.add_results, cid, v.id, "Việc", WINDOW, late_day)
    roster.run(ev.set_self_rating, cid, v.id, 2, WINDOW, late_day)
    done = roster.run(ev.submit, cid, v.id, WINDOW, late_day)
    assert done.late and not done.editable
    with pytest.raises(ev.EvaluationRefused, match="đã đóng"):
        roster.run(ev.reopen, cid, v.id, WINDOW, late_day)
    assert roster.run(lambda s: s.scalar(select(func.count(Outbox.id)))) == 0  # MAU015 not linked: nothing queued


def test_cli_evaluations_month(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from openpyxl import load_workbook

    from bot.cli import main as cli_main
    from tests.conftest import SAMPLE_ROSTER

    monkeypatch.setenv("CADREBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    cli_main(["import-roster", str(SAMPLE_ROSTER)])
    db = Database.from_url(f"sqlite:///{tmp_path / 'cli.db'}")
    cid = _cid(db, "MAU016")
    late_day = date(2026, 12, 9)
    v = db.run(ev.start_or_resume, cid, late_day, WINDOW)
    db.run(ev.add_results, cid, v.id, "Việc", WINDOW, late_day)
    db.run(ev.set_self_rating, cid, v.id, 1, WINDOW, late_day)
    db.run(ev.submit, cid, v.id, WINDOW, late_day)
    capsys.readouterr()
    assert cli_main(["evaluations", "--month", "2026-11", "--unit", "XMH", "--json",
                     "--xlsx", str(tmp_path / "e.xlsx")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"cadres": 9, "submitted": 1, "late": 1, "missing": 8, "reviewed": 0}
    nam = next(p for p in data["cadres"] if p["cadre"] == "MAU016")
    assert nam == {"cadre": "MAU016", "name": "Vũ Văn Nam", "unit": "Văn phòng HĐND và UBND xã", "status": "submitted",
                   "late": True, "self_rating": "Hoàn thành tốt nhiệm vụ", "manager_rating": None}
    sheet = load_workbook(tmp_path / "e.xlsx").active
    assert sheet.max_row == 4 + 9 and sheet.freeze_panes == "A5"
    assert [c.value for c in sheet[4]][:4] == ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị"]
    nam_row = next(r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0] == "MAU016")
    assert nam_row[2:5] == ("XMH-VP", "Văn phòng HĐND và UBND xã", "Đã gửi, chờ xếp loại")
    assert cli_main(["evaluations", "--month", "2026-13"]) == 2
    db.dispose()


async def test_unit_status_lists_the_review_chain_below_never_a_boss(bot: BotHarness, roster: Database) -> None:
    """"Tình hình cấp dưới" lists the people below the manager in the review chain, like the quarter and year views:
    a deputy chairman no longer sees (or reminds) the Party secretary above him (walkthrough)."""
    deputy_chair = UpdateFactory(user_id=613)
    await link(bot, deputy_chair, "0912345013")  # MAU013 rates MAU017 and MAU018
    text = (await bot.send(deputy_chair.callback("rev:unit")))[-1]
    assert "Ma Văn Chiến" not in text and "Hoàng Thị Yến" not in text
    assert "Đã gửi: 0/2" in text and "Bùi Thị Trang" in text and "Lý Văn Phúc" in text
    boss = UpdateFactory(user_id=610)
    await link(bot, boss, "0912345010")
    await bot.send(deputy_chair.callback("rev:nudge"))
    assert not any("nhắc bạn gửi tự đánh giá" in c.text for c in bot.api.sent(chat_id=boss.chat_id))


async def test_skipping_difficulties_in_an_edit_keeps_what_was_written(bot: BotHarness, roster: Database,
                                                                        user: UpdateFactory) -> None:
    """Editing a submitted evaluation walks through step 2 again: "Bỏ qua" there used to erase the difficulties
    already sent; now the step shows them and keeps them (walkthrough: never lose what a person wrote)."""
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    await bot.send(user.text("Hoàn thành báo cáo tháng"))
    await bot.send(user.callback(button(bot, "eval:step:")))
    await bot.send(user.text("Thiếu máy GPS cho đo đạc"))
    await bot.send(user.callback(button(bot, "eval:self:")))
    await bot.send(user.callback(button(bot, "eval:submit:")))
    await bot.send(user.callback(button(bot, "eval:edit:")))
    await bot.send(user.callback(f"eval:step:{eval_id(roster)}:results"))
    await bot.send(user.text("Xác minh đất"))
    texts = await bot.send(user.callback(f"eval:step:{eval_id(roster)}:difficulties"))
    assert "Thiếu máy GPS cho đo đạc" in texts[-1] and "Giữ nguyên" in next(b["text"] for b in bot.last_buttons())
    texts = await bot.send(user.callback(button(bot, "eval:skip:")))
    assert "Thiếu máy GPS cho đo đạc" in texts[-1]


async def test_an_emoji_or_an_okay_is_not_a_work_result(bot: BotHarness, roster: Database,
                                                        user: UpdateFactory) -> None:
    """"👍" or "ok" typed at step 1 used to be saved as results the manager then reads (walkthrough)."""
    await link(bot, user, CADRE)
    await bot.send(user.text("/eval"))
    for typed in ("👍", "ok"):
        texts = await bot.send(user.text(typed))
        assert "mô tả công việc" in texts[-1], typed
    texts = await bot.send(user.text("Hoàn thành báo cáo tháng"))
    assert "Đã ghi 1 kết quả" in texts[-1]


async def test_the_reviewer_is_told_when_an_edit_replaces_what_was_sent(bot: BotHarness, roster: Database,
                                                                        user: UpdateFactory) -> None:
    """A reviewer may have opened the version sent first: an edit sent later says so (walkthrough)."""
    from db.models import Outbox

    await link(bot, UpdateFactory(user_id=515), MANAGER)
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    await bot.send(user.callback(button(bot, "eval:edit:")))
    await bot.send(user.callback(f"eval:step:{eval_id(roster)}:results"))
    await bot.send(user.text("Xác minh đất"))
    await bot.send(user.callback(f"eval:step:{eval_id(roster)}:preview"))
    await bot.send(user.callback(button(bot, "eval:submit:")))
    told = roster.run(lambda s: list(s.scalars(select(Outbox.payload).where(Outbox.kind == "eval-submitted"))))
    assert len(told) == 2 and any("đã gửi bản sửa" in t and "xem lại" in t for t in told)


def _first(bot: BotHarness, prefix: str = "") -> str:
    """The data of the last message's first button starting with `prefix`."""
    return next(b["callback_data"] for b in bot.last_buttons() if b["callback_data"].startswith(prefix))


async def _manager_opens_the_submitted(bot: BotHarness, roster: Database, user: UpdateFactory
                                       ) -> tuple[UpdateFactory, int]:
    """MAU016 submits; MAU015 opens it and picks the first rating. Returns the manager and the evaluation."""
    manager = UpdateFactory(user_id=515)
    await link(bot, manager, MANAGER)
    await link(bot, user, CADRE)
    await fill_and_submit(bot, user)
    ev_id = eval_id(roster)
    await bot.send(manager.callback(f"rev:open:{ev_id}"))
    await bot.send(manager.callback(_first(bot, "rev:rate:")))
    return manager, ev_id


def _edit_sent_meanwhile(roster: Database, ev_id: int) -> None:
    roster.run(lambda s: s.execute(Evaluation.__table__.update().where(Evaluation.id == ev_id).values(
        submitted_at=datetime(2026, 11, 26, 23, 59, tzinfo=UTC))))


async def test_a_rating_of_a_version_replaced_meanwhile_is_refused(bot: BotHarness, roster: Database,
                                                                   user: UpdateFactory) -> None:
    """The manager opened the evaluation, the cadre then sent an edit: confirming the rating chosen on the old
    version must not rate content the manager never saw; they are asked to open it again."""
    manager, ev_id = await _manager_opens_the_submitted(bot, roster, user)
    _edit_sent_meanwhile(roster, ev_id)  # after the manager opened it and chose a rating
    await bot.send(manager.callback(_first(bot)))  # "Không nhận xét"
    texts = await bot.send(manager.callback(_first(bot)))  # ✅ Xác nhận
    assert "vừa gửi bản sửa" in texts[-1]
    assert roster.run(lambda s: s.scalar(select(Evaluation.status).where(Evaluation.id == ev_id))) == "submitted"
    assert _first(bot) == f"rev:open:{ev_id}"  # the refusal offers the new version (walkthrough: no button before)
    await bot.send(manager.callback(_first(bot)))  # opened again: the new version rates
    await bot.send(manager.callback(_first(bot, "rev:rate:")))
    await bot.send(manager.callback(_first(bot)))
    await bot.send(manager.callback(_first(bot)))
    assert roster.run(lambda s: s.scalar(select(Evaluation.status).where(Evaluation.id == ev_id))) == "rated"


async def test_a_comment_typed_at_the_confirmation_keeps_the_version_check(bot: BotHarness, roster: Database,
                                                                           user: UpdateFactory) -> None:
    manager, ev_id = await _manager_opens_the_submitted(bot, roster, user)
    await bot.send(manager.text("Tốt"))  # the comment: now at the confirmation
    await bot.send(manager.text("Rất tốt"))  # typed again at the confirmation: replaces it
    _edit_sent_meanwhile(roster, ev_id)
    texts = await bot.send(manager.callback(_first(bot)))
    assert "vừa gửi bản sửa" in texts[-1]
    assert "Nhận xét bạn đã gõ, để giữ lại: “Rất tốt”" in texts[-1]  # not lost with the refused rating


async def test_a_comment_over_the_limit_is_refused_not_cut(bot: BotHarness, roster: Database,
                                                          user: UpdateFactory) -> None:
    """A 1,259-character comment was cut to 1,000 without a word; on a phone the lost end went unseen
    (walkthrough). It is refused with the limit, and the prompt waits for a shorter one."""
    manager, _ = await _manager_opens_the_submitted(bot, roster, user)
    texts = await bot.send(manager.text("Nhận xét rất dài. " * 70))
    assert "tối đa 1.000 ký tự" in texts[-1] and "1.259 ký tự" in texts[-1]
    texts = await bot.send(manager.text("Làm tốt, cần giữ tiến độ"))
    assert "Làm tốt, cần giữ tiến độ" in texts[-1]
