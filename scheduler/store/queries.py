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
from scheduler.store.models import Action, Notice, RunLease
from scheduler.store.states import WAITING, NoticeState, Track


def actions_due(engine, today: dt.date) -> list[int]:
    """Return the ids of actions whose indexed next notice day is on or before `today`."""
    with db.session(engine) as s:
        stmt = select(Action.id).where(Action.next_notice_on.is_not(None), Action.next_notice_on <= today)
        # Sorted here, not by ORDER BY id: with it SQLite scans the table in id order instead of
        # searching the next_notice_on index (174 ms instead of 0.3 ms at a million actions).
        return sorted(s.exec(stmt))


@contextmanager
def locked_actions(engine, action_ids: list[int]):
    """Yield (session, [actions in id order]) with the action rows locked (in id order, so two
    claimers never deadlock); commit on success, roll back on error."""
    with db.session(engine) as s:
        stmt = select(Action).where(Action.id.in_(action_ids)).order_by(Action.id)
        if not db.is_sqlite(engine):
            stmt = stmt.with_for_update()
        actions = list(s.exec(stmt))
        try:
            yield s, actions
            s.commit()
        except BaseException:
            s.rollback()
            raise


def claim_rows(action: Action, decision, now: dt.datetime, run_id: str) -> list[tuple[dict, object]]:
    """Return (column values, planned notice) of the ledger rows for a decision: the superseded
    ones, then the ones to send (claimed `pending` by `run_id`)."""
    rows = []
    for pn, state in [(n, NoticeState.SUPERSEDED) for n in decision.superseded] + [
        (n, NoticeState.PENDING) for n in decision.send
    ]:
        values = {"action_id": action.id, "due_date": action.due, "stage": pn.stage.name, "track": pn.stage.track,
                  "recipient": pn.to.email, "cc": ",".join(c.email for c in pn.cc) or None,
                  "send_day": pn.stage.send_day, "state": state, "attempts": 0,
                  "claimed_by": run_id if state == NoticeState.PENDING else None, "created_at": now,
                  "updated_at": now}  # fmt: skip
        rows.append((values, pn))
    return rows


_INSERT_NOTICES = sa.insert(Notice).returning(Notice.id, sort_by_parameter_order=True)


def insert_notices(s: Session, params: list[dict]) -> list[int] | None:
    """Insert ledger rows in one statement; return their ids in order, or None (rolled back) when
    another runner claimed the same key first."""
    if not params:
        s.flush()
        return []
    try:
        s.flush()  # the actions' changes first, in the same transaction
        return [nid for (nid,) in s.connection().execute(_INSERT_NOTICES, params)]
    except sa.exc.IntegrityError:
        s.rollback()
        return None


def supersede_retries(s: Session, pairs: list[tuple[int, str]], now: dt.datetime) -> None:
    """Mark notices waiting for a retry on the given (action id, track) pairs superseded (one
    UPDATE per 500 pairs)."""
    for i in range(0, len(pairs), 500):
        chunk = pairs[i : i + 500]
        s.execute(sa.update(Notice).where(Notice.state == NoticeState.RETRY,
                                          sa.tuple_(Notice.action_id, Notice.track).in_(chunk))
                  .values(state=NoticeState.SUPERSEDED, updated_at=now, last_error="a later notice was sent")
                  .execution_options(synchronize_session=False))  # fmt: skip


def load_for_views(s: Session, ids: list[int]):
    """Return (rows in `ids` order, {action id: Action}, {action id: [DueRevision, oldest first]})."""
    from scheduler.store.models import DueRevision

    rows, actions, revs = {}, {}, {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        rows.update({n.id: n for n in s.exec(select(Notice).where(Notice.id.in_(chunk)))})
    action_ids = sorted({n.action_id for n in rows.values()})
    for i in range(0, len(action_ids), 500):
        chunk = action_ids[i : i + 500]
        actions.update({a.id: a for a in s.exec(select(Action).where(Action.id.in_(chunk)))})
        for r in s.exec(select(DueRevision).where(DueRevision.action_id.in_(chunk)).order_by(DueRevision.id)):
            revs.setdefault(r.action_id, []).append(r)
    return [rows[i] for i in ids if i in rows], actions, revs


def labels(engine, action_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Return {action id: (plan id, ref)}."""
    with engine.connect() as conn:
        stmt = sa.select(Action.id, Action.plan_id, Action.ref).where(Action.id.in_(action_ids))
        return {aid: (plan, ref) for aid, plan, ref in conn.execute(stmt)}


def due_retries(engine, now: dt.datetime) -> list[tuple[Notice, Action]]:
    """Return (notice, action) for every notice waiting for a retry whose time has come."""
    with db.session(engine) as s:
        stmt = select(Notice, Action).join(Action, Action.id == Notice.action_id)
        stmt = stmt.where(Notice.state == NoticeState.RETRY, Notice.next_attempt_at <= now)
        return list(s.exec(stmt))


def in_flight_rows(s: Session, run_id: str) -> list[tuple[Notice, RunLease | None]]:
    """Return (row, its run's lease) for rows left `pending` or `sending` by other runs."""
    stmt = select(Notice, RunLease).join(RunLease, RunLease.run_id == Notice.claimed_by, isouter=True)
    stmt = stmt.where(Notice.state.in_((NoticeState.PENDING, NoticeState.SENDING)),
                      sa.or_(Notice.claimed_by.is_(None), Notice.claimed_by != run_id))  # fmt: skip
    return list(s.exec(stmt))


def has_due_retry(engine, now: dt.datetime) -> bool:
    """Return True when some notice waits for a retry whose time has come."""
    from scheduler.store.models import PlanNotice

    with db.session(engine) as s:
        stmt = select(Notice.id).where(Notice.state == NoticeState.RETRY, Notice.next_attempt_at <= now)
        plan_level = select(PlanNotice.id).where(PlanNotice.state == NoticeState.RETRY,
                                                 PlanNotice.next_attempt_at <= now)  # fmt: skip
        return s.exec(stmt).first() is not None or s.exec(plan_level).first() is not None


def start_lease(engine, run_id: str, host: str, pid: int, wall_now: float, seconds: float) -> None:
    """Record that this process owns the rows `run_id` claims, for at most `seconds`."""
    with db.session(engine) as s:
        s.add(RunLease(run_id=run_id, host=host, pid=pid, started=wall_now, expires=wall_now + seconds))
        s.commit()


def finish_lease(engine, run_id: str, wall_now: float) -> None:
    """Mark the run finished: its rows still `pending` may be sent by the next run at once."""
    with db.session(engine) as s:
        lease = s.get(RunLease, run_id)
        if lease is not None:
            lease.finished_at = wall_now
            s.commit()


# Status re-checked at the hand-over (PRODUCT.md §3): the owner and escalation tracks go only to an
# open or in-progress action (awaiting_verification pauses them); other tracks only while not closed.
# The due date must still be the one the notice was claimed for (an extension starts fresh stages).
# The web track (confirmations, decisions, fresh links) and the outcome notices (verified, returned)
# tell people about a change that was just made, a completion or a new due date included, so neither
# check applies to them. A progress request is asked per review, whatever the due date: only an open
# or in-progress action (one awaiting verification has nothing to report). A verify request asks the
# administrator to decide a completion: only while the action awaits verification, whatever the due date.
_CALENDAR, _OWN_RULE = (Track.OWNER, Track.ESCALATION), (Track.PROGRESS, Track.VERIFICATION)
_LIVE = sa.exists().where(Action.id == Notice.action_id,
                          sa.or_(Notice.track.in_((Track.WEB, Track.OUTCOME)),
                                 sa.and_(Notice.track == Track.PROGRESS, Action.status.in_(("open", "in_progress"))),
                                 sa.and_(Notice.track == Track.VERIFICATION,
                                         Action.status == "awaiting_verification"),
                                 sa.and_(Notice.track.not_in(_OWN_RULE), Action.due == Notice.due_date,
                                         sa.or_(sa.and_(Notice.track.in_(_CALENDAR),
                                                        Action.status.in_(("open", "in_progress"))),
                                                sa.and_(Notice.track.not_in(_CALENDAR),
                                                        Action.status.not_in(("complete", "withdrawn")))))))  # fmt: skip
CLOSED_SINCE_CLAIM = "not sent: the action was closed (or its due date changed) after the claim"
_SUPERSEDE_CLOSED = (sa.update(Notice).where(Notice.id.in_(sa.bindparam("b_ids", expanding=True)),
                                             Notice.state.in_(WAITING), ~_LIVE)
                     .values(state=NoticeState.SUPERSEDED, updated_at=sa.bindparam("b_now"),
                             last_error=CLOSED_SINCE_CLAIM)
                     .returning(Notice.id))  # fmt: skip
# The two statements of every hand-over, built once (SQLAlchemy then reuses their compiled form).
_CLAIM = (sa.update(Notice).where(Notice.id.in_(sa.bindparam("b_ids", expanding=True)), Notice.state.in_(WAITING),
                                  _LIVE)
          .values(state=NoticeState.SENDING, claimed_by=sa.bindparam("b_run"), updated_at=sa.bindparam("b_now"),
                  attempts=Notice.attempts + 1)
          .returning(Notice.id))  # fmt: skip
_SENT = (sa.update(Notice).where(Notice.id.in_(sa.bindparam("b_ids", expanding=True)))
         .values(state=NoticeState.SENT, message_id=sa.bindparam("b_mid"), sent_at=sa.bindparam("b_now"),
                 last_error=sa.bindparam("b_note"), updated_at=sa.bindparam("b_now")))  # fmt: skip


def claim_for_sending(conn, ids: list[int], now: dt.datetime, run_id: str) -> tuple[list[int], list[int]]:
    """Mark rows `sending` if still waiting and their action still wants them (conditional updates,
    so two runs never both win one, and a completion since the claim stops the notice); return
    (ids this run won, ids superseded because their action closed). The caller commits before the
    message is handed over."""
    won = [nid for (nid,) in conn.execute(_CLAIM, {"b_ids": ids, "b_run": run_id, "b_now": now})]
    if len(won) == len(ids):  # the usual case: one statement per hand-over, as before
        return won, []
    rest = sorted(set(ids) - set(won))
    return won, [nid for (nid,) in conn.execute(_SUPERSEDE_CLOSED, {"b_ids": rest, "b_now": now})]


def record_sent(conn, ids: list[int], now: dt.datetime, message_id: str, note: str | None) -> None:
    """Mark the rows of one accepted message `sent`."""
    conn.execute(_SENT, {"b_ids": ids, "b_mid": message_id, "b_now": now, "b_note": note})
