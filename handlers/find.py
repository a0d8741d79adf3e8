"""/find and the "🔎 Tìm cán bộ" button: HR (province-wide) and managers (their subtree) look a cadre up.

The card button carries only the cadre id; every press re-resolves the actor and re-checks the scope
(domain.find.cadre_card), so a forged id outside the subtree is refused and audit-logged.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from domain import vn
from domain.accounts import Actor, require_manager
from domain.catalogue import STATUS_LABELS
from domain.evaluation import RATINGS, Window, period_title, status_label
from domain.find import CadreCard, EvaluationLine, RegistrationLine, SearchResult, cadre_card, search_cadres
from handlers import text_router
from handlers.common import esc, keyboard, linked_only, load_actor, pressed, reply, run_tx, services, today
from handlers.menu import BACK
from views.callbacks import find as buttons
from views.callbacks import menu
from views.gaps import render_gaps
from views.html import fit

FORM = "find"
ASK = "🔎 <b>Tìm cán bộ</b>\nGõ họ tên (có dấu hay không dấu, một phần cũng được) hoặc mã cán bộ:"
NOTHING = "Không tìm thấy cán bộ nào khớp “{query}”{scope}. Thử gõ ít chữ hơn, hoặc mã cán bộ."
IN_SUBTREE = " trong đơn vị của bạn"
FOUND = "🔎 <b>Kết quả cho “{query}”</b>: {total} người{more}. Chọn một người:"
MORE = " (hiện {shown} người đầu; gõ thêm chữ để thu hẹp)"
REFUSED = "⛔ Cán bộ này không thuộc phạm vi bạn được xem."
CARD_TITLE = "👤 <b>{name}</b> ({code})"
REVIEWER = "\nNgười xếp loại: <b>{name}</b>"
NO_REVIEWER = "\nNgười xếp loại: <b>chưa có</b> (Ban Tổ chức giao trong 🛠 Quản trị)"
REGISTRATIONS = "\n\n🎓 <b>Đăng ký lớp</b>"
NO_REGISTRATIONS = "\n\n🎓 Chưa đăng ký lớp nào."
REGISTRATION_ROW = "\n• {code} – {name} (khai giảng {start}): {status}"
EVALUATIONS = "\n\n📝 <b>Tự đánh giá gần đây</b>"
EVALUATIONS_NOT_YOURS = ("\n\n📝 Tự đánh giá hằng tháng: chỉ người xếp loại, cấp trên của họ và Ban Tổ chức xem "
                         "được.")
BTN_AGAIN = "🔎 Tìm người khác"
AGAIN = (BTN_AGAIN, menu.entry("find"))
MAX_CARD_CHARS = 4000


def _period(context: ContextTypes.DEFAULT_TYPE) -> tuple[int, int]:
    return Window.of(services(context).settings.evaluation).open_period(today(context))


async def _ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await text_router.open_form(update, context, FORM, "")
    await reply(update, ASK)


def _results_markup(result: SearchResult) -> list[list[tuple[str, str]]]:
    return [[(fit(f"{m.full_name} ({m.code}) – {m.unit_name}"), buttons.card(m.cadre_id))] for m in result.matches]


async def _search(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, query: str) -> None:
    result = await run_tx(context, search_cadres, actor, query)
    shown = esc(query[:100])
    if not result.matches:
        await reply(update, NOTHING.format(query=shown, scope="" if actor.is_hr else IN_SUBTREE),
                    keyboard([[AGAIN], [BACK]]))
        return
    if result.total == 1:
        await _card(update, context, actor, result.matches[0].cadre_id)
        return
    more = MORE.format(shown=vn.number(len(result.matches))) if result.total > len(result.matches) else ""
    await reply(update, FOUND.format(query=shown, total=vn.number(result.total), more=more),
                keyboard([*_results_markup(result), [AGAIN], [BACK]]))


def _evaluation_row(line: EvaluationLine) -> str:
    status = status_label(line.status)
    if line.manager_rating is not None:
        status += f": {RATINGS[line.manager_rating]}"
    return f"\n• {period_title(line.year, line.month)}: {status}{' (nộp muộn)' if line.late else ''}"


def _registration_row(r: RegistrationLine) -> str:
    return REGISTRATION_ROW.format(code=esc(r.course_code), name=esc(r.course_name), start=f"{r.start_date:%d/%m/%Y}",
                                   status=STATUS_LABELS.get(r.status, r.status))


def render_card(card: CadreCard) -> str:
    lines = [CARD_TITLE.format(name=esc(card.full_name), code=esc(card.code))]
    lines += [f"\n{k}: <b>{esc(v)}</b>" for k, v in card.profile.fields if k not in ("Mã cán bộ", "Họ và tên")]
    lines.append(REVIEWER.format(name=esc(card.reviewer)) if card.reviewer else NO_REVIEWER)
    lines += [f"\n<i>Nguồn {esc(k)}: {esc(v)}</i>" for k, v in card.profile.sources]
    lines.append("\n\n" + render_gaps(card.gaps, reader_is_the_cadre=False))
    if card.registrations:
        lines.append(REGISTRATIONS)
        lines += [_registration_row(r) for r in card.registrations[:10]]
    else:
        lines.append(NO_REGISTRATIONS)
    if card.evaluations is None:
        lines.append(EVALUATIONS_NOT_YOURS)
    else:
        lines.append(EVALUATIONS)
        lines += [_evaluation_row(line) for line in card.evaluations]
    text = "".join(lines)
    return text if len(text) <= MAX_CARD_CHARS else text[:MAX_CARD_CHARS].rsplit("\n", 1)[0] + "\n…"


async def _card(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, cadre_id: int) -> None:
    card = await run_tx(context, cadre_card, actor, cadre_id, today(context), _period(context))
    if card is None:
        await reply(update, REFUSED, keyboard([[BACK]]))
        return
    await reply(update, render_card(card), keyboard([[AGAIN], [BACK]]))


@linked_only
async def find_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_manager(actor)
    query = " ".join(context.args or [])
    if not query.strip():
        await _ask(update, context)
        return
    await _search(update, context, actor, query)


@linked_only
async def find_button(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    require_manager(actor)
    if update.callback_query and menu.parse(update.callback_query.data or "") == "find":
        await _ask(update, context)
        return
    await _card(update, context, actor, pressed(update, buttons.parse))


async def query_entered(update: Update, context: ContextTypes.DEFAULT_TYPE, argument: str, value: str) -> None:
    actor = require_manager(await load_actor(update, context))
    await _search(update, context, actor, value)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("find", find_command))
    app.add_handler(CallbackQueryHandler(find_button, pattern=buttons.PATTERN))
    text_router.add_form(app, FORM, query_entered)
