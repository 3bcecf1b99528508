"""Extension requests: an owner asks for a later due date, the approver decides (PRODUCT.md §2).

Every check is made here against the current database and config, whoever calls (the web app
today, any CLI command tomorrow): a closed action takes no request; one pending request per
action; nobody approves their own request (config/approvers.py routes it up); at decision time
the request must still be pending, for the current owner and due date, and the person deciding
must still be its approver. A request that no longer holds is withdrawn, never left dangling.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.config.approvers import approver_of
from scheduler.config.humandates import longdate
from scheduler.config.limits import LATEST
from scheduler.store import operations
from scheduler.store.models import Action, ActionEvent, ExtensionRequest
from scheduler.store.operations import InputError
from scheduler.store.states import CLOSED, EventKind, ExtensionState


class Lapsed(InputError):
    """The request no longer holds and was withdrawn just now: the caller commits that, nothing else."""


def pending_for(session: Session, action_id: int) -> ExtensionRequest | None:
    """Return the action's pending extension request, if any."""
    stmt = select(ExtensionRequest).where(ExtensionRequest.action_id == action_id,
                                          ExtensionRequest.state == ExtensionState.PENDING)  # fmt: skip
    return session.exec(stmt).first()


def request_extension(session: Session, config, action: Action, requester: str, proposed: dt.date,
                      reason: str, now: dt.datetime) -> ExtensionRequest:  # fmt: skip
    """Record an owner's request to move the due date to `proposed`; return it (pending).

    InputError: the action is closed, the date is not later, no reason, a request is already
    pending, or nobody can approve it.
    """
    operations.refuse_closed(action)
    if not action.due < proposed:
        raise InputError(f"the proposed date must be after the current due date, {longdate(action.due)}")
    if proposed > LATEST:
        raise InputError(f"the proposed date must be on or before {longdate(LATEST)}")
    if not reason:
        raise InputError("say why more time is needed (required)")
    waiting = pending_for(session, action.id)
    why = lapsed(config, action, waiting, now) if waiting is not None else None
    if why:  # e.g. undecided until its approval link expired: it must not block asking again
        operations.withdraw_pending(session, action.id, why, now)
        session.flush()
    else:
        _refuse_second(waiting)
    approver = approver_of(config, action.plan_id, action.owner_id, requester)
    if approver is None:
        raise InputError("nobody can approve an extension for this action (its plan names no manager, "
                         "escalation contact or administrator other than you); tell the plan administrator")  # fmt: skip
    req = ExtensionRequest(action_id=action.id, due_date=action.due, proposed_due=proposed, reason=reason,
                           requested_by=requester.lower(), approver=approver.email.lower(),
                           state=ExtensionState.PENDING, created_at=now)  # fmt: skip
    try:
        with session.begin_nested():  # a request made at the same moment may win the unique index
            session.add(req)
            session.flush()
    except sa.exc.IntegrityError:
        _refuse_second(pending_for(session, action.id))
        raise
    session.add(ActionEvent(action_id=action.id, at=now, by=f"{requester} (via web)",
                            kind=EventKind.EXTENSION_REQUEST, from_value=str(action.due), to_value=str(proposed),
                            note=reason))  # fmt: skip
    session.flush()
    return req


def _refuse_second(waiting: ExtensionRequest | None) -> None:
    if waiting is not None:
        raise InputError(f"a request to move it to {longdate(waiting.proposed_due)} is already waiting for "
                         f"{waiting.approver}; only one request at a time")  # fmt: skip


def lapsed(config, action: Action, req: ExtensionRequest, now: dt.datetime | None = None) -> str | None:
    """Return why a pending request no longer holds (closed, reassigned, re-dated, approver changed,
    or, given `now`, not decided while its approval link worked: older than link_valid_days)."""
    owner = config.owners.get(action.owner_id)
    if action.status in CLOSED:
        return f"the action is {action.status}"
    if owner is None or owner.email.lower() != req.requested_by.lower():
        return "the action has been reassigned"
    if action.due != req.due_date:
        return "the due date has changed since"
    approver = approver_of(config, action.plan_id, action.owner_id, req.requested_by)
    if approver is None or approver.email.lower() != req.approver.lower():
        return "its approver has changed"
    plan = config.plans.get(action.plan_id)
    days = (plan.policy if plan else config.default_policy).link_valid_days
    if now is not None and now - req.created_at > dt.timedelta(days=days):
        return f"it was not decided within {days} days (its approval link has expired)"
    return None


def decide_extension(session: Session, config, req: ExtensionRequest, decider: str, approve: bool,
                     note: str, now: dt.datetime) -> ExtensionRequest:  # fmt: skip
    """Approve (the revised due date is recorded like `reminders extend`) or decline `req`.

    InputError when it is no longer pending, was withdrawn just now (its reason given), or
    `decider` is not its approver.
    """
    action = session.get(Action, req.action_id)
    if req.state != ExtensionState.PENDING:
        raise InputError(f"already decided ({req.state}); nothing changed")
    why = lapsed(config, action, req, now)
    if why:
        operations.withdraw_pending(session, action.id, why, now)
        raise Lapsed(f"this request was withdrawn: {why}; nothing else changed")
    if decider.lower() != req.approver.lower():
        raise InputError(f"only {req.approver} can decide this request")
    approver_id = next((o.id for o in config.owners.values() if o.email.lower() == req.approver), req.approver)
    req.decided_by, req.decided_note, req.decided_at = req.approver, note or None, now
    if approve:
        operations.extend(session, action, req.proposed_due, req.reason, approver_id, f"{decider} (via web)", now)
        req.state = ExtensionState.APPROVED
    else:
        req.state = ExtensionState.DECLINED
        session.add(ActionEvent(action_id=action.id, at=now, by=f"{decider} (via web)",
                                kind=EventKind.EXTENSION_DECIDED, to_value="declined", note=note or None))  # fmt: skip
    return req


def waiting(session: Session, config, now: dt.datetime, plan_id: str | None = None) -> dict[int, ExtensionRequest]:
    """Return {action id: request} of the pending requests that still hold at `now` (`lapsed` finds no
    reason), of one plan or all: what the dashboard, /metrics, the status table and the summary count
    as waiting. Reads only: a lapsed request stays in the database until lapse_all (a sync) or the
    next request withdraws it, so web handlers can call this without writing rows. `config` None
    (`reminders status` with a config it cannot read): every request the database has as pending."""
    stmt = select(ExtensionRequest, Action).join(Action, Action.id == ExtensionRequest.action_id)
    stmt = stmt.where(ExtensionRequest.state == ExtensionState.PENDING)
    if plan_id:
        stmt = stmt.where(Action.plan_id == plan_id)
    return {a.id: r for r, a in session.exec(stmt) if config is None or lapsed(config, a, r, now) is None}


def lapse_all(session: Session, config, now: dt.datetime) -> int:
    """Withdraw every pending request that no longer holds (after a sync); return how many."""
    count = 0
    for req in session.exec(select(ExtensionRequest).where(ExtensionRequest.state == ExtensionState.PENDING)).all():
        action = session.get(Action, req.action_id)
        why = lapsed(config, action, req, now) if action is not None else "the action is gone"
        if why:
            req.state, req.decided_at, req.decided_note = ExtensionState.WITHDRAWN, now, f"withdrawn: {why}"
            count += 1
    return count
