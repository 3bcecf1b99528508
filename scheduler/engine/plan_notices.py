"""Plan-level notices (no action): the weekly summary `summary:YYYY-MM-DD` and the progress report
`report:YYYY-MM-DD`, one message per recipient through their own ledger (`plan_notice`).

The same promises as the action notices (PRODUCT.md §3): a row per (plan, stage, recipient) ever,
claimed `pending`, committed `sending` before the transport gets it, then `sent`, `retry` (with
backoff), `failed` or `unknown` (never resent by itself). `deliver(...)` takes a `build(row)` that
returns the email for one recipient, so each kind of plan-level document brings only its content.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from scheduler.engine import rules
from scheduler.engine.outcomes import HOST, _pid_alive
from scheduler.engine.ports import TemplateProblem, Transport, TransportError
from scheduler.store import db, queries
from scheduler.store.models import PlanNotice, RunLease
from scheduler.store.states import WAITING, NoticeState, Outcome

log = logging.getLogger("scheduler.notices")


@dataclass
class PlanOutcome:
    """What happened to one plan-level notice in this call."""

    plan: str
    stage: str
    recipient: str
    outcome: str  # sent | retry | failed | unknown | already sent | ...
    message_id: str | None = None
    error: str | None = None


def claim(engine, plan_id: str, stage: str, recipients: list[str], now: dt.datetime, run_id: str) -> None:
    """Write a `pending` row for each recipient who has none for (plan, stage) yet; a second
    claimer's insert meets the unique key and writes nothing."""
    for to in dict.fromkeys(recipients):
        try:
            with engine.begin() as conn:
                conn.execute(sa.insert(PlanNotice).values(plan_id=plan_id, stage=stage, recipient=to,
                             state=NoticeState.PENDING, attempts=0, claimed_by=run_id, created_at=now,
                             updated_at=now))  # fmt: skip
        except sa.exc.IntegrityError:
            pass  # already claimed (by this stage's earlier call, or another replica)


def rows_for(engine, plan_id: str, stage: str) -> list[PlanNotice]:
    """Return every row of (plan, stage), in recipient order."""
    with db.session(engine) as s:
        stmt = sa.select(PlanNotice).where(PlanNotice.plan_id == plan_id, PlanNotice.stage == stage)
        return list(s.scalars(stmt.order_by(PlanNotice.recipient)))


def due_retries(engine, now: dt.datetime, prefix: str) -> list[PlanNotice]:
    """Return the rows of stages starting with `prefix` waiting for a retry whose time has come."""
    with db.session(engine) as s:
        stmt = sa.select(PlanNotice).where(PlanNotice.state == NoticeState.RETRY, PlanNotice.next_attempt_at <= now,
                                           PlanNotice.stage.startswith(prefix))  # fmt: skip
        return list(s.scalars(stmt.order_by(PlanNotice.id)))


def recover(engine, now: dt.datetime, run_id: str) -> None:
    """Rows a dead run left `pending` wait again (retry now); `sending` become `unknown`."""
    with db.session(engine) as s:
        stmt = sa.select(PlanNotice, RunLease).join(RunLease, RunLease.run_id == PlanNotice.claimed_by, isouter=True)
        stmt = stmt.where(PlanNotice.state.in_((NoticeState.PENDING, NoticeState.SENDING)),
                          PlanNotice.claimed_by != run_id)  # fmt: skip
        for row, lease in s.execute(stmt):
            stale = row.updated_at < now - rules.ORPHAN_AFTER
            if rules.run_is_dead(lease, HOST, _pid_alive, time.time(), stale):
                row.state, error = rules.orphan_state(row.state)
                row.next_attempt_at, row.last_error, row.updated_at = now, error or row.last_error, now
        s.commit()


def deliver(engine, transport: Transport, rows: list[PlanNotice], build: Callable[[PlanNotice], object],
            now: dt.datetime, run_id: str) -> list[PlanOutcome]:  # fmt: skip
    """Hand each waiting row's message to `transport` (one connection), recording each outcome as
    soon as it is known; return one PlanOutcome per row (rows no longer waiting say what they are)."""
    out, opened = [], False
    queries.start_lease(engine, run_id, HOST, os.getpid(), time.time(), 3600)
    try:
        for row in rows:
            if row.state not in WAITING:
                out.append(PlanOutcome(row.plan_id, row.stage, row.recipient, f"already {row.state}", row.message_id))
                continue
            if not _mark(engine, row, now, run_id):
                out.append(PlanOutcome(row.plan_id, row.stage, row.recipient, "taken by another run"))
                continue
            try:
                msg = build(row)
                if not opened:
                    transport.open()
                    opened = True
                transport.send(transport.prepare(msg))
            except (TransportError, TemplateProblem) as exc:
                out.append(_failed(engine, row, now, exc))
                if isinstance(exc, TransportError) and (exc.config or exc.broken or exc.unknown):
                    opened = False
                    transport.close()
                continue
            _record(engine, row, now, state=NoticeState.SENT, message_id=msg["Message-ID"], sent_at=now)
            out.append(_logged(row, Outcome.SENT, msg["Message-ID"]))
    finally:
        transport.close()
        queries.finish_lease(engine, run_id, time.time())
    return out


def _mark(engine, row: PlanNotice, now: dt.datetime, run_id: str) -> bool:
    """Commit the row `sending` if it still waits (conditional: two runs never both win it)."""
    with engine.begin() as conn:
        won = conn.execute(sa.update(PlanNotice).where(PlanNotice.id == row.id, PlanNotice.state.in_(WAITING))
                           .values(state=NoticeState.SENDING, claimed_by=run_id, updated_at=now,
                                   attempts=PlanNotice.attempts + 1)).rowcount  # fmt: skip
    row.attempts += 1
    return won == 1


def _failed(engine, row: PlanNotice, now: dt.datetime, exc: Exception) -> PlanOutcome:
    """Record a hand-over that did not succeed and return its outcome."""
    error = str(exc)
    if isinstance(exc, TransportError) and exc.unknown:
        _record(engine, row, now, state=NoticeState.UNKNOWN, last_error=error)
        return _logged(row, Outcome.UNKNOWN, None, error)
    if isinstance(exc, TransportError) and exc.config:  # nothing could be sent: no attempt counted
        row.attempts -= 1
        _record(engine, row, now, state=NoticeState.RETRY, last_error=error, attempts=row.attempts,
                next_attempt_at=now + dt.timedelta(hours=1))  # fmt: skip
        return _logged(row, Outcome.RETRY, None, error)
    permanent = isinstance(exc, TemplateProblem) or exc.permanent
    state, next_at = rules.after_failure(row.attempts, permanent, now)
    _record(engine, row, now, state=state, last_error=error, next_attempt_at=next_at)
    return _logged(row, Outcome.FAILED if state == NoticeState.FAILED else Outcome.RETRY, None, error)


def _record(engine, row: PlanNotice, now: dt.datetime, **values) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(PlanNotice).where(PlanNotice.id == row.id).values(updated_at=now, **values))
    row.state = values["state"]


def _logged(row: PlanNotice, result: str, message_id: str | None, error: str | None = None) -> PlanOutcome:
    log.info("notice plan=%s stage=%s recipient=%s outcome=%s message_id=%s%s", row.plan_id, row.stage,
             row.recipient, result, message_id or "-", f" error={error!r}" if error else "")  # fmt: skip
    return PlanOutcome(row.plan_id, row.stage, row.recipient, str(result), message_id, error)
