"""Read a plan's history from the database for the progress report (the pure part is report_data).

`load_history(session, plan_config)` returns a `PlanHistory`: every action of the plan with its
events, agreed revisions, escalations sent and evidence times; `report_for(session, plan, as_of)`
the `Report` as of a date.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from scheduler.documents.report_data import ActionHistory, Event, PlanHistory, Report, Revision, build_report
from scheduler.store.evidence_models import Evidence
from scheduler.store.models import Action, ActionEvent, DueRevision, Notice, Owner, Plan


def _evidence_times(session: Session, action_ids: list[int]) -> dict[int, list[tuple]]:
    """Return {action id: [(submitted at, superseded at or None)]} from the evidence table: a file
    replaced by a later one of the same name is superseded when that one was submitted."""
    if not action_ids:
        return {}
    rows = session.exec(select(Evidence.id, Evidence.action_id, Evidence.submitted_at, Evidence.superseded_by)
                        .where(Evidence.action_id.in_(action_ids))).all()  # fmt: skip

    def utc(at):  # SQLite gives naive datetimes back; every instant is stored in UTC
        return at if at.tzinfo else at.replace(tzinfo=dt.UTC)

    added = {eid: utc(at) for eid, _, at, _ in rows}
    out: dict[int, list[tuple]] = {}
    for eid, aid, _, by in rows:
        out.setdefault(aid, []).append((added[eid], added.get(by) if by is not None else None))
    return out


def _escalations(session: Session, ids: list[int], names: dict[str, str], owner_email: dict[int, str]):
    """Return {action id: [(sent at, stage, recipient name)]}: escalations sent to their targets
    (the owner's own copies are left out)."""
    out: dict[int, list] = {}
    stmt = select(Notice.action_id, Notice.sent_at, Notice.stage, Notice.recipient).where(
        Notice.action_id.in_(ids), Notice.stage.like("escalation:%"), Notice.state == "sent")
    for aid, at, stage, rcpt in session.exec(stmt.order_by(Notice.sent_at, Notice.id)):  # fmt: skip
        if at is not None and rcpt != owner_email.get(aid):
            out.setdefault(aid, []).append((at, stage, names.get(rcpt, rcpt)))
    return out


def _starts(actions: list[Action], tz: ZoneInfo, report_date: dt.date) -> dict[int, dt.date]:
    """Return the first day each action counts: the plan's first sync counts from the report date
    (a plan loaded late still has its whole history), an action added later from its own day."""
    created = {a.id: a.created_at.astimezone(tz).date() for a in actions}
    first = min(created.values(), default=report_date)
    return {aid: min(report_date, day) if day == first else day for aid, day in created.items()}


def load_history(session: Session, plan) -> PlanHistory:
    """Return the plan's history (`plan` is its PlanConfig: reviews and timezone come from config)."""
    tz = plan.policy.tz
    row = session.get(Plan, plan.id)
    actions = list(session.exec(select(Action).where(Action.plan_id == plan.id).order_by(Action.id)))
    ids = [a.id for a in actions]
    owners = {o.id: o for o in session.exec(select(Owner))}
    events: dict[int, list[Event]] = {}
    for e in session.exec(select(ActionEvent).where(ActionEvent.action_id.in_(ids)).order_by(ActionEvent.id)):
        events.setdefault(e.action_id, []).append(
            Event(e.at, e.kind, e.from_value, e.to_value, e.note, e.by, getattr(e, "rag", None)))
    # People are shown by name: approvers are recorded by owner id, escalation targets by address.
    names = {o.email: o.name for o in owners.values()} | {o.id: o.name for o in owners.values()}
    revs: dict[int, list[Revision]] = {}
    for r in session.exec(select(DueRevision).where(DueRevision.action_id.in_(ids)).order_by(DueRevision.id)):
        revs.setdefault(r.action_id, []).append(Revision(r.recorded_at, r.previous_due, r.revised_due, r.reason,
                                                         names.get(r.approved_by, r.approved_by)))  # fmt: skip
    owner_email = {a.id: owners[a.owner_id].email for a in actions if a.owner_id in owners}
    escalations = _escalations(session, ids, names, owner_email) if ids else {}
    evidence = _evidence_times(session, ids)
    starts = _starts(actions, tz, plan.report_date)
    histories = tuple(
        ActionHistory(a.ref, a.title, owners[a.owner_id].name if a.owner_id in owners else a.owner_id,
                      a.config_due, starts[a.id], tuple(events.get(a.id, ())), tuple(revs.get(a.id, ())),
                      tuple(escalations.get(a.id, ())), tuple(sorted(evidence.get(a.id, ()))))
        for a in actions)  # fmt: skip
    title = row.title if row is not None else plan.title
    return PlanHistory(plan.id, title, plan.report_date, plan.policy.timezone,
                       tuple((r.date, r.body) for r in plan.reviews), histories)  # fmt: skip


def report_for(session: Session, plan, as_of: dt.date) -> Report:
    """Return the plan's progress report as of the end of `as_of`."""
    return build_report(load_history(session, plan), as_of)
