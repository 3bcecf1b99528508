"""What the action page says to whoever opens it: whether they may record a follow-up (someone the
action escalates to, or its owner's manager; an administrator or verifier who is neither gets a
read-only view), the time line (how a completion stood against its due date, never "overdue" for
work finished in time), and why the owner's last completion was returned."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from scheduler.config.approvers import verifier_of
from scheduler.config.humandates import longwhen
from scheduler.engine.facts import build_facts
from scheduler.store.models import Action, ActionEvent, Notice
from scheduler.store.states import ActionStatus, EventKind, NoticeState

RETURNED = "returned: "  # how verification.return_ notes a return on the status event


def follows_up(session, config, action: Action, recipient: str) -> bool:
    """Return True when `recipient` may record a follow-up: one of the action's escalation targets,
    or its owner's manager (the page's follow-up form and the POST check both ask this)."""
    owner = config.owners.get(action.owner_id)
    if owner is None or action.plan_id not in config.plans:
        return False
    boss = config.owners.get(owner.manager) if owner.manager else None
    targets = {p.email.lower() for p in build_facts(session, config, action).escalation_targets if p}
    return recipient.lower() in targets or bool(boss and boss.email.lower() == recipient.lower())


def escalated_to(session, action: Action, recipient: str) -> bool:
    """Return True when an escalation email about the action was sent to `recipient`."""
    stmt = select(Notice.id).where(Notice.action_id == action.id, Notice.stage.like("escalation:%"),
                                   Notice.recipient == recipient, Notice.state == NoticeState.SENT)  # fmt: skip
    return session.exec(stmt).first() is not None


def standing(session, config, action: Action, recipient: str, open_: bool) -> str:
    """Return how the page addresses a non-owner: "escalated" (an escalation email went to them),
    "escalates" (a target or the owner's manager, not escalated to yet, on an open action), else
    read-only: "verifier", "administrator" or "reader" (a manager of an action no longer open)."""
    if escalated_to(session, action, recipient):
        return "escalated"
    if open_ and follows_up(session, config, action, recipient):
        return "escalates"
    checker = verifier_of(config, action.plan_id, action.owner_id)
    if checker and checker.email.lower() == recipient.lower():
        return "verifier"
    plan = config.plans.get(action.plan_id)
    admin = config.owners.get(plan.administrator) if plan and plan.administrator else None
    return "administrator" if admin and admin.email.lower() == recipient.lower() else "reader"


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def time_line(action: Action, today: dt.date, completed_on: dt.date | None) -> str:
    """Return the page's "Time" line: days left or overdue while open; for a completion (waiting for
    verification, or complete) when it was done against its due date, and how long it has waited."""
    if action.status == ActionStatus.WITHDRAWN or (action.status == ActionStatus.COMPLETE and completed_on is None):
        return str(action.status)
    if completed_on is not None and action.status in (ActionStatus.AWAITING_VERIFICATION, ActionStatus.COMPLETE):
        gap = (action.due - completed_on).days
        done = ("completed on its due date" if gap == 0 else f"completed {_days(gap)} before its due date"
                if gap > 0 else f"completed {_days(-gap)} after its due date")  # fmt: skip
        if action.status == ActionStatus.COMPLETE:
            return done
        waited = (today - completed_on).days
        return f"{done}; waiting for verification {_days(waited) if waited else 'since today'}"
    left = (action.due - today).days
    return f"{_days(left)} left" if left > 0 else "due today" if left == 0 else f"{_days(-left)} overdue"


def completed_on(session, action: Action, tz) -> dt.date | None:
    """Return the local date of the owner's latest completion (sent for verification, or complete at
    once), or None when it has none."""
    stmt = (select(ActionEvent).where(ActionEvent.action_id == action.id, ActionEvent.kind == EventKind.STATUS,
                                      ActionEvent.to_value.in_([ActionStatus.AWAITING_VERIFICATION,
                                                                ActionStatus.COMPLETE]))
            .order_by(ActionEvent.id.desc()))  # fmt: skip
    for event in session.exec(stmt):
        if event.to_value == ActionStatus.COMPLETE and event.from_value == ActionStatus.AWAITING_VERIFICATION:
            continue  # the verifier's sign-off: the owner's completion is the submission before it
        at = event.at if event.at.tzinfo else event.at.replace(tzinfo=dt.UTC)
        return at.astimezone(tz).date()
    return None


def returned(session, action: Action, tz, name_of) -> dict | None:
    """Return {who, when, reason} of the return the owner has not answered yet (the latest status
    change is a return and the action is open again), else None; `name_of` names the returner."""
    if action.status not in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS):
        return None
    stmt = (select(ActionEvent).where(ActionEvent.action_id == action.id, ActionEvent.kind == EventKind.STATUS)
            .order_by(ActionEvent.id.desc()))  # fmt: skip
    last = session.exec(stmt).first()
    if last is None or last.from_value != ActionStatus.AWAITING_VERIFICATION or not (last.note or "").startswith(RETURNED):
        return None
    return {"who": name_of(last.by.replace(" (via web)", "")), "when": longwhen(last.at, tz),
            "reason": last.note[len(RETURNED):]}  # fmt: skip
