"""Scheduled jobs. Each only fills the outbox (idempotency keys make a second run a no-op),
and each knows its own schedule, so a job missed while the bot was down runs once on return.

At province scale a job reads in a deferred transaction and writes in chunks of short
transactions, so the bot's own writes never wait long behind it. A job interrupted half-way
is simply run again: the messages already queued are recognised by their keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import ColumnElement, Select, and_, exists, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload

from core.config import Settings
from core.metrics import timed_job
from db import Database
from db.models import ACTIVE_STATUSES, Cadre, Course, Evaluation, JobRun, Outbox, Registration, RegistrationStatus, Unit
from domain.accounts import Actor
from domain.clock import utcnow
from domain.courses import audience_fits, open_courses
from domain.evaluation import Window, period_label, submitted_sql
from domain.gaps import active_courses_of, compute_gaps
from domain.outbox import Message, enqueue, enqueue_many, enqueue_unit_chart
from domain.report import mandatory_gap_sql
from domain.rules import condition_sql, default_rules, population_sql
from scheduler.digest import DigestCache, build_digest
from scheduler.retention import retention
from views.callbacks import courses as course_buttons
from views.html import esc

LOOKBACK = timedelta(days=8)  # a missed occurrence older than this is not worth sending any more


CHUNK = 2000  # messages written per transaction
DIGEST_CHUNK = 50  # managers per transaction
DIGEST_CHART_CAPTION = "📈 Tiến độ chỉ tiêu Nghị quyết – {unit}"


@dataclass(frozen=True)
class Job:
    name: str
    latest: Callable[[datetime, Settings], datetime | None]  # latest occurrence at or before a local time
    run: Callable[[Database, datetime, Settings], int]  # returns how many messages were queued


def _write(database: Database, messages: list[Message]) -> int:
    return sum(database.run(enqueue_many, messages[i:i + CHUNK]) for i in range(0, len(messages), CHUNK))


def _recipients(session: Session, where: ColumnElement[bool]) -> list[tuple[int, str, int]]:
    """(id, code, chat id) of linked cadres matching `where`, without loading whole records."""
    rows = session.execute(select(Cadre.id, Cadre.code, Cadre.telegram_chat_id)
                           .where(Cadre.telegram_chat_id.is_not(None), where).order_by(Cadre.id))
    return [(r.id, r.code, r.telegram_chat_id) for r in rows]


# --- helpers ---------------------------------------------------------------------------------------


def _at(day: date, clock: time, tz: tzinfo | None) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def _month_back(day: date, months: int = 1) -> date:
    year, month = day.year, day.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _linked(query: Select[tuple[Cadre]]) -> Select[tuple[Cadre]]:
    return query.where(Cadre.telegram_chat_id.is_not(None))


def _window(settings: Settings) -> Window:
    return Window.of(settings.evaluation)


def _not_submitted(year: int, month: int) -> ColumnElement[bool]:
    return not_(exists().where(Evaluation.cadre_id == Cadre.id, Evaluation.year == year, Evaluation.month == month,
                               submitted_sql()))


# --- evaluation window ---------------------------------------------------------------------------


def eval_open_latest(now: datetime, settings: Settings) -> datetime | None:
    day = settings.evaluation.window_open_day
    candidates = [_at(date(now.year, now.month, day), settings.scheduler.eval_open_time, now.tzinfo),
                  _at(_month_back(now.date()).replace(day=day), settings.scheduler.eval_open_time, now.tzinfo)]
    return max((c for c in candidates if c <= now), default=None)


def eval_open(database: Database, at: datetime, settings: Settings) -> int:
    window = _window(settings)
    year, month = at.year, at.month
    closes = window.closes(year, month)
    text = (f"📝 Kỳ tự đánh giá {period_label(year, month)} đã mở, đến hết ngày {closes:%d/%m/%Y}. "
            "Gõ /eval để làm (bản nháp được lưu từng bước).")
    people = database.read(_recipients, _not_submitted(year, month))
    return _write(database, [Message(f"eval-open:{year}-{month:02d}:{code}", cid, chat, "eval-open", text,
                                     period=f"{year}-{month:02d}") for cid, code, chat in people])


def eval_reminder_latest(now: datetime, settings: Settings) -> datetime | None:
    s = settings.scheduler
    candidates = []
    for month_start in (now.date().replace(day=1), _month_back(now.date())):
        candidates += [_at(month_start.replace(day=d), s.eval_reminder_time, now.tzinfo)
                       for d in s.eval_reminder_days]
    return max((c for c in candidates if c <= now), default=None)


def eval_reminder(database: Database, at: datetime, settings: Settings) -> int:
    """Reminders in month M+1 for month M, to those who have not submitted; the nth of the month."""
    window = _window(settings)
    previous = _month_back(at.date())
    year, month = previous.year, previous.month
    days = sorted(settings.scheduler.eval_reminder_days)
    number = days.index(at.day) + 1 if at.day in days else len(days)
    closes = window.closes(year, month)
    last_day = at.date() >= closes
    text = (f"⏰ Bạn chưa gửi tự đánh giá {period_label(year, month)}. "
            + ("Hôm nay là hạn cuối. " if last_day else f"Hạn cuối: {closes:%d/%m/%Y}. ")
            + "Gõ /eval để làm ngay.")
    people = database.read(_recipients, _not_submitted(year, month))
    return _write(database, [Message(f"eval-reminder:{year}-{month:02d}:{code}:{number}", cid, chat,
                                     "eval-reminder", text, period=f"{year}-{month:02d}")
                             for cid, code, chat in people])


# --- manager digests -----------------------------------------------------------------------------


def weekly_digest_latest(now: datetime, settings: Settings) -> datetime | None:
    s = settings.scheduler
    days_back = (now.weekday() - s.digest_weekday) % 7
    candidate = _at(now.date() - timedelta(days=days_back), s.digest_time, now.tzinfo)
    return candidate if candidate <= now else candidate - timedelta(days=7)


def window_closed_digest_latest(now: datetime, settings: Settings) -> datetime | None:
    day = settings.evaluation.window_close_day + 1
    candidates = [_at(now.date().replace(day=day), settings.scheduler.digest_time, now.tzinfo),
                  _at(_month_back(now.date()).replace(day=day), settings.scheduler.digest_time, now.tzinfo)]
    return max((c for c in candidates if c <= now), default=None)


def manager_ids(session: Session) -> list[int]:
    """Linked cadres who lead a unit or have people reporting to them, unit by unit."""
    reporting = select(Cadre.manager_code).where(Cadre.manager_code.is_not(None)).distinct()
    return list(session.scalars(
        _linked(select(Cadre.id)).join(Unit, Cadre.unit_id == Unit.id)
        .where(or_(Cadre.is_leader.is_(True), Cadre.code.in_(reporting))).order_by(Unit.path, Cadre.code)))


def _digest_chunk(session: Session, ids: list[int], at: datetime, period: tuple[int, int], reason: str,
                  hr_ids: tuple[int, ...], cache: DigestCache) -> int:
    with session.no_autoflush:  # the chunk's rows go in at commit, together, not one flush per query
        return _digest_managers(session, ids, at, period, reason, hr_ids, cache)


def _digest_managers(session: Session, ids: list[int], at: datetime, period: tuple[int, int], reason: str,
                     hr_ids: tuple[int, ...], cache: DigestCache) -> int:
    queued = 0
    managers = list(session.scalars(select(Cadre).options(joinedload(Cadre.unit)).where(Cadre.id.in_(ids))
                                    .order_by(Cadre.id)))
    prefix = f"digest:{reason}:{at:%Y-%m-%dT%H:%M}:"
    keys = [prefix + m.code for m in managers] + [f"{prefix}{m.code}:chart" for m in managers]
    queued_before = set(session.scalars(select(Outbox.key).where(Outbox.key.in_(keys))))  # one look-up, not two each
    for manager in managers:
        if manager.telegram_chat_id is None:
            continue
        unit = manager.unit
        # They were chosen as managers (manager_ids), so no role query per person: the actor is built here.
        actor = Actor(manager.id, manager.code, manager.full_name, unit.id, unit.code, unit.name, unit.path, True,
                      manager.is_hr or manager.telegram_user_id in hr_ids)
        text = build_digest(session, manager, actor, period, at.date(), cache)
        key = prefix + manager.code
        if key not in queued_before and enqueue(session, key, manager, "digest", text, key_is_new=True):
            queued += 1
            if unit.id in cache.reports and f"{key}:chart" not in queued_before:  # the sender draws the chart
                caption = DIGEST_CHART_CAPTION.format(unit=esc(unit.name))
                enqueue_unit_chart(session, f"{key}:chart", manager, "digest", caption, unit.id, at.date(),
                                   key_is_new=True)
    return queued


def digests(database: Database, at: datetime, settings: Settings, reason: str) -> int:
    """One message per manager; a unit's figures are computed once for all its managers.

    Each digest is followed by its unit's chart as a photo, queued as a reference (unit, date) and drawn by the
    sender, once per unit: drawing ~2,000 charts here would take minutes and store a PNG in every row."""
    period = _window(settings).open_period(at.date())
    if reason == "window-closed":
        previous = _month_back(at.date())
        period = (previous.year, previous.month)
    ids = database.read(manager_ids)
    cache, hr_ids = DigestCache(), settings.telegram.hr_telegram_ids
    return sum(database.run(_digest_chunk, ids[i:i + DIGEST_CHUNK], at, period, reason, hr_ids, cache)
               for i in range(0, len(ids), DIGEST_CHUNK))


def weekly_digest(database: Database, at: datetime, settings: Settings) -> int:
    return digests(database, at, settings, "weekly")


def window_closed_digest(database: Database, at: datetime, settings: Settings) -> int:
    return digests(database, at, settings, "window-closed")


# --- courses ---------------------------------------------------------------------------------------


def daily_latest(clock: Callable[[Settings], time]) -> Callable[[datetime, Settings], datetime | None]:
    def latest(now: datetime, settings: Settings) -> datetime | None:
        candidate = _at(now.date(), clock(settings), now.tzinfo)
        return candidate if candidate <= now else candidate - timedelta(days=1)

    return latest


def _would_close(kind: str) -> ColumnElement[bool] | None:
    """SQL: the cadre has a gap that completing a course of this kind would close."""
    rules = default_rules()
    closes = [i for i in rules.indicators if kind in rules.kinds_closing(i)]
    return or_(*(and_(population_sql(i.population), not_(condition_sql(i.condition))) for i in closes)) \
        if closes else None


def course_notices(database: Database, at: datetime, settings: Settings) -> int:
    return _write(database, database.read(_course_messages, at.date(), settings))


def _course_messages(session: Session, today: date, settings: Settings) -> list[Message]:
    s = settings.scheduler
    deadline_day = today + timedelta(days=s.course_deadline_notice_days)
    start_day = today + timedelta(days=s.course_start_notice_days)
    open_courses = select(Course).where(Course.cancelled.is_(False))
    messages: list[Message] = []
    for course in session.scalars(open_courses.where(Course.register_by == deadline_day)):
        messages += _deadline_notices(session, course)
    for course in session.scalars(open_courses.where(Course.start_date == start_day)):
        text = (f"🎓 Lớp {esc(course.code)} – {esc(course.name)} khai giảng ngày {course.start_date:%d/%m/%Y} tại "
                f"{esc(course.location) if course.location else 'nơi đã thông báo'}.")
        for registration in session.scalars(select(Registration).where(
                Registration.course_id == course.id, Registration.status == RegistrationStatus.REGISTERED)):
            cadre = registration.cadre
            if cadre.telegram_chat_id is not None:
                messages.append(Message(f"course-start:{course.code}:{cadre.code}", cadre.id,
                                        cadre.telegram_chat_id, "course-start", text))
    return messages


def _deadline_notices(session: Session, course: Course) -> list[Message]:
    gap = _would_close(course.kind)
    if gap is None:
        return []
    registered = exists().where(Registration.cadre_id == Cadre.id, Registration.course_id == course.id,
                                Registration.status.in_((*ACTIVE_STATUSES, RegistrationStatus.COMPLETED)))
    query = (_linked(select(Cadre)).join(Unit, Cadre.unit_id == Unit.id).options(contains_eager(Cadre.unit))
             .where(gap, not_(registered), Cadre.mute_optional.is_(False)))
    text = (f"📌 Còn ít ngày để đăng ký lớp {esc(course.code)} – {esc(course.name)} "
            f"(hạn {course.register_by:%d/%m/%Y}). "
            "Lớp giúp bạn đạt tiêu chuẩn còn thiếu; xem /courses.")
    button = [[("🎓 Xem lớp", course_buttons.view(course.code))]]
    return [Message(f"course-deadline:{course.code}:{c.code}", c.id, c.telegram_chat_id or 0, "course-deadline",
                    text, buttons=button)
            for c in session.scalars(query) if audience_fits(course.audience, c, c.unit.level)]


# --- quarterly deadlines ---------------------------------------------------------------------------


def quarterly_latest(now: datetime, settings: Settings) -> datetime | None:
    first = date(now.year, 3 * ((now.month - 1) // 3) + 1, 1)
    candidate = _at(first, settings.scheduler.quarterly_gap_time, now.tzinfo)
    return candidate if candidate <= now else _at(_month_back(first, 3), settings.scheduler.quarterly_gap_time,
                                                  now.tzinfo)


def quarterly_gaps(database: Database, at: datetime, settings: Settings) -> int:
    return _write(database, database.read(_quarterly_messages, at))


def _quarterly_messages(session: Session, at: datetime) -> list[Message]:
    quarter = f"{at.year}Q{(at.month - 1) // 3 + 1}"
    query = (_linked(select(Cadre)).join(Unit, Cadre.unit_id == Unit.id).options(contains_eager(Cadre.unit))
             .where(mandatory_gap_sql(default_rules()), Cadre.mute_optional.is_(False)))
    courses = open_courses(session, at.date())
    messages = []
    cadres = list(session.scalars(query))
    registered = active_courses_of(session, [c.id for c in cadres], at.date()) if cadres else {}
    for cadre in cadres:
        gaps = [g for g in compute_gaps(session, cadre, at.date(), courses=courses,
                                        registered=registered.get(cadre.id, [])).gaps if g.mandatory]
        lines = [f"• {g.requirement} – hạn {g.deadline:%d/%m/%Y} ({g.ref})"
                 + (f"; đã đăng ký lớp {', '.join(e.code for e in g.enrolled)}" if g.enrolled else "")
                 + (f"; lớp: {', '.join(c.code for c in g.courses)}" if g.courses else "") for g in gaps]
        text = "📋 Nhắc định kỳ: bạn còn tiêu chuẩn bắt buộc chưa đạt theo Nghị quyết:\n" + "\n".join(lines) \
            + "\nXem chi tiết: /gaps"
        messages.append(Message(f"quarterly-gaps:{quarter}:{cadre.code}", cadre.id, cadre.telegram_chat_id or 0,
                                "quarterly-gaps", text))
    return messages


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("eval-open", eval_open_latest, eval_open),
    Job("eval-reminder", eval_reminder_latest, eval_reminder),
    Job("weekly-digest", weekly_digest_latest, weekly_digest),
    Job("window-closed-digest", window_closed_digest_latest, window_closed_digest),
    Job("course-notices", daily_latest(lambda s: s.scheduler.course_notice_time), course_notices),
    Job("quarterly-gaps", quarterly_latest, quarterly_gaps),
    Job("retention", daily_latest(lambda s: s.retention.run_at), retention),  # deletes, queues nothing
)}


def run_job(database: Database, name: str, at: datetime, settings: Settings) -> int:
    """Run one job as if at local time `at` (it only fills the outbox)."""
    if name not in JOBS:
        raise KeyError(name)
    return JOBS[name].run(database, at, settings)


def _ran(session: Session, name: str, key: str) -> bool:
    return session.scalar(select(JobRun.id).where(JobRun.name == name, JobRun.occurrence == key)) is not None


def _record(session: Session, name: str, key: str, queued: int) -> None:
    session.add(JobRun(name=name, occurrence=key, ran_at=utcnow(), queued=queued))


def run_due(database: Database, now: datetime, settings: Settings) -> dict[str, int]:
    """Every job whose latest occurrence has not run yet runs now, once (recorded in job_runs)."""
    done: dict[str, int] = {}
    for job in JOBS.values():
        occurrence = job.latest(now, settings)
        if occurrence is None or now - occurrence > LOOKBACK:
            continue
        key = occurrence.strftime("%Y-%m-%dT%H:%M")
        if database.run(_ran, job.name, key):
            continue
        with timed_job(job.name):
            queued = job.run(database, occurrence, settings)
        try:
            database.run(_record, job.name, key, queued)
        except IntegrityError:  # another process ran it at the same moment; the keys kept messages single
            continue
        done[job.name] = queued
    return done
