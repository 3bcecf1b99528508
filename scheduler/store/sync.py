"""Config -> database reconciliation.

`sync(session, config, now)` makes owners, plans and actions match the config and
returns the list of changes. It never touches status (except withdrawing actions that
left the config, and restoring them if they come back), history or revisions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.config.model import Config
from scheduler.store.models import Action, ActionEvent, DueRevision, Owner, Plan
from scheduler.store.states import ActionStatus, EventKind

SYNC_BY = "sync"


SHOWN_CHANGES = 1000  # change lines kept for printing; a first sync of a million actions counts the rest


@dataclass
class SyncReport:
    changes: list[str] = field(default_factory=list)  # the first SHOWN_CHANGES lines
    total: int = 0  # every change, shown or not
    touched_action_ids: set[int] = field(default_factory=set)  # existing actions changed (not new ones)
    new_actions: list = field(default_factory=list)

    def add(self, text: str) -> None:
        self.total += 1
        if len(self.changes) < SHOWN_CHANGES:
            self.changes.append(text)


def _event(session: Session, action: Action, now, kind: EventKind, frm=None, to=None, note=None, by=SYNC_BY):
    session.add(ActionEvent(action_id=action.id, at=now, by=by, kind=kind,
                            from_value=frm, to_value=to, note=note))  # fmt: skip


OWNER_BATCH = 5000  # new owners per INSERT: a first sync of 100,000 owners never holds them as ORM objects


def _sync_owners(session: Session, config: Config, now, report: SyncReport) -> None:
    """Make the owner table match config with plain rows and batched statements (at a million
    actions there are 100,000 owners: as ORM objects they were most of a first sync's memory)."""
    session.flush()
    conn = session.connection()
    cols = (Owner.id, Owner.name, Owner.email, Owner.manager_id, Owner.active)
    existing = {row[0]: row for row in conn.execute(sa.select(*cols))}
    new = []
    for oid, o in config.owners.items():
        row = existing.get(oid)
        if row is None:
            new.append({"id": oid, "name": o.name, "email": o.email, "manager_id": o.manager, "active": True,
                        "updated_at": now})  # fmt: skip
            report.add(f"owner added: {oid} <{o.email}>")
            if len(new) == OWNER_BATCH:
                conn.execute(sa.insert(Owner), new)
                new = []
            continue
        diffs = [f for f, old, value in (("name", row[1], o.name), ("email", row[2], o.email),
                                         ("manager", row[3], o.manager)) if old != value]  # fmt: skip
        if diffs or not row[4]:
            conn.execute(sa.update(Owner).where(Owner.id == oid).values(
                name=o.name, email=o.email, manager_id=o.manager, active=True, updated_at=now))  # fmt: skip
            report.add(f"owner changed: {oid} ({', '.join(diffs) or 'restored'})")
    if new:
        conn.execute(sa.insert(Owner), new)
    for oid, row in existing.items():
        if oid not in config.owners and row[4]:
            conn.execute(sa.update(Owner).where(Owner.id == oid).values(active=False, updated_at=now))
            report.add(f"owner removed: {oid} (kept for history)")


def _latest_revision(session: Session, action_id: int) -> DueRevision | None:
    stmt = select(DueRevision).where(DueRevision.action_id == action_id)
    return session.exec(stmt.order_by(DueRevision.id.desc())).first()


def _withdraw(session, action: Action, now, report: SyncReport, why: str) -> None:
    action.in_config = False
    action.updated_at = now
    if action.status != ActionStatus.WITHDRAWN:
        _event(session, action, now, EventKind.WITHDRAWN, action.status, ActionStatus.WITHDRAWN, why)
        action.status = ActionStatus.WITHDRAWN
        action.next_notice_on = None
        report.add(f"withdrawn: {action.plan_id}/{action.ref} ({why})")
        report.touched_action_ids.add(action.id)


def _restore(session, action: Action, now, report: SyncReport) -> None:
    action.in_config = True
    if action.status != ActionStatus.WITHDRAWN:
        return
    stmt = select(ActionEvent).where(ActionEvent.action_id == action.id, ActionEvent.kind == EventKind.WITHDRAWN)
    last = session.exec(stmt.order_by(ActionEvent.id.desc())).first()
    if last is not None and last.by == SYNC_BY:  # only undo what sync did, not an admin's withdrawal
        action.status = ActionStatus(last.from_value or ActionStatus.OPEN)
        _event(session, action, now, EventKind.RESTORED, ActionStatus.WITHDRAWN, action.status, "back in the config")
        report.add(f"restored: {action.plan_id}/{action.ref} (status {action.status})")


def _sync_action(session, plan_cfg, a_cfg, row: Action | None, now, today, report) -> Action:
    config_due = a_cfg.config_due(plan_cfg.report_date)
    key = f"{plan_cfg.id}/{a_cfg.ref}"
    if row is None:  # inserted with the plan's other new actions in one statement (_insert_new)
        report.new_actions.append({"plan_id": plan_cfg.id, "ref": a_cfg.ref, "title": a_cfg.title,
                                   "response": a_cfg.response, "area": a_cfg.area, "owner_id": a_cfg.owner,
                                   "owner_since": today, "config_due": config_due,
                                   "timescale_months": a_cfg.timescale_months, "due": config_due, "status": ActionStatus.OPEN,
                                   "in_config": True, "created_at": now, "updated_at": now})  # fmt: skip
        report.add(f"added: {key} (owner {a_cfg.owner}, due {config_due})")
        return None
    if not row.in_config:
        _restore(session, row, now, report)
    changed = [name for name, new in (("title", a_cfg.title), ("response", a_cfg.response),
               ("area", a_cfg.area), ("timescale_months", a_cfg.timescale_months))
               if getattr(row, name) != new]  # fmt: skip
    for name in changed:
        setattr(row, name, getattr(a_cfg, name))
    if row.config_due != config_due:
        changed.append("due")
        _event(session, row, now, EventKind.CHANGED, str(row.config_due), str(config_due), "due date in config")
        row.config_due = config_due
        if _latest_revision(session, row.id) is None:  # an agreed extension wins over config
            row.due = config_due
    if changed:
        report.add(f"changed: {key} ({', '.join(changed)})")
        if changed != ["due"]:
            _event(session, row, now, EventKind.CHANGED, None, None, "config fields: " + ", ".join(changed))
    if row.owner_id != a_cfg.owner:
        _event(session, row, now, EventKind.OWNER, row.owner_id, a_cfg.owner, f"assigned on {today}")
        report.add(f"owner reassigned: {key} {row.owner_id} -> {a_cfg.owner}")
        row.owner_id, row.owner_since = a_cfg.owner, today
        changed.append("owner")
    if changed:
        row.updated_at = now
        report.touched_action_ids.add(row.id)
    return row


_INSERT_ACTIONS = sa.insert(Action).returning(Action.id, sort_by_parameter_order=True)


def _insert_new(session: Session, report: SyncReport, now) -> None:
    """Insert a plan's new actions and their `created` events: two statements, not a row each."""
    if not report.new_actions:
        return
    session.flush()
    conn = session.connection()
    ids = [aid for (aid,) in conn.execute(_INSERT_ACTIONS, report.new_actions)]
    conn.execute(sa.insert(ActionEvent), [
        {"action_id": aid, "at": now, "by": SYNC_BY, "kind": EventKind.CREATED, "from_value": None, "to_value": ActionStatus.OPEN,
         "note": f"owner {new['owner_id']}, due {new['config_due']}"}
        for aid, new in zip(ids, report.new_actions, strict=True)])  # fmt: skip
    report.new_actions.clear()


class SyncRefused(Exception):
    """The sync would withdraw more than half of a plan's actions; the message says how to allow it."""


WITHDRAW_SHARE = 0.5


def check_withdrawals(session: Session, config: Config) -> None:
    """Raise SyncRefused when the config drops more than half of a plan's live actions (a truncated
    file, a plan file deleted by mistake): nothing is changed until an admin allows it."""
    plan_ids = session.exec(select(Action.plan_id).where(Action.in_config).distinct()).all()
    for plan_id in plan_ids:  # a plan at a time: two columns, never every action at once
        refs = session.exec(select(Action.ref).where(Action.in_config, Action.plan_id == plan_id)).all()
        kept = {a.ref for a in config.plans[plan_id].actions} if plan_id in config.plans else set()
        gone = [r for r in refs if r not in kept]
        if gone and len(gone) > WITHDRAW_SHARE * len(refs):
            where = "its plan file is gone" if plan_id not in config.plans else "they are not in its plan file"
            raise SyncRefused(f"sync would withdraw {len(gone)} of the {len(refs)} actions of plan {plan_id!r} "
                              f"({where}): {', '.join(sorted(gone)[:8])}{', ...' if len(gone) > 8 else ''}. "
                              "If that is intended, run `reminders sync --allow-withdraw`; otherwise restore "
                              "the plan file")  # fmt: skip


def sync(session: Session, config: Config, now: dt.datetime, allow_withdraw: bool = False) -> SyncReport:
    """Reconcile the database with `config` as of `now` (aware); return what changed.

    Raises SyncRefused (nothing changed) when it would withdraw more than half of a plan's actions,
    unless `allow_withdraw`. The caller commits; on any exception it rolls back.
    """
    if not allow_withdraw:
        check_withdrawals(session, config)
    report = SyncReport()
    _sync_owners(session, config, now, report)
    plans = {p.id: p for p in session.exec(select(Plan)).all()}
    for plan_cfg in config.plans.values():
        today = now.astimezone(plan_cfg.policy.tz).date()
        plan = plans.get(plan_cfg.id)
        if plan is None:
            plan = Plan(id=plan_cfg.id, title=plan_cfg.title, report_date=plan_cfg.report_date,
                        escalation_contact=plan_cfg.escalation_contact, updated_at=now)  # fmt: skip
            session.add(plan)
            report.add(f"plan added: {plan_cfg.id} ({len(plan_cfg.actions)} actions)")
        elif (plan.title, plan.report_date, plan.escalation_contact, plan.active) != (
            plan_cfg.title, plan_cfg.report_date, plan_cfg.escalation_contact, True):  # fmt: skip
            plan.title, plan.report_date = plan_cfg.title, plan_cfg.report_date
            plan.escalation_contact, plan.active, plan.updated_at = plan_cfg.escalation_contact, True, now
            report.add(f"plan changed: {plan_cfg.id}")
        session.flush()
        rows = {a.ref: a for a in session.exec(select(Action).where(Action.plan_id == plan_cfg.id))}
        for a_cfg in plan_cfg.actions:
            _sync_action(session, plan_cfg, a_cfg, rows.pop(a_cfg.ref, None), now, today, report)
        _insert_new(session, report, now)
        for row in rows.values():
            if row.in_config:
                _withdraw(session, row, now, report, "removed from the plan file")
    for plan_id, plan in plans.items():
        if plan_id not in config.plans and plan.active:
            plan.active, plan.updated_at = False, now
            report.add(f"plan removed: {plan_id}")
            for row in session.exec(select(Action).where(Action.plan_id == plan_id)):
                if row.in_config:
                    _withdraw(session, row, now, report, "plan file removed")
    session.flush()
    return report
