"""Where a user's conversation waits: one open step per Telegram user and chat, in the database.

A step has a name ("review-comment", "course-capacity", "roster-confirm", …) and a JSON payload
(its argument, or for a step that waits for a button choice the offered buttons). It is written
in the transaction of the update that opened it, so a restart between two steps loses nothing.
A step left untouched for a day is forgotten: the next message is read afresh.

When no step is open, the row may instead hold the buttons of the last message the bot sent to
the chat with buttons (step name KEYBOARD): not a step the user is in, only what a typed label
may press. A real step always replaces it and is never replaced by it; a message without buttons
forgets it. current_step() and close_step() do not see it; last_keyboard() reads it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from db.models import ConversationStep
from domain.clock import as_utc, utcnow

MAX_AGE = timedelta(hours=24)
KEYBOARD = "keyboard"  # the row holds the last message's buttons, not a step (see the module docstring)
Rows = list[list[tuple[str, str]]]

# Read for every update and written for every answer with buttons: built once (building a statement and its
# cache key costs more than running it on SQLite; see domain.accounts). The writes are on the table rather than
# the mapped class: an ORM update or insert is copied with its options on every execution and its cache key
# computed again (two thirds of the buttons' write in benchmarks/bench_rush.py); the read stays an ORM select,
# which flushes the session's pending changes first.
_ROW = select(ConversationStep.step, ConversationStep.payload, ConversationStep.updated_at).where(
    (ConversationStep.telegram_user_id == bindparam("p_user")) & (ConversationStep.chat_id == bindparam("p_chat")))
_STEPS = cast(Table, ConversationStep.__table__)
_THIS_CHAT = (_STEPS.c.telegram_user_id == bindparam("p_user")) & (_STEPS.c.chat_id == bindparam("p_chat"))
_KEYBOARD_OVER_KEYBOARD = (  # over the last buttons or an expired step, never over a step the chat waits at
    update(_STEPS)
    .where(_THIS_CHAT, or_(_STEPS.c.step == KEYBOARD, _STEPS.c.updated_at < bindparam("p_expired")))
    .values(step=KEYBOARD, payload=bindparam("p_payload"), updated_at=bindparam("p_now")))
_NEW_KEYBOARD = insert(_STEPS).values(
    telegram_user_id=bindparam("p_user"), chat_id=bindparam("p_chat"), step=KEYBOARD, payload=bindparam("p_payload"),
    updated_at=bindparam("p_now"))
_FORGET_KEYBOARD = delete(_STEPS).where(_THIS_CHAT, _STEPS.c.step == KEYBOARD)


@dataclass(frozen=True)
class Step:
    name: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def argument(self) -> str:
        return str(self.data.get("argument", ""))


LEFT = "left"  # a step's data key: what to tell the user when a command or another button ends the step
PREVIEW_LEFT = "Đã bỏ bản xem trước tệp {file}, chưa ghi gì vào hồ sơ. Gửi lại tệp khi cần."  # a file's preview


def open_step(session: Session, user_id: int, chat_id: int, name: str, data: dict[str, Any] | None = None) -> None:
    """Make `name` the step this user's chat waits at, replacing any other."""
    payload = json.dumps(data or {}, ensure_ascii=False)
    row = session.get(ConversationStep, (user_id, chat_id), with_for_update=True)
    if row is None:
        session.add(ConversationStep(telegram_user_id=user_id, chat_id=chat_id, step=name, payload=payload,
                                     updated_at=utcnow()))
    else:
        row.step, row.payload, row.updated_at = name, payload, utcnow()
    session.flush()


def attach_buttons(session: Session, user_id: int, chat_id: int, choice_only: Mapping[str, bool],
                   rows: Rows) -> bool:
    """Keep in the chat's open step the buttons of the message just sent for it, when the step is one a feature
    opened (named in `choice_only`, with whether other text must be refused): a typed label then presses one.
    True if such a step was open."""
    row = session.get(ConversationStep, (user_id, chat_id), with_for_update=True, populate_existing=True)
    if row is None or row.step not in choice_only or _expired(row):
        return False
    data = {**json.loads(row.payload or "{}"), "buttons": rows, "choice": choice_only[row.step]}
    row.payload, row.updated_at = json.dumps(data, ensure_ascii=False), utcnow()
    return True


def current_step(session: Session, user_id: int, chat_id: int, now: datetime | None = None) -> Step | None:
    """The open step, or None (an expired one is none; the last message's buttons are no step)."""
    step = waiting(session, user_id, chat_id, now)
    return None if step is None or step.name == KEYBOARD else step


def waiting(session: Session, user_id: int, chat_id: int, now: datetime | None = None) -> Step | None:
    """What the chat's row holds: the open step, or the last message's buttons (a Step named KEYBOARD)."""
    row = session.execute(_ROW, {"p_user": user_id, "p_chat": chat_id}).first()
    # An expired row is no step. It is left for the retention job (purge_expired), or for the next step or buttons
    # written over it: deleting it here made this read, the first of most updates, hold SQLite's write lock until
    # the update ended, while other updates' writes waited for it in the worker threads it needed.
    if row is None or as_utc(row.updated_at) < (now or utcnow()) - MAX_AGE:
        return None
    return Step(row.step, json.loads(row.payload or "{}"))


def last_keyboard(session: Session, user_id: int, chat_id: int) -> Rows | None:
    """The buttons of the last message sent to the chat, if no step is open and they are not a day old."""
    step = waiting(session, user_id, chat_id)
    if step is None or step.name != KEYBOARD:
        return None
    return [[(str(label), str(data)) for label, data in row] for row in step.data.get("buttons", [])]


def offered_buttons(session: Session, user_id: int, chat_id: int) -> Rows:
    """The buttons the chat was last offered, as recorded: the last message's, or those of the step it waits at
    (the offline chat shows them again after a restart)."""
    step = waiting(session, user_id, chat_id)
    rows = step.data.get("buttons", []) if step is not None else []
    return [[(str(cell[0]), str(cell[1])) for cell in row if isinstance(cell, list) and len(cell) == 2]
            for row in rows if isinstance(row, list)]


def note_keyboard(session: Session, user_id: int, chat_id: int, rows: Rows) -> None:
    """Remember the buttons of the message just sent, unless a step is open: the step's own buttons
    are in it, and a prompt's next line must never be taken for an older message's button."""
    session.flush()  # a Core write does not flush the session as an ORM one did: a step changed in it counts
    now = utcnow()
    params = {"p_user": user_id, "p_chat": chat_id, "p_payload": json.dumps({"buttons": rows}, ensure_ascii=False),
              "p_now": now, "p_expired": now - MAX_AGE}
    if session.execute(_KEYBOARD_OVER_KEYBOARD, params).rowcount:  # type: ignore[attr-defined]
        return
    if session.execute(_ROW, params).first() is None:  # else a step is open: it keeps its own buttons
        session.execute(_NEW_KEYBOARD, params)


def forget_keyboard(session: Session, user_id: int, chat_id: int) -> None:
    """A message without buttons ends the previous buttons (an open step is left alone)."""
    session.flush()  # as in note_keyboard
    session.execute(_FORGET_KEYBOARD, {"p_user": user_id, "p_chat": chat_id})


def purge_expired(session: Session, now: datetime) -> int:
    """Delete steps and remembered buttons past MAX_AGE (never read again; labels may name people)."""
    result = session.execute(delete(ConversationStep).where(ConversationStep.updated_at < now - MAX_AGE))
    return int(getattr(result, "rowcount", 0) or 0)


def record_keyboards(session: Session, records: Mapping[tuple[int, int], Rows | None]) -> None:
    """Several chats' last buttons at once, {(user, chat): rows, or None for a message without buttons}."""
    for (user_id, chat_id), rows in sorted(records.items()):  # one lock order: concurrent writers never deadlock
        if rows:
            note_keyboard(session, user_id, chat_id, rows)
        else:
            forget_keyboard(session, user_id, chat_id)


def _expired(row: ConversationStep, now: datetime | None = None) -> bool:
    return as_utc(row.updated_at) < (now or utcnow()) - MAX_AGE


def take_step(session: Session, user_id: int, chat_id: int, names: Collection[str]) -> Step | None:
    """Close the step and return it, if the chat waits at one of `names` (locks the row first)."""
    row = session.get(ConversationStep, (user_id, chat_id), with_for_update=True)
    if row is None or row.step not in names or _expired(row):
        return None
    step = Step(row.step, json.loads(row.payload or "{}"))
    session.delete(row)
    session.flush()
    return step


def close_step(session: Session, user_id: int, chat_id: int, now: datetime | None = None) -> bool:
    """Forget the open step; True if there was one (the last message's buttons are no step: kept; nor is a step
    expired, which is deleted without counting: the user had it open no longer)."""
    steps = delete(ConversationStep).where(ConversationStep.telegram_user_id == user_id,
                                           ConversationStep.chat_id == chat_id, ConversationStep.step != KEYBOARD)
    # Not synchronized in Python: a held row's naive datetime (SQLite) does not compare with an aware one. The
    # delete below, which counts, takes any held step row out of the session.
    session.execute(steps.where(ConversationStep.updated_at < (now or utcnow()) - MAX_AGE)
                    .execution_options(synchronize_session=False))
    result = session.execute(steps)
    return bool(getattr(result, "rowcount", 0))
