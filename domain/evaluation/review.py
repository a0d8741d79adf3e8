"""The manager's review: who reviews whom (direct manager, parent-unit head, delegations) and the rating."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.models import Cadre, Evaluation, ReviewDelegation, Unit
from domain import conversation, vn
from domain.accounts import Actor, audit
from domain.cadres import require_cadre
from domain.clock import utcnow
from domain.errors import NotFound, PermissionDenied
from domain.evaluation.common import (
    RATINGS,
    EvalStatus,
    EvaluationRefused,
    EvalView,
    VersionReplaced,
    Window,
    period_label,
    unsent_text,
    version_of,
    view,
)
from domain.markup import esc
from domain.outbox import enqueue

MAX_COMMENT_CHARS = 1000


def reviewer_of(session: Session, cadre: Cadre) -> Cadre | None:
    """The direct manager from the roster; if none, the reviewer HR assigned; else the head of the parent unit."""
    for code in (cadre.manager_code, cadre.reviewer_code):
        if not code:
            continue
        manager = session.scalar(select(Cadre).where(Cadre.code == code))
        if manager is not None and manager.id != cadre.id:
            return manager
    parent_id = cadre.unit.parent_id
    if parent_id is None:
        return None
    return session.scalar(select(Cadre).where(Cadre.unit_id == parent_id, Cadre.is_leader.is_(True),
                                              Cadre.id != cadre.id).order_by(Cadre.code).limit(1))


MAX_CHAIN = 12  # deeper than any real review chain; the walk also stops at a loop in the data


def reviewers_above(session: Session, cadre: Cadre) -> list[Cadre]:
    """The cadre's reviewer, that reviewer's reviewer, and so on up the chain."""
    chain: list[Cadre] = []
    seen, current = {cadre.id}, cadre
    for _ in range(MAX_CHAIN):
        boss = reviewer_of(session, current)
        if boss is None or boss.id in seen:
            break
        chain.append(boss)
        seen.add(boss.id)
        current = boss
    return chain


def _above_ids(session: Session, cadre_id: int) -> set[int]:
    cadre = session.get(Cadre, cadre_id)
    return {c.id for c in reviewers_above(session, cadre)} if cadre is not None else set()


def deputy_may_rate(session: Session, deputy: Cadre, cadre_id: int) -> bool:
    """Rule: a deputy rates the manager's people except themselves and anyone above them in their own review
    chain (a deputy never rates their own boss); those evaluations stay with the manager."""
    return cadre_id != deputy.id and cadre_id not in {c.id for c in reviewers_above(session, deputy)}


def kept_from_deputy(session: Session, manager_id: int, deputy: Cadre) -> list[Cadre]:
    """The manager's people a deputy may not rate (above the deputy in their chain: deputy_may_rate), by code."""
    above = {c.id for c in reviewers_above(session, deputy)}
    return sorted((c for c in reviewees(session, [manager_id]) if c.id in above), key=lambda c: c.code)


def _delegators(session: Session, deputy_id: int, today: date) -> list[int]:
    """Managers whose reviews this deputy holds today; never the deputy's own reviewer (the roster may
    have made the deputy one of the manager's reviewees since the delegation)."""
    ids = list(session.scalars(select(ReviewDelegation.manager_id).where(
        ReviewDelegation.deputy_id == deputy_id, ReviewDelegation.start_date <= today,
        ReviewDelegation.end_date >= today)))
    deputy = session.get(Cadre, deputy_id) if ids else None
    own = reviewer_of(session, deputy) if deputy else None
    return [i for i in ids if own is None or i != own.id]


def reviewees(session: Session, manager_ids: list[int]) -> list[Cadre]:
    """Everyone whose reviewer (direct manager, else parent-unit head) is one of these managers."""
    managers = list(session.scalars(select(Cadre).where(Cadre.id.in_(manager_ids))))
    codes = {m.code for m in managers}
    people: dict[int, Cadre] = {}
    if codes:
        people.update((c.id, c) for c in session.scalars(select(Cadre).where(Cadre.manager_code.in_(codes))))
        people.update((c.id, c) for c in session.scalars(select(Cadre).where(  # assigned by HR
            Cadre.reviewer_code.in_(codes), or_(Cadre.manager_code.is_(None), Cadre.manager_code == ""))))
    for unit_id in {m.unit_id for m in managers if m.is_leader}:
        # reviewer_of() gives people without a direct manager to the first leader (by code) of the parent unit
        head = session.scalar(select(func.min(Cadre.code)).where(Cadre.unit_id == unit_id, Cadre.is_leader.is_(True)))
        if head not in codes:
            continue
        orphans = session.scalars(select(Cadre).join(Unit, Cadre.unit_id == Unit.id).where(
            Unit.parent_id == unit_id, or_(Cadre.manager_code.is_(None), Cadre.manager_code == ""),
            or_(Cadre.reviewer_code.is_(None), Cadre.reviewer_code == "")))
        people.update((c.id, c) for c in orphans)
    return [c for c in people.values() if c.id not in manager_ids]


def rates_for(session: Session, actor: Actor, cadre: Cadre, today: date) -> int | None:
    """Whom the actor rates this cadre for today: themselves (the cadre's reviewer), a manager who delegated
    to them, or None. Never oneself."""
    reviewer = reviewer_of(session, cadre)
    if reviewer is None or cadre.id == actor.cadre_id:
        return None
    if reviewer.id == actor.cadre_id:
        return actor.cadre_id
    if reviewer.id not in _delegators(session, actor.cadre_id, today):
        return None
    deputy = session.get(Cadre, actor.cadre_id)
    return reviewer.id if deputy is not None and deputy_may_rate(session, deputy, cadre.id) else None


def deputies_for(session: Session, manager: Cadre, cadre_id: int, today: date) -> list[Cadre]:
    """The deputies who may rate this cadre for the manager today (told when the cadre submits)."""
    ids = session.scalars(select(ReviewDelegation.deputy_id).where(
        ReviewDelegation.manager_id == manager.id, ReviewDelegation.start_date <= today,
        ReviewDelegation.end_date >= today))
    deputies = [session.get(Cadre, i) for i in ids]
    return [d for d in deputies if d is not None and manager.id in _delegators(session, d.id, today)
            and deputy_may_rate(session, d, cadre_id)]


def review_access(session: Session, actor: Actor, today: date) -> str:
    """What /review offers: "manager" (a manager or HR: the pending list and the team's views), "deputy" (not a
    manager, but holding a manager's reviews today: the pending list only), else "none"."""
    if actor.is_manager or actor.is_hr:
        return "manager"
    return "deputy" if _delegators(session, actor.cadre_id, today) else "none"


@dataclass(frozen=True)
class Pending:
    id: int
    cadre_code: str
    cadre_name: str
    period: str
    late: bool
    acting_for: str = ""  # the manager whose review a deputy holds, for a delegated one


def pending_reviews(session: Session, actor: Actor, today: date) -> list[Pending]:
    delegators = _delegators(session, actor.cadre_id, today)
    people = reviewees(session, [actor.cadre_id])
    for_whom = _delegated_people(session, actor, delegators, {c.id for c in people})
    people += [c for c, _ in for_whom.values()]
    if not people:
        return []
    rows = session.scalars(select(Evaluation).where(
        Evaluation.cadre_id.in_([c.id for c in people]), Evaluation.status == EvalStatus.SUBMITTED)
        .order_by(Evaluation.year, Evaluation.month, Evaluation.submitted_at))
    return [Pending(ev.id, ev.cadre.code, ev.cadre.full_name, period_label(ev.year, ev.month), ev.late,
                    for_whom[ev.cadre_id][1] if ev.cadre_id in for_whom else "")
            for ev in rows]


def _delegated_people(session: Session, actor: Actor, delegators: list[int], own: set[int]
                      ) -> dict[int, tuple[Cadre, str]]:
    """The delegators' people this deputy may rate (never anyone above the deputy), with each one's manager."""
    if not delegators:
        return {}
    above = _above_ids(session, actor.cadre_id)
    found: dict[int, tuple[Cadre, str]] = {}
    for manager in session.scalars(select(Cadre).where(Cadre.id.in_(delegators)).order_by(Cadre.code)):
        for cadre in reviewees(session, [manager.id]):
            if cadre.id not in own and cadre.id not in above and cadre.id != actor.cadre_id:
                found.setdefault(cadre.id, (cadre, manager.full_name))
    return found


class ReviewQueue:
    """Every submitted evaluation waiting for a rating, grouped by the code reviewees() finds it under:
    pending_reviews() for all managers at once (the weekly digest) from three queries, not ten per manager.

    A cadre is someone's reviewee through one code: their direct manager's, else the reviewer HR assigned,
    else the first leader (by code) of the parent unit; pending_for() applies reviewees()'s rules to it."""

    def __init__(self, session: Session, today: date) -> None:
        self.today = today
        heads: dict[int, str] = {unit_id: code for unit_id, code in session.execute(
            select(Cadre.unit_id, func.min(Cadre.code)).where(Cadre.is_leader.is_(True)).group_by(Cadre.unit_id))}
        self._by_code: dict[str, list[tuple[int, int, Pending]]] = {}
        rows = session.execute(
            select(Evaluation.id, Evaluation.year, Evaluation.month, Evaluation.late, Cadre.id, Cadre.code,
                   Cadre.full_name, Cadre.manager_code, Cadre.reviewer_code, Unit.parent_id)
            .join(Cadre, Evaluation.cadre_id == Cadre.id).join(Unit, Cadre.unit_id == Unit.id)
            .where(Evaluation.status == EvalStatus.SUBMITTED)
            .order_by(Evaluation.year, Evaluation.month, Evaluation.submitted_at))
        for order, (ev_id, year, month, late, cadre_id, code, name, manager_code, reviewer_code, parent_id) \
                in enumerate(rows):
            via = manager_code or reviewer_code or (heads.get(parent_id) if parent_id is not None else None)
            if via:
                item = Pending(ev_id, code, name, period_label(year, month), late)
                self._by_code.setdefault(via, []).append((order, cadre_id, item))
        self._deputies: dict[int, list[int]] = {}
        for manager_id, deputy_id in session.execute(select(ReviewDelegation.manager_id, ReviewDelegation.deputy_id)
                                                     .where(ReviewDelegation.start_date <= today,
                                                            ReviewDelegation.end_date >= today)):
            self._deputies.setdefault(deputy_id, []).append(manager_id)

    def pending_for(self, session: Session, actor: Actor) -> list[Pending]:
        """pending_reviews(session, actor, today), from the queue."""
        managers = [actor.cadre_id]
        if actor.cadre_id in self._deputies:  # rare: only deputies pay for _delegators()'s queries
            managers += _delegators(session, actor.cadre_id, self.today)
        codes = [actor.code] if len(managers) == 1 else list(session.scalars(
            select(Cadre.code).where(Cadre.id.in_(managers))))
        found = sorted((entry for code in set(codes) for entry in self._by_code.get(code, ())),
                       key=lambda entry: entry[0])
        above = _above_ids(session, actor.cadre_id) if len(managers) > 1 else set()
        return [item for _, cadre_id, item in found if cadre_id not in managers and cadre_id not in above]


def evaluation_for_review(session: Session, actor: Actor, eval_id: int, window: Window, today: date) -> EvalView:
    ev = session.get(Evaluation, eval_id)
    if ev is None:
        raise NotFound("Không tìm thấy bản tự đánh giá.")
    acting_for = rates_for(session, actor, ev.cadre, today)
    if acting_for is None:
        raise PermissionDenied("Bạn không phải người đánh giá của cán bộ này.")
    _require_submitted(session, ev, actor.cadre_id)
    audit(session, actor.code, "evaluation-read", f"{ev.cadre.code}:{ev.year}-{ev.month:02d}")
    manager = session.get(Cadre, acting_for) if acting_for != actor.cadre_id else None
    return replace(view(session, ev, window, today), acting_for=manager.full_name if manager else None)


def _require_submitted(session: Session, ev: Evaluation, reader: int | None = None) -> None:
    """A reviewer sees and rates only what the cadre sent: never a draft, never twice (a second rater is told
    who rated it, and how: a deputy and the manager may both have opened it; the rater themselves, "Bạn")."""
    if ev.status == EvalStatus.RATED:
        rater = session.get(Cadre, ev.reviewer_id) if ev.reviewer_id else None
        rating = RATINGS[ev.manager_rating] if ev.manager_rating is not None else ""
        who = "Bạn" if rater is not None and rater.id == reader else rater.full_name if rater else ""
        raise EvaluationRefused(f"{who} đã xếp loại bản tự đánh giá này: {rating}." if who
                                else "Bản tự đánh giá này đã được xếp loại.")
    if ev.status != EvalStatus.SUBMITTED:
        raise EvaluationRefused("Cán bộ chưa gửi bản tự đánh giá này.")


def check_comment(comment: str) -> str:
    """A manager's comment within the limit, else refused saying by how much (never cut: the end would be lost)."""
    if len(comment) > MAX_COMMENT_CHARS:
        raise EvaluationRefused(f"Nhận xét tối đa {vn.number(MAX_COMMENT_CHARS)} ký tự; bạn gõ "
                                f"{vn.number(len(comment))} ký tự. Hãy rút gọn rồi gửi lại.")
    return comment


def rate(session: Session, actor: Actor, eval_id: int, rating: int, comment: str | None, window: Window,
         today: date, seen: int = 0) -> EvalView:
    """`seen`: the version the rater was shown (EvalView.version; 0 when not known): refused if an edit
    replaced it since, so a rating never lands on content the rater did not see."""
    if not 0 <= rating < len(RATINGS):
        raise EvaluationRefused("Mức xếp loại không hợp lệ.")
    check_comment(comment or "")
    ev = session.get(Evaluation, eval_id, with_for_update=True, populate_existing=True)  # a manager and a deputy
    if ev is None:
        raise NotFound("Không tìm thấy bản tự đánh giá.")
    acting_for = rates_for(session, actor, ev.cadre, today)
    if acting_for is None:
        raise PermissionDenied("Bạn không phải người đánh giá của cán bộ này.")
    _require_submitted(session, ev, actor.cadre_id)
    if seen and version_of(ev) != seen:
        raise VersionReplaced(f"{ev.cadre.full_name} vừa gửi bản sửa sau khi bạn mở bản tự đánh giá này; "
                              "hãy mở lại để xem trước khi xếp loại.", ev.id)
    unsent = _unsent_edit(ev)  # read while submitted
    ev.status, ev.manager_rating, ev.manager_comment = EvalStatus.RATED, rating, (comment or "").strip() or None
    ev.edit_draft = None  # an edit not sent is moot: what was sent is what was rated (its text is given back)
    ev.reviewer_id, ev.reviewed_for_id = actor.cadre_id, acting_for if acting_for != actor.cadre_id else None
    ev.rated_at, ev.updated_at = utcnow(), utcnow()
    manager = session.get(Cadre, acting_for) if acting_for != actor.cadre_id else None
    detail = f"rating={rating}" + (f"; thay mặt {manager.code}" if manager else "")
    audit(session, actor.code, "evaluation-rate", f"{ev.cadre.code}:{ev.year}-{ev.month:02d}", detail)
    period = period_label(ev.year, ev.month)
    text = (f"✅ Tự đánh giá {period} của bạn đã được xếp loại: <b>{RATINGS[rating]}</b>."
            + (f"\n({esc(actor.full_name)} xếp loại thay {esc(manager.full_name)}, theo ủy quyền.)" if manager else "")
            + (f"\nNhận xét: {esc(ev.manager_comment)}" if ev.manager_comment else "") + unsent)
    notified = enqueue(session, f"eval-rated:{ev.year}-{ev.month:02d}:{ev.cadre.code}", ev.cadre, "eval-rated", text)
    if manager is not None:  # the manager answers for the rating: told who made it, on their behalf
        enqueue(session, f"eval-rated-for:{ev.year}-{ev.month:02d}:{ev.cadre.code}", manager, "eval-rated",
                f"ℹ️ {esc(actor.full_name)} đã xếp loại thay bạn: {esc(ev.cadre.full_name)} ({esc(ev.cadre.code)}), "
                f"tự đánh giá {period}: <b>{RATINGS[rating]}</b>.")
    return replace(view(session, ev, window, today), notified=notified)


UNSENT_SHOWN_CHARS = 2500  # the rating notice stays within a message (4,096 characters)


def _unsent_edit(ev: Evaluation) -> str:
    """An edit the cadre was writing when the rating came: dropped from the record, but given back in the notice,
    so nothing typed is lost (the cadre may keep it for next month or send it to the manager)."""
    body = unsent_text(ev, UNSENT_SHOWN_CHARS)  # plain text, escaped once it is cut (never inside an entity)
    return ("\n\n✏️ Bản sửa bạn đang soạn chưa gửi nên không được tính (cấp trên xếp loại bản đã gửi). "
            "Nội dung bạn đã gõ, để giữ lại:\n" + esc(body) if body else "")


REVIEW_CONFIRM_STEP = "review-confirm"


def rate_confirmed(session: Session, actor: Actor, chat: tuple[int, int], eval_id: int, rating: int,
                   window: Window, today: date, seen: int = 0) -> EvalView:
    """The manager confirmed: rate with the comment kept at the confirmation step, closing that step
    in the same transaction (a stale confirmation for another rating carries no comment)."""
    step = conversation.take_step(session, *chat, {REVIEW_CONFIRM_STEP})
    same = step is not None and step.argument.split(":")[:2] == [str(eval_id), str(rating)]  # "id:rating[:version]"
    comment = str(step.data.get("comment", "")) if step is not None and same else ""
    try:
        return rate(session, actor, eval_id, rating, comment, window, today, seen)
    except VersionReplaced as replaced:  # the comment typed is not lost with the refused rating
        kept = f" Nhận xét bạn đã gõ, để giữ lại: “{comment}”" if comment else ""
        raise VersionReplaced(str(replaced) + kept, replaced.eval_id) from replaced


MAX_DELEGATION_DAYS = 90


def _check_period(start: date, end: date, today: date) -> None:
    if start < today:
        raise EvaluationRefused("Ngày bắt đầu ủy quyền đã qua; hãy chọn từ hôm nay trở đi.")
    if end < start:
        raise EvaluationRefused("Ngày kết thúc phải sau ngày bắt đầu.")
    if (end - start).days >= MAX_DELEGATION_DAYS:
        raise EvaluationRefused(f"Mỗi lần ủy quyền tối đa {MAX_DELEGATION_DAYS} ngày.")


def check_no_overlapping_deputy(session: Session, manager_id: int, start: date, end: date, lock: bool = True) -> None:
    """One deputy at a time: two deputies for the same days would both rate the same people. `lock`: the caller
    writes a delegation (a preview, in a read transaction, does not lock)."""
    query = select(ReviewDelegation).where(ReviewDelegation.manager_id == manager_id,
                                           ReviewDelegation.start_date <= end, ReviewDelegation.end_date >= start)
    clash = session.scalar(query.with_for_update() if lock else query)
    if clash is not None:
        deputy = session.get(Cadre, clash.deputy_id)
        raise EvaluationRefused(
            f"Đã ủy quyền cho {deputy.full_name if deputy else 'người khác'} từ {clash.start_date:%d/%m/%Y} đến "
            f"{clash.end_date:%d/%m/%Y}, trùng khoảng ngày này. Hãy thu hồi ủy quyền đó trước "
            "(nút “✖️ Thu hồi” trong /delegate).")


def check_deputy(session: Session, actor: Actor, deputy_code: str) -> Cadre:
    """The cadre `deputy_code` if the manager may delegate to them (checked as soon as the code is typed)."""
    deputy = require_cadre(session, deputy_code)
    unit = session.get(Unit, actor.unit_id)
    if deputy.id == actor.cadre_id or unit is None or not deputy.unit.path.startswith(unit.path):
        raise PermissionDenied("Chỉ ủy quyền được cho một cán bộ khác trong đơn vị của bạn.")
    if deputy.id in {c.id for c in reviewees(session, [actor.cadre_id])}:
        raise PermissionDenied("Không ủy quyền được cho người bạn trực tiếp xếp loại; hãy chọn một cán bộ "
                               "lãnh đạo khác trong đơn vị.")
    if not deputy.is_leader:  # as deputy_candidates offers: a deputy rates people, some of them leaders
        raise PermissionDenied(f"{deputy.full_name} ({deputy.code}) không giữ chức vụ lãnh đạo: chỉ ủy quyền được "
                               "cho cán bộ lãnh đạo, quản lý trong đơn vị của bạn.")
    return deputy


def delegate(session: Session, actor: Actor, deputy_code: str, start: date, end: date, today: date) -> str:
    """Rule: the deputy is another leader of the manager's unit subtree who is not one of the manager's
    own reviewees (nobody rates the pool they are rated in); at most 90 days, starting today or later."""
    _check_period(start, end, today)
    deputy = check_deputy(session, actor, deputy_code)
    check_no_overlapping_deputy(session, actor.cadre_id, start, end)
    session.add(ReviewDelegation(manager_id=actor.cadre_id, deputy_id=deputy.id, start_date=start, end_date=end,
                                 created_at=utcnow()))
    audit(session, actor.code, "review-delegate", deputy.code, f"{start:%Y-%m-%d}..{end:%Y-%m-%d}")
    kept = kept_from_deputy(session, actor.cadre_id, deputy)
    enqueue(session, f"delegated:{actor.code}:{deputy.code}:{start:%Y%m%d}:{utcnow():%H%M%S%f}", deputy, "delegation",
            f"🤝 {esc(actor.full_name)} đã ủy quyền cho bạn xếp loại tự đánh giá thay từ {start:%d/%m/%Y} đến "
            f"{end:%d/%m/%Y}. Gõ /review để xem các bản chờ xếp loại."
            + (f" Riêng {', '.join(esc(c.full_name) for c in kept)} vẫn do {esc(actor.full_name)} xếp loại."
               if kept else ""))
    return deputy.full_name
