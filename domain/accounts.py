"""Linking Telegram accounts to cadres, invite tokens, and who may do what (roles)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from db.models import AuditLog, Cadre, ChatUser, InviteToken, Outbox, Unit
from domain.cadres import own_record, require_cadre
from domain.clock import as_utc, utcnow
from domain.errors import LinkError, NotFound, PermissionDenied
from domain.levels import EDUCATION, MANAGED_BY, POLITICAL_THEORY, STATE_MANAGEMENT, TITLE_GROUPS, TRAININGS
from domain.markup import esc
from domain.outbox import enqueue
from domain.phone import normalize_contact_phone
from domain.records import qualification_sources
from domain.units import in_subtree, require_unit

# Telegram's deep-link payload allows 64 characters of [A-Za-z0-9_-].
TOKEN_BYTES = 24


@dataclass(frozen=True)
class Actor:
    """The linked cadre behind an update, with the roles re-derived from the database each time."""

    cadre_id: int
    code: str
    full_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    unit_path: str
    is_manager: bool
    is_hr: bool

    def may_see_unit(self, unit_path: str) -> bool:
        return self.is_hr or (self.is_manager and unit_path.startswith(self.unit_path))


@dataclass(frozen=True)
class LinkResult:
    code: str
    full_name: str
    unit_name: str

    @classmethod
    def of(cls, cadre: Cadre) -> LinkResult:
        return cls(cadre.code, cadre.full_name, cadre.unit.name)


def audit(session: Session, actor: str, action: str, target: str | None = None, detail: str | None = None) -> None:
    session.add(AuditLog(at=utcnow(), actor=actor, action=action, target=target, detail=detail))


REFUSALS_AUDITED_PER_HOUR = 10  # a script of forged presses must not flood the audit log


def audit_refusal(session: Session, actor: str, target: str, reason: str) -> bool:
    """Audit a refused attempt unless this actor already has the hour's quota of refusals logged."""
    since = utcnow() - timedelta(hours=1)
    logged = session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.actor == actor, AuditLog.action == "refused", AuditLog.at >= since)) or 0
    if logged >= REFUSALS_AUDITED_PER_HOUR:
        return False
    audit(session, actor, "refused", target[:255] or None, reason[:500])
    return True


LAST_SEEN_RESOLUTION = timedelta(hours=1)


# Statements run for every update, built once: building a select and its cache key costs more than running it
# on SQLite (about 130 µs against 30), and the ORM's session.get builds one each time.
_CHAT_USER = select(ChatUser.chat_id, ChatUser.blocked, ChatUser.last_seen).where(
    ChatUser.telegram_user_id == bindparam("user_id"))
# populate_existing: after the update's write the actor is loaded again in the same session, where the held row
# (and its unit) must be refreshed from the database, not returned as first read.
_ACTOR_ROW = (select(Cadre).options(joinedload(Cadre.unit)).where(Cadre.telegram_user_id == bindparam("user_id"))
              .execution_options(populate_existing=True))
_HAS_REPORTS = select(exists().where(  # reviewer_code: assigned by HR
    or_(Cadre.manager_code == bindparam("code"), Cadre.reviewer_code == bindparam("code"))))


def chat_user_is_current(session: Session, user_id: int, chat_id: int) -> bool:
    """True when touch_chat_user would change nothing that matters (a read, so no write lock per update)."""
    row = session.execute(_CHAT_USER, {"user_id": user_id}).first()
    return (row is not None and not row.blocked and row.chat_id == chat_id
            and as_utc(row.last_seen) > utcnow() - LAST_SEEN_RESOLUTION)


def touch_chat_user(session: Session, user_id: int, chat_id: int) -> None:
    """Remember every private chat; writing again makes a blocked user reachable again."""
    row = session.get(ChatUser, user_id)
    now = utcnow()
    if row is None:
        session.add(ChatUser(telegram_user_id=user_id, chat_id=chat_id, first_seen=now, last_seen=now,
                             blocked=False))
    else:
        if row.blocked:  # they are back: what could not reach them goes out after all
            session.execute(update(Outbox).where(Outbox.chat_id == chat_id, Outbox.status == "unreachable")
                            .values(status="pending", due_at=now))
        row.chat_id, row.last_seen, row.blocked = chat_id, now, False


def _is_manager(session: Session, cadre: Cadre) -> bool:
    return bool(cadre.is_leader or session.scalar(_HAS_REPORTS, {"code": cadre.code}))


def actor_for(session: Session, telegram_user_id: int, hr_ids: tuple[int, ...] = ()) -> Actor | None:
    cadre = session.scalar(_ACTOR_ROW, {"user_id": telegram_user_id})
    if cadre is None:
        return None
    # The session's identity map holds rows only while something refers to them: kept here, the update's later
    # steps in this transaction (own_record, the gaps) find the actor's row and unit without reading them again.
    session.info["actor_row"] = cadre
    unit = cadre.unit
    return Actor(
        cadre_id=cadre.id, code=cadre.code, full_name=cadre.full_name, unit_id=unit.id, unit_code=unit.code,
        unit_name=unit.name, unit_path=unit.path, is_manager=_is_manager(session, cadre),
        is_hr=cadre.is_hr or telegram_user_id in hr_ids,
    )


def _bind(session: Session, cadre: Cadre, user_id: int, chat_id: int, how: str) -> Cadre:
    if cadre.telegram_user_id == user_id:
        return cadre
    if cadre.telegram_user_id is not None:
        raise LinkError(
            "Hồ sơ này đã được liên kết với một tài khoản Telegram khác. Nếu đó không phải bạn, "
            "hãy báo ngay cho bộ phận tổ chức cán bộ của đơn vị."
        )
    other = session.scalar(_ACTOR_ROW, {"user_id": user_id})
    if other is not None:
        raise LinkError(
            f"Tài khoản Telegram này đã liên kết với hồ sơ {other.code}. Gõ /unlink để hủy liên kết trước."
        )
    cadre.telegram_user_id, cadre.telegram_chat_id, cadre.linked_at = user_id, chat_id, utcnow()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the same account linked another record at the same moment
        raise LinkError("Tài khoản Telegram này vừa được liên kết với một hồ sơ khác. Gõ /profile để xem "
                        "hồ sơ đã liên kết.") from exc
    audit(session, f"tg:{user_id}", "link", cadre.code, how)
    return cadre


def _cadres_with_phone(session: Session, phone: str) -> list[Cadre]:
    """Locked: a second account sharing the same number at the same moment waits, then sees it linked."""
    return list(session.scalars(_WITH_PHONE, {"phone": phone}))


# Built once (see _CHAT_USER); the unit comes in the same statement (the reply names it), and only the cadre rows
# are locked: every link in a unit would otherwise wait for the one before it.
_WITH_PHONE = (select(Cadre).options(joinedload(Cadre.unit, innerjoin=True)).where(Cadre.phone == bindparam("phone"))
               .order_by(Cadre.id).with_for_update(of=Cadre).execution_options(populate_existing=True))


def link_by_contact(
    session: Session, user_id: int, chat_id: int, contact_user_id: int | None, phone: str
) -> LinkResult:
    """Link by the user's own shared phone number. A forwarded or typed contact is refused."""
    if contact_user_id != user_id:
        raise LinkError(
            "Chỉ chấp nhận số điện thoại của chính bạn. Hãy bấm nút “📱 Chia sẻ số điện thoại của tôi” "
            "thay vì gửi danh bạ của người khác."
        )
    normalized = normalize_contact_phone(phone)
    matches = _cadres_with_phone(session, normalized) if normalized else []
    if len(matches) != 1:
        if len(matches) > 1:
            raise LinkError(
                "Số điện thoại này trùng với nhiều hồ sơ. Hãy đề nghị bộ phận tổ chức cán bộ gửi "
                "đường dẫn mời riêng cho bạn."
            )
        raise NotFound(
            "Không tìm thấy hồ sơ cán bộ có số điện thoại này. Hãy liên hệ bộ phận tổ chức cán bộ "
            "(Ban Tổ chức) của đơn vị để cập nhật số điện thoại, hoặc xin đường dẫn mời."
        )
    return LinkResult.of(_bind(session, matches[0], user_id, chat_id, "contact"))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_invite(session: Session, cadre_code: str, ttl_days: int, actor: str = "cli") -> str:
    """A one-time token for the cadre; only its hash is stored. Returns the token itself."""
    cadre = require_cadre(session, cadre_code)
    return _new_token(session, cadre, ttl_days, actor)


class AlreadyLinked(LinkError):
    """An invite for a cadre whose record is linked already: its link could only fail (see _bind)."""


@dataclass(frozen=True)
class Invite:
    """A new invite and whom it is for: HR sees the name and unit, so that a mistyped code is noticed."""

    token: str
    code: str
    full_name: str
    unit_name: str


def create_invite_as(session: Session, actor: Actor, cadre_code: str, ttl_days: int) -> Invite:
    """HR creating an invite from the bot: the role is checked inside the transaction; a cadre already linked gets
    none (the link would only say the record is linked to another account)."""
    require_hr(actor)
    cadre = require_cadre(session, cadre_code.strip().upper())  # upper: a refusal names the code as stored
    if cadre.telegram_user_id is not None:
        raise AlreadyLinked(
            f"{cadre.code} – {cadre.full_name} ({cadre.unit.name}) đã liên kết Telegram, nên không tạo đường dẫn mời: "
            "đường dẫn chỉ dùng được cho hồ sơ chưa liên kết. Nếu người này cần liên kết tài khoản Telegram khác: "
            "họ gõ /unlink trên tài khoản đang liên kết, rồi bạn tạo đường dẫn mới; nếu không còn dùng được tài "
            "khoản đó (mất điện thoại…), người quản trị máy chủ hủy liên kết bằng lệnh cadrebot unlink "
            f"{cadre.code}.")
    return Invite(_new_token(session, cadre, ttl_days, actor.code), cadre.code, cadre.full_name, cadre.unit.name)


def _new_token(session: Session, cadre: Cadre, ttl_days: int, actor: str) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    session.add(InviteToken(token_hash=hash_token(token), cadre_id=cadre.id, created_at=now,
                            expires_at=now + timedelta(days=ttl_days)))
    audit(session, actor, "invite", cadre.code)
    return token


def create_unit_invites(
    session: Session, unit_code: str, ttl_days: int, actor: str = "cli", include_linked: bool = False
) -> list[tuple[Cadre, str]]:
    """Tokens for every cadre of a unit's subtree (by default only those not linked yet)."""
    unit = require_unit(session, unit_code)
    query = select(Cadre).join(Unit, Cadre.unit_id == Unit.id).where(in_subtree(unit.path)).order_by(Cadre.code)
    if not include_linked:
        query = query.where(Cadre.telegram_user_id.is_(None))
    return [(c, _new_token(session, c, ttl_days, actor)) for c in session.scalars(query)]


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def _invite(session: Session, token: str) -> InviteToken | None:
    """The invite row, locked before its state is checked: of two accounts using one token at the same
    instant, the second waits for the first to commit and then finds it used (PostgreSQL READ COMMITTED
    re-reads a row it waited for)."""
    return session.scalar(select(InviteToken).where(InviteToken.token_hash == hash_token(token))
                          .with_for_update().execution_options(populate_existing=True))


def link_by_token(
    session: Session, user_id: int, chat_id: int, token: str, now: datetime | None = None
) -> LinkResult:
    now = now or utcnow()
    invite = _invite(session, token)
    if invite is None:
        raise LinkError("Đường dẫn mời không hợp lệ. Hãy xin bộ phận tổ chức cán bộ một đường dẫn mới.")
    if invite.used_at is not None:
        raise LinkError("Đường dẫn mời này đã được dùng. Mỗi đường dẫn chỉ dùng được một lần.")
    if as_utc(invite.expires_at) < now:
        raise LinkError("Đường dẫn mời đã hết hạn. Hãy xin bộ phận tổ chức cán bộ một đường dẫn mới.")
    cadre = session.get(Cadre, invite.cadre_id, with_for_update=True, populate_existing=True)
    assert cadre is not None
    _bind(session, cadre, user_id, chat_id, "invite")
    invite.used_at, invite.used_by_telegram_id = now, user_id
    return LinkResult.of(cadre)


def unlink(session: Session, user_id: int) -> Cadre:
    cadre = session.scalar(select(Cadre).where(Cadre.telegram_user_id == user_id))
    if cadre is None:
        raise NotFound("Tài khoản Telegram này chưa liên kết với hồ sơ nào.")
    cadre.telegram_user_id = cadre.telegram_chat_id = cadre.linked_at = None
    audit(session, f"tg:{user_id}", "unlink", cadre.code)
    return cadre


def unlink_cadre(session: Session, cadre_code: str, actor: str = "cli") -> tuple[Cadre, int | None]:
    """The server's operator frees a record whose Telegram account is lost (a phone gone): the record is unlinked,
    the act audited, and the account that held it told, in case it is in other hands. Returns the cadre and the
    account that was linked (None: it was not linked; nothing changes)."""
    cadre = require_cadre(session, cadre_code)
    session.execute(select(Cadre.id).where(Cadre.id == cadre.id).with_for_update())
    session.refresh(cadre)  # the link as it is under the lock (PostgreSQL is READ COMMITTED)
    user_id, chat_id = cadre.telegram_user_id, cadre.telegram_chat_id
    if user_id is None:
        return cadre, None
    if chat_id is not None:
        # What is still waiting to go to that chat (reminders, ratings) stays with the record, not the lost phone.
        session.execute(update(Outbox).where(Outbox.chat_id == chat_id, Outbox.status == "pending")
                        .values(status="skipped"))
        enqueue(session, f"unlinked-by-hr:{cadre.code}:{utcnow():%Y%m%d%H%M%S}", cadre, "account",
                f"🔓 Ban Tổ chức đã hủy liên kết tài khoản Telegram này với hồ sơ {esc(cadre.code)}. Nếu không phải "
                "bạn yêu cầu, hãy báo ngay cho bộ phận tổ chức cán bộ của đơn vị.")
    cadre.telegram_user_id = cadre.telegram_chat_id = cadre.linked_at = None
    audit(session, actor, "unlink-by-hr", cadre.code, f"tg:{user_id}")
    return cadre, user_id


def grant_hr(session: Session, cadre_code: str, granted: bool = True, actor: str = "cli") -> Cadre:
    cadre = require_cadre(session, cadre_code)
    cadre.is_hr = granted
    audit(session, actor, "grant-hr" if granted else "revoke-hr", cadre.code)
    return cadre


def set_mute_optional(session: Session, actor: Actor, muted: bool) -> bool:
    """Settings: stop (or resume) reminders that are not mandatory."""
    cadre = own_record(session, actor.cadre_id)
    cadre.mute_optional = muted
    return muted


def is_muted(session: Session, actor: Actor) -> bool:
    cadre = session.get(Cadre, actor.cadre_id)
    return bool(cadre and cadre.mute_optional)


def require_hr(actor: Actor | None) -> Actor:
    if actor is None or not actor.is_hr:
        raise PermissionDenied("Chức năng này chỉ dành cho cán bộ Ban Tổ chức (quyền quản trị).")
    return actor


def require_manager(actor: Actor | None) -> Actor:
    if actor is None or not (actor.is_manager or actor.is_hr):
        raise PermissionDenied("Chức năng này chỉ dành cho cán bộ quản lý.")
    return actor


@dataclass(frozen=True)
class Profile:
    """A cadre's record as the people reading it name things (labels, not codes)."""

    fields: list[tuple[str, str]]
    trainings: list[tuple[str, str]]
    sources: list[tuple[str, str]] = field(default_factory=list)  # qualification -> where its value came from


def own_profile(session: Session, actor: Actor) -> Profile:
    """A cadre reads only their own record; the id comes from the server-side actor, never the client."""
    cadre = own_record(session, actor.cadre_id)
    return profile_of(cadre, qualification_sources(session, cadre.id))


def _plan_text(c: Cadre) -> str:
    if not c.in_succession_plan:
        return "Không"
    return f"Có – {c.planned_title}" if c.planned_title else "Có"


def profile_of(c: Cadre, sources: list[tuple[str, str]] | None = None) -> Profile:
    managed = f" ({MANAGED_BY.get(c.managed_by, c.managed_by)})" if c.managed_by else ""
    leader = f"Có{managed}" if c.is_leader else "Không"
    fields = [
        ("Mã cán bộ", c.code), ("Họ và tên", c.full_name),
        ("Ngày sinh", c.birth_date.strftime("%d/%m/%Y") if c.birth_date else "—"),
        ("Đơn vị", c.unit.name), ("Chức vụ", c.position),
        ("Nhóm chức danh", TITLE_GROUPS.get(c.title_group, c.title_group)), ("Lãnh đạo, quản lý", leader),
        ("Trình độ chuyên môn", EDUCATION.label(c.education) + (f" – {c.specialty}" if c.specialty else "")),
        ("Lý luận chính trị", POLITICAL_THEORY.label(c.political_theory)),
        ("Quản lý nhà nước", STATE_MANAGEMENT.label(c.state_management)),
        ("Bố trí đúng VTVL", "Có" if c.job_matched else "Không"),
        ("Trong quy hoạch", _plan_text(c)),
        ("Số điện thoại", c.phone or "—"),
    ]
    trainings = [(label, str(getattr(c, attr)) if getattr(c, attr) else "chưa") for attr, label in TRAININGS.items()]
    return Profile(fields, trainings, sources or [])
