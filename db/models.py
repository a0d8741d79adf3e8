"""Typed SQLAlchemy 2 models. Every schema change goes through an Alembic migration in db/migrations."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from db.collation import name_key

# Byte order on PostgreSQL whatever the server's locale (a glibc locale skips spaces when it compares):
# the key is plain ASCII made to sort by bytes.
NAME_KEY_TYPE = String(255).with_variant(String(255, collation="C"), "postgresql")

# A fixed naming convention keeps constraint names identical on SQLite and PostgreSQL,
# so migrations can drop or alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(8))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # Materialised path "/TINH/SNV/SNV-TCCB/": a subtree is one indexed LIKE 'prefix%'.
    path: Mapped[str] = mapped_column(String(2000), index=True, default="")

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")


class Cadre(Base):
    __tablename__ = "cadres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    # Lists of people are ordered by this (db.collation): kept in step with full_name by the validator below for
    # rows written through the ORM, by the default for bulk inserts; a bulk update of full_name sets it itself.
    name_key: Mapped[str] = mapped_column(NAME_KEY_TYPE, default=lambda ctx: _key_of_inserted(ctx))
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(8))
    ethnicity: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(16), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    position: Mapped[str] = mapped_column(String(255))
    title_group: Mapped[str] = mapped_column(String(16), index=True)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    managed_by: Mapped[str | None] = mapped_column(String(16))
    education: Mapped[int] = mapped_column(SmallInteger)
    specialty: Mapped[str | None] = mapped_column(String(255))
    political_theory: Mapped[int] = mapped_column(SmallInteger)
    state_management: Mapped[int] = mapped_column(SmallInteger, default=0)
    job_matched: Mapped[bool] = mapped_column(Boolean, default=True)
    in_succession_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    planned_title: Mapped[str | None] = mapped_column(String(255))
    trained_job_position: Mapped[int | None] = mapped_column(SmallInteger)
    trained_digital_ai: Mapped[int | None] = mapped_column(SmallInteger)
    trained_two_tier_gov: Mapped[int | None] = mapped_column(SmallInteger)
    trained_planned_title: Mapped[int | None] = mapped_column(SmallInteger)
    retrained_specialty: Mapped[int | None] = mapped_column(SmallInteger)
    manager_code: Mapped[str | None] = mapped_column(String(64), index=True)
    # Set by HR when the roster gives no reviewer (no manager, no leader above): who rates this cadre.
    reviewer_code: Mapped[str | None] = mapped_column(String(64), index=True)
    is_hr: Mapped[bool] = mapped_column(Boolean, default=False)
    # Settings: the cadre muted reminders that are not mandatory (course suggestions, quarterly notes).
    mute_optional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # One Telegram account <-> one cadre, enforced by the unique constraint.
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    linked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship()

    @validates("full_name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        self.name_key = name_key(value)
        return value


def _key_of_inserted(context: DefaultExecutionContext) -> str:
    return name_key(context.get_current_parameters()["full_name"])


class InviteToken(Base):
    __tablename__ = "invite_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only the SHA-256 of the token is stored: a leaked database does not leak usable links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)


class RosterImport(Base):
    """One applied roster file: the time a later import compares course completions against."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    actor: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="{}")  # JSON: counts per field, conflicts


class RecordChange(Base):
    """The cadre's history: every field changed by an import, a completion or an HR action.

    source: "import-roster" (import_id names the file), "course:CODE" (registration_id names the
    completion, actor the HR user), "undo:course:CODE", "correction" (actor).
    """

    __tablename__ = "record_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("roster_imports.id"))


class AuditLog(Base):
    """Sensitive reads, exports and role changes: who did what to whom."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(Text)


class ChatUser(Base):
    """Every Telegram user who wrote to the bot, linked or not (for reachability and unknown users)."""

    __tablename__ = "chat_users"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when Telegram says the user blocked the bot; cleared when they write again.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    provider: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str | None] = mapped_column(String(64))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    register_by: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(SmallInteger)
    location: Mapped[str | None] = mapped_column(String(255))
    audience: Mapped[str | None] = mapped_column(String(255))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(Text)  # shown to registrants and on the course page
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Seats held by status 'registered'. The conditional UPDATE that takes a seat and this
    # CHECK make the database itself refuse an overbooking, whatever the concurrency.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"),)


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"  # has a seat
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


ACTIVE_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)


class Registration(Base):
    """A cadre's place in a course: registered, waitlisted (queue order = id), cancelled or completed."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    registered_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    course: Mapped[Course] = relationship()
    cadre: Mapped[Cadre] = relationship()

    __table_args__ = (
        # At most one active place per cadre and course; cancelled/completed rows stay as history.
        Index("uq_registrations_active", "course_id", "cadre_id", unique=True,
              sqlite_where=text("status IN ('registered', 'waitlisted')"),
              postgresql_where=text("status IN ('registered', 'waitlisted')")),
    )


class Outbox(Base):
    """Every outgoing notification is written here first, in the transaction that caused it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # idempotency key
    chat_id: Mapped[int] = mapped_column(BigInteger)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[str] = mapped_column(Text)  # JSON: text and optional buttons
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A 'sending' row belongs to the process that claimed it until lease_until (renewed while it
    # sends); only an expired lease goes back to the queue, so a live sender is never doubled.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Evaluation(Base):
    """A cadre's monthly self-evaluation; the draft lives here too, so no step is ever lost."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)  # draft | submitted | rated
    step: Mapped[str] = mapped_column(String(16))  # results | difficulties | rating | preview | done
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    results: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of items
    difficulties: Mapped[str | None] = mapped_column(Text)
    self_rating: Mapped[int | None] = mapped_column(SmallInteger)
    manager_rating: Mapped[int | None] = mapped_column(SmallInteger)
    manager_comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))
    reviewed_for_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))  # the manager a deputy acted for
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    # A submitted evaluation being edited: the edit (JSON: results, difficulties, self_rating, step)
    # waits here while the submitted version stays in the manager's queue, until re-submitted.
    edit_draft: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    cadre: Mapped[Cadre] = relationship(foreign_keys=[cadre_id])

    __table_args__ = (UniqueConstraint("cadre_id", "year", "month", name="one_per_month"),)


class ReviewDelegation(Base):
    """A manager lets another cadre of their unit review in their place for a date range."""

    __tablename__ = "review_delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobRun(Base):
    """A scheduled occurrence that has run: a job missed while down runs once, never twice."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    occurrence: Mapped[str] = mapped_column(String(32))  # local ISO time it was scheduled for
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    queued: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("name", "occurrence", name="job_once"),)


class DigestSnapshot(Base):
    """What a manager's last digest showed, so the next one can say what changed."""

    __tablename__ = "digest_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[str] = mapped_column(Text)  # JSON: indicator id -> pct


class ConversationStep(Base):
    """The step a user's conversation waits at (a typed value, a button choice, a file to confirm).

    Kept in the database so a restart between two steps loses nothing; one open step per user and chat.
    """

    __tablename__ = "conversation_steps"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    step: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the step's argument and data
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
