"""Delegation on a phone: list, a new deputy with preset dates, overlapping deputies refused, revoke."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import ReviewDelegation
from tests.conftest import BotHarness, link

BOSS = "0912345011"  # MAU011, Chủ tịch UBND xã: rates MAU013 and MAU015


def _data(bot: BotHarness) -> list[str]:
    return [b["callback_data"] for b in bot.last_buttons()]


async def test_new_deputy_with_presets_list_overlap_and_revoke(bot: BotHarness, roster: Database,
                                                              user: UpdateFactory) -> None:
    await link(bot, user, BOSS)
    texts = await bot.send(user.text("/delegate"))
    assert "Chưa có ủy quyền nào" in texts[-1]
    await bot.send(user.callback("dlg:new"))
    assert "dlg:pick:MAU012" in _data(bot) and "dlg:pick:MAU013" not in _data(bot)  # MAU013 is rated by MAU011
    texts = await bot.send(user.callback("dlg:pick:MAU012"))
    assert [b["text"] for b in bot.last_buttons()][:3] == ["1 tuần", "2 tuần", "đến hết tháng"]
    texts = await bot.send(user.callback("dlg:per:MAU012:1w"))
    assert "từ 26/11/2026 đến 02/12/2026" in texts[-1]
    texts = await bot.send(user.callback("dlg:ok:MAU012:1w"))
    assert "Đã ủy quyền cho Nông Văn Dũng" in texts[-1]
    texts = await bot.send(user.callback("dlg:list"))
    assert "Nông Văn Dũng (MAU012): 26/11/2026 – 02/12/2026 (đang hiệu lực)" in texts[-1]

    texts = await bot.send(user.callback("dlg:per:MAU014:eom"))  # said before the final ✅ (walkthrough)
    assert "trùng khoảng ngày" in texts[-1] and "dlg:ok:MAU014:eom" not in _data(bot)
    assert "Nông Văn Dũng" in texts[-1] and "chọn ngày khác" not in texts[-1]  # the presets all start today
    texts = await bot.send(user.callback("dlg:ok:MAU014:eom"))  # a confirmation never shown acts on nothing
    assert "Nút này đã cũ" in texts[-1]

    delegation_id = roster.run(lambda s: s.scalar(select(ReviewDelegation.id)))
    other = UpdateFactory(user_id=910)
    await link(bot, other, "0912345010")  # MAU010 cannot revoke MAU011's deputy
    for data in (f"dlg:rvok:{delegation_id}", f"dlg:rv:{delegation_id}"):  # not his: nothing to confirm
        assert "Nút này đã cũ" in (await bot.send(other.callback(data)))[-1]
    assert roster.run(lambda s: s.scalar(select(func.count(ReviewDelegation.id)))) == 1
    texts = await bot.send(user.callback(f"dlg:rv:{delegation_id}"))
    assert "Thu hồi ủy quyền cho Nông Văn Dũng" in texts[-1]
    texts = await bot.send(user.callback(f"dlg:rvok:{delegation_id}"))
    assert "Đã thu hồi ủy quyền" in texts[-1]
    assert roster.run(lambda s: s.scalar(select(ReviewDelegation.id))) is None
    await bot.send(user.callback("dlg:per:MAU014:eom"))  # the confirmation, shown again now the days are free
    assert "Đã ủy quyền cho Đỗ Thị Mai" in (await bot.send(user.callback("dlg:ok:MAU014:eom")))[-1]


async def test_typed_code_past_period_and_forged_buttons(bot: BotHarness, roster: Database,
                                                         user: UpdateFactory) -> None:
    await link(bot, user, BOSS)
    await bot.send(user.callback("dlg:type"))
    texts = await bot.send(user.text("mau014"))
    assert "Ủy quyền cho Đỗ Thị Mai (MAU014) trong bao lâu" in texts[-1]
    texts = await bot.send(user.text("/delegate MAU012 01/11/2026 05/11/2026"))
    assert "đã qua" in texts[-1]
    for forged in ("dlg:rv:abc", "dlg:per:MAU012:3y", "dlg:pick:<b>", "dlg:ok:MAU012:", "dlg:zap", "dlg:rv:٣"):
        assert "Nút này đã cũ" in (await bot.send(user.callback(forged)))[-1], forged
    plain = UpdateFactory(user_id=916)
    await link(bot, plain, "0912345016")
    assert "chỉ dành cho cán bộ quản lý" in (await bot.send(plain.callback("dlg:list")))[-1]


async def test_steps_name_the_deputy_and_code(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """Every step names the deputy as 'Name (CODE)', not by a bare code (walkthrough 7)."""
    await link(bot, user, BOSS)
    await bot.send(user.callback("dlg:new"))
    assert any(b["text"].startswith("Nông Văn Dũng (MAU012)") for b in bot.last_buttons())
    assert "Nông Văn Dũng (MAU012)" in (await bot.send(user.callback("dlg:pick:MAU012")))[-1]
    text = (await bot.send(user.callback("dlg:per:MAU012:1w")))[-1]
    assert "Ủy quyền cho Nông Văn Dũng (MAU012) xếp loại thay bạn" in text
    assert "Nông Văn Dũng (MAU012)" in (await bot.send(user.callback("dlg:ok:MAU012:1w")))[-1]


async def test_nobody_eligible_hides_new_and_says_why(bot: BotHarness, roster: Database,
                                                      user: UpdateFactory) -> None:
    await link(bot, user, "0912345015")  # MAU015: her unit holds only herself and MAU016, whom she rates
    text = (await bot.send(user.text("/delegate")))[-1]
    assert "➕ Ủy quyền mới" not in [b["text"] for b in bot.last_buttons()]
    assert "không có ai nhận ủy quyền được" in text and "người bạn trực tiếp xếp loại" in text
    text = (await bot.send(user.callback("dlg:new")))[-1]  # an older message's button
    assert "không có ai nhận ủy quyền được" in text and "dlg:type" not in _data(bot)


async def test_someone_who_rates_nobody_is_told_no_delegation_is_needed(bot: BotHarness, roster: Database,
                                                                        user: UpdateFactory) -> None:
    from domain import accounts

    roster.run(accounts.grant_hr, "MAU004")  # HR, rates nobody
    await link(bot, user, "0912345004")
    text = (await bot.send(user.text("/delegate")))[-1]
    assert "không trực tiếp xếp loại cán bộ nào" in text and "dlg:new" not in _data(bot)
    assert "không trực tiếp xếp loại cán bộ nào" in (await bot.send(user.callback("dlg:new")))[-1]


async def test_a_refused_typed_code_leaves_the_prompt_open(bot: BotHarness, roster: Database,
                                                           user: UpdateFactory) -> None:
    """A code refused as a deputy (one's own reviewee) used to close the prompt: the next code typed was then
    answered as a question about the resolution (walkthrough)."""
    await link(bot, user, BOSS)
    await bot.send(user.callback("dlg:type"))
    assert "người bạn trực tiếp xếp loại" in (await bot.send(user.text("MAU013")))[-1]
    assert "Ủy quyền cho Nông Văn Dũng (MAU012) trong bao lâu" in (await bot.send(user.text("MAU012")))[-1]


async def test_a_deputy_must_be_a_leader_as_the_picker_says(bot: BotHarness, roster: Database,
                                                            user: UpdateFactory) -> None:
    """The picker offers the unit's leaders; a typed code of a civil servant (MAU016, Công chức) was accepted,
    and that civil servant could then rate the commune's Phó Bí thư (walkthrough)."""
    await link(bot, user, BOSS)
    await bot.send(user.callback("dlg:type"))
    text = (await bot.send(user.text("mau016")))[-1]
    assert "chỉ ủy quyền được cho cán bộ lãnh đạo, quản lý" in text and "Vũ Văn Nam" in text
    assert "Ủy quyền cho Nông Văn Dũng (MAU012) trong bao lâu" in (await bot.send(user.text("MAU012")))[-1]
    text = (await bot.send(user.text("/delegate MAU016 01/12/2026 05/12/2026")))[-1]
    assert "chỉ ủy quyền được cho cán bộ lãnh đạo, quản lý" in text


async def test_an_old_confirmation_does_not_act_again(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    """After a delegation was made and revoked, the original '✅ Xác nhận' made it again, dated from the day of the
    tap, and told the deputy; an old revoke confirmation revoked a newer delegation that had reused its id
    (second walkthrough as a manager). A confirmation acts once, while it is the one the chat waits at."""
    await link(bot, user, BOSS)
    await bot.send(user.callback("dlg:new"))
    await bot.send(user.callback("dlg:pick:MAU012"))
    await bot.send(user.callback("dlg:per:MAU012:1w"))
    assert "Đã ủy quyền" in (await bot.send(user.callback("dlg:ok:MAU012:1w")))[-1]
    delegation_id = roster.run(lambda s: s.scalar(select(ReviewDelegation.id)))
    await bot.send(user.callback(f"dlg:rv:{delegation_id}"))
    assert "Đã thu hồi" in (await bot.send(user.callback(f"dlg:rvok:{delegation_id}")))[-1]
    texts = await bot.send(user.callback("dlg:ok:MAU012:1w"))  # the first confirmation, pressed again
    assert "Nút này đã cũ" in texts[-1]
    assert roster.run(lambda s: s.scalar(select(func.count(ReviewDelegation.id)))) == 0
    await bot.send(user.callback("dlg:new"))
    await bot.send(user.callback("dlg:pick:MAU012"))
    await bot.send(user.callback("dlg:per:MAU012:eom"))
    await bot.send(user.callback("dlg:ok:MAU012:eom"))
    newer = roster.run(lambda s: s.scalar(select(ReviewDelegation.id)))
    texts = await bot.send(user.callback(f"dlg:rvok:{newer}"))  # an old revoke confirmation, whatever its id
    assert "Nút này đã cũ" in texts[-1] and roster.run(lambda s: s.scalar(select(func.count(ReviewDelegation.id))))
