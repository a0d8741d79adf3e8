"""Shared fixtures: a migrated database per backend, a rolled-back transaction per test,
and the real Application driven through a fake Bot API."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.fakeapi import FakeBotApi, UpdateFactory
from bot.terminal import render
from core.config import Settings, load_settings
from db import Database
from db.migrate import upgrade
from db.session import make_engine
from domain.roster import import_roster

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ROSTER = ROOT / "bot" / "demo_data" / "roster.csv"
DATA = Path(__file__).resolve().parent / "data"
# Every test runs on this date, whatever day the suite runs: deadlines and windows are fixed.
TODAY = date(2026, 11, 26)


def _backends() -> list[Any]:
    params: list[Any] = ["sqlite"]
    if os.environ.get("CADREBOT_TEST_POSTGRES_URL"):
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(scope="session", params=_backends())
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        eng = make_engine(url)
    else:
        eng = make_engine(os.environ["CADREBOT_TEST_POSTGRES_URL"])
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def database(engine: Engine) -> Iterator[Database]:
    """Every test runs inside one outer transaction that is rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    yield Database.bound_to(connection)
    outer.rollback()
    connection.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "CADREBOT_DATABASE_URL")}
    base = load_settings(ROOT / "config.toml", env)
    from dataclasses import replace

    return replace(base, demo=replace(base.demo, output_dir=tmp_path / "files"))


@pytest.fixture
def roster(database: Database) -> Database:
    database.run(import_roster, SAMPLE_ROSTER)
    return database


@dataclass
class BotHarness:
    app: Application  # type: ignore[type-arg]
    api: FakeBotApi

    async def send(self, update: dict[str, Any]) -> list[str]:
        """Process one update; return the texts the user saw in reply, as rendered (no HTML tags)."""
        before = len(self.api.calls)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        new = self.api.calls[before:]
        return [render(c.text or str(c.params.get("text", ""))) for c in new
                if c.method in ("sendMessage", "sendPhoto", "sendDocument", "answerCallbackQuery")
                and (c.text or c.params.get("text"))]

    def last_buttons(self) -> list[dict[str, Any]]:
        for call in reversed(self.api.sent()):
            if call.buttons:
                return call.buttons
        return []


@pytest.fixture
async def bot(settings: Settings, database: Database) -> AsyncIterator[BotHarness]:
    api = FakeBotApi(files_dir=settings.demo.output_dir)
    app = build_application(settings, database, request=api, clock=lambda: TODAY)
    async with app:
        yield BotHarness(app, api)
    assert not api.html_errors, f"Telegram would have refused these HTML messages: {api.html_errors}"


@pytest.fixture
def user() -> UpdateFactory:
    return UpdateFactory(user_id=555001, first_name="Tuấn")


async def link(bot: BotHarness, factory: UpdateFactory, phone: str) -> list[str]:
    return await bot.send(factory.own_contact(phone))
