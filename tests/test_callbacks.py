"""Issue 12: every button's callback data comes from its feature's builder (views/callbacks/<feature>.py), fits
Telegram's 64 bytes and round-trips through that feature's strict parser; anything else is a stale button."""

from __future__ import annotations

import importlib
import pkgutil
from collections import deque
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import select

import views.callbacks
from bot.fakeapi import FakeBotApi, UpdateFactory
from db import Database
from db.models import Cadre
from domain import accounts
from domain import evaluation as ev
from domain.completion_sheet import MAX_CHOICES
from domain.evaluation import RATINGS, STEPS, Window
from domain.evaluation.delegation import PRESETS
from domain.templates import TEMPLATES
from handlers.common import STALE_BUTTON
from tests.conftest import TODAY, BotHarness, link
from views.callbacks import (
    admin,
    ask,
    completion,
    courses,
    delegation,
    evaluation,
    find,
    menu,
    report,
    review,
    review_views,
    reviewers,
    start,
    upload,
)
from views.callbacks.base import LIMIT, MAX_ID

LONG = "A" * 20  # the longest code a roster or course list accepts (MAX_CODE)
IDS = (0, 1, 99, MAX_ID)


def _built() -> list[tuple[str, Any, Any]]:
    """(data, parser, the press it must parse to) for every builder, at the edges of its fields."""
    cases: list[tuple[str, Any, Any]] = [(evaluation.history(), evaluation.parse, evaluation.EvalPress("history"))]
    for i in IDS:
        cases += [(evaluation.on(v, i), evaluation.parse, evaluation.EvalPress(v, i)) for v in evaluation.ON_ID]
        cases += [(evaluation.go_to(i, s), evaluation.parse, evaluation.EvalPress("step", i, step=s)) for s in STEPS]
        cases += [(evaluation.self_rating(i, n), evaluation.parse, evaluation.EvalPress("self", i, rating=n))
                  for n in range(len(RATINGS))]
        cases.append((review.open_(i), review.parse, review.ReviewPress("open", i)))
        cases += [(review.rated(v, i, n), review.parse, review.ReviewPress(v, i, n))
                  for v in review.WITH_RATING for n in range(len(RATINGS))]
        cases += [(report.unit(v, i), report.parse, report.ReportPress(v, i or None)) for v in report.UNIT_VERBS]
        cases += [(report.paged(v, i, p), report.parse, report.ReportPress(v, i or None, p))
                  for v in report.PAGED_VERBS for p in (0, 7, report.MAX_PAGE)]
        cases += [(delegation.revoke(v, i), delegation.parse, delegation.DelegationPress(v, delegation_id=i))
                  for v in delegation.REVOKE]
        cases.append((find.card(i), find.parse, i))
    cases += [(review.plain(v), review.parse, review.ReviewPress(v)) for v in review.PLAIN]
    for y in (review_views.FIRST_YEAR, 2026, review_views.LAST_YEAR):
        cases += [(review_views.quarter(y, q), review_views.parse, review_views.ViewPress("q", y, q))
                  for q in (1, 2, 3, 4)]
        cases.append((review_views.year(y), review_views.parse, review_views.ViewPress("y", y)))
        cases.append((review_views.export(y), review_views.parse, review_views.ViewPress("x", y)))
    for code in ("MAU001", LONG, "a.b-c_9"):
        cases.append((delegation.pick(code), delegation.parse, delegation.DelegationPress("pick", code)))
        cases += [(delegation.with_preset(v, code, p), delegation.parse, delegation.DelegationPress(v, code, p))
                  for v in delegation.WITH_PRESET for p in PRESETS]
        cases.append((reviewers.pick(code), reviewers.parse, reviewers.ReviewersPress("pick", code)))
        cases += [(courses.on_course(v, code), courses.parse, courses.CoursePress(v, code)) for v in courses.ON_COURSE]
        cases += [(courses.on_cadre(v, code, LONG), courses.parse, courses.CoursePress(v, code, LONG))
                  for v in courses.ON_CADRE]
    cases += [(delegation.plain(v), delegation.parse, delegation.DelegationPress(v)) for v in delegation.PLAIN]
    cases.append((reviewers.listing(), reviewers.parse, reviewers.ReviewersPress("list")))
    cases += [(courses.plain(v), courses.parse, courses.CoursePress(v)) for v in courses.PLAIN]
    cases.append((courses.kind_list("LLCT_CAO_CAP"), courses.parse, courses.CoursePress("list", "LLCT_CAO_CAP")))
    cases += [(admin.plain(v), admin.parse, admin.AdminPress(v)) for v in admin.PLAIN]
    cases += [(admin.template(k), admin.parse, admin.AdminPress("template", k)) for k in TEMPLATES]
    cases += [(menu.entry(e), menu.parse, e) for e in menu.ENTRIES]
    cases += [(menu.mute(on), menu.parse_mute, on) for on in (True, False)]
    cases += [(start.press(v), start.parse, v) for v in start.VERBS]
    cases += [(upload.apply("0123abcd"), upload.parse, upload.UploadPress(True, "0123abcd")),
              (upload.drop("0123abcd"), upload.parse, upload.UploadPress(False, "0123abcd"))]
    cases += [(ask.full_section(ref), ask.parse, ref) for ref in ("Mục III.4", "Mục II.2.2 (2)", "Phần mở đầu")]
    cases += [(completion.plain(v), completion.parse, completion.CompletionPress(v)) for v in completion.PLAIN]
    cases += [(completion.plain(v, "0123abcd"), completion.parse, completion.CompletionPress(v, tag="0123abcd"))
              for v in ("ok", "skip")]
    cases += [(completion.want(c), completion.parse, completion.CompletionPress("want", c)) for c in ("QH-01", LONG)]
    cases += [(completion.choice(i), completion.parse, completion.CompletionPress("c", choice=i))
              for i in range(MAX_CHOICES)]
    return cases


@pytest.mark.parametrize(("data", "parse", "expected"), _built(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_builder_fits_and_round_trips(data: str, parse: Any, expected: Any) -> None:
    assert len(data.encode()) <= LIMIT
    assert parse(data) == expected


def test_a_builder_refuses_data_past_the_limit() -> None:
    with pytest.raises(AssertionError):
        ask.full_section("Mục " + "rất dài " * 10)


def _feature_modules() -> list[ModuleType]:
    return [importlib.import_module(f"views.callbacks.{m.name}") for m in pkgutil.iter_modules(views.callbacks.__path__)
            if m.name != "base"]


FORGED = ["", ":", "x" * 64, "²", "eval:rate:99:1", "eval:view:99999999999999999999", "eval:self:1:4",
          "eval:step:1:nowhere", "eval:view:1:2", "eval:history:1", "rev:open:-1", "rev:open:٣", "rev:ok:1:9",
          "rev:rate:1", "rep:u:²", "rep:p:0:²", "rep:z:1", "rep:c:1:2", "qv:q:2026:5", "qv:y:26", "qv:y:1999",
          "qv:q:2026", "dlg:pick:MÃ1", "dlg:per:MAU012:1y", "dlg:rv:abc", "dlg:rv:1:2", "revw:pick:", "revw:pick:a b",
          "course:view:" + "A" * 21, "course:done:QH-01", "course:reg:Q:MAU1", "course:list:a-b", "course:nuke:QH",
          "adm:tpl:../../etc/passwd", "adm:nope", "find:card:¹", "find:card:1:2", "menu:nowhere", "settings:mute:x",
          "unlink:no", "upl:maybe", "kb:full:", "kb:full:  ", "cpl:c:10", "cpl:c:-1", "cpl:want:", "cpl:want:a:b",
          "cpl:maybe"]


@pytest.mark.parametrize("data", FORGED)
def test_forged_data_parses_to_nothing(data: str) -> None:
    parsed = [m.__name__ for m in _feature_modules() for parse in (m.parse, getattr(m, "parse_mute", m.parse))
              if parse(data) is not None]
    assert parsed == []


WINDOW = Window(25, 5)


def _parsers_by_prefix() -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for m in _feature_modules():
        for prefix in (m.PREFIX, getattr(m, "SETTINGS_PREFIX", None)):
            if prefix:
                found.setdefault(prefix, []).extend([m.parse, *([m.parse_mute] if hasattr(m, "parse_mute") else [])])
    found["menu"].extend([find.parse, admin.parse])  # menu:find and menu:admin open those features
    return found


# Presses that answer with a file or end the session: their data is checked, they are not followed.
NOT_FOLLOWED = ("rep:c:", "rep:x:", "qv:x:", "course:rosterx:", "adm:tpl:", "unlink:yes", "upl:")


async def _crawl(bot: BotHarness, who: UpdateFactory, start_with: list[str], limit: int) -> set[str]:
    """Press every button the bot shows, breadth first from `start_with`; return every data seen."""
    seen: set[str] = set()
    queue = deque(start_with)
    pressed = 0
    while queue and pressed < limit:
        data = queue.popleft()
        before = len(bot.api.calls)
        await bot.send(who.callback(data) if ":" in data else who.text(data))
        pressed += 1
        for call in bot.api.calls[before:]:
            for button in call.buttons:
                got = button.get("callback_data")
                if got and got not in seen:
                    seen.add(got)
                    if not got.startswith(NOT_FOLLOWED):
                        queue.append(got)
    return seen


def _assert_ours(seen: set[str]) -> None:
    parsers = _parsers_by_prefix()
    for data in seen:
        assert len(data.encode()) <= LIMIT, data
        assert any(parse(data) is not None for parse in parsers.get(data.split(":")[0], [])), data


async def test_every_button_the_bot_shows_parses(bot: BotHarness, roster: Database) -> None:
    """HR (also a manager) and a manager with an evaluation to review walk every button they are shown."""
    cid = roster.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == "MAU016")))
    v = roster.run(ev.start_or_resume, cid, TODAY, WINDOW)
    roster.run(ev.add_results, cid, v.id, "Việc A", WINDOW, TODAY)
    roster.run(ev.set_self_rating, cid, v.id, 0, WINDOW, TODAY)
    roster.run(ev.submit, cid, v.id, WINDOW, TODAY)
    roster.run(accounts.grant_hr, "MAU004")
    seen: set[str] = set()
    for user_id, phone, first in ((515, "0912345015", ["/review", "/eval", "/courses"]),
                                  (504, "0912345004", ["/menu", "menu:admin", "/courses", "/report", "/find văn"]),
                                  (516, "0912345016", ["/eval", "/ask bí thư xã cần trình độ gì", "/gaps"])):
        who = UpdateFactory(user_id=user_id)
        await link(bot, who, phone)
        seen |= await _crawl(bot, who, first, limit=60)
    _assert_ours(seen)
    prefixes = {data.split(":")[0] for data in seen}
    assert {"menu", "eval", "rev", "qv", "rep", "dlg", "revw", "adm", "find", "course", "kb", "unlink"} <= prefixes


def _alerts(api: FakeBotApi) -> list[str]:
    return [str(c.params.get("text")) for c in api.calls if c.method == "answerCallbackQuery" and c.params.get("text")]


@pytest.mark.parametrize("data", [d for d in FORGED if d.split(":")[0] in {
    "eval", "rev", "rep", "qv", "dlg", "revw", "course", "adm", "find", "menu", "settings", "unlink", "upl", "cpl"}])
async def test_forged_data_of_each_prefix_is_a_stale_button(bot: BotHarness, roster: Database, data: str) -> None:
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=504)
    await link(bot, hr, "0912345004")
    bot.api.clear()
    await bot.send(hr.callback(data))
    assert STALE_BUTTON in _alerts(bot.api)


def _patterns_of_the_modules() -> set[str]:
    found = {m.PATTERN for m in _feature_modules() if hasattr(m, "PATTERN")}
    found |= {menu.entry_pattern(e) for e in menu.ENTRIES} | {menu.MUTE_PATTERN}
    return found | {start.verb_pattern(v) for v in start.VERBS}


async def test_every_button_handler_registers_a_pattern_of_its_feature_module(bot: BotHarness) -> None:
    """A handler's `pattern=` comes from views/callbacks, so the data built and the data routed cannot drift."""
    from telegram.ext import CallbackQueryHandler

    handlers = [h for group in bot.app.handlers.values() for h in group if isinstance(h, CallbackQueryHandler)]
    patterns = [h.pattern.pattern for h in handlers if h.pattern is not None]  # type: ignore[union-attr]
    assert len(patterns) == len(handlers) - 1  # the fallback (any data: a stale button) has none
    assert set(patterns) <= _patterns_of_the_modules()
