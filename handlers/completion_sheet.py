"""HR records a whole class's completion from a sheet sent to the bot: choose the course, preview, confirm.

The sheet arrives through handlers.admin (the one handler for files); this module renders what became of
it and handles the buttons. Every press re-checks the HR role; the state (the parsed codes, the course,
the preview's accepted codes) is a conversation step in the database, so a restart loses nothing.
Button data carries no codes but the course page's own course code and an index into the stored choices.
"""

from __future__ import annotations

import io

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from domain import completion_sheet
from domain.accounts import Actor
from domain.completion import CompletionPlan, CompletionRow
from domain.completion_sheet import CHOOSE_STEP, CONFIRM_STEP, STEPS, WAIT_STEP, SheetOutcome, StaleChoice
from handlers import text_router
from handlers.common import (
    StaleButton,
    deliver_now,
    esc,
    friendly,
    held_until,
    in_thread,
    keyboard,
    linked_only,
    pressed,
    reply,
    run_heavy,
    run_tx,
    today,
)
from handlers.courses import roster_button
from handlers.menu import BACK
from views.callbacks import admin as admin_buttons
from views.callbacks import completion as buttons
from views.html import fit

ASK_SHEET = (
    "📥 Gửi ngay tệp kết quả hoàn thành lớp <b>{code}</b> – {name} (.xlsx hoặc .csv, cột “Mã cán bộ”).\n"
    "Bot cho xem trước từng dòng; chưa ghi gì vào hồ sơ cho đến khi bạn xác nhận."
)
EMPTY = "⛔ Chưa nhập gì từ {name}: tệp không có dòng nào ghi “Mã cán bộ”."
CHOOSE = (
    "📥 Tệp <b>{name}</b> có {rows} dòng mã cán bộ. Ghi nhận hoàn thành cho lớp nào?\n"
    "(Các lớp đã khai giảng và có học viên. Có thể gửi lại tệp kèm chú thích là mã lớp.)"
)
PREVIEW_TITLE = "👀 <b>Xem trước: hoàn thành lớp {code}</b> – {course}\nTừ tệp {name} – <b>chưa ghi gì</b>."
CHANGED = "⚠️ Tình hình đăng ký đã thay đổi từ lúc xem trước nên <b>chưa ghi gì</b>. Xem trước mới:"
ACCEPTED = "✅ <b>Ghi nhận {n} người</b>:"
REJECTED = "⛔ <b>Bị từ chối {n} dòng</b>:"
SKIPPED = "➖ <b>Bỏ qua {n} dòng</b> (không thay đổi gì):"
ROW = "• {heading}: {outcome}"
MORE = "… và {n} dòng khác."
ASK_ALL = "Bấm “✅ Ghi nhận {n} người” để ghi vào hồ sơ. Có thể hủy từng ghi nhận sau ở danh sách học viên."
ASK_SKIP = (
    "Có dòng bị từ chối nên <b>chưa ghi gì</b>. Sửa tệp rồi gửi lại, hoặc bấm “{button}” "
    "để chỉ ghi nhận những người hợp lệ."
)
NOBODY = "Không có ai để ghi nhận từ tệp này. Sửa tệp rồi gửi lại."
DONE = "✅ <b>Đã ghi nhận hoàn thành lớp {code}</b> – {course}: {n} người, từ tệp {name}."
TOLD = "Người được ghi nhận được báo qua bot (nếu đã liên kết){when}."
DROPPED = "Đã bỏ, không ghi nhận gì."
BTN_ALL, BTN_SKIP, BTN_DROP = "✅ Ghi nhận {n} người", "Chỉ ghi {n} dòng hợp lệ", "✖️ Thôi"
BTN_TEMPLATE = ("📄 Tải tệp mẫu", admin_buttons.template("completion"))
DROP = (BTN_DROP, buttons.plain("no"))
REPORT_CAPTION = "Kết quả từng dòng ({n} dòng) của tệp {name}, lớp {code}."
BUDGET = 3300  # characters of row lines in one message (Telegram allows 4096 with the title and footer)


# --- rendering ---------------------------------------------------------------------------------------------


def _row_line(row: CompletionRow) -> str:
    return ROW.format(heading=esc(row.heading), outcome=esc(row.outcome))


def _sections(plan: CompletionPlan) -> list[str]:
    """Refused rows first (what HR must fix), then who is recorded and what changes, then skipped rows;
    cut to fit one message (the whole report then comes as a workbook, see _report_if_cut)."""
    parts: list[str] = []
    left = BUDGET
    for title, rows in ((REJECTED, plan.rejected), (ACCEPTED, plan.accepted), (SKIPPED, plan.skipped)):
        if not rows:
            continue
        lines = [title.format(n=len(rows))]
        shown = 0
        for row in rows:
            line = _row_line(row)
            if len(line) > left:
                break
            lines.append(line)
            left -= len(line)
            shown += 1
        if shown < len(rows):
            lines.append(MORE.format(n=len(rows) - shown))
        parts.append("\n".join(lines))
    return parts


def _cut(plan: CompletionPlan) -> bool:
    return sum(len(_row_line(r)) for r in plan.rows) > BUDGET


async def _report_if_cut(update: Update, plan: CompletionPlan, file_name: str) -> None:
    """A long class: every row in a workbook, sent before the message that carries the buttons."""
    if not _cut(plan) or update.effective_chat is None:
        return
    content = await in_thread(completion_sheet.report_xlsx, plan, file_name)
    await update.effective_chat.send_document(
        InputFile(io.BytesIO(content), filename=f"ket-qua-tung-dong-{plan.course_code}.xlsx"),
        caption=REPORT_CAPTION.format(n=len(plan.rows), name=file_name, code=plan.course_code))


def preview_text(plan: CompletionPlan, file_name: str) -> str:
    title = PREVIEW_TITLE.format(code=esc(plan.course_code), course=esc(plan.course_name), name=esc(file_name))
    n = len(plan.accepted)
    footer = (NOBODY if not n else ASK_SKIP.format(button=BTN_SKIP.format(n=n)) if plan.rejected
              else ASK_ALL.format(n=n))
    return "\n\n".join([title, *_sections(plan), footer])


def preview_buttons(plan: CompletionPlan, file_name: str) -> list[list[tuple[str, str]]]:
    n = len(plan.accepted)
    if not n:
        return [[BACK]]
    tag = completion_sheet.preview_tag(plan.course_code, file_name, [r.code for r in plan.accepted])
    first = ((BTN_SKIP.format(n=n), buttons.plain("skip", tag)) if plan.rejected
             else (BTN_ALL.format(n=n), buttons.plain("ok", tag)))
    return [[first, DROP]]


# The steps of this feature whose messages carry buttons, and whether other typed text is refused there
# ("hãy chọn một nút"): the preview and the course choice wait for a choice; the wait for a file does not.
STEP_CHOICE = {CONFIRM_STEP: True, CHOOSE_STEP: True, WAIT_STEP: False}


async def show_outcome(update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: SheetOutcome) -> None:
    """What became of a sheet just sent (called by handlers.admin) or of a course just chosen."""
    if outcome.plan is not None:
        await _report_if_cut(update, outcome.plan, outcome.file_name)
        await _with_buttons(update, context, preview_text(outcome.plan, outcome.file_name),
                            preview_buttons(outcome.plan, outcome.file_name))
    elif outcome.choices:
        rows = [[(fit(f"{c.code} – {c.name}", 45) + f" ({c.registered} người)", buttons.choice(i, outcome.tag))]
                for i, c in enumerate(outcome.choices)]
        await _with_buttons(update, context, CHOOSE.format(name=esc(outcome.file_name), rows=outcome.rows),
                            [*rows, [DROP]])
    else:
        await reply(update, EMPTY.format(name=esc(outcome.file_name)))


async def _with_buttons(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                        rows: list[list[tuple[str, str]]]) -> None:
    """Send a message with buttons; the step it belongs to keeps them, so typing a label presses one."""
    await text_router.buttons_of_step(update, context, STEP_CHOICE, rows)
    await reply(update, text, keyboard(rows))


def _done_text(plan: CompletionPlan, file_name: str, when: str | None) -> str:
    head = DONE.format(code=esc(plan.course_code), course=esc(plan.course_name), n=len(plan.accepted),
                       name=esc(file_name))
    return "\n\n".join([head, *_sections(plan), TOLD.format(when=f" {when}" if when else "")])


# --- buttons ------------------------------------------------------------------------------------------------


def _chat(update: Update) -> tuple[int, int]:
    who = text_router.chat_key(update)
    if who is None:
        raise StaleButton("no chat")
    return who


@linked_only
async def ask_sheet(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """From the course page: the next file this chat sends is that course's completion sheet."""
    course = pressed(update, buttons.parse).course
    waiting = await run_tx(context, completion_sheet.await_sheet, actor, _chat(update), course, today(context))
    await _with_buttons(update, context, ASK_SHEET.format(code=esc(waiting.course_code), name=esc(waiting.course_name)),
                        [[BTN_TEMPLATE, DROP]])


@linked_only
async def choose_course(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    press = pressed(update, buttons.parse)
    try:
        outcome = await run_heavy(context, completion_sheet.choose, actor, _chat(update), press.choice,
                                  today(context), press.tag)
    except StaleChoice as exc:
        raise StaleButton(str(exc)) from exc
    await show_outcome(update, context, outcome)


@linked_only
async def record(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    press = pressed(update, buttons.parse)
    done = await run_heavy(context, completion_sheet.confirm, actor, _chat(update), press.verb == "skip",
                           today(context), press.tag)
    plan = done.plan
    await _report_if_cut(update, plan, done.file_name)
    if not plan.applied:
        changed = [CHANGED] if plan.changed else []
        await _with_buttons(update, context, "\n\n".join([*changed, preview_text(plan, done.file_name)]),
                            preview_buttons(plan, done.file_name))
        return
    await reply(update, _done_text(plan, done.file_name, held_until(context, "course-completed")),
                keyboard([[roster_button(plan.course_code)], [BACK]]))
    await deliver_now(context, "course-completed")


@linked_only
async def drop(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    await run_tx(context, completion_sheet.drop, actor, _chat(update))
    await reply(update, DROPPED, keyboard([[BACK]]))


@friendly
async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    handler = {"want": ask_sheet, "c": choose_course, "ok": record, "skip": record, "no": drop}[
        pressed(update, buttons.parse).verb]
    await handler(update, context)


def _acts_on_a_step(data: str) -> bool:
    """Every button of the sheet's steps but the course page's "send the sheet now" does nothing without them."""
    press = buttons.parse(data)
    return press is not None and press.verb != "want"


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(button, pattern=buttons.PATTERN))
    text_router.bind_buttons(app, _acts_on_a_step, STEPS)

