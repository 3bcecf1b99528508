"""The pipeline's writes after the claim: orphan recovery, re-checking a claimed notice, and
recording failures and doubts with one log line per notice (`handover` marks and records sends).

The decisions (what state follows a failure, when a claimed notice is cancelled) are the pure
rules in `rules`; this module reads rows, calls them and writes the result.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from scheduler.config.model import Config
from scheduler.engine import rules
from scheduler.engine.views import notice_view
from scheduler.store import db, queries
from scheduler.store.models import Action, Notice
from scheduler.store.states import WAITING, NoticeState, Outcome

log = logging.getLogger("scheduler.notices")
HOST = socket.gethostname()


def recover_orphans(engine, now: dt.datetime, run_id: str, report) -> None:
    """Recover the rows dead runs left `pending` (sent by this run) or `sending` (now `unknown`);
    count (and leave alone) the rows of runs still alive."""
    wall = time.time()
    with db.session(engine) as s:
        for row, lease in queries.in_flight_rows(s, run_id):
            stale = row.updated_at < now - rules.ORPHAN_AFTER
            if not rules.run_is_dead(lease, HOST, _pid_alive, wall, stale):
                report.held += 1
                continue
            row.state, error = rules.orphan_state(row.state)
            row.next_attempt_at = now if row.state == NoticeState.RETRY else row.next_attempt_at
            row.last_error = error or row.last_error
            row.updated_at = now
            if row.state == NoticeState.UNKNOWN:
                log_outcome(report, _label(s, row.action_id), row, Outcome.UNKNOWN, None, error)
            else:
                report.recovered += 1
        s.commit()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def record_unknown(engine, rows, now, error: str, report) -> None:
    """Record a hand-over whose outcome is unknown: reported, never resent automatically."""
    _record(engine, rows, now, report, lambda row: (Outcome.UNKNOWN, NoticeState.UNKNOWN, None), error)


def record_config_error(engine, rows, now, error: str, report) -> None:
    """Leave the rows waiting (no attempt counted) after a misconfiguration; retry in an hour."""
    later = now + dt.timedelta(hours=1)
    _record(engine, rows, now, report, lambda row: (Outcome.RETRY, NoticeState.RETRY, later), error)


def unmark(engine, rows, now, error: str) -> None:
    """Put rows marked `sending` back to `pending` without counting the attempt: the relay answered
    "not now" (throttling), so the message was definitely not taken."""
    ids = [r.id for r in rows]
    with engine.begin() as conn:
        conn.execute(sa.update(Notice).where(Notice.id.in_(ids), Notice.state == NoticeState.SENDING)
                     .values(state=NoticeState.PENDING, attempts=Notice.attempts - 1, updated_at=now,
                             last_error=error))  # fmt: skip
    for r in rows:
        r.state, r.attempts = NoticeState.PENDING, r.attempts - 1


_COUNT = threading.Lock()


def count_message(report) -> None:
    """Count one message accepted (connections deliver in parallel)."""
    with _COUNT:
        report.messages += 1


def retries_due(engine, now: dt.datetime, working_today: Callable[[str], bool]) -> list[int]:
    """Return the ids of notices due for a retry whose plan has a working day today."""
    return [n.id for n, a in queries.due_retries(engine, now) if working_today(a.plan_id)]


def outcome(label: tuple[str, str], row, result: str, message_id=None, error=None) -> dict:
    """Return the report entry for one notice (`label`: its plan and ref)."""
    return {"plan": label[0], "ref": label[1], "stage": row.stage,
            "recipient": row.recipient, "outcome": str(result), "message_id": message_id, "error": error}  # fmt: skip


def prepare(engine, config: Config, notice_ids, now, report) -> list[tuple[Notice, object]]:
    """Return (row, view) for each claimed notice still to send; cancel the others.

    Reads the rows, their actions and the actions' revisions in a few batched queries.
    """
    ready = []
    with db.session(engine) as s:
        rows, actions, revs = queries.load_for_views(s, notice_ids)
        for row in rows:
            action = actions[row.action_id]
            report.labels[row.action_id] = (action.plan_id, action.ref)
            reason = rules.cancel_reason(row.state, row.due_date, action.status, action.due, row.track)
            if reason is None:
                ready.append((row, notice_view(s, config, action, row, now, revs.get(action.id, []))))
            elif row.state in WAITING:
                row.state, row.updated_at, row.last_error = NoticeState.SUPERSEDED, now, reason
                report.outcomes.append(outcome((action.plan_id, action.ref), row, Outcome.CANCELLED))
        s.commit()
    return ready


def record_failure(engine, rows, now, error: str, permanent: bool, report) -> None:
    """Record a failed hand-over: retry with backoff, or failed when permanent or out of attempts."""

    def decide(row):
        if row.state != NoticeState.SENDING:  # failed before the hand-over: still an attempt
            row.attempts += 1
        state, next_at = rules.after_failure(row.attempts, permanent, now)
        return (Outcome.FAILED if state == NoticeState.FAILED else Outcome.RETRY), state, next_at

    _record(engine, rows, now, report, decide, error)


def _record(engine, rows, now, report, decide, error) -> None:
    """Write each row's outcome (not sent: handover.py records those) with one UPDATE per row and
    log one line per notice."""
    with db.session(engine) as s:
        for row in rows:
            result, state, next_at = decide(row)
            values = {"state": state, "last_error": error, "updated_at": now, "attempts": row.attempts,
                      "next_attempt_at": next_at}  # fmt: skip
            s.execute(sa.update(Notice).where(Notice.id == row.id).values(**values))
            row.state = state
            label = report.labels.get(row.action_id) or _label(s, row.action_id)
            log_outcome(report, label, row, result, None, error)
        s.commit()


def _label(session, action_id: int) -> tuple[str, str]:
    action = session.get(Action, action_id)
    return (action.plan_id, action.ref) if action else ("?", "?")


def log_outcome(report, label, row, result, message_id, error) -> None:
    """Add the notice's outcome to the run's report and log its one line."""
    entry = outcome(label, row, result, message_id, error)
    report.outcomes.append(entry)
    log.info("notice plan=%s ref=%s stage=%s recipient=%s outcome=%s message_id=%s%s", entry["plan"],
             entry["ref"], row.stage, row.recipient, result, message_id or "-",
             f" error={error!r}" if error else "", extra={"notice": entry})  # fmt: skip
