"""Builds the one Application that the real bot, the terminal chat and the tests all run.

Handler order matters in python-telegram-bot: within a group the first matching handler
wins, and groups run from the lowest number. The order is:

  group -3  text_router.end_button_step  a press or a command ends a button step that is not a form
                                         (an older step's button that can do nothing keeps it)
  group -2  guard.bot_membership   record that a user blocked the bot
  group -1  guard.guard            private chats only; edited and oversized messages refused
  group  0  start                  /start, contact sharing, invite links, /unlink
            menu                   /menu, /help, profile, settings, "coming soon" entries
            mydata                 /mydata: everything the bot keeps about the cadre (read-only)
            gaps                   /gaps: the cadre's own gaps
            report                 /report: a unit's indicators, drill-down, chart, Excel
            courses                /courses: catalogue, registration, waitlist, HR course actions
            evaluation             /eval (draft in the database), /review, /delegate
            ask                    /ask: answers about the resolution (also free text, via text_router)
            admin                  HR commands (/invite), HR file uploads
            text_router            plain text: to the open form (a prompt), else ask; /cancel
            fallback               unknown commands, media, stale buttons — always last
  jobs      scheduler              a JobQueue tick runs due jobs; a dispatcher task sends the outbox
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from telegram import Update
from telegram.ext import Application, ContextTypes
from telegram.request import BaseRequest

import scheduler
from bot.ops.alerts import OperatorAlerts
from bot.updates import PerUserUpdateProcessor, UnitOfWorkApplication, use_worker_threads
from core.config import Settings
from core.services import Services
from db import Database
from domain import spreadsheet
from domain.rules import default_rules
from handlers import (
    admin,
    admin_menu,
    ask,
    completion_sheet,
    courses,
    delegation,
    evaluation,
    fallback,
    find,
    gaps,
    guard,
    menu,
    mydata,
    report,
    review_views,
    reviewers,
    start,
    text_router,
)
from handlers.common import reply
from handlers.context import UpdateContext

log = logging.getLogger(__name__)

# The fake Bot API accepts any token; this one is never sent anywhere real.
OFFLINE_TOKEN = "1:offline-terminal-chat"
FEATURES = (guard, start, menu, mydata, gaps, report, courses, evaluation, review_views, delegation, find, ask, admin,
            completion_sheet, admin_menu, reviewers, text_router, fallback, scheduler)
ALERTS_KEY = "ops.alerts"
INTERNAL_ERROR = "Xin lỗi, đã có lỗi khi xử lý yêu cầu. Dữ liệu của bạn không bị mất; hãy thử lại sau ít phút."


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("Unhandled error while processing an update", exc_info=context.error)
    alerts: OperatorAlerts | None = context.application.bot_data.get(ALERTS_KEY)
    if alerts is not None:
        await alerts.report(context.bot, context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await reply(update, INTERNAL_ERROR)
        except Exception:  # the error may be the network itself
            log.warning("Could not tell the user about the error", exc_info=True)


async def _post_init(app: Application) -> None:
    use_worker_threads()
    await menu.post_init_commands(app)
    await scheduler.start(app)


async def _post_stop(app: Application) -> None:
    await scheduler.stop(app)
    alerts: OperatorAlerts | None = app.bot_data.get(ALERTS_KEY)
    if alerts is not None:
        await alerts.close()


def apply_import_limits(settings: Settings) -> None:
    """Spreadsheets read by the bot and the command line are bounded as [imports] says."""
    spreadsheet.configure(settings.imports)


def build_application(
    settings: Settings, database: Database, request: BaseRequest | None = None, token: str | None = None,
    clock: Callable[[], date] | None = None, updates_request: BaseRequest | None = None,
) -> Application:
    builder = (
        Application.builder()
        .application_class(UnitOfWorkApplication)  # one unit of work per update; counts and times updates
        .token(token or settings.token or OFFLINE_TOKEN)
        .base_url(settings.telegram.base_url)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .context_types(ContextTypes(context=UpdateContext))
        .concurrent_updates(processor := PerUserUpdateProcessor())
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(updates_request or request)
    app = builder.build()
    default_rules()  # validated at start: a malformed rule fails here, naming the rule and field
    apply_import_limits(settings)
    app.bot_data["services"] = Services(db=database, settings=settings, clock=clock, busy=processor.busy)
    app.bot_data[ALERTS_KEY] = OperatorAlerts(settings.ops.alert_chat_ids, settings.ops.alert_window_s,
                                              token or settings.token)
    for feature in FEATURES:
        feature.register(app)
    app.add_error_handler(on_error)
    return app
