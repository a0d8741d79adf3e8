"""Delegating reviews on a phone: current and planned deputies, revoke, a new deputy with date presets.

Button data carries a delegation id or a cadre code and a preset name, parsed strictly; every press re-checks
the manager on the server, and the dates are computed when pressed. The rules (deputy inside the unit and not
rated by the manager, no past period, no overlapping deputy) are the domain's (review.delegate).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from domain import evaluation as ev
from domain.accounts import Actor, require_manager
from domain.evaluation import delegation
from handlers import text_router
from handlers.common import (
    deliver_now,
    esc,
    keyboard,
    linked_only,
    load_actor,
    pressed,
    read_tx,
    reply,
    require_live_press,
    run_tx,
    today,
)
from handlers.fallback import stale_button
from handlers.menu import BACK
from views.callbacks import delegation as buttons
from views.callbacks.base import CODE
from views.html import fit

CODE_FORM = "delegate-code"
LIST_TITLE = "🤝 <b>Ủy quyền xếp loại</b>"
LIST_EMPTY = "\nChưa có ủy quyền nào đang hiệu lực hoặc sắp tới."
LIST_ROW = "\n• {name} ({code}): {start} – {end} ({state})"
ACTIVE, PLANNED = "đang hiệu lực", "sắp tới"
CHOOSE = "Chọn người được ủy quyền xếp loại thay bạn (lãnh đạo trong đơn vị, không phải người bạn xếp loại):"
CHOOSE_TYPE = ("Trong đơn vị không có lãnh đạo nào nhận ủy quyền được. Bấm “⌨️ Gõ mã người khác” để gõ mã một "
               "cán bộ khác trong đơn vị (không phải người bạn trực tiếp xếp loại).")
NOTHING = "\n\nBạn không trực tiếp xếp loại cán bộ nào nên chưa cần ủy quyền."
NOBODY = ("\n\nTrong đơn vị của bạn không có ai nhận ủy quyền được: người được ủy quyền phải là cán bộ khác trong "
          "đơn vị của bạn hoặc đơn vị trực thuộc, và không phải người bạn trực tiếp xếp loại. Nếu cần người xếp "
          "loại thay, hãy báo Ban Tổ chức.")
ASK_CODE = "Gõ mã cán bộ của người được ủy quyền (mã ghi trên hồ sơ của người đó):"
BAD_CODE = "“{value}” không phải mã cán bộ. Gõ lại mã, hoặc /cancel."
CHOOSE_PERIOD = "Ủy quyền cho <b>{name} ({code})</b> trong bao lâu (tính từ hôm nay)?"
CONFIRM = "Ủy quyền cho <b>{name} ({code})</b> xếp loại thay bạn từ <b>{start}</b> đến <b>{end}</b>?"
KEPT = "\nRiêng {people} là cấp trên của {name} nên vẫn do bạn xếp loại."
DONE = "✅ Đã ủy quyền cho {name} ({code}) xếp loại thay bạn từ {start} đến {end}."
CONFIRM_REVOKE = "Thu hồi ủy quyền cho <b>{name} ({code})</b> ({start} – {end})?"
REVOKED = "↩️ Đã thu hồi ủy quyền cho {name} ({code}). Từ hôm nay người đó không xếp loại thay bạn nữa."
BTN_NEW, BTN_TYPE, YES, NO = "➕ Ủy quyền mới", "⌨️ Gõ mã người khác", "✅ Xác nhận", "✖️ Không"
BACK_TO_LIST = ("⬅️ Ủy quyền", buttons.plain("list"))
BUTTON = ("🤝 Ủy quyền", buttons.plain("list"))  # /review's entry to this list


def _day(value: object) -> str:
    return f"{value:%d/%m/%Y}"


async def show_list(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    lines, state = await read_tx(context, lambda session: (
        delegation.my_delegations(session, actor, today(context)), delegation.delegation_state(session, actor)))
    text = LIST_TITLE + ("".join(LIST_ROW.format(name=esc(d.deputy_name), code=esc(d.deputy_code), start=_day(d.start),
                                                 end=_day(d.end), state=ACTIVE if d.active else PLANNED)
                                 for d in lines) or LIST_EMPTY)
    rows = [[(fit(f"✖️ Thu hồi: {d.deputy_name} {d.start:%d/%m}"), buttons.revoke("rv", d.id))] for d in lines]
    new = [[(BTN_NEW, buttons.plain("new"))]] if state == delegation.ELIGIBLE else []
    await reply(update, text + _why_not(state), keyboard([*rows, *new, [BACK]]))


def _why_not(state: str) -> str:
    return {delegation.NOTHING_TO_DELEGATE: NOTHING, delegation.NOBODY_ELIGIBLE: NOBODY}.get(state, "")


async def _choose(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    state, people = await read_tx(context, lambda session: (
        delegation.delegation_state(session, actor), delegation.deputy_candidates(session, actor)))
    if state != delegation.ELIGIBLE:
        await reply(update, LIST_TITLE + _why_not(state), keyboard([[BACK]]))
        return
    rows = [[(fit(f"{p.full_name} ({p.code}) – {p.position}"), buttons.pick(p.code))] for p in people]
    await reply(update, CHOOSE if people else CHOOSE_TYPE, keyboard([*rows, [(BTN_TYPE, buttons.plain("type"))],
                                                                      [BACK_TO_LIST]]))


async def _deputy_name(context: ContextTypes.DEFAULT_TYPE, actor: Actor, code: str) -> str:
    """The deputy's name, re-read and re-checked on every press (a refused code is refused at once)."""
    deputy = await read_tx(context, lambda session: ev.check_deputy(session, actor, code).full_name)
    return str(deputy)


async def _periods(update: Update, name: str, code: str) -> None:
    rows = [[(label, buttons.with_preset("per", code, key))] for key, label in delegation.PRESETS.items()]
    await reply(update, CHOOSE_PERIOD.format(name=esc(name), code=esc(code)), keyboard([*rows, [BACK_TO_LIST]]))


async def _confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, code: str, preset: str) -> None:
    start, end = delegation.preset_period(preset, today(context))
    name, kept = await read_tx(context, delegation.kept_by_manager, actor, code, start, end)
    text = CONFIRM.format(name=esc(name), code=esc(code), start=_day(start), end=_day(end))
    if kept:
        text += KEPT.format(people=", ".join(f"{esc(p.full_name)} ({esc(p.code)})" for p in kept), name=esc(name))
    # a button step in the database: "xác nhận" typed after a restart still confirms
    await text_router.reply_choice(update, context, "delegation-confirm", text,
                                   [[(YES, buttons.with_preset("ok", code, preset)), (NO, buttons.plain("list"))]])


async def _delegate(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, code: str, preset: str) -> None:
    require_live_press(context)  # an older confirmation (the delegation since revoked) makes nothing again
    start, end = delegation.preset_period(preset, today(context))
    name = await run_tx(context, ev.delegate, actor, code, start, end, today(context))
    await reply(update, DONE.format(name=esc(name), code=esc(code), start=_day(start), end=_day(end)),
                keyboard([[BACK_TO_LIST]]))
    await deliver_now(context, "delegation")


async def _revoke(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, delegation_id: int,
                  confirmed: bool) -> None:
    if not confirmed:
        lines = {d.id: d for d in await run_tx(context, delegation.my_delegations, actor, today(context))}
        line = lines.get(delegation_id)
        if line is None:
            await stale_button(update, context)
            return
        await text_router.reply_choice(update, context, "delegation-revoke", CONFIRM_REVOKE.format(
            name=esc(line.deputy_name), code=esc(line.deputy_code), start=_day(line.start), end=_day(line.end)),
            [[(YES, buttons.revoke("rvok", delegation_id)), (NO, buttons.plain("list"))]])
        return
    require_live_press(context)  # an old revoke confirmation: its id may now be another delegation's
    done = await run_tx(context, delegation.revoke, actor, delegation_id, today(context))
    await reply(update, REVOKED.format(name=esc(done.deputy_name), code=esc(done.deputy_code)),
                keyboard([[BACK_TO_LIST]]))
    await deliver_now(context, "delegation")


@linked_only
async def delegation_button(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_manager(actor)
    action, code, preset, delegation_id = pressed(update, buttons.parse)
    if action == "list":
        await show_list(update, context, actor)
    elif action == "new":
        await _choose(update, context, actor)
    elif action == "type":
        await text_router.open_form(update, context, CODE_FORM)
        await reply(update, ASK_CODE)
    elif action == "pick":
        await _periods(update, await _deputy_name(context, actor, code), code)
    elif action == "per":
        await _confirm(update, context, actor, code, preset)
    elif action == "ok":
        await _delegate(update, context, actor, code, preset)
    else:  # "rv" asks, "rvok" is the confirmed revocation
        await _revoke(update, context, actor, delegation_id, confirmed=action == "rvok")


async def code_entered(update: Update, context: ContextTypes.DEFAULT_TYPE, argument: str, value: str) -> None:
    actor = require_manager(await load_actor(update, context))
    code = value.strip().upper()
    if not CODE.fullmatch(code):
        await text_router.open_form(update, context, CODE_FORM)
        await reply(update, BAD_CODE.format(value=esc(value[:30])))
        return
    await text_router.open_form(update, context, CODE_FORM)  # a refused code can be typed again
    name = await _deputy_name(context, actor, code)  # refused at once, not after the period and confirmation
    await text_router.close_form(update, context)
    await _periods(update, name, code)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(delegation_button, pattern=buttons.PATTERN))
    text_router.add_form(app, CODE_FORM, code_entered)
