"""HR's list of cadres no one can review ("chưa có người xếp loại") and assigning a reviewer.

Every press and every typed code re-checks the HR role; the cadre code in button data is only
looked up, and the assignment itself is validated in domain.evaluation.reviewers.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from domain import evaluation as ev
from domain import vn
from domain.accounts import Actor, require_hr
from handlers import text_router
from handlers.common import (
    deliver_now,
    esc,
    held_until,
    keyboard,
    linked_only,
    load_actor,
    pressed,
    read_tx,
    reply,
    run_tx,
)
from handlers.menu import BACK_TO_ADMIN
from views.callbacks import reviewers as buttons

FORM = "assign-reviewer"
BUTTON = ("👤 Chưa có người xếp loại", buttons.listing())  # in the admin menu
TITLE = "👤 <b>Chưa có người xếp loại</b> ({n} cán bộ): không có cấp trên trực tiếp hay lãnh đạo cấp trên."
ROW = "• {name} ({code}) – {unit}"
NONE = "✅ Cán bộ nào cũng đã có người xếp loại tự đánh giá."
MORE = "… và {n} người khác (xem đủ bằng lệnh cadrebot reviewers --missing)."
ASK = ("Gõ mã cán bộ sẽ xếp loại tự đánh giá cho <b>{code}</b> (một lãnh đạo cấp trên của người đó). "
       "Gõ /cancel để thôi.")
CONFIRM = "Giao <b>{reviewer}</b> – {position} – {unit} – xếp loại tự đánh giá hằng tháng cho <b>{cadre}</b>?"
REPLACES = "\nNgười này sẽ thay {person}, người Ban Tổ chức đã giao trước đây (người đó sẽ được báo)."
UNLINKED = "\nChưa liên kết bot nên sẽ không nhận được tin, hãy báo cách khác: {people}."
DONE = "✅ Đã giao {reviewer} xếp loại cho {cadre}."
TOLD = " Cả hai đã được báo qua bot."
TOLD_LATER = " Cả hai sẽ được báo qua bot {when} (giờ yên lặng)."
YES, NO = "✅ Xác nhận", "✖️ Không"
DECLINED = "Đã thôi, chưa giao ai xếp loại cho {code}."
SHOWN = 20


@linked_only
async def reviewers_button(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    action, code, _tag = pressed(update, buttons.parse)
    if action == "list":
        people = await run_tx(context, ev.without_reviewer)
        if not people:
            await reply(update, NONE, keyboard([[BACK_TO_ADMIN]]))
            return
        lines = [TITLE.format(n=vn.number(len(people)))]
        lines += [ROW.format(name=esc(p.full_name), code=esc(p.code), unit=esc(p.unit_name)) for p in people[:SHOWN]]
        if len(people) > SHOWN:
            lines.append(MORE.format(n=vn.number(len(people) - SHOWN)))
        rows = [[(f"Giao người xếp loại: {p.code}", buttons.pick(p.code))] for p in people[:SHOWN]]
        await reply(update, "\n".join(lines), keyboard([*rows, [BACK_TO_ADMIN]]))
    elif action == "pick":
        await text_router.open_form(update, context, FORM, code)
        await reply(update, ASK.format(code=esc(code)))
    elif action == "no":
        who = text_router.chat_key(update)
        if who is not None:
            await run_tx(context, ev.decline_choice, who, code)
        await reply(update, DECLINED.format(code=esc(code)),
                    keyboard([[("👤 Chưa có người xếp loại", buttons.listing())], [BACK_TO_ADMIN]]))
    else:  # "ok": the choice held in the chat's step
        who = text_router.chat_key(update)
        if who is None:
            return
        done = await run_tx(context, ev.assign_confirmed, actor, who, code, pressed(update, buttons.parse).tag)
        held = held_until(context, "reviewer-assigned")
        told = UNLINKED.format(people=_people(done.unlinked)) if done.unlinked else (
            TOLD_LATER.format(when=held) if held else TOLD)
        await reply(update, DONE.format(reviewer=_person(done.reviewer), cadre=_person(done.cadre)) + told,
                    keyboard([[("👤 Chưa có người xếp loại", buttons.listing())], [BACK_TO_ADMIN]]))
        await deliver_now(context, "reviewer-assigned")


async def reviewer_entered(update: Update, context: ContextTypes.DEFAULT_TYPE, cadre_code: str, value: str) -> None:
    """A typed reviewer's code: checked and shown for confirmation (a refused one keeps the prompt)."""
    actor = require_hr(await load_actor(update, context))
    await text_router.open_form(update, context, FORM, cadre_code)  # a mistyped (unknown) code can be typed again
    typed = value.split()[0][:64] if value else ""
    choice = await read_tx(context, ev.reviewer_choice, actor, cadre_code, typed)
    rows = [[(YES, buttons.confirm(cadre_code, ev.choice_tag(typed))), (NO, buttons.decline(cadre_code))]]
    text = CONFIRM.format(reviewer=_person(choice.reviewer), position=esc(choice.reviewer_position),
                          unit=esc(choice.reviewer_unit), cadre=_person(choice.cadre))
    if choice.replaces:
        text += REPLACES.format(person=_person(choice.replaces))
    if choice.unlinked:
        text += UNLINKED.format(people=_people(choice.unlinked))
    await text_router.open_form(update, context, ev.REVIEWER_CONFIRM_STEP,  # "replaces": checked again at the press
                                data={"cadre": cadre_code, "reviewer": typed, "replaces": choice.assigned_code},
                                buttons=rows)
    await reply(update, text, keyboard(rows))


def _person(named: tuple[str, str]) -> str:
    return f"{esc(named[0])} ({esc(named[1])})"


def _people(named: list[tuple[str, str]]) -> str:
    return ", ".join(_person(n) for n in named)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(reviewers_button, pattern=buttons.PATTERN))
    text_router.add_form(app, FORM, reviewer_entered)
