"""The context of one update: its services, and the actor loaded once for the whole update.

python-telegram-bot builds one CallbackContext per update and passes it to the handler of every
group (guard, feature, ...); with `ContextTypes(context=UpdateContext)` that object carries the
actor, so the guard's read loads it and the feature handler uses it without another transaction.
A write through await run_tx() forgets it: linking or unlinking changes who the actor is.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from core.logctx import bind_actor
from core.services import Services
from domain.accounts import Actor


class UpdateContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], chat_id: int | None = None,
                 user_id: int | None = None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.actor_loaded = False
        self.actor: Actor | None = None

    @property
    def services(self) -> Services:
        svc: Services = self.application.bot_data["services"]
        return svc

    def remember_actor(self, actor: Actor | None) -> None:
        self.actor, self.actor_loaded = actor, True
        bind_actor(actor.code if actor else None)  # log lines of this update name the cadre (never the phone)

    def forget_actor(self) -> None:
        self.actor, self.actor_loaded = None, False
