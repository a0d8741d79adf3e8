"""Issue 10 items 7 and 8 under real concurrency: threads, each its own transaction on a committed
database (PostgreSQL is READ COMMITTED: a row read before it is locked can change under the reader).

A pause inside the critical section (after the reads the fix must lock) makes the race happen on
every run instead of on most."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from db import Database
from db.models import Cadre, Registration
from domain import accounts
from domain import registration as reg
from domain.errors import DomainError
from tests.test_concurrency import _open, committed  # noqa: F401  (the committed-database fixture)

TODAY = date(2026, 11, 26)
PAUSE_S = 0.3


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same instant; each result is its value or the DomainError it raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return call()
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _slow(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    """Pause right after `name` ran: what it read may be stale by the time the caller acts on it."""
    original = getattr(module, name)

    def slowed(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        time.sleep(PAUSE_S)
        return result

    monkeypatch.setattr(module, name, slowed)


@pytest.fixture
def shared(committed: tuple[str, str | None]) -> Iterator[Database]:  # noqa: F811
    """The committed database, opened by the racing threads' engine."""
    database = _open(*committed)
    yield database
    database.dispose()


def test_one_invite_token_links_one_account(shared: Database,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    token = shared.run(accounts.create_invite, "P001", 7)
    _slow(monkeypatch, accounts, "_invite")
    results = _race([lambda u=u: shared.run(accounts.link_by_token, u, u, token) for u in (9001, 9002)])
    linked = [r for r in results if isinstance(r, accounts.LinkResult)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(linked) == 1 and len(refused) == 1, results
    assert "đã được dùng" in str(refused[0])
    holder = shared.run(lambda s: s.scalar(select(Cadre.telegram_user_id).where(Cadre.code == "P001")))
    assert holder in (9001, 9002)


def test_one_account_with_two_tokens_at_once_gets_a_clear_answer(shared: Database,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = [shared.run(accounts.create_invite, code, 7) for code in ("P001", "P002")]
    _slow(monkeypatch, accounts, "_invite")
    results = _race([lambda t=t: shared.run(accounts.link_by_token, 9001, 9001, t) for t in tokens])
    assert sum(isinstance(r, accounts.LinkResult) for r in results) == 1, results
    refused = next(r for r in results if isinstance(r, DomainError))
    assert "liên kết với" in str(refused) and "hồ sơ" in str(refused)
    assert shared.run(lambda s: s.scalar(select(func.count()).select_from(Cadre)
                                           .where(Cadre.telegram_user_id == 9001))) == 1


def test_two_accounts_sharing_a_contact_number_at_once(shared: Database,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    phone = shared.run(lambda s: s.scalar(select(Cadre.phone).where(Cadre.code == "P003")))
    _slow(monkeypatch, accounts, "_cadres_with_phone")
    results = _race([lambda u=u: shared.run(accounts.link_by_contact, u, u, u, phone) for u in (9001, 9002)])
    assert sum(isinstance(r, accounts.LinkResult) for r in results) == 1, results


def test_registration_racing_a_course_cancellation(shared: Database,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody may stay registered or waitlisted in a cancelled course (each was either told about the
    cancellation, or refused)."""
    codes = [f"P{i:03d}" for i in range(10, 22)]
    _slow(monkeypatch, reg, "require_course")

    def register(code: str) -> Any:
        return shared.run(lambda s: reg.register(
            s, s.scalars(select(Cadre).where(Cadre.code == code)).one(), "BIG", TODAY, code))

    calls: list[Callable[[], Any]] = [lambda c=c: register(c) for c in codes]
    calls.insert(6, lambda: shared.run(reg.cancel_course, "BIG", "HR"))
    _race(calls)
    left = shared.run(lambda s: s.scalar(select(func.count()).select_from(Registration)
                                           .where(Registration.status.in_(("registered", "waitlisted"))))
                        )
    assert left == 0


def test_an_edit_sent_while_the_manager_rates_never_changes_what_was_rated(shared: Database,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The manager rates what the cadre sent; an edit sent at the same moment must not replace the rated content
    (it used to on PostgreSQL: the edit's row was read before the rating committed and written after)."""
    import json

    from sqlalchemy import update

    from db.models import Evaluation
    from domain import evaluation as ev
    from domain.evaluation import review

    window = ev.Window(25, 5)
    shared.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "P002").values(manager_code="P001")))
    shared.run(lambda s: s.execute(update(Cadre).where(Cadre.code == "P001").values(telegram_user_id=9101)))
    cadre = shared.run(lambda s: s.scalar(select(Cadre.id).where(Cadre.code == "P002")))
    draft = shared.run(ev.start_or_resume, cadre, TODAY, window)
    shared.run(ev.add_results, cadre, draft.id, "Việc A", window, TODAY)
    shared.run(ev.set_self_rating, cadre, draft.id, 1, window, TODAY)
    shared.run(ev.submit, cadre, draft.id, window, TODAY)
    shared.run(ev.reopen, cadre, draft.id, window, TODAY)
    shared.run(ev.add_results, cadre, draft.id, "Việc B thêm sau", window, TODAY)
    manager = shared.run(accounts.actor_for, 9101)
    _slow(monkeypatch, review, "_require_submitted")

    def edit_sent_a_moment_later() -> Any:
        time.sleep(PAUSE_S / 3)
        return shared.run(ev.submit, cadre, draft.id, window, TODAY)

    _race([lambda: shared.run(ev.rate, manager, draft.id, 2, None, window, TODAY), edit_sent_a_moment_later])
    status, results, rating = shared.run(lambda s: s.execute(select(
        Evaluation.status, Evaluation.results, Evaluation.manager_rating).where(Evaluation.id == draft.id)).one())
    assert (status, rating) == ("rated", 2) and json.loads(results) == ["Việc A"]
