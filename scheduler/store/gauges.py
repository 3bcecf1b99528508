"""Cheap aggregate reads for `/metrics` and `reminders health`: a few GROUP BY queries, never a
row per action in Python (only the few pending extension requests, to apply their lapse rule), and
the heartbeat ages that tell a live scheduler from a dead one."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.store import extensions
from scheduler.store.models import Action, Heartbeat, Notice
from scheduler.store.states import CLOSED, NoticeState

BEAT_EVERY = dt.timedelta(seconds=10)
DEAD_AFTER = dt.timedelta(seconds=90)  # no heartbeat for this long: the instance is dead or hung
STUCK_AFTER = dt.timedelta(minutes=30)
DUE_SOON_DAYS = 14


def notice_states(s: Session) -> dict[str, int]:
    """Return {ledger state: count}."""
    return {str(k): n for k, n in s.exec(select(Notice.state, sa.func.count()).group_by(Notice.state)).all()}


def pending_extensions(s: Session, config, now: dt.datetime) -> int:
    """Return how many extension requests wait for a decision at `now`: pending and not lapsed (one
    still pending in the database past its plan's link_valid_days is not waiting; a sync withdraws
    it). Pending requests are few (one per action at most), so they are read as rows."""
    return len(extensions.waiting(s, config, now))


def rag_counts(s: Session, plan_ids: list[str], today: dt.date) -> dict[tuple[str, str], int]:
    """Return {(plan, RAG): count} of the plans' actions on their local `today` (the status table's
    RAG), in one GROUP BY (plans in one timezone share a today, so a deployment makes one query)."""
    closed = [str(c) for c in CLOSED]
    rag = sa.case(
        (Action.status.in_(closed), sa.cast(Action.status, sa.String)),
        (Action.status == "awaiting_verification", sa.literal("awaiting verification")),
        (Action.due < today, sa.literal("overdue")),
        (Action.due <= today + dt.timedelta(days=DUE_SOON_DAYS), sa.literal("due soon")),
        else_=sa.literal("on track"),
    ).label("rag")
    stmt = select(Action.plan_id, rag, sa.func.count()).where(Action.plan_id.in_(plan_ids))
    return {(p, str(k)): n for p, k, n in s.exec(stmt.group_by(Action.plan_id, rag)).all()}


def leader_alive(beats: list[Heartbeat], now: dt.datetime) -> bool:
    """Return True when some instance leads with a fresh heartbeat."""
    return any(b.role == "leader" and now - b.beat_at <= DEAD_AFTER for b in beats)


def heartbeats(s: Session) -> list[Heartbeat]:
    """Return every instance's heartbeat row (one per running process: a handful)."""
    return list(s.exec(select(Heartbeat)))


__all__ = ["BEAT_EVERY", "DEAD_AFTER", "STUCK_AFTER", "NoticeState", "notice_states", "pending_extensions",
           "rag_counts", "leader_alive", "heartbeats"]  # fmt: skip
