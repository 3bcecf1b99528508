"""The verification operations (PRODUCT.md §2): an owner's completion, the verifier's verify or
return with a reason (the verifier is the plan's administrator unless that is the owner: see
config/approvers.py; the owner is refused here whoever the caller names). One function each, used
by the CLI and the web app alike.

Each works in the caller's session, checks who may do it on the current state, records an event
(when, who, from, to, note) and raises `InputError` (exit 2 at the CLI) for anything that cannot
be applied; nothing is written then. The owner hears of the decision through an outcome notice
(`verified:N` / `returned:N`, N the submission's number) queued in the ledger for the next run.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.store.evidence import Upload, attach
from scheduler.store.models import Action, ActionEvent, Notice, Owner
from scheduler.store.operations import InputError, refuse_closed, set_status
from scheduler.store.states import ActionStatus, NoticeState, Track

AWAITING = ActionStatus.AWAITING_VERIFICATION
MODES = ("administrator", "none")
REASON_REQUIRED = "a reason is required to return a completion: say what is missing, so the owner can put it right"


def _key(action: Action) -> str:
    return f"{action.plan_id}/{action.ref}"


def submissions(session: Session, action_id: int) -> list[ActionEvent]:
    """Return the action's completions sent for verification (status events to awaiting), oldest first."""
    stmt = select(ActionEvent).where(ActionEvent.action_id == action_id, ActionEvent.kind == "status",
                                     ActionEvent.to_value == AWAITING).order_by(ActionEvent.id)  # fmt: skip
    return list(session.exec(stmt))


def complete(session: Session, action: Action, note: str | None, by: str, now: dt.datetime, verification: str,
             uploads: list[Upload] = (), links: list[str] = (), max_files: int = 10) -> str:  # fmt: skip
    """Record the owner's completion with its note and evidence; return the new status:
    `awaiting_verification`, or `complete` at once when the plan's verification is `none`."""
    note = (note or "").strip()
    refuse_closed(action)
    if action.status == AWAITING:
        raise InputError(f"{_key(action)} is already awaiting verification; its verifier verifies it "
                         "or returns it")  # fmt: skip
    if action.status in ("complete", "withdrawn"):
        raise InputError(f"{_key(action)} is {action.status}; set-status it back to in_progress first")
    if not note:
        raise InputError(f"the note is required to complete {_key(action)}; say what was done")
    if verification not in MODES:
        raise InputError(f"verification {verification!r}: use administrator or none")
    attach(session, action, list(uploads), list(links), by, now, note, max_files)
    status = AWAITING if verification == "administrator" else ActionStatus.COMPLETE
    set_status(session, action, status, note, by, now)
    return status


def _check_waiting(session: Session, action: Action) -> None:
    if action.status == AWAITING:
        return
    if action.status == ActionStatus.COMPLETE:
        last = session.exec(select(ActionEvent).where(ActionEvent.action_id == action.id, ActionEvent.kind == "status",
                                                      ActionEvent.to_value == "complete")
                            .order_by(ActionEvent.id.desc())).first()  # fmt: skip
        when = f" by {last.by} on {last.at:%Y-%m-%d}" if last else ""
        raise InputError(f"{_key(action)} is already complete{when}; nothing to verify")
    raise InputError(f"{_key(action)} is {action.status.replace('_', ' ')}, not awaiting verification; "
                     "only a completion the owner has sent can be verified or returned")  # fmt: skip


def _check_not_owner(session: Session, action: Action, actor: str, verifier: str | None) -> None:
    """Refuse the action's owner (id or email; checked first, whatever the state): nobody signs off
    their own work, whoever the caller names as verifier."""
    owner = session.get(Owner, action.owner_id)
    if owner is None or actor.strip().lower() not in (owner.id.lower(), owner.email.lower()):
        return
    checker = session.get(Owner, verifier) if verifier else None
    other = checker is not None and checker.email.lower() != owner.email.lower()
    raise InputError(f"{owner.name} ({owner.id}) owns {_key(action)}, and nobody verifies or returns their own completion"
                     + (f"; {checker.name} ({checker.id}) verifies it" if other else ""))  # fmt: skip


def _check_verifier(session: Session, action: Action, actor: str, verifier: str | None,
                    administrator: str | None) -> Owner:
    """Return the verifier's Owner row when `actor` (id or email) is the action's verifier, which is
    never its owner (config/approvers.py); raise InputError otherwise."""
    owner = session.get(Owner, action.owner_id)
    checker = session.get(Owner, verifier) if verifier else None
    if checker is None or (owner is not None and checker.email.lower() == owner.email.lower()):
        raise InputError(f"{_key(action)}: nobody but its owner could verify it; name another `administrator` or "
                         "`escalation_contact` in the plan file, or give the owner a manager")  # fmt: skip
    if actor.strip().lower() not in (checker.id.lower(), checker.email.lower()):
        role, what = (("the plan's administrator", "completions") if checker.id == administrator
                      else (f"the verifier of {_key(action)}", "it"))  # fmt: skip
        raise InputError(f"{actor!r} is not {role} ({checker.id}, {checker.name}); only they verify {what} "
                         "(an admin can use `reminders set-status REF complete`)")  # fmt: skip
    return checker


def verify(session: Session, action: Action, actor: str, verifier: str | None, now: dt.datetime,
           today: dt.date, by: str | None = None, administrator: str | None = None) -> None:  # fmt: skip
    """Make an action awaiting verification `complete`, as its verifier `actor` (id or email; the
    plan's `administrator` unless that is the owner: config/approvers.py); queue the owner's `verified:N`."""
    _check_not_owner(session, action, actor, verifier)
    _check_waiting(session, action)
    _check_verifier(session, action, actor, verifier, administrator)
    set_status(session, action, ActionStatus.COMPLETE, "verified", by or actor, now)
    _queue_outcome(session, action, "verified", now, today)


def return_(session: Session, action: Action, reason: str | None, actor: str, verifier: str | None,
            now: dt.datetime, today: dt.date, by: str | None = None, administrator: str | None = None) -> None:  # fmt: skip
    """Send a completion back to the owner (`in_progress`) with the reason, as its verifier `actor`;
    queue `returned:N`."""
    _check_not_owner(session, action, actor, verifier)
    _check_waiting(session, action)
    reason = " ".join((reason or "").split())
    if not reason:
        raise InputError(REASON_REQUIRED)
    _check_verifier(session, action, actor, verifier, administrator)
    set_status(session, action, ActionStatus.IN_PROGRESS, f"returned: {reason}", by or actor, now)
    _queue_outcome(session, action, "returned", now, today)


def _queue_outcome(session: Session, action: Action, head: str, now: dt.datetime, today: dt.date) -> None:
    """Queue the owner's outcome notice: a ledger row the next run sends (exactly once, retried)."""
    owner = session.get(Owner, action.owner_id)
    if owner is None:
        return
    stage = f"{head}:{max(1, len(submissions(session, action.id)))}"
    exists = select(Notice.id).where(Notice.action_id == action.id, Notice.due_date == action.due,
                                     Notice.stage == stage, Notice.recipient == owner.email)  # fmt: skip
    if session.exec(exists).first() is not None:
        return
    session.add(Notice(action_id=action.id, due_date=action.due, stage=stage, track=Track.OUTCOME,
                       recipient=owner.email, send_day=today, state=NoticeState.RETRY, attempts=0,
                       created_at=now, updated_at=now, next_attempt_at=now))  # fmt: skip


def waiting_since(session: Session, action_ids: list[int]) -> dict[int, dt.datetime]:
    """Return {action id: when its latest completion was sent for verification} (UTC)."""
    out: dict[int, dt.datetime] = {}
    for i in range(0, len(action_ids), 500):
        stmt = (select(ActionEvent.action_id, sa.func.max(ActionEvent.at))
                .where(ActionEvent.action_id.in_(action_ids[i : i + 500]), ActionEvent.kind == "status",
                       ActionEvent.to_value == AWAITING).group_by(ActionEvent.action_id))  # fmt: skip
        for aid, at in session.exec(stmt):
            out[aid] = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return out


def verify_requests_before(session: Session, action_id: int, since: dt.datetime) -> int:
    """Return how many verify:N requests were claimed for the action before `since` (earlier waits)."""
    stmt = select(sa.func.count()).select_from(Notice).where(Notice.action_id == action_id,
                                                             Notice.track == Track.VERIFICATION,
                                                             Notice.created_at < since)  # fmt: skip
    return session.exec(stmt).one()
