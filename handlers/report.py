"""/report: a unit's progress on every indicator, drill-down, people with gaps, chart and Excel.

Callback data carries only unit ids and page numbers; every press re-resolves the actor and
re-checks that the unit is inside their subtree (domain.report.resolve_unit).
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from domain import vn
from domain.accounts import Actor
from domain.exports import chart_png, report_xlsx
from domain.report import Report, child_units, export_for, people_for, report_for
from handlers.common import (
    esc,
    in_thread,
    keyboard,
    linked_only,
    pressed,
    reply,
    run_heavy,
    run_tx,
    send_file,
    today,
)
from handlers.menu import BACK
from views.callbacks import menu
from views.callbacks import report as buttons
from views.html import fit
from views.report import render_report

BTN_CHART, BTN_XLSX = "📈 Biểu đồ", "📥 Xuất Excel"
BTN_CHILDREN, BTN_PEOPLE = "🏢 Đơn vị trực thuộc", "👥 Cán bộ thiếu chuẩn"
CHILDREN_TITLE = "🏢 <b>Đơn vị trực thuộc {unit}</b> (tỷ lệ cán bộ còn thiếu chuẩn bắt buộc, cao nhất trước):"
CHILD_ROW = "{n}. {name}: {gap}/{cadres} người ({pct})"
NO_CHILDREN = "{unit} không có đơn vị trực thuộc."
PEOPLE_TITLE = "👥 <b>Cán bộ còn thiếu chuẩn bắt buộc – {unit}</b> ({total} người), trang {page}/{pages}:"
PERSON_ROW = "{n}. <b>{name}</b> ({code}) – {position}, {unit}\n   Thiếu: {gaps}"
NO_PEOPLE = "✅ Không còn cán bộ nào của {unit} thiếu chuẩn bắt buộc."
CHART_CAPTION = "Tiến độ chỉ tiêu – {unit}"
XLSX_CAPTION = "Báo cáo chỉ tiêu – {unit} (tổng hợp và danh sách cán bộ thiếu chuẩn bắt buộc)"
BTN_UP, BTN_UP_GENERIC = "⬅️ {unit}", "⬅️ Đơn vị cấp trên"
UP_NAME_MAX = 40  # a longer name would be cut on a phone's button: the generic label reads better
BTN_TO_REPORT = "⬅️ Về báo cáo"
PREV, NEXT = "◀️ Trang trước", "Trang sau ▶️"
PAGE = 10


def _unit_key(report_unit_id: int | None) -> int:
    return report_unit_id or 0


async def _send_report(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor,
                       unit_ref: str | int | None) -> None:
    report = await run_tx(context, report_for, actor, unit_ref, today(context))
    key = _unit_key(report.unit_id)
    drill = [(BTN_CHILDREN, buttons.paged("d", key, 0))] if report.has_children else []
    up = [(_up_label(report.up.name), buttons.unit("u", report.up.unit_id))] if report.up else []
    rows = [
        [(BTN_CHART, buttons.unit("c", key)), (BTN_XLSX, buttons.unit("x", key))],
        [*drill, (BTN_PEOPLE, buttons.paged("p", key, 0))],
        up,
        [BACK],
    ]
    await reply(update, render_report(report), keyboard([r for r in rows if r]))


def _up_label(name: str) -> str:
    name = name.strip()
    return BTN_UP.format(unit=name) if 0 < len(name) <= UP_NAME_MAX else BTN_UP_GENERIC


@linked_only
async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    await _send_report(update, context, actor, context.args[0] if context.args else None)


@linked_only
async def report_button(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    press = pressed(update, buttons.parse)
    handler = {"u": _open, "c": _chart, "x": _xlsx, "d": _children, "p": _people}[press.verb]
    await handler(update, context, actor, press.unit_id, press.page)


async def _open(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, unit_ref: int | None,
                page: int) -> None:
    await _send_report(update, context, actor, unit_ref)


async def _chart(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, unit_ref: int | None,
                 page: int) -> None:
    report = await run_heavy(context, report_for, actor, unit_ref, today(context))
    png = await in_thread(chart_png, report)
    await send_file(update, png, "chi-tieu.png", CHART_CAPTION.format(unit=esc(report.unit_name)), _after_file(report),
                    as_photo=True)


async def _xlsx(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, unit_ref: int | None,
                page: int) -> None:
    report, people = await run_heavy(context, export_for, actor, unit_ref, today(context))
    content = await in_thread(report_xlsx, report, people)
    name = f"bao-cao-chi-tieu-{report.unit_code or 'toan-tinh'}-{report.as_of:%Y%m%d}.xlsx"
    await send_file(update, content, name, XLSX_CAPTION.format(unit=esc(report.unit_name)), _after_file(report))


def _after_file(report: Report) -> InlineKeyboardMarkup:
    """The file's own buttons: without them the chat ends on a file with nothing to tap."""
    return keyboard([[(BTN_TO_REPORT, buttons.unit("u", _unit_key(report.unit_id))), BACK]])


async def _children(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, unit_ref: int | None,
                    page: int) -> None:
    unit, rows = await run_tx(context, child_units, actor, unit_ref)
    name = unit.name if unit else "Toàn tỉnh"
    if not rows:
        await reply(update, NO_CHILDREN.format(unit=esc(name)), keyboard([[BACK]]))
        return
    shown = rows[page * PAGE:(page + 1) * PAGE]
    lines = [CHILDREN_TITLE.format(unit=esc(name))]
    lines += [CHILD_ROW.format(n=page * PAGE + i, name=esc(r.name), gap=vn.number(r.with_mandatory_gap),
                               cadres=vn.number(r.cadres), pct=vn.pct(r.gap_pct)) for i, r in enumerate(shown, 1)]
    picks = [[(fit(f"{page * PAGE + i}. {r.name}"), buttons.unit("u", r.unit_id))] for i, r in enumerate(shown, 1)]
    picks.append(_pager("d", unit.id if unit else 0, page, len(rows)))
    await reply(update, "\n".join(lines), keyboard([b for b in picks if b] + [[BACK]]))


async def _people(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, unit_ref: int | None,
                  page: int) -> None:
    unit, total, people = await run_tx(context, people_for, actor, unit_ref, page, PAGE)
    name = unit.name if unit else "Toàn tỉnh"
    if not total:
        await reply(update, NO_PEOPLE.format(unit=esc(name)), keyboard([[BACK]]))
        return
    pages = (total + PAGE - 1) // PAGE
    lines = [PEOPLE_TITLE.format(unit=esc(name), total=vn.number(total), page=page + 1, pages=pages)]
    lines += [PERSON_ROW.format(n=page * PAGE + i, name=esc(p.full_name), code=esc(p.code),
                                position=esc(p.position), unit=esc(p.unit_name), gaps=esc("; ".join(p.gaps)))
              for i, p in enumerate(people, 1)]
    pager = _pager("p", unit.id if unit else 0, page, total)
    await reply(update, "\n".join(lines), keyboard(([pager] if pager else []) + [[BACK]]))


def _pager(action: str, unit_id: int, page: int, total: int) -> list[tuple[str, str]]:
    pager: list[tuple[str, str]] = []
    if page > 0:
        pager.append((PREV, buttons.paged(action, unit_id, page - 1)))
    if (page + 1) * PAGE < total:
        pager.append((NEXT, buttons.paged(action, unit_id, page + 1)))
    return pager


def register(app: Application) -> None:
    app.add_handler(CommandHandler("report", report_command))
    app.add_handler(CallbackQueryHandler(report_command, pattern=menu.entry_pattern("unit")))
    app.add_handler(CallbackQueryHandler(report_button, pattern=buttons.PATTERN))
