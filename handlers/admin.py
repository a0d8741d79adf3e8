"""HR (Ban Tổ chức) actions in the bot. Every one re-checks the HR role on the server."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from telegram import Update
from telegram.error import BadRequest, EndPointNotFound, InvalidToken, NetworkError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from core.config import Settings
from core.metrics import timed_import
from domain import accounts, conversation, vn
from domain.accounts import Actor
from domain.hr_import import UPLOAD_STEP, HrImport, OlderPreview, import_spreadsheet, preview_tag, take_pending
from domain.roster import RowError
from domain.tags import tag_of
from domain.text import ascii_key
from handlers import completion_sheet, text_router
from handlers.common import (
    deliver_now,
    esc,
    friendly,
    keyboard,
    linked_only,
    load_actor,
    pressed,
    record_refusal,
    reply,
    run_heavy,
    run_tx,
    services,
    today,
)
from views.callbacks import upload as upload_buttons

INVITE_USAGE = "Cách dùng: <code>/invite MÃ_CÁN_BỘ</code>, ví dụ <code>/invite MAU004</code>."
INVITE_DONE = (
    "Đường dẫn mời cho <b>{code}</b> – {name}, {unit} (dùng một lần, hết hạn sau {days} ngày):\n{link}\n"
    "Hãy gửi riêng cho đúng người."
)


def invite_done(invite: accounts.Invite, settings: Settings) -> str:
    """/invite's answer, and the admin menu's: whom the link is for, by name and unit, not by the code alone."""
    link = accounts.invite_link(settings.telegram.bot_username, invite.token)
    return INVITE_DONE.format(code=esc(invite.code), name=esc(invite.full_name), unit=esc(invite.unit_name),
                              days=settings.invite_ttl_days, link=esc(link))


@linked_only
async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    accounts.require_hr(actor)
    if not context.args:
        await reply(update, INVITE_USAGE)
        return
    settings = services(context).settings
    invite = await run_tx(context, accounts.create_invite_as, actor, context.args[0], settings.invite_ttl_days)
    await reply(update, invite_done(invite, settings))


UPLOAD_ONLY_HR = (
    "Bot không xử lý tệp gửi đến. Nếu bạn là cán bộ Ban Tổ chức cần nhập danh sách, hãy liên hệ quản trị "
    "để được cấp quyền."
)
UPLOAD_TYPE = (
    "Chỉ nhận tệp .xlsx hoặc .csv (UTF-8) theo mẫu: danh sách cán bộ, danh sách lớp, danh sách đăng ký lớp "
    "hoặc kết quả hoàn thành lớp."
)
UPLOAD_TOO_BIG = "Tệp quá lớn (tối đa {mb} MB). Hãy chia nhỏ hoặc dùng lệnh cadrebot import-roster trên máy chủ."
UPLOAD_DONE = "📥 <b>Đã nhập {what}</b> từ {name}\n{summary}"
UPLOAD_REFUSED = (
    "⛔ <b>Chưa nhập gì</b> từ {name}: tệp có {n} dòng lỗi.\n{errors}\n\nSửa tệp rồi gửi lại, hoặc gửi lại "
    "kèm chú thích “bỏ dòng lỗi” để nhập các dòng hợp lệ."
)
PREVIEW = (
    "👀 <b>Xem trước danh sách cán bộ</b> từ {name} – <b>chưa ghi gì</b>:\n{summary}\n\n"
    "Bấm “✅ Ghi vào hồ sơ” để nhập đúng những thay đổi trên (xung đột không được áp dụng)."
)
PREVIEW_COURSES = (
    "👀 <b>Xem trước danh sách lớp</b> từ {name} – <b>chưa ghi gì, chưa báo ai</b>:\n{summary}\n\n"
    "Bấm “✅ Nhập danh sách lớp” để nhập đúng những thay đổi trên."
)
NOTHING_VALID = "⛔ <b>Chưa nhập gì</b> từ {name}: {why}.{errors}\n\nSửa tệp rồi gửi lại."
WHY_NO_ROWS = "tệp không có dòng dữ liệu nào"
WHY_ALL_BAD = "tệp có {n} dòng lỗi, không dòng nào hợp lệ"
WHY_GOOD_UNCHANGED = "tệp có {n} dòng lỗi, các dòng hợp lệ không thay đổi gì so với các lớp đã có"
SKIP_OFFER = (
    "⛔ <b>Chưa nhập gì</b> từ {name}: tệp có {n} dòng lỗi.\n{errors}\n\n"
    "👀 <b>Nếu bỏ các dòng lỗi</b> – chưa ghi gì, chưa báo ai:\n{summary}\n\n"
    "Sửa tệp rồi gửi lại, hoặc bấm “{button}” để chỉ nhập những dòng hợp lệ như trên."
)
BTN_SKIP = {"courses": "Chỉ nhập {n} dòng hợp lệ", "registrations": "Chỉ đăng ký {n} dòng hợp lệ"}
NOTHING_CHANGES = (
    "📋 Danh sách lớp từ {name}: không có gì thay đổi so với các lớp đã có, nên không cần nhập.\n{summary}"
)
PREVIEW_REGISTRATIONS = (
    "👀 <b>Xem trước danh sách đăng ký lớp</b> từ {name} – <b>chưa đăng ký ai, chưa báo ai</b>:\n{summary}\n\n"
    "Bấm “✅ Đăng ký những người trên” để đăng ký đúng như trên."
)
BTN_APPLY, BTN_DROP = "✅ Ghi vào hồ sơ", "✖️ Thôi, không nhập"
BTN_APPLY_COURSES = "✅ Nhập danh sách lớp"
BTN_APPLY_REGISTRATIONS = "✅ Đăng ký những người trên"
PREVIEWS = {"roster": (PREVIEW, BTN_APPLY), "courses": (PREVIEW_COURSES, BTN_APPLY_COURSES),
            "registrations": (PREVIEW_REGISTRATIONS, BTN_APPLY_REGISTRATIONS)}
NOTHING_PENDING = "Không có tệp nào đang chờ xác nhận. Hãy gửi lại tệp."
DROPPED = "Đã bỏ, không nhập gì từ tệp."
CHANGED = "Tệp không còn giống bản đã xem trước; không nhập gì. Hãy gửi lại tệp."
FILE_GONE = "Không tải lại được tệp {name} từ Telegram (tệp có thể đã quá hạn); không nhập gì. Hãy gửi lại tệp."
FILE_RETRY = "Chưa kết nối được tới Telegram để tải lại tệp; chưa nhập gì. Bấm “{button}” để thử lại sau ít phút."
REFUSED_SINCE_PREVIEW = (
    "⛔ <b>Chưa nhập gì</b> từ {name}: dữ liệu đã thay đổi từ lúc xem trước, nay tệp có {n} dòng lỗi.\n{errors}\n\n"
    "Sửa tệp rồi gửi lại để xem trước lần nữa, hoặc gửi lại kèm chú thích “bỏ dòng lỗi” để nhập các dòng hợp lệ."
)
CHANGED_SINCE_PREVIEW = (
    "⚠️ <b>Dữ liệu đã thay đổi từ lúc xem trước</b> (có người đăng ký, hồ sơ được cập nhật…); chưa nhập gì. "
    "Đây là bản xem trước mới:\n\n"
)
REPLACED = "ℹ️ Đã bỏ bản xem trước tệp {earlier}, chưa ghi gì từ tệp đó: tệp mới {name} thay cho nó."
UPLOAD_SKIPPED = "\nCác dòng lỗi đã bỏ qua:\n{errors}"
WHAT = {"roster": "danh sách cán bộ", "courses": "danh sách lớp", "registrations": "danh sách đăng ký lớp"}
MAX_UPLOAD_MB = 20
SHOWN_ERRORS = 15
SKIP_WORDS = ("bo dong loi", "skip")


def _errors(errors: list[RowError]) -> str:
    lines = [f"• Dòng {e.row}{f' ({esc(e.code)})' if e.code else ''}: {esc(e.reason)}" for e in errors[:SHOWN_ERRORS]]
    if len(errors) > SHOWN_ERRORS:
        lines.append(f"… và {vn.number(len(errors) - SHOWN_ERRORS)} dòng lỗi khác.")
    return "\n".join(lines)


@friendly
async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    actor = await load_actor(update, context)
    if message is None or message.document is None or actor is None or not actor.is_hr:
        await reply(update, UPLOAD_ONLY_HR)
        await record_refusal(update, context, "file sent without the HR role")
        return
    document = message.document
    name = document.file_name or "tep"
    if Path(name).suffix.lower() not in (".xlsx", ".csv"):
        await reply(update, UPLOAD_TYPE)
        return
    if (document.file_size or 0) > MAX_UPLOAD_MB * 1024 * 1024:
        await reply(update, UPLOAD_TOO_BIG.format(mb=MAX_UPLOAD_MB))
        return
    content = bytes(await (await document.get_file()).download_as_bytearray())
    skip = any(word in ascii_key(message.caption or "") for word in SKIP_WORDS)
    result = await _import(context, actor, name, content, skip, preview=True, caption=message.caption or "",
                           chat=text_router.chat_key(update))
    if result.replaced is not None:  # said first: the buttons under the earlier preview no longer do anything
        await reply(update, REPLACED.format(earlier=esc(result.replaced), name=esc(name)))
    if result.completion is not None:  # a class's completion sheet: previewed, or the course to choose
        await completion_sheet.show_outcome(update, context, result.completion)
        return
    # a roster or a list: nothing is written until HR confirms (the file: a database step)
    pending = {"file_id": document.file_id, "name": name, "sha256": hashlib.sha256(content).hexdigest(),
               "skip": skip}
    await _present(update, context, pending, result)


def _shown(result: HrImport) -> str:
    """What a preview showed, as a short fingerprint: the confirmation imports only what was shown."""
    return tag_of(result.summary + _skipped(result))


async def _present(update: Update, context: ContextTypes.DEFAULT_TYPE, pending: dict[str, object],
                   result: HrImport, head: str = "") -> None:
    """A previewed file: refused (no button confirms what would do nothing), a list's bad rows with what the valid
    ones would do and a button for that, or the preview to confirm. pending["skip"]: HR asked to skip bad rows."""
    name, n = esc(str(pending["name"])), vn.number(len(result.errors))
    nothing = result.valid is not None and (result.valid == 0 or (bool(result.errors) and result.unchanged))
    if nothing:
        why = (WHY_NO_ROWS if not result.errors else WHY_ALL_BAD if result.valid == 0 else WHY_GOOD_UNCHANGED)
        errors = f"\n{_errors(result.errors)}" if result.errors else ""
        await reply(update, head + NOTHING_VALID.format(name=name, why=why.format(n=n), errors=errors))
    elif not result.would_apply:  # a roster with bad rows, skipping them not asked
        await reply(update, head + UPLOAD_REFUSED.format(name=name, n=n, errors=_errors(result.errors)))
    elif result.unchanged:
        await reply(update, head + NOTHING_CHANGES.format(name=name, summary=esc(result.summary)) + _skipped(result))
    elif result.errors and not pending["skip"] and result.kind in BTN_SKIP:  # as a completion sheet's "Chỉ ghi…"
        await _offer_preview(update, context, {**pending, "skip": True}, result, head, skip_offer=True)
    else:
        await _offer_preview(update, context, pending, result, head)


async def _offer_preview(update: Update, context: ContextTypes.DEFAULT_TYPE, pending: dict[str, object],
                         result: HrImport, head: str = "", skip_offer: bool = False) -> None:
    """skip_offer: the file was refused for its bad rows; the preview is of the valid ones, offered by a button."""
    name = str(pending["name"])
    template, apply = PREVIEWS[result.kind]
    if skip_offer:
        apply = BTN_SKIP[result.kind].format(n=vn.number(result.valid or 0))
    tag = preview_tag(pending)
    rows = [[(apply, upload_buttons.apply(tag)), (BTN_DROP, upload_buttons.drop(tag))]]
    who = text_router.chat_key(update)
    if who is not None:  # typing a button's label presses it, as at any step with buttons
        await run_tx(context, conversation.open_step, *who, UPLOAD_STEP,
                     {**pending, "kind": result.kind, "shown": _shown(result), "buttons": rows, "choice": True,
                      conversation.LEFT: conversation.PREVIEW_LEFT.format(file=name)})
    if skip_offer:
        text = SKIP_OFFER.format(name=esc(name), n=vn.number(len(result.errors)), errors=_errors(result.errors),
                                 summary=esc(result.summary), button=apply)
    else:
        text = template.format(name=esc(name), summary=esc(result.summary)) + _skipped(result)
    await reply(update, head + text, keyboard(rows))


def _skipped(result: HrImport) -> str:
    return UPLOAD_SKIPPED.format(errors=_errors(result.errors)) if result.errors else ""


async def _import(context: ContextTypes.DEFAULT_TYPE, actor: Actor, name: str, content: bytes, skip: bool,
                  preview: bool, caption: str = "", chat: tuple[int, int] | None = None) -> HrImport:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(content)
        with timed_import() as label:
            result = await run_heavy(context, import_spreadsheet, actor, path, skip, today(context), preview,
                                     caption, chat)
            label["kind"] = result.kind
    return result


async def _done(update: Update, context: ContextTypes.DEFAULT_TYPE, name: str, result: HrImport) -> None:
    await reply(update, UPLOAD_DONE.format(what=WHAT[result.kind], name=esc(name), summary=esc(result.summary))
                + _skipped(result))
    if result.kind == "registrations":
        await deliver_now(context, "course-registered", "waitlist-promoted")
    elif result.kind == "courses":
        await deliver_now(context, "course-moved", "waitlist-promoted")


@linked_only
async def confirm_upload(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """HR confirmed the previewed roster (also after a restart): fetch the same file again and import it."""
    accounts.require_hr(actor)
    press = pressed(update, upload_buttons.parse)
    apply = press.apply  # True: import it; False: drop it
    who = text_router.chat_key(update)
    try:
        step = await run_tx(context, take_pending, who, press.tag) if who else None
    except OlderPreview as older:  # an older preview's button: the current one stays
        await reply(update, OLDER_PREVIEW.format(name=esc(older.pending_file)))
        return
    if step is None or who is None:
        await reply(update, NOTHING_PENDING)
        return
    if not apply:
        await reply(update, DROPPED)
        return
    try:
        content = bytes(await (await context.bot.get_file(str(step.data["file_id"]))).download_as_bytearray())
    except (BadRequest, EndPointNotFound, InvalidToken):  # no such file any more (a download 404 reads as
        # InvalidToken in PTB, though getFile just worked with the token): the preview ends here
        await reply(update, FILE_GONE.format(name=esc(str(step.data.get("name", "")))))
        return
    except NetworkError:  # no network for now: the preview stays, pressing again retries
        await run_tx(context, conversation.open_step, *who, UPLOAD_STEP, step.data)
        await reply(update, FILE_RETRY.format(button=_apply_label(step.data)))
        return
    if hashlib.sha256(content).hexdigest() != step.data["sha256"]:
        await reply(update, CHANGED)
        return
    name, skip = str(step.data["name"]), bool(step.data["skip"])
    if "shown" in step.data:  # a preview stored before this check carries no fingerprint: imported as before
        again = await _import(context, actor, name, content, skip, True)
        if _shown(again) != step.data["shown"]:  # seats taken, records changed meanwhile: shown again, or refused
            await _present(update, context, dict(step.data), again, head=CHANGED_SINCE_PREVIEW)
            return
    result = await _import(context, actor, name, content, skip, False)
    if not result.applied:  # fine at the preview, refused now (seats taken, a completion recorded meanwhile)
        await reply(update, REFUSED_SINCE_PREVIEW.format(name=esc(name), n=vn.number(len(result.errors)),
                                                         errors=_errors(result.errors)))
        return
    await _done(update, context, name, result)


OLDER_PREVIEW = ("Nút đó thuộc một bản xem trước đã bị thay nên không làm gì. Bản đang chờ xác nhận là của tệp "
                 "{name}: dùng các nút dưới bản xem trước đó.")


def _apply_label(pending: dict[str, object]) -> str:
    """The preview's own confirm button, as offered ("Ghi vào hồ sơ" for a roster, "Chỉ đăng ký 2 dòng hợp lệ"…);
    a preview stored before its buttons were kept is its kind's, and before its kind was kept a roster's."""
    rows = pending.get("buttons")
    if isinstance(rows, list) and rows and rows[0]:
        return str(rows[0][0][0]).removeprefix("✅ ")
    return PREVIEWS[str(pending.get("kind", "roster"))][1].removeprefix("✅ ")


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(confirm_upload, pattern=upload_buttons.PATTERN))
    text_router.bind_buttons(app, lambda data: upload_buttons.parse(data) is not None, {UPLOAD_STEP})
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(MessageHandler(filters.Document.ALL, upload))
