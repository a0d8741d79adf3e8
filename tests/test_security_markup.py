"""Issue 10 item 6: every value interpolated into an HTML message is escaped.

The fake Bot API parses HTML like Telegram does and refuses what Telegram would refuse; the `bot`
fixture fails any test during which the bot sent a message Telegram would have rejected.
"""

from __future__ import annotations

from sqlalchemy import select, update

from bot.fakeapi import UpdateFactory, html_error
from db import Database
from db.models import Cadre, Course
from domain import accounts
from domain import evaluation as ev
from domain.evaluation import Window
from tests.conftest import TODAY, BotHarness, link

WINDOW = Window(25, 5)


def test_the_fake_api_refuses_html_telegram_refuses() -> None:
    assert html_error("Tỷ lệ <b>hoàn thành</b> &lt;80% &amp; <a href=\"https://x\">x</a>") is None
    assert html_error("Tỷ lệ hoàn thành <80%, cần cố gắng") is not None
    assert html_error("<b>không đóng") is not None
    assert html_error("<script>x</script>") is not None
    assert html_error("A & B") is not None


def _submitted(db: Database, code: str) -> int:
    cid = db.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == code)))
    v = db.run(ev.start_or_resume, cid, TODAY, WINDOW)
    db.run(ev.add_results, cid, v.id, "Việc A", WINDOW, TODAY)
    db.run(ev.set_self_rating, cid, v.id, 1, WINDOW, TODAY)
    db.run(ev.submit, cid, v.id, WINDOW, TODAY)
    return v.id


async def _rate_with_comment(bot: BotHarness, manager: UpdateFactory, eval_id: int, comment: str) -> None:
    await bot.send(manager.callback(f"rev:rate:{eval_id}:1"))
    await bot.send(manager.text(comment))
    await bot.send(manager.callback(f"rev:ok:{eval_id}:1"))


async def test_a_comment_with_a_less_than_sign_reaches_the_cadre(bot: BotHarness, roster: Database) -> None:
    cadre, manager = UpdateFactory(user_id=516), UpdateFactory(user_id=515)
    await link(bot, cadre, "0912345016")
    await link(bot, manager, "0912345015")
    await _rate_with_comment(bot, manager, _submitted(roster, "MAU016"), "Tỷ lệ hoàn thành <80%, cần cố gắng")
    notices = [c.text for c in bot.api.sent(chat_id=516) if "đã được xếp loại" in c.text]
    assert notices and "Nhận xét: Tỷ lệ hoàn thành &lt;80%, cần cố gắng" in notices[-1]


async def test_a_comment_cannot_put_a_link_in_an_official_message(bot: BotHarness, roster: Database) -> None:
    cadre, manager = UpdateFactory(user_id=516), UpdateFactory(user_id=515)
    await link(bot, cadre, "0912345016")
    await link(bot, manager, "0912345015")
    await _rate_with_comment(bot, manager, _submitted(roster, "MAU016"), '<a href="http://evil.example">Bấm</a>')
    texts = " ".join(c.text for c in bot.api.sent())
    assert "<a href" not in texts and "&lt;a href=" in texts


async def test_unknown_command_is_echoed_escaped(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    texts = await bot.send(user.text("/a<b"))
    assert "Không có lệnh /a<b" in texts[-1]


async def test_names_with_markup_in_notices(bot: BotHarness, roster: Database) -> None:
    """Cadre, manager and course names reach other people through the outbox: escaped there too."""
    from bot.demo import DEMO_DATA
    from domain.courses import import_courses

    roster.run(lambda s: s.execute(update(Cadre).where(Cadre.code.in_(["MAU015", "MAU016", "MAU013"]))
                                   .values(full_name="Vũ <Văn> & Nam")))
    roster.run(import_courses, DEMO_DATA / "courses.csv")
    roster.run(lambda s: s.execute(update(Course).values(name="Lớp <CĐS> & AI")))
    roster.run(accounts.grant_hr, "MAU004")
    cadre, manager, hr, other = (UpdateFactory(user_id=516), UpdateFactory(user_id=515), UpdateFactory(user_id=504),
                                 UpdateFactory(user_id=513))
    for who, phone in ((cadre, "0912345016"), (manager, "0912345015"), (hr, "0912345004"), (other, "0912345013")):
        await link(bot, who, phone)
    await bot.send(cadre.text("/eval"))
    await bot.send(cadre.text("Việc <1>"))
    await bot.send(cadre.callback(next(b["callback_data"] for b in bot.last_buttons()
                                       if b["callback_data"].startswith("eval:step:"))))
    await bot.send(manager.callback("rev:unit"))
    await bot.send(manager.callback("rev:nudge"))
    await bot.send(hr.callback("course:behalf:CDS-01"))
    await bot.send(hr.text("MAU013"))
    await bot.send(hr.callback("course:behalfdo:CDS-01:MAU013"))
    await bot.send(hr.callback("course:kill:CDS-01"))
    await bot.send(hr.text("Giảng viên <ốm> & nghỉ"))
    await bot.send(hr.callback("course:killok:CDS-01"))
    assert any("Vũ &lt;Văn&gt; &amp; Nam nhắc bạn" in c.text for c in bot.api.sent(chat_id=516))
    assert any("Lớp &lt;CĐS&gt; &amp; AI" in c.text for c in bot.api.sent(chat_id=513))
    assert any("Lý do: Giảng viên &lt;ốm&gt; &amp; nghỉ" in c.text for c in bot.api.sent(chat_id=513))
