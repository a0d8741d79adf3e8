"""Every evaluation has a reviewer: HR sees who has none ("chưa có người xếp loại") and assigns one (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.cli import main as cli_main
from bot.cli.common import CONSOLE
from bot.fakeapi import UpdateFactory
from core.config import Settings
from db import Database
from db.models import Cadre, Outbox, RecordChange
from domain import accounts
from domain import evaluation as ev
from tests.conftest import SAMPLE_ROSTER, BotHarness, link
from tests.test_conversation_state import restarted
from tests.test_evaluation import eval_id, fill_and_submit


def no_leader_above(db: Database) -> None:
    """The province leaders are not bot users here: MAU010 (commune Party secretary) has nobody above."""
    db.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "MAU001").values(is_leader=False)))


def test_without_reviewer_matches_reviewer_of(roster: Database) -> None:
    no_leader_above(roster)
    missing = {p.code for p in roster.run(ev.without_reviewer)}
    assert "MAU010" in missing and "MAU016" not in missing
    everyone = roster.run(lambda s: {c.code for c in s.scalars(select(Cadre)) if ev.reviewer_of(s, c) is None})
    assert missing == everyone


async def test_submission_without_reviewer_is_told_and_hr_assigns_one(bot: BotHarness, roster: Database,
                                                                     settings: Settings, user: UpdateFactory) -> None:
    no_leader_above(roster)
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=404)
    await link(bot, hr, "0912345004")
    await link(bot, user, "0912345010")
    await fill_and_submit(bot, user)
    assert any("chưa có người xếp loại" in c.text for c in bot.api.sent(chat_id=user.chat_id))
    hr_notice = roster.run(lambda s: s.scalar(select(Outbox.payload).where(Outbox.key.like("no-reviewer:%MAU004"))))
    assert "Ma Văn Chiến (MAU010) đã gửi tự đánh giá" in hr_notice
    texts = await bot.send(hr.callback("revw:list"))
    assert "Chưa có người xếp loại" in texts[-1] and "Ma Văn Chiến (MAU010)" in texts[-1]
    await bot.send(hr.callback("revw:pick:MAU010"))
    async with restarted(settings, roster) as again:
        assert "Không có cán bộ mã MAU999" in (await again.send(hr.text("MAU999")))[-1]
        await again.send(hr.text("MAU002"))
        texts = await again.send(hr.callback("revw:ok:MAU010"))
        assert any("Đã giao Nguyễn Thị Lan (MAU002) xếp loại cho Ma Văn Chiến (MAU010)" in t for t in texts)
    told = roster.run(lambda s: s.scalars(select(Outbox.payload).where(Outbox.kind == "reviewer-assigned")).all())
    assert any("Người xếp loại tự đánh giá hằng tháng của bạn: Nguyễn Thị Lan" in p for p in told)
    change = roster.run(lambda s: s.scalars(select(RecordChange).where(RecordChange.field == "reviewer_code")).one())
    assert (change.source, change.actor, change.new_value) == ("correction", "MAU004", "MAU002")
    boss = UpdateFactory(user_id=402)
    await link(bot, boss, "0912345002")
    await bot.send(boss.text("/review"))
    assert any("Ma Văn Chiến" in b["text"] for b in bot.last_buttons())
    await bot.send(boss.callback(f"rev:nocomment:{eval_id(roster, 'MAU010')}:1"))
    assert "Đã xếp loại Ma Văn Chiến" in (await bot.send(boss.callback(f"rev:ok:{eval_id(roster, 'MAU010')}:1")))[0]


async def test_only_hr_sees_and_assigns(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345013")
    for data in ("revw:list", "revw:pick:MAU010"):
        assert "Ban Tổ chức" in (await bot.send(user.callback(data)))[-1]


def test_cli_lists_and_assigns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CADREBOT_DATABASE_URL", url)
    assert cli_main(["import-roster", str(SAMPLE_ROSTER)]) == 0
    db = Database.from_url(url)
    no_leader_above(db)
    capsys.readouterr()
    assert cli_main(["reviewers", "--missing", "--json"]) == 0
    assert "MAU010" in [p["cadre"] for p in json.loads(capsys.readouterr().out)]
    assert cli_main(["reviewers", "--assign", "MAU010", "MAU002"]) == 0
    assigned = capsys.readouterr().out
    assert "Đã giao Nguyễn Thị Lan (MAU002)" in assigned and "Chưa liên kết bot" in assigned  # nobody is linked
    assert cli_main(["reviewers", "--json"]) == 0
    assert "MAU010" not in [p["cadre"] for p in json.loads(capsys.readouterr().out)]
    db.dispose()


async def test_assigning_a_reviewer_is_confirmed_checked_and_honest_about_who_was_told(
        bot: BotHarness, roster: Database, settings: Settings) -> None:
    """A typed code was written at once; a subordinate could be made the reviewer of their own boss; and the reply
    said 'Hai người đã được báo qua bot' when neither was linked (walkthrough as HR)."""
    no_leader_above(roster)
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=404)
    await link(bot, hr, "0912345004")
    await bot.send(hr.callback("revw:pick:MAU010"))
    texts = await bot.send(hr.text("MAU011"))  # rated by MAU010: below him in the review chain
    assert "cấp dưới" in texts[-1] and "Hoàng Thị Yến" in texts[-1]
    texts = await bot.send(hr.text("MAU002"))
    assert "Giao Nguyễn Thị Lan (MAU002)" in texts[-1] and "Ma Văn Chiến (MAU010)" in texts[-1]
    assert "Chưa liên kết bot" in texts[-1]
    assert roster.run(lambda s: s.scalar(select(Cadre.reviewer_code).where(Cadre.code == "MAU010"))) is None
    async with restarted(settings, roster) as again:  # the confirmation survives a restart
        texts = await again.send(hr.text("xác nhận"))
    assert any("Đã giao Nguyễn Thị Lan (MAU002)" in t for t in texts)
    assert not any("Hai người đã được báo" in t for t in texts)
    assert any("Chưa liên kết bot" in t and "MAU010" in t for t in texts)
    assert roster.run(lambda s: s.scalar(select(Cadre.reviewer_code).where(Cadre.code == "MAU010"))) == "MAU002"
    card = (await bot.send(hr.text("/find MAU010")))[-1]
    assert "Người xếp loại: Nguyễn Thị Lan (MAU002)" in card


# Attack on the reviewer's confirmation.


def _reviewer(db: Database, code: str) -> str | None:
    return db.run(lambda s: s.scalar(select(Cadre.reviewer_code).where(Cadre.code == code)))


async def test_no_then_old_confirm_assigns_nothing(bot: BotHarness, roster: Database) -> None:
    """HR presses '✖️ Không' at the confirmation; the confirmation's '✅ Giao' above must then do nothing."""
    no_leader_above(roster)
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=404)
    await link(bot, hr, "0912345004")
    await bot.send(hr.callback("revw:pick:MAU010"))
    await bot.send(hr.text("MAU002"))
    offered = [b["callback_data"] for b in bot.last_buttons()]
    assert offered[0].startswith("revw:ok:MAU010:") and offered[1] == "revw:no:MAU010"
    await bot.send(hr.callback(offered[1]))  # "✖️ Không"
    texts = await bot.send(hr.callback(offered[0]))  # the old "✅ Xác nhận"
    assert _reviewer(roster, "MAU010") is None, texts


async def test_old_confirm_applies_the_newer_choice(bot: BotHarness, roster: Database) -> None:
    """The confirmation's button carries only the cadre: an older confirmation (it read 'Giao MAU002') assigns the
    reviewer typed later (MAU020) that its message never showed."""
    no_leader_above(roster)
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=404)
    await link(bot, hr, "0912345004")
    await bot.send(hr.callback("revw:pick:MAU010"))
    first = (await bot.send(hr.text("MAU002")))[-1]
    assert "Nguyễn Thị Lan (MAU002)" in first
    first_ok = bot.last_buttons()[0]["callback_data"]
    await bot.send(hr.callback("revw:pick:MAU010"))
    second = (await bot.send(hr.text("MAU020")))[-1]
    assert "MAU020" in second
    await bot.send(hr.callback(first_ok))  # pressed on the first confirmation
    assert _reviewer(roster, "MAU010") is None  # not MAU020, which that message never named


async def test_typed_xac_nhan_confirms_the_reviewer(bot: BotHarness, roster: Database) -> None:
    """README: at every confirmation, typing 'xác nhận' (or 'đồng ý') presses it. The reviewer's confirmation
    labels its button '✅ Giao', so 'xác nhận' is not taken as the confirmation."""
    no_leader_above(roster)
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=404)
    await link(bot, hr, "0912345004")
    await bot.send(hr.callback("revw:pick:MAU010"))
    await bot.send(hr.text("MAU002"))
    texts = await bot.send(hr.text("xác nhận"))
    assert _reviewer(roster, "MAU010") == "MAU002", texts


async def test_a_forged_pick_cannot_replace_the_reviewer_the_unit_gives(bot: BotHarness, roster: Database) -> None:
    """revw:pick is offered only for cadres nobody can review; the domain did not check that. A forged (or stale)
    'revw:pick:MAU020' replaces the head of the parent unit (MAU001) with a specialist of another branch (MAU005),
    which the prompt's 'một lãnh đạo cấp trên' also rules out."""
    from domain import evaluation as ev

    roster.run(accounts.grant_hr, "MAU004")
    assert roster.run(lambda s: ev.reviewer_of(s, s.scalars(select(Cadre).where(Cadre.code == "MAU020")).one()).code) \
        == "MAU001"
    assert "MAU020" not in {p.code for p in roster.run(ev.without_reviewer)}
    hr = UpdateFactory(user_id=404)
    await link(bot, hr, "0912345004")
    await bot.send(hr.callback("revw:pick:MAU020"))
    await bot.send(hr.text("MAU005"))
    await bot.send(hr.callback("revw:ok:MAU020"))
    assert _reviewer(roster, "MAU020") is None


async def test_typed_no_then_typed_giao_assigns_nothing(bot: BotHarness, roster: Database) -> None:
    """Typed only: 'không' at the confirmation (presses '✖️ Không' = revw:list, which leaves the step open), then
    'giao' a while later (e.g. meaning a 'Giao người xếp loại: …' button of the list): the declined choice is made."""
    no_leader_above(roster)
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=404)
    await link(bot, hr, "0912345004")
    await bot.send(hr.callback("revw:pick:MAU010"))
    await bot.send(hr.text("MAU002"))
    texts = await bot.send(hr.text("không"))
    assert "Đã thôi, chưa giao ai" in texts[-1]
    texts = await bot.send(hr.text("giao"))
    assert _reviewer(roster, "MAU010") is None, texts


async def test_a_reviewer_assigned_meanwhile_is_not_replaced_silently(bot: BotHarness, roster: Database) -> None:
    """HR's confirmation replaced a reviewer assigned meanwhile (from the command line) without a word, and the
    replaced one was never told (second walkthrough as HR). The confirmation names whom it replaces; a change
    since it was shown refuses the press; the replaced reviewer hears of it."""
    no_leader_above(roster)
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=404)
    await link(bot, hr, "0912345004")
    await bot.send(hr.callback("revw:pick:MAU010"))
    await bot.send(hr.text("MAU002"))
    roster.run(ev.assign_reviewer, CONSOLE, "MAU010", "MAU003")  # meanwhile, on the command line
    texts = await bot.send(hr.text("xác nhận"))
    assert "vừa được giao" in texts[-1] and _reviewer(roster, "MAU010") == "MAU003"
    await bot.send(hr.callback("revw:pick:MAU010"))
    texts = await bot.send(hr.text("MAU002"))
    assert "thay Lê Minh Tuấn (MAU003)" in texts[-1]
    await bot.send(hr.text("xác nhận"))
    assert _reviewer(roster, "MAU010") == "MAU002"
    audit = roster.run(lambda s: s.scalars(select(RecordChange.old_value).where(
        RecordChange.field == "reviewer_code", RecordChange.new_value == "MAU002")).all())
    assert audit == ["MAU003"]  # the history says whom it replaced


async def test_a_manager_code_of_nobody_gives_no_reviewer_and_hr_may_assign_one(bot: BotHarness,
                                                                              roster: Database) -> None:
    """A cadre whose roster manager code names nobody is listed as without a reviewer, but every assignment was
    refused: 'đã có người xếp loại theo danh sách cán bộ: MAU999' (second walkthrough as HR)."""
    roster.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "MAU020").values(manager_code="MAU999")))
    no_leader_above(roster)
    roster.run(accounts.grant_hr, "MAU004")
    assert "MAU020" in {p.code for p in roster.run(ev.without_reviewer)}
    hr = UpdateFactory(user_id=404)
    await link(bot, hr, "0912345004")
    await bot.send(hr.callback("revw:pick:MAU020"))
    texts = await bot.send(hr.text("MAU002"))
    assert "MAU999" not in texts[-1] and "Giao Nguyễn Thị Lan (MAU002)" in texts[-1]
    await bot.send(hr.text("xác nhận"))
    assert _reviewer(roster, "MAU020") == "MAU002"


async def test_typing_the_reviewer_already_assigned_claims_no_replacement(bot: BotHarness, roster: Database) -> None:
    """Typing the reviewer already assigned said 'Người này sẽ thay {the same person}' (attack)."""
    no_leader_above(roster)
    roster.run(accounts.grant_hr, "MAU004")
    roster.run(ev.assign_reviewer, CONSOLE, "MAU010", "MAU002")
    hr = UpdateFactory(user_id=404)
    await link(bot, hr, "0912345004")
    await bot.send(hr.callback("revw:pick:MAU010"))
    texts = await bot.send(hr.text("MAU002"))
    assert "sẽ thay" not in texts[-1]
    texts = await bot.send(hr.text("xác nhận"))
    assert "vừa được giao" not in texts[-1] and _reviewer(roster, "MAU010") == "MAU002"
