"""/courses: the catalogue, registration with waitlist, cancellation, and HR's course actions.

Callback data names only course and cadre codes; who may do what is re-checked on every
press (the linked actor from the database, HR role for HR actions).
"""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from db.models import ACTIVE_STATUSES, RegistrationStatus
from domain import catalogue, choices, completion, registration, vn
from domain.accounts import Actor, require_hr
from domain.cadres import cadre_by_code
from domain.catalogue import STATUS_LABELS
from domain.conversation import LEFT
from domain.course_exports import roster_xlsx
from domain.courses import course_view
from domain.find import search_cadres
from domain.records import Change
from domain.rules import default_rules
from handlers import text_router
from handlers.common import (
    StaleButton,
    deliver_now,
    esc,
    friendly,
    held_until,
    keyboard,
    linked_only,
    load_actor,
    pressed,
    read_tx,
    reply,
    run_tx,
    send_file,
    today,
)
from handlers.menu import BACK
from views.callbacks import completion as completion_buttons
from views.callbacks import courses as buttons
from views.callbacks import menu
from views.callbacks.base import CODE
from views.html import fit

LIST_TITLE = "🎓 <b>Lớp đang mở đăng ký</b>{kind}\n⭐ = giúp bạn đạt tiêu chuẩn còn thiếu"
LIST_ROW = "{star}{n}. <b>{code}</b> – {name}\n   Hạn ĐK {deadline} · khai giảng {start} · còn {seats} chỗ{mine}"
BTN_CLOSED = "🏁 Lớp đã đóng đăng ký (đang học / đã kết thúc / đã hủy)"
CLOSED_TITLE = ("🏁 <b>Lớp đã đóng đăng ký hoặc đã hủy</b> – chọn lớp để xem học viên, ghi nhận hoàn thành hoặc "
                "hủy ghi nhận:")
CLOSED_ROW = "{n}. <b>{code}</b> – {name}\n   {start} – {end} · {state}"
CLOSED_EMPTY = "Chưa có lớp nào đã đóng đăng ký."
LIST_EMPTY = "Hiện không có lớp nào đang mở đăng ký{kind}."
KIND_TITLE = "Chọn loại lớp:"
DETAIL = (
    "🎓 <b>{name}</b> ({code})\nLoại: {kind}\nCơ sở đào tạo: {provider}\nHình thức: {mode}\n"
    "Thời gian: {start} – {end}\nHạn đăng ký: {deadline}\nĐịa điểm: {location}\nĐối tượng: {audience}\n"
    "Số chỗ: {capacity} (còn {left})"
)
CLOSED = "\n⛔ Lớp đã hết hạn đăng ký."
CANCELLED_COURSE = "\n⛔ Lớp đã bị hủy. Lý do: {reason}"
NO_REASON = "không ghi lý do"
OUTSIDE_AUDIENCE = (
    "\n🚫 Lớp này dành cho: <b>{audience}</b>. Theo hồ sơ (chức vụ, cấp đơn vị, lãnh đạo), bạn không thuộc "
    "đối tượng nên không đăng ký được. Nếu hồ sơ chưa đúng, hãy báo bộ phận tổ chức cán bộ."
)
MY_REGISTERED = "\n✅ Bạn đã đăng ký lớp này."
MY_WAITLISTED = "\n⏳ Bạn đang ở vị trí {position} trong danh sách chờ."
ALREADY_HELD = (
    "\nℹ️ Hồ sơ của bạn đã có: <b>{held}</b>. Hoàn thành lớp này không thay đổi hồ sơ và không bù tiêu chuẩn "
    "nào còn thiếu (/gaps); bạn vẫn có thể đăng ký nếu cần."
)
CONFIRM_REGISTER = "Xác nhận đăng ký lớp <b>{code}</b> – {name}?"
CONFIRM_WAITLIST = (
    "Lớp <b>{code}</b> đã hết chỗ. Vào danh sách chờ? Khi có người hủy, người đầu danh sách được nhận chỗ."
)
REGISTERED = "✅ Đã đăng ký lớp <b>{code}</b> – {name}."
WAITLISTED = (
    "⏳ Lớp <b>{code}</b> đã đủ chỗ. Bạn ở vị trí <b>{position}</b> trong danh sách chờ; có chỗ bot sẽ báo ngay."
)
CONFIRM_CANCEL = "Hủy đăng ký lớp <b>{code}</b>?"
CANCELLED = "Đã hủy đăng ký lớp <b>{code}</b>."
MINE_TITLE = "📌 <b>Lớp của tôi</b>"
MINE_ROW = "• <b>{code}</b> – {name}: {status}{position} · khai giảng {start}"
MINE_EMPTY = "Bạn chưa đăng ký lớp nào. Xem /courses để chọn lớp."
ROSTER_TITLE = "👥 <b>Học viên lớp {code}</b> ({n} người):"
ROSTER_ROW = "{n}. {name} ({code}) – {unit}: {status}{position}"
ROSTER_EMPTY = "Lớp {code} chưa có ai đăng ký."
CANCELLED_ROSTER_TITLE = "👥 <b>Học viên lớp {code}</b> – lớp đã hủy; lúc hủy có {n} người đăng ký/chờ:"
CANCELLED_ROSTER_ROW = "{n}. {name} ({code}) – {unit}{unreached}"
CANCELLED_ROSTER_EMPTY = "Lớp {code} đã hủy; lúc hủy không có ai đăng ký hay chờ."
UNREACHED_MARK = ": {why}, cần báo cách khác"
ASK_CADRE = ("Nhập mã hoặc họ tên cán bộ cần đăng ký hộ vào lớp {code} (ví dụ MAU013, hoặc “sùng a long”). "
             "Gõ /cancel để thôi.")
ASK_CAPACITY = "Nhập số chỗ mới cho lớp {code} (hiện {capacity}). Gõ /cancel để thôi."
BAD_NUMBER = "“{value}” không phải số nguyên. Hãy nhập lại số chỗ, hoặc /cancel."
CONFIRM_CAPACITY = "Đổi số chỗ lớp <b>{code}</b> từ {old} thành <b>{new}</b>?"
CAPACITY_SEATS_WAITING = (
    " {n} người đầu danh sách chờ sẽ được nhận chỗ và được báo ngay; việc này không hoàn tác được (số chỗ không "
    "giảm được dưới số người đã có chỗ)."
)
CAPACITY_DONE = "Đã đổi số chỗ lớp {code} thành {capacity}."
CAPACITY_PROMOTED = " {promoted} người trong danh sách chờ đã có chỗ."
KILL_KEPT = "Đã thôi. Lớp {code} giữ nguyên, không ai bị báo."
ASK_KILL_REASON = (
    "Nhập lý do hủy lớp <b>{code}</b> (gửi kèm thông báo cho người đã đăng ký, tối đa 500 ký tự). Bot sẽ cho xem "
    "lại lý do và số người được báo trước khi hủy. Gõ /cancel để thôi, lớp giữ nguyên."
)
CONFIRM_COURSE_CANCEL = "Hủy lớp <b>{code}</b> – {name}?\nLý do: “{reason}”\n{people}\n{how}"
KILL_NOBODY = "Lớp chưa có ai đăng ký hay chờ; không ai cần báo."
KILL_PEOPLE = "{n} người đăng ký/chờ, {reached} người sẽ nhận tin qua bot (kèm lý do)."
KILL_OTHERS = (" {n} người chưa liên kết bot hoặc đã chặn bot sẽ không nhận được tin: hãy báo họ cách khác (điện "
               "thoại, văn bản); sau khi hủy, bot liệt kê tên và mã của họ.")
KILL_HOW = "Gõ lý do khác để thay, hoặc bấm “✅ Xác nhận” để hủy lớp."
KILL_LEFT = "Đã bỏ yêu cầu hủy lớp {code}; lớp giữ nguyên, không ai bị báo."
COURSE_CANCELLED = "⛔ Đã hủy lớp <b>{code}</b>. Lý do: {reason}\n{told}"
KILL_TOLD = "{n} người đăng ký/chờ: {told} người {how}."
KILL_TOLD_NOW, KILL_TOLD_HELD = "được báo qua bot", "sẽ được báo qua bot {when} (giờ yên lặng)"
KILL_NOT_TOLD = "⚠️ {n} người chưa nhận được tin, hãy báo họ cách khác:"
KILL_NOT_TOLD_ROW = "• {name} ({code}) – {unit}: {why}"
KILL_NOT_TOLD_MORE = "… và {n} người nữa: xem “👥 Học viên” của lớp."
KILL_NOT_TOLD_SHOWN = 10
CONFIRM_UNREG = ("Hủy đăng ký của <b>{cadre}</b> vào lớp <b>{code}</b>? {told} Người đầu danh sách chờ (nếu có) "
                 "nhận chỗ.")
UNREGISTERED = "Đã hủy đăng ký của {cadre} vào lớp {code}. {told}{promoted}"
WILL_TELL = {True: "Người đó sẽ được báo qua bot.",
             False: "Người đó chưa liên kết bot (hoặc đã chặn bot) nên không nhận được tin: hãy báo cách khác."}
TOLD_UNREG = {True: "Người đó được báo qua bot.",
              False: "Người đó chưa liên kết bot (hoặc đã chặn bot): hãy báo cách khác."}
PROMOTED = " Chỗ trống chuyển cho {code}, người đầu danh sách chờ (được báo qua bot nếu đã liên kết)."
KEEP_CLASS = "✖️ Không hủy"
MORE_ROWS = "… và {n} người nữa (đủ danh sách trong tệp Excel: 📥 Xuất Excel)."
ROSTER_XLSX_CAPTION = "Danh sách học viên lớp {code} – {name} ({n} người)"
CONFIRM_DONE = (
    "Ghi nhận <b>{name}</b> ({cadre}) hoàn thành lớp <b>{code}</b>? Hồ sơ sẽ thay đổi:\n{changes}\n"
    "Có thể hủy ghi nhận sau nếu nhầm."
)
COMPLETED = "✅ Đã ghi nhận {name} ({cadre}) hoàn thành lớp {code}. Hồ sơ đã cập nhật:\n{changes}"
DONE_REFUSED = "⛔ Không ghi nhận {cadre} hoàn thành lớp {code}: {reason}."
NO_CHANGE = "• (hồ sơ đã đạt sẵn, không thay đổi)"
NOTHING_TO_REVERT = "• (không trường nào cần trả lại: lớp này không nâng gì, hoặc đã được cập nhật từ nguồn khác)"
CONFIRM_UNDO = ("Hủy ghi nhận {cadre} hoàn thành lớp <b>{code}</b>? Hồ sơ sẽ trả về (có ghi lịch sử):\n{changes}")
UNDONE = "↩️ Đã hủy ghi nhận {cadre} hoàn thành lớp {code}. Hồ sơ trả lại:\n{changes}"
BTN_UNDO = "↩️ Hủy ghi nhận này"
BEHALF_CONFIRM = "Đăng ký hộ <b>{name}</b> ({cadre}) – {unit} vào lớp <b>{code}</b>?"
BEHALF_WAITING = "\n⏳ Lớp đã đủ chỗ: {name} sẽ vào danh sách chờ, vị trí <b>{position}</b>."
BEHALF_HELD = "\nℹ️ Hồ sơ của người này đã có: <b>{held}</b>. Hoàn thành lớp này không thay đổi hồ sơ của họ."
WAITLISTED_BEHALF = (
    "⏳ Lớp <b>{code}</b> đã đủ chỗ. {name} ở vị trí <b>{position}</b> trong danh sách chờ; có chỗ bot sẽ báo "
    "họ ngay."
)
BEHALF_DONE = "{outcome}\nNgười được đăng ký: {name} ({cadre}). Họ được báo qua bot nếu đã liên kết."
BEHALF_PICK = "Chọn người cần đăng ký hộ vào lớp {code}:"
BEHALF_MORE = "\n(Còn {n} người trùng tên nữa: gõ thêm chữ, hoặc gõ mã cán bộ.)"
BEHALF_NOBODY = "Không tìm thấy cán bộ tên hoặc mã “{name}”. Gõ lại tên hoặc mã (ví dụ MAU013), hoặc /cancel."
BEHALF_CHOICES = 8
YES, NO = "✅ Xác nhận", "✖️ Không"
ALL_COURSES = ("⬅️ Các lớp khác", menu.entry("courses"))  # back to the list of classes (not this class's roster)
MINE = ("📌 Lớp của tôi", buttons.plain("mine"))
PAGE = 15


def _course(update: Update) -> str:
    """The course code of the pressed button (course_button has parsed it strictly already)."""
    return pressed(update, buttons.parse).course


def _course_and_cadre(update: Update) -> tuple[str, str]:
    press = pressed(update, buttons.parse)
    return press.course, press.cadre


def roster_button(course_code: str) -> tuple[str, str]:
    return ("👥 Học viên", buttons.on_course("roster", course_code))


def back_to_course(course_code: str) -> tuple[str, str]:
    return (f"⬅️ Lớp {course_code}", buttons.view(course_code))


async def _deliver(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the people this update concerns at once; the dispatcher retries whatever fails."""
    await deliver_now(context, "waitlist-promoted", "course-cancelled", "course-registered", "course-completed")


# --- cadre ---------------------------------------------------------------------------------------


@linked_only
async def list_courses(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    press = buttons.parse(update.callback_query.data or "") if update.callback_query else None
    kind = press.course if press and press.verb == "list" else ""
    items = await read_tx(context, catalogue.courses_for, actor.cadre_id, today(context), kind or None,
                          final=True)
    kind_label = f" – {default_rules().course_kinds[kind].label}" if kind in default_rules().course_kinds else ""
    extra = [[("🔎 Lọc theo loại", buttons.plain("kinds")), MINE], [BACK]]
    if actor.is_hr:
        extra.insert(1, [(BTN_CLOSED, buttons.plain("closed"))])
    if not items:
        await reply(update, LIST_EMPTY.format(kind=kind_label), keyboard(extra))
        return
    lines = [LIST_TITLE.format(kind=kind_label)]
    for n, i in enumerate(items[:PAGE], 1):
        mine = f" · <i>{STATUS_LABELS[i.my_status]}</i>" if i.my_status else ""
        lines.append(LIST_ROW.format(star="⭐ " if i.closes_my_gap else "", n=n, code=esc(i.code), name=esc(i.name),
                                     deadline=f"{i.register_by:%d/%m/%Y}", start=f"{i.start_date:%d/%m/%Y}",
                                     seats=vn.number(i.seats_left), mine=mine))
    rows = [[(f"{'⭐ ' if i.closes_my_gap else ''}{i.code}", buttons.view(i.code))] for i in items[:PAGE]]
    await reply(update, "\n".join(lines), keyboard(rows + extra))


@linked_only
async def closed_list(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    items = await read_tx(context, catalogue.closed_courses_as, actor, today(context))
    back = [[ALL_COURSES, BACK]]
    if not items:
        await reply(update, CLOSED_EMPTY, keyboard(back))
        return
    lines = [CLOSED_TITLE] + [
        CLOSED_ROW.format(n=n, code=esc(i.code), name=esc(i.name), start=f"{i.start_date:%d/%m/%Y}",
                          end=f"{i.end_date:%d/%m/%Y}", state=i.state) for n, i in enumerate(items[:PAGE], 1)]
    await reply(update, "\n".join(lines),
                keyboard([[(i.code, buttons.view(i.code))] for i in items[:PAGE]] + back))


async def choose_kind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    kinds = default_rules().course_kinds.values()
    await reply(update, KIND_TITLE, keyboard([[(k.label, buttons.kind_list(k.code))] for k in kinds] + [[BACK]]))


@linked_only
async def view(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    code = _course(update)
    c, place = await read_tx(context, catalogue.course_page, actor.cadre_id, code, today(context))
    text = DETAIL.format(name=esc(c.name), code=esc(c.code), kind=esc(c.kind_label), provider=esc(c.provider),
                         mode=esc(c.mode), start=f"{c.start_date:%d/%m/%Y}", end=f"{c.end_date:%d/%m/%Y}",
                         deadline=f"{c.register_by:%d/%m/%Y}", location=esc(c.location), audience=esc(c.audience),
                         capacity=vn.number(c.capacity), left=vn.number(c.seats_left))
    rows: list[list[tuple[str, str]]] = []
    if place.status == RegistrationStatus.REGISTERED:
        text += MY_REGISTERED
    elif place.status == RegistrationStatus.WAITLISTED:
        text += MY_WAITLISTED.format(position=place.position)
    if place.status:
        rows.append([("✖️ Hủy đăng ký", buttons.on_course("cancel", c.code))])
    elif c.open and not place.fits_audience:
        text += OUTSIDE_AUDIENCE.format(audience=esc(c.audience))
    elif c.open:
        text += ALREADY_HELD.format(held=esc(place.already_held)) if place.already_held else ""
        rows.append([("📝 Đăng ký" if c.seats_left else "⏳ Vào danh sách chờ", buttons.on_course("reg", c.code))])
    if c.cancelled:
        text += CANCELLED_COURSE.format(reason=esc(c.cancel_reason or NO_REASON))
    elif not c.open:
        text += CLOSED
    if actor.is_hr:
        # registering on someone's behalf follows the course's dates like any registration: offered while open
        rows += [[roster_button(c.code), *([("➕ Đăng ký hộ", buttons.on_course("behalf", c.code))] if c.open else [])],
                 [("✏️ Sửa số chỗ", buttons.on_course("capacity", c.code))]]
        if not c.cancelled:
            rows[-1].append(("⛔ Hủy lớp", buttons.on_course("kill", c.code)))
        if not c.cancelled and today(context) >= c.start_date:
            rows.append([("📥 Ghi nhận hoàn thành từ tệp", completion_buttons.want(c.code))])
    await reply(update, text, keyboard([*rows, [ALL_COURSES, BACK]]))


@linked_only
async def confirm_register(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    c, place = await read_tx(context, catalogue.course_page, actor.cadre_id, _course(update), today(context))
    text = (CONFIRM_REGISTER.format(code=esc(c.code), name=esc(c.name)) if c.seats_left
            else CONFIRM_WAITLIST.format(code=esc(c.code)))
    text += ALREADY_HELD.format(held=esc(place.already_held)) if place.already_held else ""
    await text_router.reply_choice(update, context, "course-confirm", text,
                                   [[(YES, buttons.on_course("regok", c.code)), (NO, buttons.view(c.code))]])


def _outcome_text(outcome: registration.Outcome, own: bool = True) -> str:
    """`own`: the cadre registered themself; else HR did, and a waiting place is the person's, not HR's."""
    if outcome.status == RegistrationStatus.REGISTERED:
        return REGISTERED.format(code=esc(outcome.course_code), name=esc(outcome.course_name))
    if not own:
        return WAITLISTED_BEHALF.format(code=esc(outcome.course_code), name=esc(outcome.cadre_name),
                                        position=outcome.position)
    return WAITLISTED.format(code=esc(outcome.course_code), position=outcome.position)


@linked_only
async def do_register(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    outcome = await run_tx(context, registration.register_self, actor.cadre_id, _course(update), today(context))
    await reply(update, _outcome_text(outcome), keyboard([[MINE], [BACK]]))


@linked_only
async def confirm_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    code = _course(update)
    await text_router.reply_choice(update, context, "course-confirm", CONFIRM_CANCEL.format(code=esc(code)),
                                   [[(YES, buttons.on_course("cancelok", code)), (NO, buttons.view(code))]])


@linked_only
async def do_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    result = await run_tx(context, registration.cancel_self, actor.cadre_id, _course(update), today(context))
    await reply(update, CANCELLED.format(code=esc(result.course_code)), keyboard([[BACK]]))
    await _deliver(context)


@linked_only
async def mine(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    items = await read_tx(context, catalogue.my_registrations, actor.cadre_id, today(context))
    if not items:
        await reply(update, MINE_EMPTY, keyboard([[ALL_COURSES], [BACK]]))
        return
    lines = [MINE_TITLE]
    lines += [MINE_ROW.format(code=esc(i.code), name=esc(i.name), status=STATUS_LABELS[i.status],
                              position=f" (vị trí {i.position})" if i.position else "",
                              start=f"{i.start_date:%d/%m/%Y}") for i in items]
    rows = [[(f"✖️ Hủy {i.code}", buttons.on_course("cancel", i.code))] for i in items if i.can_cancel]
    await reply(update, "\n".join(lines), keyboard([*rows, [BACK]]))


# --- HR ------------------------------------------------------------------------------------------


@linked_only
async def roster(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    course, lines = await run_tx(context, catalogue.course_roster_as, actor, _course(update))
    export = [("📥 Xuất Excel", buttons.on_course("rosterx", course.code))]
    if course.cancelled:
        await _cancelled_roster(update, course.code, lines, export)
        return
    if not lines:
        await reply(update, ROSTER_EMPTY.format(code=esc(course.code)), keyboard([export, [BACK]]))
        return
    text = [ROSTER_TITLE.format(code=esc(course.code), n=vn.number(len(lines)))]
    text += [ROSTER_ROW.format(n=n, name=esc(r.full_name), code=esc(r.code), unit=esc(r.unit_name),
                               status=STATUS_LABELS[r.status], position=f" {r.position}" if r.position else "")
             for n, r in enumerate(lines[:SHOWN_ROWS], 1)]
    text += _more(lines)
    done = [[(f"✅ Hoàn thành: {r.code}", buttons.on_cadre("done", course.code, r.code))]
            for r in lines[:20] if r.status == RegistrationStatus.REGISTERED and today(context) >= course.start_date]
    unreg = [[(f"✖️ Hủy ĐK: {r.code}", buttons.on_cadre("unreg", course.code, r.code))]
             for r in lines[:20] if r.status in ACTIVE_STATUSES and today(context) < course.start_date]
    undo = [[(f"↩️ Hủy ghi nhận: {r.code}", buttons.on_cadre("undo", course.code, r.code))]
            for r in lines[:20] if r.status == RegistrationStatus.COMPLETED]
    await reply(update, "\n".join(text), keyboard([*done, *undo, *unreg, export, [BACK]]))


async def _cancelled_roster(update: Update, code: str, lines: list[catalogue.RosterLine],
                            export: list[tuple[str, str]]) -> None:
    """Whom the cancelled course had, each the bot could not tell marked: HR tells them another way."""
    back = [back_to_course(code), BACK]
    if not lines:
        await reply(update, CANCELLED_ROSTER_EMPTY.format(code=esc(code)), keyboard([back]))
        return
    text = [CANCELLED_ROSTER_TITLE.format(code=esc(code), n=vn.number(len(lines)))]
    text += [CANCELLED_ROSTER_ROW.format(n=n, name=esc(r.full_name), code=esc(r.code), unit=esc(r.unit_name),
                                         unreached=UNREACHED_MARK.format(why=r.unreached) if r.unreached else "")
             for n, r in enumerate(lines[:SHOWN_ROWS], 1)]
    text += _more(lines)
    await reply(update, "\n".join(text), keyboard([export, back]))


SHOWN_ROWS = 50  # a roster's rows in one message; the export has everyone


def _more(lines: list[catalogue.RosterLine]) -> list[str]:
    return [MORE_ROWS.format(n=vn.number(len(lines) - SHOWN_ROWS))] if len(lines) > SHOWN_ROWS else []


@linked_only
async def roster_file(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    result = await run_tx(context, roster_xlsx, actor, _course(update), today(context))
    await send_file(update, result.content, f"hoc-vien-{result.course_code}.xlsx",
                    ROSTER_XLSX_CAPTION.format(code=esc(result.course_code), name=esc(result.course_name),
                                               n=vn.number(result.people)),
                    keyboard([[back_to_course(result.course_code)], [BACK]]))


@linked_only
async def confirm_unregister(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    code, cadre = _course_and_cadre(update)
    name, cadre_code, reachable = await read_tx(context, registration.registered_for_cancelling, cadre, code)
    await text_router.reply_choice(update, context, "course-confirm", CONFIRM_UNREG.format(
                                       code=esc(code), cadre=f"{esc(name)} ({esc(cadre_code)})",
                                       told=WILL_TELL[reachable]),
                                   [[(YES, buttons.on_cadre("unregok", code, cadre)), (NO, roster_button(code)[1])]])


@linked_only
async def do_unregister(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    code, cadre = _course_and_cadre(update)
    name, cadre_code, reachable = await read_tx(context, registration.registered_for_cancelling, cadre, code)
    result = await run_tx(context, registration.cancel_on_behalf, actor.code, cadre, code, today(context))
    promoted = PROMOTED.format(code=esc(result.promoted)) if result.promoted else ""
    await reply(update, UNREGISTERED.format(code=esc(result.course_code), cadre=f"{esc(name)} ({esc(cadre_code)})",
                                            told=TOLD_UNREG[reachable], promoted=promoted),
                keyboard([[roster_button(result.course_code)], [BACK]]))
    await _deliver(context)


@linked_only
async def confirm_done(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """One cadre's completion: show exactly what changes in the record before anything is written."""
    require_hr(actor)
    code, cadre = _course_and_cadre(update)
    plan = await run_tx(context, completion.plan_completion, code, [(1, cadre)], today(context))
    row = plan.rows[0]
    if row.status != completion.OK:
        await reply(update, DONE_REFUSED.format(cadre=esc(row.code), code=esc(plan.course_code),
                                                reason=esc(row.reason)), keyboard([[BACK]]))
        return
    text = CONFIRM_DONE.format(name=esc(row.name), cadre=esc(row.code), code=esc(plan.course_code),
                               changes=_changes(row.changes))
    await text_router.reply_choice(update, context, "course-confirm", text, [[
        (YES, buttons.on_cadre("doneok", plan.course_code, row.code)), (NO, roster_button(plan.course_code)[1])]])


def _changes(changes: Iterable[Change]) -> str:
    return "\n".join(f"• {esc(c.text)}" for c in changes) or NO_CHANGE


@linked_only
async def do_done(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    code, cadre = _course_and_cadre(update)
    plan = await run_tx(context, completion.complete, code, [(1, cadre)], today(context), actor.code)
    row = plan.rows[0]
    if not plan.applied or row.status != completion.OK:
        await reply(update, DONE_REFUSED.format(cadre=esc(row.code), code=esc(plan.course_code),
                                                reason=esc(row.reason)), keyboard([[BACK]]))
        return
    await reply(update, COMPLETED.format(name=esc(row.name), cadre=esc(row.code), code=esc(plan.course_code),
                                         changes=_changes(row.changes)),
                keyboard([[(BTN_UNDO, buttons.on_cadre("undo", plan.course_code, row.code))], [BACK]]))
    await _deliver(context)


@linked_only
async def confirm_undo(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """Taking a completion back: who, and what the record returns to, before anything is written."""
    require_hr(actor)
    code, cadre = _course_and_cadre(update)
    plan = await read_tx(context, completion.undo_preview, code, cadre)
    await text_router.reply_choice(update, context, "course-confirm", CONFIRM_UNDO.format(
        code=esc(code), cadre=f"{esc(plan.cadre_name)} ({esc(plan.cadre_code)})",
        changes=_changes(plan.changes) if plan.changes else NOTHING_TO_REVERT),
        [[(YES, buttons.on_cadre("undook", code, cadre)), (NO, roster_button(code)[1])]])


@linked_only
async def do_undo(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    code, cadre = _course_and_cadre(update)
    plan = await read_tx(context, completion.undo_preview, code, cadre)
    reverted = await run_tx(context, completion.undo_completion, code, cadre, actor.code)
    await reply(update, UNDONE.format(code=esc(code), cadre=f"{esc(plan.cadre_name)} ({esc(plan.cadre_code)})",
                                      changes=_changes(reverted)), keyboard([[roster_button(code)], [BACK]]))
    await _deliver(context)


@linked_only
async def ask_behalf(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    code = _course(update)
    await text_router.open_form(update, context, "course-behalf", code)
    await reply(update, ASK_CADRE.format(code=esc(code)))


async def behalf_entered(update: Update, context: ContextTypes.DEFAULT_TYPE, course: str, value: str) -> None:
    """A code asks for the confirmation; a name lists the people it finds as buttons, each asking for it."""
    actor = await _hr_actor(context, update)
    await text_router.open_form(update, context, "course-behalf", course)  # a mistyped code can be typed again
    code = value.strip().upper()
    if CODE.fullmatch(code) and await read_tx(context, cadre_by_code, code) is not None:
        await _confirm_behalf(update, context, actor, course, code)
        return
    await _behalf_by_name(update, context, actor, course, value)  # "long", "Yen": a name that looks like a code


async def _behalf_by_name(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, course: str,
                          name: str) -> None:
    found = await run_tx(context, search_cadres, actor, name)
    if not found.matches:
        await reply(update, BEHALF_NOBODY.format(name=esc(name[:60])))
        return
    await text_router.close_form(update, context)
    rows = [[(fit(f"{m.full_name} ({m.code}) – {m.unit_name}"), buttons.on_cadre("behalfok", course, m.code))]
            for m in found.matches[:BEHALF_CHOICES]]
    more = BEHALF_MORE.format(n=vn.number(found.total - BEHALF_CHOICES)) if found.total > BEHALF_CHOICES else ""
    await reply(update, BEHALF_PICK.format(code=esc(course)) + more, keyboard([*rows, [BACK]]))


@linked_only
async def confirm_behalf(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    course, cadre = _course_and_cadre(update)
    await _confirm_behalf(update, context, actor, course, cadre)


async def _confirm_behalf(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, course: str,
                          cadre: str) -> None:
    """The deliberate step before registering someone: who (name, unit), and what their record already holds."""
    who = await read_tx(context, catalogue.behalf_choice, actor, cadre, course, today(context))
    text = BEHALF_CONFIRM.format(name=esc(who.full_name), cadre=esc(who.code), unit=esc(who.unit_name),
                                 code=esc(course))
    if who.waiting_position:
        text += BEHALF_WAITING.format(name=esc(who.full_name), position=who.waiting_position)
    text += BEHALF_HELD.format(held=esc(who.already_held)) if who.already_held else ""
    rows = [[(YES, buttons.on_cadre("behalfdo", course, who.code)), (NO, buttons.view(course))]]
    await text_router.reply_choice(update, context, "course-confirm", text, rows)


@linked_only
async def do_behalf(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    course, cadre = _course_and_cadre(update)
    outcome = await run_tx(context, registration.register_on_behalf, actor.code, cadre[:64], course, today(context))
    await text_router.close_form(update, context)
    await reply(update, BEHALF_DONE.format(outcome=_outcome_text(outcome, own=False), name=esc(outcome.cadre_name),
                                           cadre=esc(outcome.cadre_code)), keyboard([[BACK]]))
    await _deliver(context)


@linked_only
async def ask_capacity(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    c = await run_tx(context, course_view, _course(update), today(context))
    await text_router.open_form(update, context, "course-capacity", c.code)
    await reply(update, ASK_CAPACITY.format(code=esc(c.code), capacity=vn.number(c.capacity)))


async def capacity_entered(update: Update, context: ContextTypes.DEFAULT_TYPE, course: str, value: str) -> None:
    await _hr_actor(context, update)
    seats = vn.whole_number(value)  # "1.000" as the bot writes it, or "1000"
    if seats is None:
        await text_router.open_form(update, context, "course-capacity", course)
        await reply(update, BAD_NUMBER.format(value=esc(value[:20])))
        return
    try:
        change = await read_tx(context, registration.capacity_change, course, seats)
    except registration.RegistrationRefused as refused:  # below the seats taken, or too many: type another
        await text_router.open_form(update, context, "course-capacity", course)
        await reply(update, esc(str(refused)))
        return
    text = CONFIRM_CAPACITY.format(code=esc(course), old=vn.number(change.old), new=vn.number(change.new))
    if change.seated_from_waitlist:
        text += CAPACITY_SEATS_WAITING.format(n=vn.number(change.seated_from_waitlist))
    rows = [[(YES, buttons.seats(course, change.old, change.new)), (NO, buttons.view(course))]]
    await text_router.reply_choice(update, context, "course-confirm", text, rows)


@linked_only
async def set_capacity(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_hr(actor)
    press = pressed(update, buttons.parse)
    promoted = await run_tx(context, registration.set_capacity, press.course, press.seats, actor.code,
                              press.was)
    moved = CAPACITY_PROMOTED.format(promoted=vn.number(promoted)) if promoted else ""
    await reply(update, CAPACITY_DONE.format(code=esc(press.course), capacity=vn.number(press.seats)) + moved,
                keyboard([[back_to_course(press.course)], [BACK]]))
    await _deliver(context)


@linked_only
async def ask_kill_reason(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """"⛔ Hủy lớp": the reason first; the confirmation then shows it with whom the cancellation reaches."""
    require_hr(actor)
    code = _course(update)
    try:
        code = await read_tx(context, registration.cancellation_check, code)
    except registration.RegistrationRefused as refused:
        await reply(update, esc(str(refused)), keyboard([[roster_button(code)], [back_to_course(code)]]))
        return
    await _ask_reason(update, context, code)


async def _ask_reason(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    """The reason prompt, with its way out ("✖️ Không hủy"): the prompt's own button, so a press of another
    feature's ends the prompt (text_router) and a premature "Xác nhận" of this one is refused with it still open."""
    rows = [[(KEEP_CLASS, buttons.on_course("killno", code))]]
    await text_router.open_form(update, context, registration.CANCEL_STEP, code, buttons=rows)
    await reply(update, ASK_KILL_REASON.format(code=esc(code)), keyboard(rows))


async def kill_reason_entered(update: Update, context: ContextTypes.DEFAULT_TYPE, course: str, value: str) -> None:
    """The reason typed (or typed again at the confirmation, replacing it): the confirmation, nothing cancelled."""
    actor = await _hr_actor(context, update)
    if choices.is_refusal(value):  # "không", "thôi": a change of mind, never a reason
        await reply(update, KILL_KEPT.format(code=esc(course)), keyboard([[back_to_course(course)]]))
        return
    if not value.strip():
        await _ask_reason(update, context, course)
        return
    try:
        plan = await read_tx(context, registration.cancellation_preview, actor, course, value)
    except registration.ReasonRefused as refused:  # the prompt stays open for a better reason
        await text_router.open_form(update, context, registration.CANCEL_STEP, course)
        await reply(update, esc(str(refused)))
        return
    except registration.RegistrationRefused as refused:  # completions recorded, or cancelled meanwhile: no prompt
        await reply(update, esc(str(refused)), keyboard([[roster_button(course)], [back_to_course(course)]]))
        return
    rows = [[(YES, buttons.kill_ok(plan.course_code, plan.tag)),
             (NO, buttons.on_course("killno", plan.course_code))]]
    await text_router.open_form(update, context, registration.CANCEL_STEP, plan.course_code,
                                {"reason": plan.reason, LEFT: KILL_LEFT.format(code=plan.course_code)}, buttons=rows)
    people = KILL_NOBODY if not plan.people else KILL_PEOPLE.format(n=vn.number(plan.people),
                                                                     reached=vn.number(plan.reached))
    if plan.people > plan.reached:
        people += KILL_OTHERS.format(n=vn.number(plan.people - plan.reached))
    await reply(update, CONFIRM_COURSE_CANCEL.format(code=esc(plan.course_code), name=esc(plan.course_name),
                                                     reason=esc(plan.reason), people=people, how=KILL_HOW),
                keyboard(rows))


@linked_only
async def do_kill(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """"✅ Xác nhận": the course is cancelled with the reason kept at the step; who was not told is named."""
    require_hr(actor)
    who = text_router.chat_key(update)
    if who is None:
        raise StaleButton("no chat")
    press = pressed(update, buttons.parse)
    done = await run_tx(context, registration.cancel_confirmed, actor, who, press.course, press.tag)
    await reply(update, _cancelled_text(done, held_until(context, "course-cancelled")),
                keyboard([[roster_button(done.course_code)], [ALL_COURSES, BACK]]))
    await _deliver(context)


def _cancelled_text(done: registration.CourseCancellation, held: str | None) -> str:
    if not done.people:
        told = KILL_NOBODY
    else:
        told = KILL_TOLD.format(n=vn.number(done.people), told=vn.number(done.told),
                                how=KILL_TOLD_HELD.format(when=held) if held else KILL_TOLD_NOW)
    lines = [COURSE_CANCELLED.format(code=esc(done.course_code), reason=esc(done.reason), told=told)]
    if done.not_told:
        lines.append(KILL_NOT_TOLD.format(n=vn.number(len(done.not_told))))
        lines += [KILL_NOT_TOLD_ROW.format(name=esc(p.full_name), code=esc(p.code), unit=esc(p.unit_name), why=p.why)
                  for p in done.not_told[:KILL_NOT_TOLD_SHOWN]]
        if len(done.not_told) > KILL_NOT_TOLD_SHOWN:
            lines.append(KILL_NOT_TOLD_MORE.format(n=vn.number(len(done.not_told) - KILL_NOT_TOLD_SHOWN)))
    return "\n".join(lines)


@linked_only
async def keep_course(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """"✖️ Không" at the cancellation: the class stays, its step ends."""
    require_hr(actor)
    code = _course(update)
    who = text_router.chat_key(update)
    if who is not None:
        await run_tx(context, registration.keep_course, who, code)
    await reply(update, KILL_KEPT.format(code=esc(code)), keyboard([[back_to_course(code)]]))


async def _hr_actor(context: ContextTypes.DEFAULT_TYPE, update: Update) -> Actor:
    """Forms re-check the role when the value arrives, not only when the prompt was opened."""
    return require_hr(await load_actor(update, context))


@friendly
async def course_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    action = pressed(update, buttons.parse).verb
    handler = {
        "view": view, "list": list_courses, "kinds": choose_kind, "reg": confirm_register, "regok": do_register,
        "cancel": confirm_cancel, "cancelok": do_cancel, "mine": mine, "roster": roster, "done": confirm_done,
        "doneok": do_done, "closed": closed_list, "undo": confirm_undo, "undook": do_undo,
        "behalf": ask_behalf, "capacity": ask_capacity, "kill": ask_kill_reason, "killok": do_kill,
        "killno": keep_course, "rosterx": roster_file, "unreg": confirm_unregister, "unregok": do_unregister,
        "behalfok": confirm_behalf, "behalfdo": do_behalf, "seatsok": set_capacity,
    }[action]
    await handler(update, context)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("courses", list_courses))
    app.add_handler(CallbackQueryHandler(list_courses, pattern=menu.entry_pattern("courses")))
    app.add_handler(CallbackQueryHandler(course_button, pattern=buttons.PATTERN))
    text_router.add_form(app, "course-behalf", behalf_entered)
    text_router.add_form(app, "course-capacity", capacity_entered)
    text_router.add_form(app, registration.CANCEL_STEP, kill_reason_entered)
