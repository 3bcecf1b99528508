"""Admin operations on one action: find it by REF, change status, agree an extension, history;
and putting a notice (an action's, or a plan-level summary or report) back in line.

Each function works in the caller's session and raises `InputError` (exit code 2 at the
CLI) for anything the admin typed that cannot be applied; nothing is written then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from scheduler.store.models import (
    STATUSES,
    Action,
    ActionEvent,
    DueRevision,
    ExtensionRequest,
    Notice,
    Owner,
    PlanNotice,
    ServiceEvent,
)
from scheduler.store.states import (
    CLOSED,
    ActionStatus,
    EventKind,
    ExtensionState,
    NoticeState,
    ServiceEventKind,
)

RESENDABLE = (NoticeState.UNKNOWN, NoticeState.FAILED)


class InputError(Exception):
    """Bad input from the user: the message names what is wrong and how to fix it."""


def resolve_ref(session: Session, ref: str) -> Action:
    """Return the action named by `plan/ref` or a bare `ref` that is unique across plans."""
    if "/" in ref:
        plan_id, _, bare = ref.partition("/")
        action = session.exec(select(Action).where(Action.plan_id == plan_id, Action.ref == bare)).first()
        if action is None:
            raise InputError(f"no action {ref!r}; " + _known_refs(session, ref))
        return action
    matches = session.exec(select(Action).where(Action.ref == ref)).all()
    if not matches:
        raise InputError(f"no action {ref!r}; " + _known_refs(session, ref))
    if len(matches) > 1:
        names = ", ".join(sorted(f"{a.plan_id}/{a.ref}" for a in matches))
        raise InputError(f"ref {ref!r} is in more than one plan; write PLAN/REF: {names}")
    return matches[0]


def _known_refs(session: Session, ref: str) -> str:
    """Return the hint for an unknown REF: the closest refs ("did you mean"), then the known ones."""
    from scheduler.config.hints import known

    rows = session.exec(select(Action.plan_id, Action.ref)).all()
    if not rows:
        return "the database has no actions yet: run `reminders sync` first"
    return known({f"{p}/{r}" for p, r in rows} if "/" in ref else {r for _, r in rows}, ref)


def lock_action(session: Session, action_id: int) -> Action | None:
    """Return the action re-read with its row locked until the transaction ends (PostgreSQL `FOR
    UPDATE`; SQLite's writers are already serialised by BEGIN IMMEDIATE): two changes to one action
    at once (two tabs, a double click, two approvals) run one after the other, and the second
    checks what the first did. Call it before any check a change depends on."""
    return session.get(Action, action_id, with_for_update=True, populate_existing=True)


def set_status(session: Session, action: Action, status: str, note: str | None, by: str, now) -> bool:
    """Record a status change as an event; return False when the status was already `status`."""
    if status not in STATUSES:
        raise InputError(f"unknown status {status!r}; use one of: {', '.join(STATUSES)}")
    if action.status == status:
        return False
    if action.status == ActionStatus.WITHDRAWN and not action.in_config:
        raise InputError(f"{action.plan_id}/{action.ref} was removed from the config; "
                         "put it back in its plan file and run `reminders sync` to reopen it")  # fmt: skip
    session.add(ActionEvent(action_id=action.id, at=now, by=by, kind=EventKind.STATUS,
                            from_value=action.status, to_value=status, note=note))  # fmt: skip
    action.status, action.updated_at = ActionStatus(status), now
    if action.status in CLOSED:
        withdraw_pending(session, action.id, f"the action is {status}", now)
    return True


def refuse_closed(action: Action) -> None:
    """Raise InputError when `action` is complete or withdrawn: only an admin's `set-status` reopens it."""
    if action.status in CLOSED:
        raise InputError(f"{action.plan_id}/{action.ref} is {action.status}, so it can no longer be changed; "
                         "ask the plan administrator if it must be reopened")  # fmt: skip


def record_completion(session: Session, action: Action, note: str, by: str, now) -> None:
    """Record an owner's completion (the web form; CLI `set-status REF complete` is the admin's)."""
    refuse_closed(action)
    if not note:
        raise InputError("say what was done (the note is required)")
    set_status(session, action, ActionStatus.COMPLETE, note, by, now)


def record_progress(session: Session, action: Action, note: str, by: str, now) -> None:
    """Record progress on an open or in-progress action (an open one becomes in progress)."""
    refuse_closed(action)
    if not note:
        raise InputError("say what progress was made (required)")
    if action.status == ActionStatus.OPEN:
        set_status(session, action, ActionStatus.IN_PROGRESS, note, by, now)
    else:
        session.add(ActionEvent(action_id=action.id, at=now, by=by, kind=EventKind.PROGRESS, note=note))
        action.updated_at = now


def record_note(session: Session, action: Action, note: str, by: str, now) -> None:
    """Record a manager's follow-up note (e.g. "chased on 3 March") on an open action."""
    refuse_closed(action)
    if not note:
        raise InputError("write the note (e.g. who you chased, and when)")
    session.add(ActionEvent(action_id=action.id, at=now, by=by, kind=EventKind.NOTE, note=note))


def withdraw_pending(session: Session, action_id: int, why: str, now) -> list[ExtensionRequest]:
    """Withdraw the action's pending extension requests (it closed, was reassigned, or its approver
    changed); return them."""
    stmt = select(ExtensionRequest).where(ExtensionRequest.action_id == action_id,
                                          ExtensionRequest.state == ExtensionState.PENDING)  # fmt: skip
    found = list(session.exec(stmt))
    for req in found:
        req.state, req.decided_at, req.decided_note = ExtensionState.WITHDRAWN, now, f"withdrawn: {why}"
    return found


def extend(session: Session, action: Action, new_due: dt.date, reason: str, approved_by: str,
           by: str, now) -> DueRevision:  # fmt: skip
    """Record an agreed revised due date (the original is kept); return the revision row."""
    if action.status in (*CLOSED, ActionStatus.AWAITING_VERIFICATION):
        raise InputError(f"{action.plan_id}/{action.ref} is {action.status.replace('_', ' ')}; only open or "
                         "in-progress actions can be extended (set-status it back first)")  # fmt: skip
    if not reason or not reason.strip():
        raise InputError("--reason is empty; say why the new date was agreed")
    if session.get(Owner, approved_by) is None:
        from scheduler.config.hints import suggest

        ids = [o.id for o in session.exec(select(Owner)).all()]
        raise InputError(f"--approved-by {approved_by!r}: no such owner{suggest(approved_by, ids)}")
    if new_due == action.due:
        raise InputError(f"--to {new_due}: that is already the due date")
    if new_due <= action.config_due and new_due < action.due:
        raise InputError(f"--to {new_due} is before the original due date {action.config_due}; "
                         "an extension moves the date later")  # fmt: skip
    rev = DueRevision(action_id=action.id, previous_due=action.due, revised_due=new_due,
                      reason=reason.strip(), approved_by=approved_by, recorded_by=by, recorded_at=now)  # fmt: skip
    session.add(rev)
    session.add(ActionEvent(action_id=action.id, at=now, by=by, kind=EventKind.EXTENSION,
                            from_value=str(action.due), to_value=str(new_due),
                            note=f"{reason.strip()} (approved by {approved_by})"))  # fmt: skip
    action.due, action.updated_at = new_due, now
    return rev


def resend(session: Session, notice_id: int, by: str, now) -> Notice:
    """Put a notice whose outcome was unknown (or that failed) back in line for the next run;
    return the row."""
    row = session.get(Notice, notice_id)
    if row is None:
        raise InputError(f"no notice {notice_id}; find its id with `reminders notices --format csv`")
    if row.state not in RESENDABLE:
        raise InputError(f"notice {notice_id} is {row.state}; only an unknown or failed notice can be resent")
    session.add(ActionEvent(action_id=row.action_id, at=now, by=by, kind=EventKind.RESEND, from_value=row.state,
                            to_value=NoticeState.RETRY, note=f"{row.stage} to {row.recipient}"))  # fmt: skip
    row.last_error = f"resend requested by {by} (was {row.last_error or row.state})"
    row.state, row.next_attempt_at, row.updated_at = NoticeState.RETRY, now, now
    return row


def plan_notice_name(row: PlanNotice) -> str:
    """Return how people name a plan-level notice: 'summary notice 7 (summary:2010-03-15 to x@...)'."""
    from scheduler.store.stages import StageName

    what = "summary" if StageName.parse(row.stage).kind == "summary" else "progress report"
    return f"{what} notice {row.id} ({row.stage} to {row.recipient})"


def resend_plan_notice(session: Session, notice_id: int, by: str, now) -> PlanNotice:
    """Put a plan-level notice (weekly summary, progress report) whose outcome was unknown (or that
    failed) back in line: `retry`, due now, so the next run (or the service) sends it once; record
    who asked, and when, as a service event and on the row. Return the row."""
    row = session.get(PlanNotice, notice_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise InputError(f"no summary or progress report notice {notice_id}; find its id with "
                         "`reminders notices --format csv` (the rows of kind plan)")  # fmt: skip
    if row.state not in RESENDABLE:
        raise InputError(f"{plan_notice_name(row)} is {row.state}; only an unknown or failed notice can be resent")
    session.add(ServiceEvent(at=now, kind=ServiceEventKind.RESEND, plan_id=row.plan_id,
                             detail=f"{plan_notice_name(row)}: {row.state} -> retry, by {by}"))  # fmt: skip
    row.last_error = f"resend requested by {by} (was {row.last_error or row.state})"
    row.state, row.next_attempt_at, row.updated_at = NoticeState.RETRY, now, now
    return row


def revisions(session: Session, action_id: int) -> list[DueRevision]:
    stmt = select(DueRevision).where(DueRevision.action_id == action_id).order_by(DueRevision.id)
    return list(session.exec(stmt).all())


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    by: str
    kind: str
    from_value: str | None
    to_value: str | None
    note: str | None


def history(session: Session, action: Action) -> list[HistoryLine]:
    """Return every event of the action, oldest first."""
    stmt = select(ActionEvent).where(ActionEvent.action_id == action.id).order_by(ActionEvent.id)
    return [HistoryLine(e.at, e.by, e.kind, e.from_value, e.to_value, e.note) for e in session.exec(stmt)]
