"""The manager's quarter and year views of monthly ratings, always reachable from /review, and their Excel export.

Button data carries only a year and a quarter, parsed strictly; the people shown are re-derived from the
actor on every press (domain.review_grid).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from domain import vn
from domain.accounts import Actor, require_manager
from domain.classification import default_classification, describe_period, quarter_months
from domain.evaluation import Window
from domain.review_grid import RATING_SHORT, GridPage, export_year_grid, reviewee_year
from handlers.common import esc, keyboard, linked_only, pressed, reply, run_heavy, run_tx, send_file, services, today
from handlers.fallback import stale_button
from handlers.menu import BACK
from views.callbacks import review_views as buttons
from views.callbacks.review_views import FIRST_YEAR

LEGEND = "XS = xuất sắc, Tốt, HT = hoàn thành, KHT = không hoàn thành; chờ = đã nộp, chờ xếp loại"
QUARTER_TITLE = "📅 <b>Xếp loại quý {q}/{year}</b> (tháng {first}–{last})\n<i>{legend}</i>"
QUARTER_ROW = "\n• {name}: {months} → <b>Quý: {klass}</b>"
YEAR_TITLE = "📆 <b>Xếp loại năm {year}</b> (theo quý)\n<i>{legend}</i>"
YEAR_ROW = "\n• {name}: {quarters} → <b>Năm: {klass}</b>"
INCOMPLETE = "chưa đủ"
EMPTY = "Chưa có cán bộ nào do bạn đánh giá (trực tiếp hay qua cấp dưới)."
TRUNCATED = "\n… và {n} người nữa (xem đủ trong tệp Excel)."
XLSX_CAPTION = "Xếp loại theo tháng, quý, năm {year} – {unit} ({n} cán bộ)"
XLSX_REFUSED = "⛔ Bạn chỉ xuất được số liệu của đơn vị mình và các đơn vị trực thuộc."
BTN_YEAR, BTN_XLSX = "📆 Cả năm {year}", "📥 Xuất Excel năm {year}"
BTN_XLSX_PROVINCE = "📥 Xuất Excel năm {year} (toàn tỉnh)"
MAX_CHARS = 3600


def current_quarter(context: ContextTypes.DEFAULT_TYPE) -> tuple[int, int]:
    year, month = Window.of(services(context).settings.evaluation).open_period(today(context))
    return year, (month - 1) // 3 + 1


def entry_buttons(context: ContextTypes.DEFAULT_TYPE) -> list[tuple[str, str]]:
    """The two buttons /review always shows, whatever is pending."""
    year, quarter = current_quarter(context)
    return [("📅 Theo quý", buttons.quarter(year, quarter)), ("📆 Cả năm", buttons.year(year))]


def _rule() -> str:
    """The rule in short words from the data file, and what the resolution does (not) say about it."""
    rules = default_classification()
    quarter = "; ".join(describe_period(rules.quarter, "tháng", RATING_SHORT))
    year = "; ".join(describe_period(rules.year, "quý", RATING_SHORT))
    return (f"\n\nQuý xếp loại khi đủ 3 tháng – {quarter}. Năm xếp loại khi đủ 4 quý – {year}. "
            "Mục III.4 Nghị quyết yêu cầu xếp loại hằng tháng, quý, năm nhưng không quy định cách tổng hợp; "
            "các ngưỡng trên là quy tắc Ban Tổ chức đặt cho bot.")


def _xlsx_button(actor: Actor, page: GridPage, year: int) -> list[tuple[str, str]]:
    """HR exports the province; a manager the people shown (none to export when nobody is shown)."""
    if actor.is_hr:
        return [(BTN_XLSX_PROVINCE.format(year=year), buttons.export(year))]
    return [(BTN_XLSX.format(year=year), buttons.export(year))] if page.total else []


def _klass(rating: int | None) -> str:
    return RATING_SHORT[rating] if rating is not None else INCOMPLETE


def _fit(rows: list[str], total: int, head: str, tail: str) -> str:
    """As many rows as a phone message holds; the rest ('… và N người nữa', of `total`) are in the Excel file."""
    text, shown = head, 0
    for row in rows:
        if len(text) + len(row) + len(tail) > MAX_CHARS:
            break
        text, shown = text + row, shown + 1
    if shown < total:
        text += TRUNCATED.format(n=vn.number(total - shown))
    return text + tail


def render_quarter(page: GridPage, year: int, quarter: int) -> str:
    grid = page.people
    months = quarter_months(quarter)
    rows = [QUARTER_ROW.format(name=esc(p.full_name), months=" · ".join(f"T{m} {p.month_cell(m)}" for m in months),
                               klass=_klass(p.quarters[quarter - 1])) for p in grid]
    head = QUARTER_TITLE.format(q=quarter, year=year, first=months[0], last=months[-1], legend=LEGEND)
    return _fit(rows, page.total, head, _rule())


def render_year(page: GridPage, year: int) -> str:
    grid = page.people
    rows = [YEAR_ROW.format(name=esc(p.full_name), quarters=" · ".join(
        f"Q{q} {_klass(p.quarters[q - 1])}" for q in (1, 2, 3, 4)), klass=_klass(p.year)) for p in grid]
    return _fit(rows, page.total, YEAR_TITLE.format(year=year, legend=LEGEND), _rule())


def _quarter_nav(year: int, quarter: int, latest: tuple[int, int]) -> list[tuple[str, str]]:
    prev = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    nav = [(f"◀️ Quý {prev[1]}/{prev[0]}", buttons.quarter(*prev))] if prev[0] >= FIRST_YEAR else []
    nxt = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    if nxt <= latest:
        nav.append((f"Quý {nxt[1]}/{nxt[0]} ▶️", buttons.quarter(*nxt)))
    return nav


async def _quarter(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, year: int, quarter: int) -> None:
    page = await run_tx(context, reviewee_year, actor, year)
    text = render_quarter(page, year, quarter) if page.total else EMPTY
    rows = [_quarter_nav(year, quarter, current_quarter(context)),
            [(BTN_YEAR.format(year=year), buttons.year(year))], _xlsx_button(actor, page, year), [BACK]]
    await reply(update, text, keyboard([r for r in rows if r]))


async def _year(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, year: int) -> None:
    page = await run_tx(context, reviewee_year, actor, year)
    text = render_year(page, year) if page.total else EMPTY
    latest = current_quarter(context)
    quarters = [(f"Quý {q}", buttons.quarter(year, q)) for q in (1, 2, 3, 4) if (year, q) <= latest]
    years = [(f"◀️ Năm {year - 1}", buttons.year(year - 1))] if year > FIRST_YEAR else []
    if year < latest[0]:
        years.append((f"Năm {year + 1} ▶️", buttons.year(year + 1)))
    rows = [quarters, years, _xlsx_button(actor, page, year), [BACK]]
    await reply(update, text, keyboard([r for r in rows if r]))


async def _xlsx(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, year: int) -> None:
    export = await run_heavy(context, export_year_grid, actor, year, None, today(context))
    if export is None:
        await reply(update, XLSX_REFUSED)
        return
    await send_file(update, export.content, f"xep-loai-{year}.xlsx",
                    XLSX_CAPTION.format(year=year, unit=esc(export.unit_name), n=vn.number(export.people)),
                    keyboard([[(BTN_YEAR.format(year=year), buttons.year(year))], [BACK]]))


@linked_only
async def views_button(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_manager(actor)
    action, year, quarter = pressed(update, buttons.parse)
    latest = current_quarter(context)
    if year > latest[0] or (action == "q" and (year, quarter) > latest):  # a period not begun: a forged button
        await stale_button(update, context)
    elif action == "q":
        await _quarter(update, context, actor, year, quarter)
    elif action == "y":
        await _year(update, context, actor, year)
    else:
        await _xlsx(update, context, actor, year)


async def show_current_quarter(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    await _quarter(update, context, require_manager(actor), *current_quarter(context))


async def show_current_year(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    await _year(update, context, require_manager(actor), current_quarter(context)[0])


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(views_button, pattern=buttons.PATTERN))
