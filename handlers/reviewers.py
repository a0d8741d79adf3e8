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
from handlers.common import deliver_now, esc, keyboard, linked_only, load_actor, pressed, reply, run_tx
from handlers.menu import BACK_TO_ADMIN
from views.callbacks import reviewers as buttons

FORM = "assign-reviewer"
BUTTON = ("👤 Chưa có người xếp loại", buttons.listing())  # in the admin menu
TITLE = "👤 <b>Chưa có người xếp loại</b> ({n} cán bộ): không có cấp trên trực tiếp hay lãnh đạo cấp trên."
ROW = "• {name} ({code}) – {unit}"
NONE = "✅ Cán bộ nào cũng đã có người xếp loại tự đánh giá."
MORE = "… và {n} người khác (xem đủ bằng lệnh cadrebot reviewers --missing)."
ASK = "Gõ mã cán bộ sẽ xếp loại tự đánh giá cho <b>{code}</b> (ví dụ MAU001). Gõ /cancel để thôi."
DONE = "✅ Đã giao {reviewer} ({reviewer_code}) xếp loại cho {name} ({code}). Hai người đã được báo qua bot."
SHOWN = 20


@linked_only
async def reviewers_button(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    action, code = pressed(update, buttons.parse)
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
    else:  # "pick"
        await text_router.open_form(update, context, FORM, code)
        await reply(update, ASK.format(code=esc(code)))


async def reviewer_entered(update: Update, context: ContextTypes.DEFAULT_TYPE, cadre_code: str, value: str) -> None:
    actor = require_hr(await load_actor(update, context))
    await text_router.open_form(update, context, FORM, cadre_code)  # a mistyped code can be typed again
    typed = value.split()[0][:64] if value else ""
    cadre, reviewer = await run_tx(context, ev.assign_reviewer, actor, cadre_code, typed)
    await text_router.close_form(update, context)
    await reply(update, DONE.format(reviewer=esc(reviewer.full_name), reviewer_code=esc(reviewer.code),
                                    name=esc(cadre.full_name), code=esc(cadre.code)))
    await deliver_now(context, "reviewer-assigned")


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(reviewers_button, pattern=buttons.PATTERN))
    text_router.add_form(app, FORM, reviewer_entered)
