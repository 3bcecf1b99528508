"""Bridge between the database and the pure decision: build ActionFacts, read the ledger,
and keep each action's indexed `next_notice_on` day current."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlmodel import Session, select

from scheduler.config.approvers import verifier_of
from scheduler.config.dates import WorkingCalendar, working_calendar
from scheduler.config.model import Config, PlanConfig
from scheduler.engine.decide import ActionFacts, Person, next_notice_day
from scheduler.store.models import CLOSED, Action, DueRevision, Notice


def calendar_for(plan: PlanConfig) -> WorkingCalendar:
    return working_calendar(tuple(plan.policy.working_days), plan.policy.holidays)


def person(config: Config, owner_id: str) -> Person:
    o = config.owners[owner_id]
    return Person(o.id, o.name, o.email)


def escalation_target(config: Config, plan: PlanConfig, owner_id: str, to: str) -> Person:
    """Resolve an escalation level's `to` through the current owner chain."""
    if to == "manager":
        return person(config, config.owners[owner_id].manager)
    if to == "escalation_contact":
        return person(config, plan.escalation_contact)
    return person(config, to)


def due_set_on(session: Session, action: Action, tz, revs: list | None = None) -> dt.date | None:
    """Local date the current due date was agreed, if it came from an extension (`revs`: the
    action's revisions oldest first, when the caller has them already)."""
    if revs is not None:
        rev = revs[-1] if revs else None
    else:
        stmt = select(DueRevision).where(DueRevision.action_id == action.id).order_by(DueRevision.id.desc())
        rev = session.exec(stmt).first()
    if rev is None or rev.revised_due != action.due:
        return None
    return rev.recorded_at.astimezone(tz).date()


def build_facts(session: Session, config: Config, action: Action, revs: list | None = None) -> ActionFacts:
    """Return what the decision needs to know about `action` now."""
    plan = config.plans[action.plan_id]
    assigned_on = max(d for d in (plan.report_date, action.owner_since,
                                  due_set_on(session, action, plan.policy.tz, revs)) if d)  # fmt: skip
    targets = tuple(escalation_target(config, plan, action.owner_id, e.to) for e in plan.policy.escalations)
    verifier = verifier_of(config, plan.id, action.owner_id)  # never the owner
    since, before = None, 0
    if action.status == "awaiting_verification":  # few at a time: their queries stay cheap
        from scheduler.store.verification import verify_requests_before, waiting_since

        since = waiting_since(session, [action.id]).get(action.id)
        before = verify_requests_before(session, action.id, since) if since else 0
    return ActionFacts(action.plan_id, action.ref, action.status, action.due, assigned_on,
                       person(config, action.owner_id), targets,
                       Person(verifier.id, verifier.name, verifier.email) if verifier else None, since, before)  # fmt: skip


def ledger_done(session: Session, action_ids) -> dict[tuple[int, dt.date], set[tuple[str, str]]]:
    """Return {(action id, due date): {(stage, recipient), ...}} for the given actions."""
    done: dict = defaultdict(set)
    ids = list(action_ids)
    for i in range(0, len(ids), 500):
        stmt = select(Notice.action_id, Notice.due_date, Notice.stage, Notice.recipient)
        for aid, due, stage, rcpt in session.exec(stmt.where(Notice.action_id.in_(ids[i : i + 500]))):
            done[(aid, due)].add((stage, rcpt))
    return done


def revisions_of(session: Session, action_ids) -> dict[int, list]:
    """Return {action id: [DueRevision, oldest first]} for the given actions, in batched queries."""
    out: dict = defaultdict(list)
    ids = list(action_ids)
    for i in range(0, len(ids), 500):
        stmt = select(DueRevision).where(DueRevision.action_id.in_(ids[i : i + 500])).order_by(DueRevision.id)
        for r in session.exec(stmt):
            out[r.action_id].append(r)
    return out


def refresh_next_notice(session: Session, config: Config, now: dt.datetime, actions=None) -> None:
    """Recompute `next_notice_on` for `actions` (default: every action in the config's plans, a
    plan at a time, each flushed before the next is read, so memory follows the largest plan)."""
    if actions is None:
        for plan_id in config.plans:
            rows = session.exec(select(Action).where(Action.plan_id == plan_id)).all()
            refresh_next_notice(session, config, now, rows)
        return
    actions = [a for a in actions if a.plan_id in config.plans]
    from scheduler.engine import progress

    done = ledger_done(session, [a.id for a in actions])
    revs = revisions_of(session, [a.id for a in actions])
    asked = progress.done_by_action(done)
    updates = progress.recorded_updates(session, [a.id for a in actions if config.plans[a.plan_id].reviews])
    for action in actions:
        if action.status in CLOSED or not action.in_config:
            action.next_notice_on = None
            continue
        plan = config.plans[action.plan_id]
        today = now.astimezone(plan.policy.tz).date()
        facts = build_facts(session, config, action, revs.get(action.id, []))
        cal = calendar_for(plan)
        action.next_notice_on = progress.earliest(
            next_notice_day(facts, plan.policy, cal, done.get((action.id, action.due), set()), today),
            progress.next_progress_day(facts, plan, cal, asked[action.id], updates[action.id], today))
    session.flush()


def sync_and_refresh(session: Session, config: Config, now: dt.datetime, allow_withdraw: bool = False):
    """Sync config into the database and keep `next_notice_on` current; return the SyncReport.

    Nothing is read or written when the config files are the ones last applied (their
    fingerprint); otherwise every action's next notice day is recomputed (a policy or owner
    edit can move any of them).
    """
    from scheduler.store.db import serialise
    from scheduler.store.extensions import lapse_all
    from scheduler.store.models import ServiceEvent
    from scheduler.store.sync import SyncReport, sync

    serialise(session, "sync")
    stmt = select(ServiceEvent.detail).where(ServiceEvent.kind == "config_applied")
    last = session.exec(stmt.order_by(ServiceEvent.id.desc())).first()
    if last == config.fingerprint:  # the same files as the last applied sync: nothing can differ
        return SyncReport()
    report = sync(session, config, now, allow_withdraw)
    session.flush()
    lapse_all(session, config, now)  # a reassignment or a new approver withdraws a pending request
    refresh_next_notice(session, config, now)
    session.add(ServiceEvent(at=now, kind="config_applied", detail=config.fingerprint))
    return report
