"""The pipeline's SQL: selecting due work, claiming with a row lock, and writing outcomes.

Dialect differences stay here: PostgreSQL locks the action row with `SELECT ... FOR UPDATE`;
SQLite's `BEGIN IMMEDIATE` (see db.py) already serialises writers.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.store import db
from scheduler.store.models import Action, Notice
from scheduler.store.states import NoticeState


def actions_due(engine, today: dt.date) -> list[int]:
    """Return the ids of actions whose indexed next notice day is on or before `today`."""
    with db.session(engine) as s:
        stmt = select(Action.id).where(Action.next_notice_on.is_not(None), Action.next_notice_on <= today)
        return list(s.exec(stmt.order_by(Action.id)))


@contextmanager
def locked_action(engine, action_id: int):
    """Yield (session, action) with the action row locked; commit on success, roll back on error."""
    with db.session(engine) as s:
        stmt = select(Action).where(Action.id == action_id)
        if not db.is_sqlite(engine):
            stmt = stmt.with_for_update()
        action = s.exec(stmt).one()
        try:
            yield s, action
            s.commit()
        except BaseException:
            s.rollback()
            raise


def insert_claims(s: Session, action: Action, decision, now: dt.datetime, run_id: str) -> list:
    """Add ledger rows for a decision: superseded ones, then the ones to send; return (row, notice)."""
    rows = []
    for pn, state in [(n, NoticeState.SUPERSEDED) for n in decision.superseded] + [
        (n, NoticeState.PENDING) for n in decision.send
    ]:
        row = Notice(action_id=action.id, due_date=action.due, stage=pn.stage.name, track=pn.stage.track,
                     recipient=pn.to.email, cc=",".join(c.email for c in pn.cc) or None,
                     send_day=pn.stage.send_day, state=state,
                     claimed_by=run_id if state == NoticeState.PENDING else None,
                     created_at=now, updated_at=now)  # fmt: skip
        s.add(row)
        rows.append((row, pn))
    return rows


def supersede_retries(s: Session, action_id: int, tracks: set[str], now: dt.datetime) -> None:
    """Mark the action's notices waiting for a retry on `tracks` superseded."""
    if not tracks:
        return
    waiting = select(Notice).where(Notice.action_id == action_id, Notice.state == NoticeState.RETRY)
    for old in s.exec(waiting.where(Notice.track.in_(sorted(tracks)))):
        old.state, old.updated_at, old.last_error = NoticeState.SUPERSEDED, now, "a later notice was sent"


def flush_or_lost(s: Session) -> bool:
    """Flush the claim; return False (rolled back) when another runner claimed the same key."""
    try:
        s.flush()
        return True
    except sa.exc.IntegrityError:
        s.rollback()
        return False


def due_retries(engine, now: dt.datetime) -> list[tuple[Notice, Action]]:
    """Return (notice, action) for every notice waiting for a retry whose time has come."""
    with db.session(engine) as s:
        stmt = select(Notice, Action).join(Action, Action.id == Notice.action_id)
        stmt = stmt.where(Notice.state == NoticeState.RETRY, Notice.next_attempt_at <= now)
        return list(s.exec(stmt))


def stale_rows(s: Session, before: dt.datetime) -> list[Notice]:
    """Return rows left `pending` or `sending` and untouched since `before` (a dead run's)."""
    stmt = select(Notice).where(Notice.state.in_((NoticeState.PENDING, NoticeState.SENDING)),
                                Notice.updated_at < before)  # fmt: skip
    return list(s.exec(stmt))


def has_due_retry(engine, now: dt.datetime) -> bool:
    """Return True when some notice waits for a retry whose time has come."""
    with db.session(engine) as s:
        stmt = select(Notice.id).where(Notice.state == NoticeState.RETRY, Notice.next_attempt_at <= now)
        return s.exec(stmt).first() is not None
