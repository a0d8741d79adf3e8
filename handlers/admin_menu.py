"""The HR admin menu as buttons: find a cadre, courses, province report, invite links, imports, templates.

Every press re-checks the HR role on the server; template names in button data are looked up in a fixed
table, never used as paths.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from domain import accounts
from domain.accounts import Actor
from domain.choices import is_refusal
from domain.errors import DomainError, NotFound
from domain.templates import TEMPLATES, template_xlsx
from handlers import reviewers, text_router
from handlers.admin import invite_done  # /invite's answer: one wording for the command and the button
from handlers.common import (
    in_thread,
    keyboard,
    linked_only,
    load_actor,
    pressed,
    reply,
    run_tx,
    send_file,
    services,
)
from handlers.menu import BACK, BACK_TO_ADMIN
from handlers.menu import BUTTONS as MENU_LABELS
from views.callbacks import admin as buttons
from views.callbacks import menu

INVITE_FORM = "admin-invite"
TITLE = (
    "🛠 <b>Quản trị – Ban Tổ chức</b>\nChọn một việc. Việc chỉ làm trên máy chủ: đường dẫn mời cho cả đơn vị "
    "(<code>cadrebot invite --unit MÃ_ĐƠN_VỊ --out links.csv</code>), cấp quyền Ban Tổ chức "
    "(<code>cadrebot grant-hr MÃ_CÁN_BỘ</code>)."
)
IMPORT_HELP = (
    "📥 <b>Nhập tệp</b>\nGửi tệp .xlsx hoặc .csv vào cuộc trò chuyện này (nút 📎). Bot tự nhận biết loại tệp "
    "theo tên cột: danh sách cán bộ, danh sách lớp, danh sách đăng ký lớp (hai cột “Mã cán bộ” và "
    "“Mã lớp”: mỗi dòng đăng ký hộ một người, có báo cáo từng dòng) hoặc kết quả hoàn thành lớp (cột "
    "“Mã cán bộ”; ghi mã lớp vào chú thích tệp, hoặc bấm “📥 Ghi nhận hoàn thành từ tệp” ở trang lớp; "
    "xem trước từng dòng rồi mới ghi).\n"
    "Tệp có dòng lỗi thì chưa nhập gì: với danh sách lớp và danh sách đăng ký, bot cho xem các dòng hợp lệ sẽ "
    "làm gì, kèm nút để chỉ nhập những dòng đó; với danh sách cán bộ, gửi lại kèm chú thích “bỏ dòng lỗi”. "
    "Tải tệp mẫu bên dưới."
)
TEMPLATE_CAPTION = "Mẫu {title}: điền từ dòng 2, rồi gửi lại vào đây."
TEMPLATES_TITLE = "📄 <b>Tệp mẫu</b> – chọn loại:"
ASK_INVITE = "🔗 Gõ mã cán bộ cần tạo đường dẫn mời (ví dụ MAU004). Gõ /cancel để thôi."
RETYPE_CODE = "Gõ mã khác, hoặc /cancel để thôi."
INVITE_KEPT = "Đã thôi, không tạo đường dẫn mời nào."
BUTTONS = [
    [(MENU_LABELS["find"], menu.entry("find")), ("🎓 Quản lý lớp", menu.entry("courses"))],
    [("📊 Báo cáo toàn tỉnh", menu.entry("unit")), ("🔗 Tạo đường dẫn mời", buttons.plain("invite"))],
    [("📥 Nhập tệp", buttons.plain("import")), ("📄 Tệp mẫu", buttons.plain("tpl"))],
    [reviewers.BUTTON],
]


def _template_buttons() -> list[list[tuple[str, str]]]:
    return [[(f"📄 {t.title}", buttons.template(kind))] for kind, t in TEMPLATES.items()]


async def _send_template(update: Update, kind: str) -> None:
    template = TEMPLATES[kind]
    content = await in_thread(template_xlsx, kind)
    await send_file(update, content, template.filename, TEMPLATE_CAPTION.format(title=template.title.lower()),
                    keyboard([[BACK_TO_ADMIN]]))


@linked_only
async def admin_button(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    accounts.require_hr(actor)
    action, kind = pressed(update, buttons.parse)
    if action == "menu":
        await reply(update, TITLE, keyboard([*BUTTONS, [BACK]]))
    elif action == "import":
        await reply(update, IMPORT_HELP, keyboard([*_template_buttons(), [BACK_TO_ADMIN]]))
    elif action == "tpl":
        await reply(update, TEMPLATES_TITLE, keyboard([*_template_buttons(), [BACK_TO_ADMIN]]))
    elif action == "template":
        await _send_template(update, kind)
    else:  # "invite"
        await text_router.open_form(update, context, INVITE_FORM)
        await reply(update, ASK_INVITE)


async def invite_code_entered(update: Update, context: ContextTypes.DEFAULT_TYPE, argument: str, value: str) -> None:
    actor = accounts.require_hr(await load_actor(update, context))
    if is_refusal(value):  # "thôi": a change of mind, not a code
        await reply(update, INVITE_KEPT, keyboard([[BACK_TO_ADMIN]]))
        return
    code = value.split()[0][:64] if value.split() else ""
    settings = services(context).settings
    try:
        invite = await run_tx(context, accounts.create_invite_as, actor, code, settings.invite_ttl_days)
    except (NotFound, accounts.AlreadyLinked) as exc:
        # a DomainError that is no NotFound: text_router keeps the prompt open, and the answer says so; closed,
        # the next code typed went to the questions about the resolution
        raise DomainError(f"{exc} {RETYPE_CODE}") from exc
    await reply(update, invite_done(invite, settings), keyboard([[BACK_TO_ADMIN]]))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(admin_button, pattern=buttons.PATTERN))
    text_router.add_form(app, INVITE_FORM, invite_code_entered)
