"""Database tables (SQLModel). Dates are stored as dates; instants as UTC.

Config is synced into owners / plans / actions; status, events, due-date
revisions and the notice ledger live only here and are never overwritten by sync.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from scheduler.store.states import CLOSED, ActionStatus, EventKind, ExtensionState, NoticeState, Track  # noqa: F401 - re-exported

STATUSES = tuple(s.value for s in ActionStatus)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored naive UTC (SQLite has no zones)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.UTC)


def utc_field(**kw):
    return Field(sa_type=UTCDateTime, **kw)


class EnumText(TypeDecorator):
    """A StrEnum stored as its plain text value (no database enum type to migrate): read back as
    the enum, so a state read from the database is a typed value; an unknown value fails loudly."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_cls, *args, **kw):
        super().__init__(*args, **kw)
        self.enum_cls = enum_cls
        self.members = dict(enum_cls._value2member_map_)  # a dict lookup per row: the million-row reads stay fast
        self.plain = {str(v): str(v) for v in self.members}

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, self.enum_cls):
            return value._value_
        plain = self.plain.get(value)  # a plain string already: checked against the members
        return plain if plain is not None else self.enum_cls(value).value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        member = self.members.get(value)
        return member if member is not None else self.enum_cls(value)  # unknown: ValueError, loudly


def enum_field(enum_cls, **kw):
    return Field(sa_type=EnumText(enum_cls), **kw)


class Owner(SQLModel, table=True):
    id: str = Field(primary_key=True)
    name: str
    email: str
    manager_id: str | None = None
    active: bool = True  # false once removed from owners.yaml (kept for history)
    updated_at: dt.datetime = utc_field()


class Plan(SQLModel, table=True):
    id: str = Field(primary_key=True)
    title: str
    report_date: dt.date
    escalation_contact: str | None = None
    active: bool = True
    updated_at: dt.datetime = utc_field()


class Action(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("plan_id", "ref", name="uq_action_plan_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="plan.id", index=True)
    ref: str
    title: str
    response: str | None = None
    area: str | None = None
    owner_id: str = Field(foreign_key="owner.id")
    owner_since: dt.date  # local date the current owner was assigned
    config_due: dt.date  # from config: report_date + timescale, or explicit due
    timescale_months: int | None = None
    due: dt.date  # effective due date: the latest agreed extension, else config_due
    status: ActionStatus = enum_field(ActionStatus, default=ActionStatus.OPEN)
    in_config: bool = True
    # The next local date on which a notice may fall due (None: nothing to send).
    next_notice_on: dt.date | None = Field(default=None, index=True)
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()


class ActionEvent(SQLModel, table=True):
    """One change to an action: status, owner, due date, config fields, withdrawal."""

    __tablename__ = "action_event"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    at: dt.datetime = utc_field()
    by: str
    kind: EventKind = enum_field(EventKind)  # stored as plain text; states.EventKind lists the kinds
    from_value: str | None = None
    to_value: str | None = None
    note: str | None = None
    rag: str | None = None  # the owner's self-assessment with a progress note: on_track | at_risk | off_track


class DueRevision(SQLModel, table=True):
    """An agreed extension: the due date before and after, why, and who approved it."""

    __tablename__ = "due_revision"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    previous_due: dt.date
    revised_due: dt.date
    reason: str
    approved_by: str
    recorded_by: str
    recorded_at: dt.datetime = utc_field()


class DeliveryRecord(SQLModel):
    """The columns both send ledgers (`notice`, `plan_notice`) keep about delivering a row: tries,
    the last error, the Message-ID, which run claimed it, when it changed, was sent, may be retried."""

    attempts: int = 0
    last_error: str | None = None
    message_id: str | None = None
    claimed_by: str | None = None
    created_at: dt.datetime = utc_field()
    updated_at: dt.datetime = utc_field()
    sent_at: dt.datetime | None = utc_field(default=None)
    next_attempt_at: dt.datetime | None = utc_field(default=None)


class Notice(DeliveryRecord, table=True):
    """The send ledger: one row per (action, due date, stage, recipient), ever.

    state: pending (claimed, about to send) | sent | retry (undeliverable now, try later)
    | failed (permanent) | superseded (a later stage was sent instead; never sent).
    """

    __tablename__ = "notice"
    __table_args__ = (
        sa.UniqueConstraint("action_id", "due_date", "stage", "recipient", name="uq_notice_key"),
        sa.Index("ix_notice_state_next", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    due_date: dt.date
    stage: str
    track: Track = enum_field(Track)  # owner | escalation | web
    recipient: str
    cc: str | None = None  # comma-separated
    send_day: dt.date
    state: NoticeState = enum_field(NoticeState)


class Heartbeat(SQLModel, table=True):
    """One row per running service instance; `reminders health` reads these."""

    instance: str = Field(primary_key=True)  # host:pid
    host: str
    pid: int
    role: str  # leader | standby
    started_at: dt.datetime = utc_field()
    beat_at: dt.datetime = utc_field()
    run_started_at: dt.datetime | None = utc_field(default=None)  # set while a run is in progress
    last_run_at: dt.datetime | None = utc_field(default=None)
    last_run_result: str | None = None


class ServiceEvent(SQLModel, table=True):
    """What the service did or ran into: runs, config errors, summaries sent."""

    __tablename__ = "service_event"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = utc_field(index=True)
    kind: str  # run | config_error | summary
    plan_id: str | None = None
    detail: str | None = None


class ExtensionRequest(SQLModel, table=True):
    """An owner's request for a later due date, waiting for (or decided by) the approver. At most one
    per action is pending: the database refuses a second (a partial unique index, migration 0006)."""

    __tablename__ = "extension_request"
    __table_args__ = (
        sa.Index("uq_extension_request_pending", "action_id", unique=True,
                 sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'")),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    due_date: dt.date  # the due date it asks to move
    proposed_due: dt.date
    reason: str
    requested_by: str  # email of the owner, from the signed link
    approver: str  # email of the owner's manager, else the plan's escalation contact
    state: ExtensionState = enum_field(ExtensionState)
    decided_by: str | None = None
    decided_note: str | None = None
    created_at: dt.datetime = utc_field()
    decided_at: dt.datetime | None = utc_field(default=None)


class WebSubmission(SQLModel, table=True):
    """A form already applied (its one-time key), so a repeated POST changes nothing."""

    __tablename__ = "web_submission"

    key: str = Field(primary_key=True)
    at: dt.datetime = utc_field()
    result: str | None = None


class RateEvent(SQLModel, table=True):
    """One rate-limited event (a fresh link asked for, an extension requested), kept in the database
    so every replica and every restart sees the same count."""

    __tablename__ = "rate_event"
    __table_args__ = (sa.Index("ix_rate_event_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str
    at: dt.datetime = utc_field()


class RunLease(SQLModel, table=True):
    """A run's claim on the rows it marked: until it finishes, expires, or its process exits.

    Times are wall-clock seconds (time.time()), whatever `--now` a run simulates: liveness is real.
    """

    __tablename__ = "run_lease"

    run_id: str = Field(primary_key=True)
    host: str
    pid: int
    started: float
    expires: float
    finished_at: float | None = None


class PlanNotice(DeliveryRecord, table=True):
    """The send ledger for plan-level notices (no action): the weekly summary `summary:YYYY-MM-DD`
    and the progress report `report:YYYY-MM-DD`. One row per (plan, stage, recipient), ever; the
    same states as `notice` (pending, sending, sent, retry, failed, unknown)."""

    __tablename__ = "plan_notice"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "stage", "recipient", name="uq_plan_notice_key"),
        sa.Index("ix_plan_notice_state_next", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="plan.id", index=True)
    stage: str
    recipient: str
    state: str


class SendPace(SQLModel, table=True):
    """The shared pace of sending to one relay (SMTP_MAX_PER_MINUTE): the wall-clock second from
    which the next message may go, and the gap between messages. Every connection and replica
    reserves its slot here, so together they never go faster than the relay allows."""

    __tablename__ = "send_pace"

    relay: str = Field(primary_key=True)
    next_at: float
    interval: float
