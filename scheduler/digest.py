"""One digest per manager: evaluations, reviews waiting, unreachable people, registrations, indicators.

The evaluation part is the "Tình hình cấp dưới" view (domain.review_grid): the people below the manager in the
review chain, never the manager nor a boss. The other parts are the manager's unit and the units below it."""

from __future__ import annotations

import json
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ACTIVE_STATUSES, Cadre, ChatUser, DigestSnapshot, Registration, RegistrationStatus, Unit
from domain import vn
from domain.accounts import Actor
from domain.clock import utcnow
from domain.evaluation import (
    Pending,
    ReviewQueue,
    StatusLine,
    is_submitted,
    pending_reviews,
    period_label,
    status_counts,
)
from domain.report import Report, build_report, subtree_reports
from domain.review_grid import TeamMonthStatus, chain_month_status
from domain.units import in_subtree
from views.html import esc

MAX_NAMES = 10
NOBODY_BELOW = "không có ai dưới bạn trong chuỗi đánh giá (bạn không xếp loại ai, trực tiếp hay qua cấp dưới)."


@dataclass
class DigestCache:
    """Within one digest run, a unit's figures are computed once for all its managers."""

    reports: dict[int, Report] = field(default_factory=dict)
    teams: dict[tuple[int, int], TeamMonthStatus] = field(default_factory=dict)  # the review chains, read once
    unreachable: dict[int, list[str]] = field(default_factory=dict)
    registrations: dict[int, dict[str, int]] = field(default_factory=dict)
    reviews: ReviewQueue | None = None  # every manager's waiting reviews, read once per run
    before: dict[int, dict[str, float]] | None = None  # every manager's last digest figures, read once per run
    blocked: list[tuple[str, str]] | None = None  # (unit path, name) of everyone who blocked the bot, by name
    registered: tuple[list[str], list[dict[str, int]]] | None = None  # unit paths (sorted), people registered

    def team(self, session: Session, manager_id: int, year: int, month: int) -> list[StatusLine]:
        """chain_month_status() of the manager, from one read of the province per run."""
        if (year, month) not in self.teams:
            self.teams[(year, month)] = TeamMonthStatus(session, year, month)
        return self.teams[(year, month)].of(manager_id)

    def pending(self, session: Session, actor: Actor, today: date) -> list[Pending]:
        if self.reviews is None:
            self.reviews = ReviewQueue(session, today)
        return self.reviews.pending_for(session, actor)

    def unit_figures(self, session: Session, unit: Unit) -> tuple[list[str], dict[str, int]]:
        """_unreachable() and _registrations() of the unit, from two province-wide reads per run."""
        if self.blocked is None or self.registered is None:
            self.blocked, self.registered = _blocked(session), _registered(session)
        names = [name for path, name in self.blocked if path.startswith(unit.path)]
        paths, counts = self.registered
        first, last = bisect_left(paths, unit.path), bisect_left(paths, unit.path + "\U0010ffff")
        total: dict[str, int] = {}
        for by_status in counts[first:last]:
            for status, n in by_status.items():
                total[status] = total.get(status, 0) + n
        return names, total

    def previous(self, session: Session, manager_id: int) -> dict[str, float]:
        if self.before is None:
            self.before = _latest_snapshots(session)
        return self.before.get(manager_id, {})


def _names(names: list[str]) -> str:
    shown = ", ".join(esc(n) for n in names[:MAX_NAMES])
    return shown + (f" và {vn.number(len(names) - MAX_NAMES)} người khác" if len(names) > MAX_NAMES else "")


def _unreachable(session: Session, unit: Unit) -> list[str]:
    return list(session.scalars(
        select(Cadre.full_name).join(Unit, Cadre.unit_id == Unit.id)
        .join(ChatUser, ChatUser.telegram_user_id == Cadre.telegram_user_id)
        .where(in_subtree(unit.path), ChatUser.blocked.is_(True)).order_by(Cadre.name_key, Cadre.code)))


def _registrations(session: Session, unit: Unit) -> dict[str, int]:
    """People (not registrations: one person in two classes is one) with an active registration, by status."""
    rows = session.execute(
        select(Registration.status, func.count(Registration.cadre_id.distinct()))
        .join(Cadre, Registration.cadre_id == Cadre.id).join(Unit, Cadre.unit_id == Unit.id)
        .where(in_subtree(unit.path), Registration.status.in_(ACTIVE_STATUSES)).group_by(Registration.status))
    return {status: n for status, n in rows}


def _blocked(session: Session) -> list[tuple[str, str]]:
    """_unreachable() of the whole province, in the database's name order (as each unit's query had it)."""
    return [(path, name) for path, name in session.execute(
        select(Unit.path, Cadre.full_name).join(Unit, Cadre.unit_id == Unit.id)
        .join(ChatUser, ChatUser.telegram_user_id == Cadre.telegram_user_id)
        .where(ChatUser.blocked.is_(True)).order_by(Cadre.name_key, Cadre.code))]


def _registered(session: Session) -> tuple[list[str], list[dict[str, int]]]:
    """_registrations() of every unit on its own (not its subtree), by unit path: a person belongs to one unit, so
    the units' counts of people add up to the subtree's."""
    by_path: dict[str, dict[str, int]] = {}
    for path, status, n in session.execute(
            select(Unit.path, Registration.status, func.count(Registration.cadre_id.distinct()))
            .join(Cadre, Registration.cadre_id == Cadre.id)
            .join(Unit, Cadre.unit_id == Unit.id).where(Registration.status.in_(ACTIVE_STATUSES))
            .group_by(Unit.path, Registration.status)):
        by_path.setdefault(path, {})[status] = n
    paths = sorted(by_path)
    return paths, [by_path[p] for p in paths]


def _previous(session: Session, manager_id: int) -> dict[str, float]:
    payload = session.scalar(select(DigestSnapshot.payload).where(DigestSnapshot.manager_id == manager_id)
                             .order_by(DigestSnapshot.at.desc()).limit(1))
    return json.loads(payload) if payload else {}


def _latest_snapshots(session: Session) -> dict[int, dict[str, float]]:
    """_previous() for every manager at once: the latest snapshot of each (the highest id among equal times)."""
    latest = (select(DigestSnapshot.manager_id, func.max(DigestSnapshot.at).label("at"))
              .group_by(DigestSnapshot.manager_id).subquery())
    rows = session.execute(select(DigestSnapshot.manager_id, DigestSnapshot.payload)
                           .join(latest, (DigestSnapshot.manager_id == latest.c.manager_id)
                                 & (DigestSnapshot.at == latest.c.at)).order_by(DigestSnapshot.id))
    return {manager_id: json.loads(payload) for manager_id, payload in rows}


def _indicator_lines(report: Report, before: dict[str, float]) -> list[str]:
    lines = []
    for r in report.rows:
        if not r.population:
            continue
        change = ""
        if r.id in before:
            delta = r.pct - before[r.id]
            change = f" ({vn.signed(delta, 2)})" if abs(delta) >= 0.005 else " (=)"
        mark = "✅" if r.shortfall == 0 else "⚠️"
        lines.append(f"{mark} {esc(r.title)}: {vn.pct(r.pct)}{change} / {vn.target(r.target_pct)}")
    return lines


def build_digest(session: Session, manager: Cadre, actor: Actor, period: tuple[int, int], today: date,
                 cache: DigestCache | None = None, remember: bool = True) -> str:
    """The text of one manager's digest; remembers the indicator figures for the next one."""
    shared = cache is not None  # a run for many managers: their waiting reviews come from one queue
    cache = cache or DigestCache()
    unit = manager.unit
    year, month = period
    # The people "Tình hình cấp dưới" lists (team_month_status): below the manager in the review chain.
    lines_status = (cache.team(session, manager.id, year, month) if shared
                    else chain_month_status(session, manager.id, year, month))
    counts = status_counts(lines_status)
    missing = [x.full_name for x in lines_status if not is_submitted(x.status)]
    late = [x.full_name for x in lines_status if x.late]
    if not cache.reports:
        cache.reports.update(subtree_reports(session, today))
    report = cache.reports.get(unit.id) or build_report(session, unit, today)
    reviews = cache.pending(session, actor, today) if shared else pending_reviews(session, actor, today)
    if unit.id not in cache.unreachable:
        cache.unreachable[unit.id], cache.registrations[unit.id] = (
            cache.unit_figures(session, unit) if shared
            else (_unreachable(session, unit), _registrations(session, unit)))
    unreachable, registrations = cache.unreachable[unit.id], cache.registrations[unit.id]
    before = cache.previous(session, manager.id) if shared else _previous(session, manager.id)
    n = vn.number
    heading = f"\n<b>Tự đánh giá {period_label(year, month)} – cấp dưới của bạn</b>: "
    parts = [f"📬 <b>Bản tin {esc(unit.name)}</b> – {today:%d/%m/%Y}",
             heading + (f"đã gửi {n(counts['submitted'])}/{n(counts['cadres'])} (muộn {n(counts['late'])}), "
                        f"đã xếp loại {n(counts['reviewed'])}." if lines_status else NOBODY_BELOW)]
    if missing:
        parts.append(f"Chưa gửi ({n(len(missing))}): {_names(missing)}")
    if late:
        parts.append(f"Nộp muộn ({n(len(late))}): {_names(late)}")
    parts.append(f"\n<b>Chờ bạn xếp loại</b>: {n(len(reviews))}" + (" – gõ /review" if reviews else ""))
    if unreachable:
        parts.append(f"\n<b>Không nhận được tin nhắn</b> (đã chặn bot) ({n(len(unreachable))}): {_names(unreachable)}")
    parts.append(f"\n<b>Đăng ký lớp</b>: {n(registrations.get(RegistrationStatus.REGISTERED, 0))} người đã có chỗ, "
                 f"{n(registrations.get(RegistrationStatus.WAITLISTED, 0))} người trong danh sách chờ.")
    parts.append("\n<b>Chỉ tiêu Nghị quyết</b> (thay đổi so với bản tin trước):")
    parts += _indicator_lines(report, before)
    parts.append("\nChi tiết: /report")
    if remember:
        session.add(DigestSnapshot(manager_id=manager.id, at=utcnow(),
                                   payload=json.dumps({r.id: r.pct for r in report.rows})))
    return "\n".join(parts)


def unit_leader_digests(session: Session, unit: Unit, period: tuple[int, int], today: date) -> list[tuple[Cadre, str]]:
    """Each leader of the unit with the digest they would receive now (nothing remembered, nothing sent)."""
    leaders = session.scalars(select(Cadre).where(Cadre.unit_id == unit.id, Cadre.is_leader.is_(True))
                              .order_by(Cadre.code))
    result = []
    for leader in leaders:
        actor = Actor(leader.id, leader.code, leader.full_name, unit.id, unit.code, unit.name, unit.path, True,
                      leader.is_hr)
        result.append((leader, build_digest(session, leader, actor, period, today, remember=False)))
    return result
