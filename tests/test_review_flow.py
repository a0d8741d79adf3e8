"""Rating on a phone: the next pending evaluation at once, "notified" only when true, reminders that say why."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Cadre, Evaluation, ReviewDelegation
from domain import accounts
from domain.clock import utcnow
from tests.conftest import TODAY, BotHarness, link

COMMUNE_HEAD = "0912345010"  # MAU010 reviews MAU011, MAU012, MAU014
VP_HEAD = "0912345015"  # MAU015 heads XMH-VP, where MAU016 works


def _submit(db: Database, code: str, year: int = 2026, month: int = 11) -> int:
    def write(session) -> int:  # type: ignore[no-untyped-def]
        cadre = session.scalar(select(Cadre).where(Cadre.code == code))
        ev = Evaluation(cadre_id=cadre.id, year=year, month=month, step="done", results='["Báo cáo tháng"]',
                        status="submitted", self_rating=1, submitted_at=utcnow(), created_at=utcnow(),
                        updated_at=utcnow())
        session.add(ev)
        session.flush()
        return int(ev.id)
    return db.run(write)


async def test_next_pending_at_once_and_notified_only_when_true(bot: BotHarness, roster: Database,
                                                                user: UpdateFactory) -> None:
    await link(bot, UpdateFactory(user_id=811), "0912345011")  # MAU011 is linked; MAU012 is not
    first, second = _submit(roster, "MAU011"), _submit(roster, "MAU012")
    await link(bot, user, COMMUNE_HEAD)
    await bot.send(user.callback(f"rev:open:{first}"))
    await bot.send(user.callback(f"rev:nocomment:{first}:1"))
    texts = await bot.send(user.callback(f"rev:ok:{first}:1"))
    answer = next(t for t in texts if "Đã xếp loại Hoàng Thị Yến" in t)
    assert "Cán bộ đã được thông báo qua bot" in answer
    assert "Tiếp theo (còn 1 bản chờ xếp loại)" in answer and "Nông Văn Dũng (MAU012)" in answer
    assert any(d.startswith(f"rev:rate:{second}:0:") for d in [b["callback_data"] for b in bot.last_buttons()])
    await bot.send(user.callback(f"rev:nocomment:{second}:2"))
    texts = await bot.send(user.callback(f"rev:ok:{second}:2"))
    answer = next(t for t in texts if "Đã xếp loại Nông Văn Dũng" in t)
    assert "chưa liên kết tài khoản Telegram" in answer and "đã được thông báo" not in answer
    assert "Đã xếp loại xong mọi bản" in answer


async def test_reminder_says_why_nobody_was_reminded(bot: BotHarness, roster: Database,
                                                     user: UpdateFactory) -> None:
    await link(bot, user, VP_HEAD)
    texts = await bot.send(user.callback("rev:nudge"))
    assert "Đã gửi lời nhắc tới 0 người" in texts[0] and "1 người chưa liên kết tài khoản Telegram" in texts[0]
    assert "hãy nhắc trực tiếp: Vũ Văn Nam (MAU016)" in texts[0]  # named, so the manager knows whom to call
    await link(bot, UpdateFactory(user_id=816), "0912345016")
    assert "Đã gửi lời nhắc tới 1 người" in (await bot.send(user.callback("rev:nudge")))[0]
    texts = await bot.send(user.callback("rev:nudge"))
    assert "Đã gửi lời nhắc tới 0 người" in texts[0] and "1 người đã được bạn nhắc hôm nay" in texts[0]
    _submit(roster, "MAU016")
    texts = await bot.send(user.callback("rev:nudge"))
    assert "tới 0 người" in texts[0] and "Mọi người bạn đánh giá đã nộp" in texts[0]


async def test_the_next_review_opened_after_a_rating_waits_for_a_button(bot: BotHarness, roster: Database,
                                                                        user: UpdateFactory) -> None:
    """The review opened at once after a rating is the same step as one opened from /review: a question typed
    there gets "hãy chọn một nút" (the step stays), and a typed rating then rates (walkthrough)."""
    first, second = _submit(roster, "MAU011"), _submit(roster, "MAU012")
    await link(bot, user, COMMUNE_HEAD)
    await bot.send(user.callback(f"rev:open:{first}"))
    for typed in ("hoàn thành tốt nhiệm vụ", "không nhận xét"):
        await bot.send(user.text(typed))
    texts = await bot.send(user.text("xác nhận"))
    assert any("Tiếp theo" in t and "Nông Văn Dũng" in t for t in texts)
    texts = await bot.send(user.text("han nop danh gia la ngay nao?"))
    assert "Hãy chọn một nút" in texts[-1] and "Mục" not in texts[-1]
    texts = await bot.send(user.text("hoàn thành tốt nhiệm vụ"))
    assert "Nhận xét cho Nông Văn Dũng" in texts[-1]
    await bot.send(user.text("không nhận xét"))
    texts = await bot.send(user.text("xác nhận"))
    assert any("Đã xếp loại Nông Văn Dũng" in t and "Đã xếp loại xong" in t for t in texts)
    assert roster.run(lambda s: s.get(Evaluation, second).manager_rating) == 1


def _buttons(bot: BotHarness) -> list[str]:
    return [b["text"] for b in bot.last_buttons()]


async def test_status_and_reminder_count_the_same_people_for_hr(bot: BotHarness, roster: Database,
                                                                user: UpdateFactory) -> None:
    """HR staff who review nobody: the status listed her unit (her boss among them) and offered a reminder
    that then reached nobody; both now count the people below her in the review chain (walkthrough)."""
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, "0912345004")
    await bot.send(user.text("/review"))
    texts = await bot.send(user.callback("rev:unit"))
    assert "Không có ai dưới bạn trong chuỗi đánh giá" in texts[-1]
    assert "Lê Minh Tuấn" not in texts[-1] and "Phòng Tổ chức cán bộ" not in texts[-1]
    assert len(texts[-1].splitlines()) == 1
    assert not any("Nhắc" in label for label in _buttons(bot))
    texts = await bot.send(user.callback("rev:nudge"))  # an old button
    assert "Không có ai dưới bạn trong chuỗi đánh giá" in texts[0] and "Mọi người" not in texts[0]


async def test_status_is_titled_for_the_review_chain(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """The status counts the review chain, not the unit it was titled with (walkthrough: "Xã Minh Hương 3/8")."""
    await link(bot, user, COMMUNE_HEAD)
    text = (await bot.send(user.callback("rev:unit")))[-1]
    assert "cấp dưới của bạn" in text and "chuỗi đánh giá" in text and "Đã gửi: 0/8" in text
    assert "Xã Minh Hương" not in text
    assert "⏰ Nhắc người chưa nộp" in _buttons(bot)
    head = UpdateFactory(user_id=818)
    await link(bot, head, "0912345018")  # MAU018 heads Phòng Kinh tế xã but rates nobody
    texts = await bot.send(head.callback("rev:unit"))
    assert "Không có ai dưới bạn trong chuỗi đánh giá" in texts[-1] and "0/0" not in texts[-1]
    assert len(texts[-1].splitlines()) == 1 and not any("Nhắc" in label for label in _buttons(bot))


async def test_the_status_names_everyone_the_reminder_reaches(bot: BotHarness, roster: Database,
                                                             user: UpdateFactory) -> None:
    await link(bot, user, VP_HEAD)
    await link(bot, UpdateFactory(user_id=816), "0912345016")
    text = (await bot.send(user.callback("rev:unit")))[-1]
    assert "Chưa gửi: 1 – Vũ Văn Nam" in text
    assert "Đã gửi lời nhắc tới 1 người" in (await bot.send(user.callback("rev:nudge")))[0]


async def test_review_for_a_plain_cadre_is_one_line(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """A cadre who reviews nobody got four manager buttons that each said "chỉ dành cho cán bộ quản lý"."""
    await link(bot, user, "0912345005")
    texts = await bot.send(user.text("/review"))
    assert len(texts) == 1 and "chỉ dành cho cán bộ quản lý" in texts[0] and "/eval" in texts[0]
    assert _buttons(bot) == ["⬅️ Về menu"]


async def test_review_for_a_deputy_who_is_not_a_manager(bot: BotHarness, roster: Database,
                                                        user: UpdateFactory) -> None:
    """A delegation held by a cadre who is not a manager (made before deputies had to be leaders; MAU016 for
    MAU013): /review lists what they rate for the manager, without the manager's own views, and a typed comment
    is taken."""
    def delegate(session) -> None:  # type: ignore[no-untyped-def]
        ids = {c.code: c.id for c in session.scalars(select(Cadre))}
        session.add(ReviewDelegation(manager_id=ids["MAU013"], deputy_id=ids["MAU016"], start_date=TODAY,
                                     end_date=TODAY + timedelta(days=3), created_at=utcnow()))
    roster.run(delegate)
    pending = _submit(roster, "MAU017")
    await link(bot, user, "0912345016")
    texts = await bot.send(user.text("/review"))
    assert "Chờ bạn xếp loại" in texts[-1]
    labels = _buttons(bot)
    assert any("Bùi Thị Trang" in label for label in labels)
    assert not any(label.startswith(("📊", "🤝", "📅", "📆")) for label in labels)
    await bot.send(user.callback(f"rev:open:{pending}"))
    await bot.send(user.text("hoàn thành nhiệm vụ"))
    texts = await bot.send(user.text("Cần chủ động hơn"))
    assert "Xác nhận xếp loại" in texts[-1] and "Cần chủ động hơn" in texts[-1]
    texts = await bot.send(user.text("xác nhận"))
    assert any("Đã xếp loại Bùi Thị Trang" in t for t in texts)
    assert roster.run(lambda s: s.get(Evaluation, pending).manager_comment) == "Cần chủ động hơn"


async def test_an_evaluation_open_for_rating_has_a_way_back(bot: BotHarness, roster: Database,
                                                           user: UpdateFactory) -> None:
    """An evaluation opened from /review offered only the four ratings: no way back to the list, no 'later'
    (walkthrough). A last button goes back to the list; typing its label does too."""
    first = _submit(roster, "MAU011")
    _submit(roster, "MAU012")
    await link(bot, user, COMMUNE_HEAD)
    await bot.send(user.callback(f"rev:open:{first}"))
    assert _buttons(bot)[-1] == "⬅️ Để sau – về danh sách"
    texts = await bot.send(user.text("để sau"))
    assert "Chờ bạn xếp loại" in texts[-1] and "(2)" in texts[-1]
    assert roster.run(lambda s: s.get(Evaluation, first).status) == "submitted"


async def test_an_old_rating_button_tells_the_rater_they_rated_it(bot: BotHarness, roster: Database,
                                                                  user: UpdateFactory) -> None:
    """A manager pressing an old rating button read 'Giàng Thị Vân đã xếp loại…' about herself (second
    walkthrough as a manager): 'Bạn đã xếp loại…'."""
    ev_id = _submit(roster, "MAU016")
    await link(bot, user, VP_HEAD)
    await bot.send(user.callback(f"rev:nocomment:{ev_id}:1"))
    await bot.send(user.callback(f"rev:ok:{ev_id}:1"))
    texts = await bot.send(user.callback(f"rev:open:{ev_id}"))
    assert "Bạn đã xếp loại bản tự đánh giá này" in texts[-1]
