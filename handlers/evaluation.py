"""/eval: the cadre's monthly self-evaluation form; /review: the manager's side.

The form's state is in the database (domain.evaluation): a restart or a closed phone
resumes at the same step. Callback data carries the evaluation id; every press re-checks
that it is the presser's own draft, or that the presser is its reviewer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from domain import conversation, review_grid, vn
from domain import evaluation as ev
from domain.accounts import Actor, actor_for, require_manager
from domain.choices import match_button
from domain.errors import PermissionDenied
from domain.evaluation import RATINGS, EvalView, Window
from domain.evaluation.flow import RatedThenNext, rate_then_next
from domain.evaluation.status import Nudge
from handlers import ask, delegation, review_views, text_router
from handlers.common import (
    NOT_LINKED,
    Services,
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
    services,
    today,
)
from handlers.menu import BACK
from knowledge import smalltalk
from views.callbacks import evaluation as buttons
from views.callbacks import menu as menu_buttons
from views.callbacks import review as review_buttons

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ASK_RESULTS = (
    "📝 <b>Tự đánh giá {period}</b>\n<b>Bước 1/3 – Kết quả công việc, sản phẩm</b>\n"
    "Gửi từng việc một tin nhắn, hoặc nhiều dòng trong một tin. Xong thì bấm “✅ Xong”."
)
RESULTS_SO_FAR = "\n\nĐã ghi {n} kết quả:\n{items}"
ASK_DIFFICULTIES = (
    "<b>Bước 2/3 – Khó khăn, đề xuất</b> (không bắt buộc)\nGõ nội dung, hoặc bấm “Bỏ qua”."
)
ASK_DIFFICULTIES_KEPT = (
    "<b>Bước 2/3 – Khó khăn, đề xuất</b> (không bắt buộc)\nĐang ghi: “{text}”\n"
    "Gõ nội dung mới để thay, hoặc bấm “Giữ nguyên”."
)
ASK_RATING = "<b>Bước 3/3 – Tự xếp loại</b>\nChọn mức bạn tự đánh giá cho {period}:"
PREVIEW = "👀 <b>Xem lại tự đánh giá {period}</b>{late}\n\n{body}\n\n{send}"
SEND_HINT = "Bấm “📤 Gửi” để gửi cấp trên."
RESEND_HINT = ("Bấm “📤 Gửi bản sửa” để thay bản đã gửi bằng bản này, hoặc “🗑 Bỏ bản sửa” để giữ nguyên "
               "bản đã gửi.")
SUBMITTED = "📤 Đã gửi tự đánh giá {period}{late}. Bạn có thể sửa đến khi cấp trên xếp loại hoặc hết kỳ."
WHO_REVIEWS = "\nNgười xếp loại: <b>{name}</b>."
NO_REVIEWER = (
    "\n⚠️ Hồ sơ của bạn chưa có người xếp loại (không có cấp trên trực tiếp hay lãnh đạo cấp trên trong danh "
    "sách). Ban Tổ chức đã được báo để giao người xếp loại; bạn sẽ được báo khi có."
)
LATE = " (nộp muộn)"
VIEW = "📄 <b>Tự đánh giá {period}</b> – {status}{late}\n\n{body}"
BODY_RESULTS = "<b>Kết quả công việc, sản phẩm</b>\n{items}"
BODY_DIFFICULTIES = "\n<b>Khó khăn, đề xuất</b>\n{text}"
BODY_SELF = "\n<b>Tự xếp loại</b>: {rating}"
BODY_MANAGER = "\n<b>Cấp trên xếp loại</b>: {rating}{comment}"
HISTORY_TITLE = "📜 <b>Các tháng trước</b>"
HISTORY_ROW = "• {period_title}: tự xếp loại {self}; cấp trên: {manager}{late}"
HISTORY_EMPTY = "Chưa có tháng nào đã gửi."
LEFT_DRAFT = ("⏸ Bản tự đánh giá đang dở đã được lưu và tạm dừng, không mất gì. "
              "Gõ /eval để làm tiếp đúng chỗ đang dở.")
PAUSED = "Đã tạm dừng; bản nháp vẫn được giữ. Gõ /eval để làm tiếp đúng chỗ đang dở."
BTN_RESUME = "📝 Làm tiếp"
BTN_OPEN_FORM = "📝 Mở bản tự đánh giá"
PAUSED_EDIT = ("⏸ Đã tạm dừng sửa. Bản đã gửi giữ nguyên và cấp trên vẫn xếp loại trên bản đó; bản sửa được lưu: "
               "gõ /eval để sửa tiếp, rồi bấm “📤 Gửi bản sửa”.")
LEFT_EDIT = ("⏸ Bản sửa đang dở đã được lưu và tạm dừng; bản đã gửi giữ nguyên. Gõ /eval để sửa tiếp, rồi bấm "
             "“📤 Gửi bản sửa”.")
REVIEW_EMPTY = "✅ Không có bản tự đánh giá nào chờ bạn xếp loại."
REVIEW_LIST = "🗂 <b>Chờ bạn xếp loại</b> ({n}):"
BTN_LATER = "⬅️ Để sau – về danh sách"
BTN_REOPEN = "📄 Mở bản mới"
REVIEW_ONE = "📄 <b>{name}</b> ({code}) – tự đánh giá {period}{late}{deputy}\n\n{body}\n\nChọn mức xếp loại:"
FOR_MANAGER = " · thay {name}"  # a deputy's list: whose review this is
AS_DEPUTY = "\n🤝 Bạn xếp loại thay <b>{name}</b> (được ủy quyền)."
ASK_COMMENT = "Nhận xét cho {name} (không bắt buộc): gõ nội dung, hoặc bấm “Không nhận xét”."
NO_COMMENT_WORDS = ("bỏ qua", "không", "không có", "không nhận xét", "không có nhận xét")
CONFIRM_RATE = "Xác nhận xếp loại <b>{name}</b> – {period}: <b>{rating}</b>{deputy}{comment}?"
RATED = "✅ Đã xếp loại {name} – {period}: {rating}."
RATED_TOLD = " Cán bộ đã được thông báo qua bot."
RATED_HELD = " Cán bộ sẽ được thông báo qua bot {when} (giờ yên lặng)."
RATED_NOT_TOLD = " Cán bộ chưa liên kết tài khoản Telegram nên bot chưa báo được; hãy báo trực tiếp."
NEXT_PENDING = "⏭ <b>Tiếp theo</b> (còn {n} bản chờ xếp loại):\n\n"
ALL_DONE = "🎉 Đã xếp loại xong mọi bản tự đánh giá đang chờ bạn."
NOT_A_REVIEWER = ("🗂 Xếp loại cấp dưới chỉ dành cho cán bộ quản lý: bạn không xếp loại tự đánh giá của ai. "
                  "Tự đánh giá của bạn: gõ /eval.")
UNIT_STATUS = (
    "📊 <b>Tự đánh giá {period} – cấp dưới của bạn</b>\n"
    "<i>Theo chuỗi đánh giá: người bạn xếp loại và những người họ xếp loại; không gồm bạn và cấp trên.</i>\n"
    "Đã gửi: {submitted}/{cadres} (muộn: {late})\nĐã xếp loại: {reviewed}\nChưa gửi: {missing}"
)
NOBODY_BELOW = ("📊 Không có ai dưới bạn trong chuỗi đánh giá (bạn không xếp loại ai, trực tiếp hay qua cấp dưới), "
                "nên không có tình hình tự đánh giá để xem và không có ai để nhắc.")
MISSING_LIST = " – {names}{more}"
MISSING_MORE = " và {n} người nữa"
NUDGED = "Đã gửi lời nhắc tới {n} người chưa nộp."
NUDGE_HELD = "Lời nhắc tới {n} người chưa nộp sẽ được gửi {when} (giờ yên lặng)."
NAMED = 10  # people named in a reminder's result; the status view lists everyone
NUDGE_WHY = {
    "none": "Mọi người bạn đánh giá đã nộp tự đánh giá tháng này.",
    "unlinked": "{n} người chưa liên kết tài khoản Telegram nên bot không nhắc được; hãy nhắc trực tiếp: {people}.",
    "already": "{n} người đã được bạn nhắc hôm nay; mỗi người được nhắc một lần mỗi ngày.",
}
DELEGATE_USAGE = (
    "Cách dùng: <code>/delegate MÃ_CÁN_BỘ dd/mm/yyyy dd/mm/yyyy</code> – ủy quyền xếp loại trong khoảng ngày."
)
DELEGATED = "Đã ủy quyền cho {name} xếp loại thay bạn từ {start} đến {end}."
BTN_DONE, BTN_UNDO, BTN_SKIP, BTN_SEND = "✅ Xong", "↩️ Xóa mục cuối", "Bỏ qua", "📤 Gửi"
BTN_KEEP = "Giữ nguyên"
BTN_PAUSE = "⏸ Để sau (giữ nháp)"
BTN_PAUSE_EDIT, BTN_RESEND, BTN_DISCARD = "⏸ Để sau (giữ bản đã gửi)", "📤 Gửi bản sửa", "🗑 Bỏ bản sửa"
EDITING_NOTE = (
    "✏️ <i>Bạn đang sửa bản đã gửi. Bản đã gửi vẫn được giữ và cấp trên vẫn xếp loại trên bản đó; "
    "bản sửa chỉ thay thế khi bạn bấm “📤 Gửi bản sửa”.</i>\n\n"
)
DISCARDED = "🗑 Đã bỏ bản sửa. Bản đã gửi giữ nguyên."
FORM_STEPS = f"{text_router.BUTTON_STEP}eval-"  # the form's own steps (their buttons, for typed labels)
BTN_ADD_TYPED = "➕ Thêm vào bản tự đánh giá"
KEEP_NOTE = ("\n\n📝 Bạn đang soạn tự đánh giá {period} (mục {where}). Nếu dòng vừa gõ là nội dung cho bản đó, "
             "bấm “" + BTN_ADD_TYPED + "”.")
GIVEN_BACK = "\nNội dung bản sửa vừa bỏ, để giữ lại nếu cần:\n{text}"
REMOVED = "↩️ Đã xóa mục: “{text}”"
UNIT_STATUS_BUTTON = ("📊 Tình hình cấp dưới", review_buttons.plain("unit"))


def _window(context: ContextTypes.DEFAULT_TYPE) -> Window:
    return Window.of(services(context).settings.evaluation)


def _body(v: EvalView) -> str:
    items = "\n".join(f"{i}. {esc(item)}" for i, item in enumerate(v.items, 1)) or "(chưa có)"
    text = BODY_RESULTS.format(items=items)
    if v.difficulties:
        text += BODY_DIFFICULTIES.format(text=esc(v.difficulties))
    if v.self_rating is not None:
        text += BODY_SELF.format(rating=RATINGS[v.self_rating])
    if v.manager_rating is not None:
        comment = f"\nNhận xét: {esc(v.manager_comment)}" if v.manager_comment else ""
        text += BODY_MANAGER.format(rating=RATINGS[v.manager_rating], comment=comment)
    return text


async def show_step(update: Update, context: ContextTypes.DEFAULT_TYPE, v: EvalView) -> None:
    """Render the form at the step the database says it is; a typed label presses that step's buttons."""
    if v.status != ev.EvalStatus.DRAFT:
        await show_view(update, v)
        return
    if v.editing:
        await _show_form_step(update, context, v, EDITING_NOTE, (BTN_PAUSE_EDIT, buttons.on("pause", v.id)))
    else:
        await _show_form_step(update, context, v, "", (BTN_PAUSE, buttons.on("pause", v.id)))


async def _show_form_step(update: Update, context: ContextTypes.DEFAULT_TYPE, v: EvalView, note: str,
                          cancel: tuple[str, str]) -> None:
    if v.step == "results":
        text = note + ASK_RESULTS.format(period=v.period)
        if v.items:
            text += RESULTS_SO_FAR.format(n=len(v.items), items="\n".join(f"• {esc(i)}" for i in v.items[-5:]))
        rows = [[(BTN_DONE, buttons.go_to(v.id, "difficulties"))]] if v.items else []
        if v.items:
            rows.append([(BTN_UNDO, buttons.on("undo", v.id))])
        await text_router.reply_choice(update, context, "eval-results", text, [*rows, [cancel]], choice_only=False)
    elif v.step == "difficulties":
        text = note + (ASK_DIFFICULTIES_KEPT.format(text=esc(v.difficulties)) if v.difficulties else ASK_DIFFICULTIES)
        await text_router.reply_choice(update, context, "eval-difficulties", text,
                                       [[(BTN_KEEP if v.difficulties else BTN_SKIP, buttons.on("skip", v.id))],
                                        [cancel]], choice_only=False)
    elif v.step == "rating":
        rows = [[(label, buttons.self_rating(v.id, n))] for n, label in enumerate(RATINGS)]
        await text_router.reply_choice(update, context, "eval-rating", note + ASK_RATING.format(period=v.period),
                                       [*rows, [cancel]])
    else:
        send = [(BTN_RESEND, buttons.on("submit", v.id)), (BTN_DISCARD, buttons.on("discard", v.id))] if v.editing \
            else [(BTN_SEND, buttons.on("submit", v.id))]
        text = note + PREVIEW.format(period=v.period, late=LATE if v.late else "", body=_body(v),
                                     send=RESEND_HINT if v.editing else SEND_HINT)
        await text_router.reply_choice(update, context, "eval-preview", text, [
            send,
            [("✏️ Sửa kết quả", buttons.go_to(v.id, "results")),
             ("✏️ Sửa khó khăn", buttons.go_to(v.id, "difficulties"))],
            [("✏️ Sửa tự xếp loại", buttons.go_to(v.id, "rating"))], [cancel]])


async def show_view(update: Update, v: EvalView) -> None:
    rows = [[("✏️ Sửa", buttons.on("edit", v.id))]] if v.editable and v.status == ev.EvalStatus.SUBMITTED else []
    rows.append([("📜 Các tháng trước", buttons.history())])
    await reply(update, VIEW.format(period=v.period, status=ev.status_label(v.status), late=LATE if v.late else "",
                                    body=_body(v)), keyboard([*rows, [BACK]]))


# --- the cadre -----------------------------------------------------------------------------------


@linked_only
async def eval_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    v = await run_tx(context, ev.start_or_resume, actor.cadre_id, today(context), _window(context))
    await show_step(update, context, v)


@linked_only
async def eval_button(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    press = pressed(update, buttons.parse)
    action, eval_id = press.verb, press.eval_id
    w, now, me = _window(context), today(context), actor.cadre_id
    if action == "history":
        await _history(update, context, actor)
        return
    if action == "keep":
        await _keep_typed(update, context, actor, eval_id, press.message)
        return
    if action == "pause":
        paused = await run_tx(context, ev.pause, me)
        await reply(update, PAUSED_EDIT if paused == "edit" else PAUSED,
                    keyboard([[(BTN_RESUME, menu_buttons.entry("eval"))], [BACK]]))
        return
    operations: dict[str, tuple[Callable[..., EvalView], tuple[Any, ...]]] = {
        "step": (ev.go_to, (me, eval_id, press.step, w, now)),
        "undo": (ev.remove_last_result, (me, eval_id, w, now)),
        "skip": (ev.keep_difficulties, (me, eval_id, w, now)),
        "self": (ev.set_self_rating, (me, eval_id, press.rating, w, now)),
        "submit": (ev.submit, (me, eval_id, w, now)),
        "edit": (ev.reopen, (me, eval_id, w, now)),
        "view": (ev.own_evaluation, (me, eval_id, w, now)),
        "discard": (ev.discard_edit, (me, eval_id, w, now)),
    }
    fn, args = operations[action]
    try:
        v = await run_tx(context, fn, *args)
    except ev.EvaluationRefused as refused:  # "đã gửi", "cần ít nhất một kết quả": the form is one tap away
        await reply(update, esc(str(refused)), keyboard([[(BTN_OPEN_FORM, menu_buttons.entry("eval"))], [BACK]]))
        return
    if action == "submit":
        who = WHO_REVIEWS.format(name=esc(v.next_reviewer)) if v.next_reviewer else NO_REVIEWER
        await reply(update, SUBMITTED.format(period=v.period, late=LATE if v.late else "") + who)
        await deliver_now(context, "eval-submitted")
    elif action == "discard":
        await reply(update, DISCARDED + (GIVEN_BACK.format(text=esc(v.given_back)) if v.given_back else ""))
    elif action == "undo" and v.given_back:
        await reply(update, REMOVED.format(text=esc(v.given_back)))
    await show_step(update, context, v)


async def _history(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    items = await run_tx(context, ev.history, actor.cadre_id, _window(context), today(context))
    if not items:
        await reply(update, HISTORY_EMPTY, keyboard([[BACK]]))
        return
    lines = [HISTORY_TITLE] + [HISTORY_ROW.format(
        period_title=v.period_title, self=RATINGS[v.self_rating] if v.self_rating is not None else "—",
        manager=RATINGS[v.manager_rating] + (f" – “{esc(v.manager_comment)}”" if v.manager_comment else "")
        if v.manager_rating is not None else "chưa xếp loại", late=LATE if v.late else "") for v in items]
    rows = [[(f"📄 {v.period_title}", buttons.on("view", v.id))] for v in items[:6]]
    await reply(update, "\n".join(lines), keyboard([*rows, [BACK]]))


async def draft_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Free text while a draft is open and recent goes into it (also after a restart); after a break it is
    answered as a question and held one press away from the form (_answer_and_hold)."""
    text = update.message.text if update.message and update.message.text else ""
    actor = await load_actor(update, context)
    if actor is None or not text.strip():
        return False
    w, now = _window(context), today(context)
    found = await read_tx(context, ev.text_draft, actor.cadre_id, w, now)
    if found is None:
        return False
    draft, recent = found
    if not recent:
        return await _answer_and_hold(update, context, draft, text)
    if draft.step == "results":
        v = await run_tx(context, ev.add_results, actor.cadre_id, draft.id, text, w, now)
    else:
        v = await run_tx(context, ev.set_difficulties, actor.cadre_id, draft.id, text, w, now)
    await show_step(update, context, v)
    return True


async def _answer_and_hold(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: EvalView, text: str) -> bool:
    """After a break the form's buttons may still be the last thing on the phone, but the line may as well be a
    question: it is answered as one, and held in a step, one press away from the form (eval:keep). Small talk
    ("cảm ơn") is left to its own reply (False); the form's buttons still press when their labels are typed."""
    assert update.message is not None
    who = text_router.chat_key(update)
    if who is None or smalltalk.smalltalk_of(text) is not None:
        return False
    form = await read_tx(context, conversation.waiting, *who)
    if await text_router.typed_menu_label(update, context, text, form):
        return True  # the last message's button ("📝 Làm tiếp", a menu's), pressed as the router does
    still_pressable = form.data.get("buttons", []) if form is not None and form.name.startswith(FORM_STEPS) else []
    message_id = update.message.message_id
    where = "Khó khăn, đề xuất" if draft.step == "difficulties" else "Kết quả công việc"
    held = ask.Held(ev.TYPED_STEP, ev.held_line(draft.id, message_id, text, draft.step),
                    [[(BTN_ADD_TYPED, buttons.keep(draft.id, message_id))]],
                    KEEP_NOTE.format(period=draft.period, where=where), still_pressable)
    await ask.answer_question(update, context, text, held)
    return True


async def _keep_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, eval_id: int,
                      message_id: int) -> None:
    who = text_router.chat_key(update)
    if who is None:
        return
    v = await run_tx(context, ev.keep_typed, actor.cadre_id, who, eval_id, message_id, _window(context),
                     today(context))
    await show_step(update, context, v)


def draft_left(session: Session, context: ContextTypes.DEFAULT_TYPE, command: str) -> int | None:
    """Leave check (in the command's first read, the actor loaded): the cadre whose draft was taking free text,
    which another command pauses, so a later question is not saved as a result."""
    actor: Actor | None = getattr(context, "actor", None)
    if command == "eval" or actor is None:
        return None
    draft = ev.active_draft(session, actor.cadre_id, _window(context), today(context))
    return actor.cadre_id if draft is not None else None


async def pause_draft(update: Update, context: ContextTypes.DEFAULT_TYPE, cadre_id: int) -> None:
    paused = await run_tx(context, ev.pause, cadre_id)
    await reply(update, LEFT_EDIT if paused == "edit" else LEFT_DRAFT)


async def draft_awaits_text(app: Application, user_id: int) -> bool:
    svc: Services = app.bot_data["services"]
    actor = await asyncio.to_thread(svc.db.read, actor_for, user_id)
    if actor is None:
        return False
    window = Window.of(svc.settings.evaluation)
    return await asyncio.to_thread(svc.db.read, ev.active_draft, actor.cadre_id, window, svc.today()) is not None


# --- the manager ---------------------------------------------------------------------------------


@linked_only
async def review_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """A manager's (or HR's) pending list and views; a deputy who is not a manager, the list only; else one line."""
    access = await run_tx(context, ev.review_access, actor, today(context))
    if access == "none":
        await reply(update, NOT_A_REVIEWER, keyboard([[BACK]]))
        return
    pending = await run_tx(context, ev.pending_reviews, actor, today(context))
    views = [[UNIT_STATUS_BUTTON, delegation.BUTTON], review_views.entry_buttons(context),
             [BACK]] if access == "manager" else [[BACK]]
    if not pending:
        await reply(update, REVIEW_EMPTY, keyboard(views))
        return
    rows = [[(_pending_label(p), review_buttons.open_(p.id))] for p in pending[:20]]
    await text_router.reply_choice(update, context, "review-list", REVIEW_LIST.format(n=vn.number(len(pending))),
                                   [*rows, *views], choice_only=False)


def _pending_label(p: ev.Pending, limit: int = 60) -> str:
    """'Nông Văn Dũng – tháng 11/2026 · thay Ma Văn Chiến': cut in the first part, so the manager's name stays whole."""
    suffix = FOR_MANAGER.format(name=p.acting_for) if p.acting_for else ""
    return f"{p.cadre_name} – {p.period}{' (muộn)' if p.late else ''}"[:limit - len(suffix)] + suffix


@linked_only
async def review_button(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    press = pressed(update, review_buttons.parse)
    action, eval_id, rating, seen = press
    w, now = _window(context), today(context)
    if action == "unit":
        await _unit_status(update, context, actor)
        return
    if action == "nudge":
        year, month = w.open_period(now)
        nudge = await run_tx(context, review_grid.remind_team, require_manager(actor), year, month, now)
        await reply(update, _nudge_text(nudge, held_until(context, "eval-reminder")))
        await deliver_now(context, "eval-reminder")
        return
    if action in ("grid", "year"):  # buttons sent before the quarter views moved to handlers.review_views
        await (review_views.show_current_year if action == "year" else review_views.show_current_quarter)(
            update, context, actor)
        return
    v = await run_tx(context, ev.evaluation_for_review, actor, eval_id, w, now)
    if action == "open":
        await _show_for_rating(update, context, v)
    elif action == "rate":
        no_comment = [[("Không nhận xét", review_buttons.rated("nocomment", v.id, rating, seen))]]
        await text_router.open_form(update, context, "review-comment", f"{v.id}:{rating}:{seen}", buttons=no_comment)
        await reply(update, ASK_COMMENT.format(name=esc(v.cadre_name)), keyboard(no_comment))
    elif action == "nocomment":
        await _confirm(update, context, v, rating, "", seen)
    else:
        try:
            result = await run_tx(context, rate_then_next, actor, text_router.chat_key(update), v.id, rating, w, now,
                                  seen)
        except ev.VersionReplaced as exc:  # the new version is one press away
            await reply(update, esc(str(exc)), keyboard([[(BTN_REOPEN, review_buttons.open_(exc.eval_id))], [BACK]]))
            return
        await _rated(update, context, result, held_until(context, "eval-rated"),
                     team_views=actor.is_manager or actor.is_hr)
        await deliver_now(context, "eval-rated")


async def _show_for_rating(update: Update, context: ContextTypes.DEFAULT_TYPE, v: EvalView, before: str = "") -> None:
    """One evaluation with the rating buttons, at the "review-rating" step (buttons only: a typed label rates,
    anything else is asked to choose), however it was opened: from /review or at once after a rating."""
    rows = [[(label, review_buttons.rated("rate", v.id, n, v.version))] for n, label in enumerate(RATINGS)]
    rows.append([(BTN_LATER, menu_buttons.entry("review"))])  # nothing is rated until a rating is pressed
    await text_router.reply_choice(update, context, "review-rating", before + REVIEW_ONE.format(
        name=esc(v.cadre_name), code=esc(v.cadre_code), period=v.period, late=LATE if v.late else "",
        deputy=AS_DEPUTY.format(name=esc(v.acting_for)) if v.acting_for else "", body=_body(v)), rows)


async def _rated(update: Update, context: ContextTypes.DEFAULT_TYPE, result: RatedThenNext,
                 held: str | None, team_views: bool) -> None:
    """The rating's outcome (told, to be told after quiet hours, or not linked), then at once the next
    evaluation waiting (or that none is left: with the team's status for a manager, `team_views`)."""
    done = result.done
    text = RATED.format(name=esc(done.cadre_name), period=done.period, rating=RATINGS[done.manager_rating or 0])
    text += RATED_NOT_TOLD if not done.notified else RATED_HELD.format(when=held) if held else RATED_TOLD
    nxt = result.next
    if nxt is None:
        rows = [[UNIT_STATUS_BUTTON], [BACK]] if team_views else [[BACK]]
        await reply(update, f"{text}\n\n{ALL_DONE}", keyboard(rows))
        return
    await _show_for_rating(update, context, nxt, f"{text}\n\n" + NEXT_PENDING.format(n=vn.number(result.remaining)))


def _nudge_text(nudge: Nudge, held: str | None) -> str:
    """How many were reminded (or will be, after quiet hours), and when not everyone who has not submitted was, why."""
    if nudge.people == 0:
        return NOBODY_BELOW
    lines = [NUDGE_HELD.format(n=vn.number(nudge.sent), when=held) if held and nudge.sent else NUDGED.format(
        n=vn.number(nudge.sent))]
    if nudge.missing == 0:
        lines.append(NUDGE_WHY["none"])
    if nudge.unlinked:
        shown = ", ".join(f"{esc(name)} ({esc(code)})" for name, code in nudge.unlinked_people[:NAMED])
        more = f" và {vn.number(nudge.unlinked - NAMED)} người khác" if nudge.unlinked > NAMED else ""
        lines.append(NUDGE_WHY["unlinked"].format(n=vn.number(nudge.unlinked), people=shown + more))
    if nudge.already:
        lines.append(NUDGE_WHY["already"].format(n=vn.number(nudge.already)))
    return "\n".join(lines)


async def _confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, v: EvalView, rating: int,
                   comment: str, seen: int) -> None:
    """The confirmation is a step in the database holding the comment; text typed there replaces it. `seen`: the
    version the rating was chosen on, carried to the rating (the step's argument keeps it for a typed comment)."""
    choice = [[("✅ Xác nhận", review_buttons.rated("ok", v.id, rating, seen)),
               ("✖️ Chọn lại", review_buttons.open_(v.id))]]
    await text_router.open_form(update, context, ev.REVIEW_CONFIRM_STEP, f"{v.id}:{rating}:{seen}",
                                {"comment": comment}, buttons=choice)
    shown = f"\nNhận xét: “{esc(comment)}”" if comment else ""
    deputy = f" (thay {esc(v.acting_for)})" if v.acting_for else ""
    await reply(update, CONFIRM_RATE.format(name=esc(v.cadre_name), period=v.period, rating=RATINGS[rating],
                                            comment=shown, deputy=deputy), keyboard(choice))


async def comment_entered(update: Update, context: ContextTypes.DEFAULT_TYPE, argument: str, value: str) -> None:
    """The comment typed after choosing a rating (or typed again at the confirmation, replacing it)."""
    eval_id, rating, seen = _comment_argument(argument)
    actor = await _actor(context, update)
    v = await run_tx(context, ev.evaluation_for_review, actor, eval_id, _window(context), today(context))
    if match_button(value, NO_COMMENT_WORDS).index is not None:  # "bỏ qua", "không": the skip button's meaning
        value = ""
    await _confirm(update, context, v, rating, ev.check_comment(value), seen)


def _comment_argument(argument: str) -> tuple[int, int, int]:
    """'id:rating[:version]' kept at the comment step (steps written before versions carry none: 0)."""
    parts = [int(x) for x in argument.split(":")]
    return parts[0], parts[1], parts[2] if len(parts) > 2 else 0


async def _actor(context: ContextTypes.DEFAULT_TYPE, update: Update) -> Actor:
    """The linked rater; evaluation_for_review checks they rate this evaluation (a deputy need not be a manager)."""
    actor = await load_actor(update, context)
    if actor is None:
        raise PermissionDenied(NOT_LINKED)
    return actor


async def _unit_status(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_manager(actor)
    year, month = _window(context).open_period(today(context))
    lines = await run_tx(context, review_grid.team_month_status, actor, year, month)  # whom the reminder reaches
    if not lines:
        await reply(update, NOBODY_BELOW, keyboard([[BACK]]))
        return
    counts = ev.status_counts(lines)
    text = UNIT_STATUS.format(period=ev.period_label(year, month),
                              **{key: vn.number(value) for key, value in counts.items()})
    missing = [line.full_name for line in lines if not ev.is_submitted(line.status)]
    if missing:
        more = MISSING_MORE.format(n=vn.number(len(missing) - 30)) if len(missing) > 30 else ""
        text += MISSING_LIST.format(names=esc(", ".join(missing[:30])), more=more)
    rows = [[("⏰ Nhắc người chưa nộp", review_buttons.plain("nudge"))]] if missing else []
    await reply(update, text, keyboard([*rows, [BACK]]))


@linked_only
async def delegate_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_manager(actor)
    args = context.args or []
    if not args:  # the phone path: deputies listed, with buttons
        await delegation.show_list(update, context, actor)
        return
    try:
        start, end = (datetime.strptime(a, "%d/%m/%Y").date() for a in args[1:3])
    except (ValueError, TypeError):
        await reply(update, DELEGATE_USAGE)
        return
    if len(args) != 3:
        await reply(update, DELEGATE_USAGE)
        return
    name = await run_tx(context, ev.delegate, actor, args[0], start, end, today(context))
    await reply(update, DELEGATED.format(name=esc(name), start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}"))
    await deliver_now(context, "delegation")


async def cancel_draft(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """/cancel also pauses an evaluation draft (it is kept)."""
    actor = await load_actor(update, context)
    return bool(actor and await run_tx(context, ev.pause, actor.cadre_id))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("eval", eval_command))
    app.add_handler(CallbackQueryHandler(eval_command, pattern=menu_buttons.entry_pattern("eval")))
    app.add_handler(CallbackQueryHandler(eval_button, pattern=buttons.PATTERN))
    app.add_handler(CommandHandler("review", review_command))
    app.add_handler(CallbackQueryHandler(review_command, pattern=menu_buttons.entry_pattern("review")))
    app.add_handler(CallbackQueryHandler(review_button, pattern=review_buttons.PATTERN))
    app.add_handler(CommandHandler("delegate", delegate_command))
    text_router.add_form(app, "review-comment", comment_entered)
    text_router.add_form(app, ev.REVIEW_CONFIRM_STEP, comment_entered)
    text_router.add_interceptor(app, draft_text, awaits=draft_awaits_text)
    text_router.add_cancel_hook(app, cancel_draft)
    text_router.add_leave_hook(app, draft_left, pause_draft)
