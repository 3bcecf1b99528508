"""The forms of the action page: each parses its fields, calls one operation of the store (which
checks who may do what on the current state, and raises InputError otherwise), queues the email
it triggers, and returns what the page says. Owners complete, report progress and ask for more
time; managers (whom the action escalates to) record a follow-up note and decide a pending request.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from scheduler.config.approvers import verifier_of
from scheduler.config.humandates import longdate
from scheduler.config.text import one_line, strip_unsafe
from scheduler.store import extensions, operations, throttle, verification
from scheduler.store.models import Action, ActionEvent, Notice
from scheduler.store.operations import InputError
from scheduler.store.stages import StageName
from scheduler.store.states import ActionStatus, EventKind, ExtensionState, NoticeState
from scheduler.web.review import review_progress

NOTE_CHARS = 2000
WORDS = {"note": "note", "reason": "reason", "evidence": "list of evidence links"}
QUEUED = "the mail server did not answer, so it is queued and will be sent as soon as it does."


def text(form: dict, key: str = "note") -> str:
    """Return a typed field on one line, without control or bidi characters; raise InputError when it
    is over NOTE_CHARS (refused, the page keeping what was typed, rather than silently cut short)."""
    typed = one_line(strip_unsafe(form.get(key, "")))
    if len(typed) > NOTE_CHARS:
        raise InputError(f"the {WORDS.get(key, key)} is {len(typed):,} characters long; shorten it to at most "
                         f"{NOTE_CHARS:,} (what you typed is kept below)")  # fmt: skip
    return typed


def by(recipient: str) -> str:
    return f"{recipient} (via web)"


def verifier_name(config, action) -> str:
    """Return the name of who verifies `action`'s completion, for the page's wording."""
    who = verifier_of(config, action.plan_id, action.owner_id)
    return who.name if who else "the plan administrator"


def name_of(config, who: str) -> str:
    """Return the configured name of `who`, an owner id or an email address (the CLI records `--by`
    as either); else `who` as given."""
    key = who.strip().lower()
    return next((o.name for o in config.owners.values() if key in (o.id.lower(), o.email.lower())), who)


def links_of(typed: str) -> list[str]:
    """Return the evidence links in a typed field: one per line, or separated by spaces or commas
    (both forms accept the same)."""
    words = re.split(r"\s+|,(?=https?://)", typed or "")  # a comma inside a link's query stays
    return [w.rstrip(",") for w in words if w.rstrip(",")]


def complete(web, s, action, recipient, form, now, outbox) -> str:
    """The completion form without files (the page's form with files posts to /e/, evidence_pages)."""
    plan = web.config.plans.get(action.plan_id)
    links = [text(form, "evidence")] if text(form, "evidence") else []
    note = text(form) + (f" Evidence: {links[0]}" if links and text(form) else "")  # shown as a link on the page
    status = verification.complete(s, action, note, by(recipient), now,
                                   plan.verification if plan else "administrator", [], links)  # fmt: skip
    s.flush()
    confirm(s, action, recipient, outbox)
    if status == ActionStatus.AWAITING_VERIFICATION:
        return f"Sent for verification: it counts as complete once {verifier_name(web.config, action)} has checked it."
    return "Recorded as complete."


def confirm(s, action, recipient, outbox) -> None:
    """Queue the owner's confirmation (`confirmed:<event id>`) of the completion just recorded."""
    event = s.exec(select(ActionEvent.id).where(ActionEvent.action_id == action.id, ActionEvent.kind == EventKind.STATUS)
                   .order_by(ActionEvent.id.desc())).first()  # fmt: skip
    waiting = action.status == ActionStatus.AWAITING_VERIFICATION
    outbox.add(s, action, StageName("confirmed", event), recipient,
               "A confirmation is on its way." if waiting else
               "A confirmation is on its way, and no more reminders will be sent.",
               f"The confirmation email: {QUEUED}")  # fmt: skip


def progress(web, s, action, recipient, form, now, outbox) -> str:
    operations.record_progress(s, action, text(form), by(recipient), now)
    return "Progress recorded."


def extend(web, s, action, recipient, form, now, outbox) -> str:
    if action.status == ActionStatus.AWAITING_VERIFICATION:
        raise InputError("it is awaiting verification, so its date cannot move; if its verifier returns it, "
                         "ask then")  # fmt: skip
    try:
        proposed = dt.date.fromisoformat(str(form.get("proposed_due", "")).strip())
    except ValueError:
        raise InputError("choose the proposed due date") from None
    if not throttle.allow(s, "extend", recipient, now):
        raise InputError("you have asked for more time several times today; ask the plan administrator instead")
    req = extensions.request_extension(s, web.config, action, recipient, proposed, text(form, "reason"), now)
    who = f"{name_of(web.config, req.approver)} ({req.approver})"
    outbox.add(s, action, StageName("approval", req.id), req.approver, f"{who} has been emailed to approve it.",
               f"The email asking {who} to approve it: {QUEUED}")  # fmt: skip
    return f"Asked for {longdate(proposed)}."


def note(web, s, action, recipient, form, now, outbox) -> str:
    operations.record_note(s, action, text(form), by(recipient), now)
    return "Note recorded in the action's history."


def decide(web, s, req, recipient, approve: bool, note_text: str, now, outbox) -> str:
    """Decide extension request `req` as `recipient`; queue the decision to its requester."""
    action = s.get(Action, req.action_id)
    extensions.decide_extension(s, web.config, req, recipient, approve, note_text, now)
    owner = name_of(web.config, req.requested_by)
    outbox.add(s, action, StageName("decision", req.id), req.requested_by, f"{owner} has been told.",
               f"The email telling {owner}: {QUEUED}")  # fmt: skip
    if req.state == ExtensionState.APPROVED:
        return f"Approved: {action.plan_id}/{action.ref} is now due {longdate(req.proposed_due)}."
    return "Declined."


def decide_pending(web, s, action, recipient, form, now, outbox) -> str:
    req = extensions.pending_for(s, action.id)
    if req is None:
        raise InputError("there is no extension request waiting for a decision")
    if form.get("decision") not in ("approve", "decline"):
        raise InputError("choose approve or decline")
    return decide(web, s, req, recipient, form["decision"] == "approve", text(form), now, outbox)


def verifier_id(config, action) -> str | None:
    """Return the owner id of who verifies `action`'s completion (config/approvers.py), else None."""
    who = verifier_of(config, action.plan_id, action.owner_id)
    return who.id if who else None


def verify(web, s, action, recipient, form, now, outbox) -> str:
    """The verifier verifies the completion (the operation refuses anyone else, the owner first)."""
    plan = web.config.plans.get(action.plan_id)
    today = now.astimezone(plan.policy.tz).date() if plan else now.date()
    verification.verify(s, action, recipient, verifier_id(web.config, action), now, today, by(recipient),
                        plan.administrator if plan else None)  # fmt: skip
    _outcome(s, action, outbox, "verified")
    return f"Verified: {action.plan_id}/{action.ref} is complete."


def send_back(web, s, action, recipient, form, now, outbox) -> str:
    """The verifier returns the completion to its owner with the reason."""
    plan = web.config.plans.get(action.plan_id)
    today = now.astimezone(plan.policy.tz).date() if plan else now.date()
    verification.return_(s, action, text(form, "reason"), recipient, verifier_id(web.config, action), now, today,
                         by(recipient), plan.administrator if plan else None)  # fmt: skip
    _outcome(s, action, outbox, "returned")
    return f"Returned to {name_of(web.config, web.config.owners[action.owner_id].email)} with your reason."


def _outcome(s, action, outbox, head: str) -> None:
    """Send the owner's outcome notice the operation queued now, through the request's outbox."""
    s.flush()
    row = s.exec(select(Notice).where(Notice.action_id == action.id, Notice.stage.like(f"{head}:%"))
                 .order_by(Notice.id.desc())).first()  # fmt: skip
    if row is not None:
        row.state, row.claimed_by = NoticeState.PENDING, outbox.run_id
        outbox.ids.append(row.id)
        outbox.sent_text.append("The owner is emailed now.")
        outbox.queued_text.append(f"The owner's email: {QUEUED}")


# What each role may do on the action page (the page hiding a form is not the check: this is). An owner's
# verify / return goes to the operation, which refuses it with the reason: nobody signs off their own work.
OWNER_FORMS = {"complete": complete, "progress": progress, "extend": extend, "review": review_progress,
               "verify": verify, "return": send_back}
MANAGER_FORMS = {"note": note, "decide": decide_pending, "verify": verify, "return": send_back}
