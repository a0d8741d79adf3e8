"""Scheduled jobs. Each only fills the outbox (idempotency keys make a second run a no-op),
and each knows its own schedule, so a job missed while the bot was down runs once on return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import ColumnElement, Select, and_, exists, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from bot.config import Settings
from db.models import Cadre, Course, Evaluation, JobRun, Registration, Unit
from domain.accounts import actor_for
from domain.clock import utcnow
from domain.courses import audience_fits
from domain.evaluation import Window, period_label
from domain.gaps import compute_gaps
from domain.outbox import enqueue
from domain.report import mandatory_gap_sql
from domain.rules import condition_sql, default_rules, population_sql
from scheduler.digest import DigestCache, build_digest

LOOKBACK = timedelta(days=8)  # a missed occurrence older than this is not worth sending any more


@dataclass(frozen=True)
class Job:
    name: str
    latest: Callable[[datetime, Settings], datetime | None]  # latest occurrence at or before a local time
    run: Callable[[Session, datetime, Settings], int]  # returns how many messages were queued


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
    return Window(settings.evaluation.window_open_day, settings.evaluation.window_close_day)


def _not_submitted(year: int, month: int) -> ColumnElement[bool]:
    return not_(exists().where(Evaluation.cadre_id == Cadre.id, Evaluation.year == year, Evaluation.month == month,
                               Evaluation.status.in_(("submitted", "rated"))))


# --- evaluation window ---------------------------------------------------------------------------


def eval_open_latest(now: datetime, settings: Settings) -> datetime | None:
    day = settings.evaluation.window_open_day
    candidates = [_at(date(now.year, now.month, day), settings.scheduler.eval_open_time, now.tzinfo),
                  _at(_month_back(now.date()).replace(day=day), settings.scheduler.eval_open_time, now.tzinfo)]
    return max((c for c in candidates if c <= now), default=None)


def eval_open(session: Session, at: datetime, settings: Settings) -> int:
    window = _window(settings)
    year, month = at.year, at.month
    closes = window.closes(year, month)
    text = (f"📝 Kỳ tự đánh giá {period_label(year, month)} đã mở, đến hết ngày {closes:%d/%m/%Y}. "
            "Gõ /eval để làm (bản nháp được lưu từng bước).")
    queued = 0
    for cadre in session.scalars(_linked(select(Cadre)).where(_not_submitted(year, month))):
        queued += enqueue(session, f"eval-open:{year}-{month:02d}:{cadre.code}", cadre, "eval-open", text,
                          period=f"{year}-{month:02d}")
    return queued


def eval_reminder_latest(now: datetime, settings: Settings) -> datetime | None:
    s = settings.scheduler
    candidates = []
    for month_start in (now.date().replace(day=1), _month_back(now.date())):
        candidates += [_at(month_start.replace(day=d), s.eval_reminder_time, now.tzinfo)
                       for d in s.eval_reminder_days]
    return max((c for c in candidates if c <= now), default=None)


def eval_reminder(session: Session, at: datetime, settings: Settings) -> int:
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
    queued = 0
    for cadre in session.scalars(_linked(select(Cadre)).where(_not_submitted(year, month))):
        queued += enqueue(session, f"eval-reminder:{year}-{month:02d}:{cadre.code}:{number}", cadre,
                          "eval-reminder", text, period=f"{year}-{month:02d}")
    return queued


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


def managers(session: Session) -> list[Cadre]:
    """Linked cadres who lead a unit or have people reporting to them."""
    reporting = select(Cadre.manager_code).where(Cadre.manager_code.is_not(None)).distinct()
    query = _linked(select(Cadre)).where(or_(Cadre.is_leader.is_(True), Cadre.code.in_(reporting)))
    return list(session.scalars(query.join(Unit, Cadre.unit_id == Unit.id).options(contains_eager(Cadre.unit))
                                .order_by(Unit.path, Cadre.code)))


def digests(session: Session, at: datetime, settings: Settings, reason: str) -> int:
    window = _window(settings)
    period = window.open_period(at.date())
    if reason == "window-closed":
        previous = _month_back(at.date())
        period = (previous.year, previous.month)
    cache, queued = DigestCache(), 0
    hr_ids = settings.telegram.hr_telegram_ids
    for manager in managers(session):
        actor = actor_for(session, manager.telegram_user_id or 0, hr_ids)
        if actor is None:
            continue
        text = build_digest(session, manager, actor, period, at.date(), cache)
        queued += enqueue(session, f"digest:{reason}:{at:%Y-%m-%dT%H:%M}:{manager.code}", manager, "digest", text)
    return queued


def weekly_digest(session: Session, at: datetime, settings: Settings) -> int:
    return digests(session, at, settings, "weekly")


def window_closed_digest(session: Session, at: datetime, settings: Settings) -> int:
    return digests(session, at, settings, "window-closed")


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


def course_notices(session: Session, at: datetime, settings: Settings) -> int:
    s = settings.scheduler
    deadline_day = at.date() + timedelta(days=s.course_deadline_notice_days)
    start_day = at.date() + timedelta(days=s.course_start_notice_days)
    queued = 0
    open_courses = select(Course).where(Course.cancelled.is_(False))
    for course in session.scalars(open_courses.where(Course.register_by == deadline_day)):
        queued += _deadline_notice(session, course)
    for course in session.scalars(open_courses.where(Course.start_date == start_day)):
        for registration in session.scalars(select(Registration).where(
                Registration.course_id == course.id, Registration.status == "registered")):
            queued += enqueue(session, f"course-start:{course.code}:{registration.cadre.code}", registration.cadre,
                              "course-start", f"🎓 Lớp {course.code} – {course.name} khai giảng ngày "
                              f"{course.start_date:%d/%m/%Y} tại {course.location or 'nơi đã thông báo'}.")
    return queued


def _deadline_notice(session: Session, course: Course) -> int:
    gap = _would_close(course.kind)
    if gap is None:
        return 0
    registered = exists().where(Registration.cadre_id == Cadre.id, Registration.course_id == course.id,
                                Registration.status.in_(("registered", "waitlisted", "completed")))
    query = (_linked(select(Cadre)).join(Unit, Cadre.unit_id == Unit.id).options(contains_eager(Cadre.unit))
             .where(gap, not_(registered), Cadre.mute_optional.is_(False)))
    text = (f"📌 Còn ít ngày để đăng ký lớp {course.code} – {course.name} (hạn {course.register_by:%d/%m/%Y}). "
            "Lớp giúp bạn đạt tiêu chuẩn còn thiếu; xem /courses.")
    queued = 0
    for cadre in session.scalars(query):
        if audience_fits(course.audience, cadre, cadre.unit.level):
            queued += enqueue(session, f"course-deadline:{course.code}:{cadre.code}", cadre, "course-deadline",
                              text, buttons=[[("🎓 Xem lớp", f"course:view:{course.code}")]])
    return queued


# --- quarterly deadlines ---------------------------------------------------------------------------


def quarterly_latest(now: datetime, settings: Settings) -> datetime | None:
    first = date(now.year, 3 * ((now.month - 1) // 3) + 1, 1)
    candidate = _at(first, settings.scheduler.quarterly_gap_time, now.tzinfo)
    return candidate if candidate <= now else _at(_month_back(first, 3), settings.scheduler.quarterly_gap_time,
                                                  now.tzinfo)


def quarterly_gaps(session: Session, at: datetime, settings: Settings) -> int:
    quarter = f"{at.year}Q{(at.month - 1) // 3 + 1}"
    query = (_linked(select(Cadre)).join(Unit, Cadre.unit_id == Unit.id).options(contains_eager(Cadre.unit))
             .where(mandatory_gap_sql(default_rules()), Cadre.mute_optional.is_(False)))
    queued = 0
    for cadre in session.scalars(query):
        gaps = [g for g in compute_gaps(session, cadre, at.date()).gaps if g.mandatory]
        lines = [f"• {g.requirement} – hạn {g.deadline:%d/%m/%Y} ({g.ref})"
                 + (f"; lớp: {', '.join(c.code for c in g.courses)}" if g.courses else "") for g in gaps]
        text = "📋 Nhắc định kỳ: bạn còn tiêu chuẩn bắt buộc chưa đạt theo Nghị quyết:\n" + "\n".join(lines) \
            + "\nXem chi tiết: /gaps"
        queued += enqueue(session, f"quarterly-gaps:{quarter}:{cadre.code}", cadre, "quarterly-gaps", text)
    return queued


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("eval-open", eval_open_latest, eval_open),
    Job("eval-reminder", eval_reminder_latest, eval_reminder),
    Job("weekly-digest", weekly_digest_latest, weekly_digest),
    Job("window-closed-digest", window_closed_digest_latest, window_closed_digest),
    Job("course-notices", daily_latest(lambda s: s.scheduler.course_notice_time), course_notices),
    Job("quarterly-gaps", quarterly_latest, quarterly_gaps),
)}


def run_job(session: Session, name: str, at: datetime, settings: Settings) -> int:
    """Run one job as if at local time `at` (it only fills the outbox)."""
    if name not in JOBS:
        raise KeyError(name)
    return JOBS[name].run(session, at, settings)


def run_due(session: Session, now: datetime, settings: Settings) -> dict[str, int]:
    """Every job whose latest occurrence has not run yet runs now, once (recorded in job_runs)."""
    done: dict[str, int] = {}
    for job in JOBS.values():
        occurrence = job.latest(now, settings)
        if occurrence is None or now - occurrence > LOOKBACK:
            continue
        key = occurrence.strftime("%Y-%m-%dT%H:%M")
        if session.scalar(select(JobRun.id).where(JobRun.name == job.name, JobRun.occurrence == key)):
            continue
        try:
            with session.begin_nested():
                queued = job.run(session, occurrence, settings)
                session.add(JobRun(name=job.name, occurrence=key, ran_at=utcnow(), queued=queued))
                session.flush()
        except IntegrityError:  # another process ran it at the same moment; its messages stand
            continue
        done[job.name] = queued
    return done
