"""One run of the notice pipeline: select, decide and claim, send, record (PRODUCT.md §3).

Claiming writes the ledger row (unique per action, due date, stage, recipient) in the same
transaction that re-reads the action's status, so a completion recorded before the claim
stops the email and a second claimer (another replica) fails on the unique key. A row is
marked `sending` before it goes to the transport and `sent` after; a row left `pending` by a
dead run is retried, one left `sending` is reported as failed (delivery unknown), never resent.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler import db
from scheduler.config_model import Config
from scheduler.decide import ESCALATION, OWNER, decide
from scheduler.emails import Renderer, TemplateProblem
from scheduler.facts import build_facts, calendar_for, ledger_done, refresh_next_notice
from scheduler.models import CLOSED, Action, Notice
from scheduler.transport import TransportError
from scheduler.views import notice_view

log = logging.getLogger("scheduler.notices")
MAX_ATTEMPTS = 8
ORPHAN_AFTER = dt.timedelta(minutes=10)


@dataclass
class RunReport:
    run_id: str
    outcomes: list[dict] = field(default_factory=list)  # one per notice: plan, ref, stage, ...
    superseded: int = 0
    messages: int = 0

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o["outcome"] == outcome)


def backoff(attempts: int) -> dt.timedelta:
    """15 min, 30 min, 1 h, ... capped at 12 h."""
    return min(dt.timedelta(minutes=15) * 2 ** max(0, attempts - 1), dt.timedelta(hours=12))


def _recover_orphans(session: Session, now: dt.datetime, run_id: str) -> None:
    stale = now - ORPHAN_AFTER
    stmt = select(Notice).where(Notice.state.in_(("pending", "sending")), Notice.updated_at < stale)
    for row in session.exec(stmt):
        if row.state == "pending":  # claimed, never handed to the transport: safe to send
            row.state, row.next_attempt_at = "retry", now
        else:  # handed over, outcome unknown: sending again could duplicate it
            row.state = "failed"
            row.last_error = "run interrupted during delivery; it may or may not have arrived"
        row.updated_at = now
    session.commit()


def _claim(engine, config: Config, action_id: int, now: dt.datetime, run_id: str) -> tuple[int, list[int]]:
    """Decide for one action and write its ledger rows; return (superseded count, claimed ids)."""
    with db.session(engine) as s:
        stmt = select(Action).where(Action.id == action_id)
        if not db.is_sqlite(engine):
            stmt = stmt.with_for_update()  # SQLite's BEGIN IMMEDIATE already serialises writers
        action = s.exec(stmt).one()
        plan = config.plans.get(action.plan_id)
        if plan is None or action.status in CLOSED or not action.in_config:
            action.next_notice_on = None
            s.commit()
            return 0, []
        facts = build_facts(s, config, action)
        done = ledger_done(s, [action.id]).get((action.id, action.due), set())
        decision = decide(facts, plan.policy, calendar_for(plan), done, now.astimezone(plan.policy.tz))
        rows = []
        for pn, state in [(n, "superseded") for n in decision.superseded] + [
            (n, "pending") for n in decision.send
        ]:
            row = Notice(action_id=action.id, due_date=action.due, stage=pn.stage.name, track=pn.stage.track,
                         recipient=pn.to.email, cc=",".join(c.email for c in pn.cc) or None,
                         send_day=pn.stage.send_day, state=state, claimed_by=run_id if state == "pending" else None,
                         created_at=now, updated_at=now)  # fmt: skip
            s.add(row)
            rows.append(row)
        sending_tracks = {n.stage.track for n in decision.send}
        if sending_tracks:  # a newer notice replaces an older one still waiting for a retry
            tracks = {OWNER, ESCALATION} if ESCALATION in sending_tracks else sending_tracks
            waiting = select(Notice).where(Notice.action_id == action.id, Notice.state == "retry")
            for old in s.exec(waiting.where(Notice.track.in_(tracks))):
                old.state, old.updated_at, old.last_error = "superseded", now, "a later notice was sent"
        try:
            s.flush()
        except sa.exc.IntegrityError:
            s.rollback()  # another runner claimed these first
            return 0, []
        refresh_next_notice(s, config, now, [action])
        s.commit()
        return len(decision.superseded), [r.id for r in rows if r.state == "pending"]


def _due_retries(session: Session, config: Config, now: dt.datetime) -> list[int]:
    stmt = select(Notice, Action).join(Action, Action.id == Notice.action_id)
    stmt = stmt.where(Notice.state == "retry", Notice.next_attempt_at <= now)
    ids = []
    for notice, action in session.exec(stmt):
        plan = config.plans.get(action.plan_id)
        if plan and calendar_for(plan).is_working_day(now.astimezone(plan.policy.tz).date()):
            ids.append(notice.id)
    return ids


def _prepare(engine, config, notice_ids, now, run_id, report) -> list[tuple[Notice, object]]:
    """Mark rows `sending` after re-checking their action; return (row, view) pairs to send."""
    ready = []
    with db.session(engine) as s:
        for nid in notice_ids:
            row = s.get(Notice, nid)
            action = s.get(Action, row.action_id)
            if action.status in CLOSED or action.due != row.due_date or row.state not in ("pending", "retry"):
                if row.state in ("pending", "retry"):
                    row.state, row.updated_at = "superseded", now
                    row.last_error = f"not sent: action is {action.status}, due {action.due}"
                    report.outcomes.append(_outcome(action, row, "cancelled"))
                continue
            row.state, row.claimed_by, row.updated_at = "sending", run_id, now
            row.attempts += 1
            ready.append((row, notice_view(s, config, action, row, now)))
        s.commit()
    return ready


def _outcome(action, row, outcome, message_id=None, error=None) -> dict:
    return {"plan": action.plan_id if action else "?", "ref": action.ref if action else "?", "stage": row.stage,
            "recipient": row.recipient, "outcome": outcome, "message_id": message_id, "error": error}  # fmt: skip


def _record(engine, rows, now, outcome, message_id=None, error=None, permanent=False, report=None):
    with db.session(engine) as s:
        for r in rows:
            row = s.get(Notice, r.id)
            if outcome == "sent":
                row.state, row.message_id, row.sent_at, row.last_error = "sent", message_id, now, error
            elif permanent or row.attempts >= MAX_ATTEMPTS:
                row.state, row.last_error = "failed", error
                outcome = "failed"
            else:
                row.state, row.last_error = "retry", error
                row.next_attempt_at = now + backoff(row.attempts)
                outcome = "retry"
            row.updated_at = now
            action = s.get(Action, row.action_id)
            result = _outcome(action, row, outcome, message_id, error)
            report.outcomes.append(result)
            log.info(
                "notice plan=%s ref=%s stage=%s recipient=%s outcome=%s message_id=%s%s",
                result["plan"], result["ref"], row.stage, row.recipient, outcome, message_id or "-",
                f" error={error!r}" if error else "",
                extra={"notice": result},
            )  # fmt: skip
        s.commit()


def _groups(pairs, config: Config) -> list[list]:
    """Group (row, view) pairs into messages: one per (to, cc) when the plan digests."""
    groups: dict = {}
    for row, view in pairs:
        digest = config.plans[view.plan].policy.digest
        key = (view.to.email, tuple(sorted(c.email for c in view.cc))) + (() if digest else (row.id,))
        groups.setdefault(key, []).append((row, view))
    return list(groups.values())


def run_once(engine, config: Config, renderer: Renderer, transport, now: dt.datetime,
             run_id: str | None = None, stop=lambda: False) -> RunReport:  # fmt: skip
    """Run the pipeline once at instant `now` (aware) and return what happened to each notice.

    `stop()` is checked between messages: a shutdown request finishes the message in flight.
    """
    report = RunReport(run_id or uuid.uuid4().hex[:12])
    with db.session(engine) as s:
        _recover_orphans(s, now, report.run_id)
        latest_today = max(
            (now.astimezone(p.policy.tz).date() for p in config.plans.values()), default=now.date()
        )
        due = select(Action.id).where(
            Action.next_notice_on.is_not(None), Action.next_notice_on <= latest_today
        )
        action_ids = list(s.exec(due.order_by(Action.id)))
        retries = _due_retries(s, config, now)
    claimed = []
    for aid in action_ids:
        n_superseded, ids = _claim(engine, config, aid, now, report.run_id)
        report.superseded += n_superseded
        claimed += ids
    pairs = _prepare(engine, config, claimed + retries, now, report.run_id, report)
    groups = _groups(pairs, config)
    if not groups:
        return report
    try:
        transport.open()
    except TransportError as exc:
        for group in groups:
            _record(
                engine,
                [r for r, _ in group],
                now,
                "retry",
                error=str(exc),
                permanent=exc.permanent,
                report=report,
            )
        return report
    try:
        for i, group in enumerate(groups):
            if stop():
                rest = [r for g in groups[i:] for r, _ in g]
                _record(engine, rest, now, "retry", error="shutdown before sending", report=report)
                break
            _deliver(engine, renderer, transport, group, now, report)
    finally:
        transport.close()
    return report


def _deliver(engine, renderer: Renderer, transport, group, now, report: RunReport) -> None:
    rows = [r for r, _ in group]
    try:
        msg = renderer.render([v for _, v in group], now)
    except TemplateProblem as exc:
        _record(engine, rows, now, "failed", error=str(exc), permanent=True, report=report)
        return
    try:
        refused = transport.send(msg)
    except TransportError as exc:
        _record(engine, rows, now, "retry", error=str(exc), permanent=exc.permanent, report=report)
        return
    report.messages += 1
    to = rows[0].recipient
    if to in refused:
        code, text = refused[to]
        _record(engine, rows, now, "retry", error=f"recipient refused: {code} {text}",
                permanent=code >= 500, report=report)  # fmt: skip
        return
    note = "; ".join(f"cc {a} refused: {c} {t}" for a, (c, t) in refused.items()) or None
    _record(engine, rows, now, "sent", message_id=msg["Message-ID"], error=note, report=report)
