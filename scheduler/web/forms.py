"""The forms of the action page: each parses its fields, calls one operation of the store (which
checks who may do what on the current state, and raises InputError otherwise), queues the email
it triggers, and returns what the page says. Owners complete, report progress and ask for more
time; managers (whom the action escalates to) record a follow-up note and decide a pending request.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from scheduler.config.humandates import longdate
from scheduler.config.text import one_line, strip_unsafe
from scheduler.store import extensions, operations, throttle
from scheduler.store.models import Action, ActionEvent
from scheduler.store.operations import InputError
from scheduler.store.stages import StageName
from scheduler.store.states import EventKind, ExtensionState
from scheduler.web.review import review_progress

NOTE_CHARS = 2000
QUEUED = "the mail server did not answer, so it is queued and will be sent as soon as it does."


def text(form: dict, key: str = "note") -> str:
    """Return a typed field on one line, without control or bidi characters, at most NOTE_CHARS."""
    return one_line(strip_unsafe(form.get(key, "")))[:NOTE_CHARS]


def by(recipient: str) -> str:
    return f"{recipient} (via web)"


def name_of(config, email: str) -> str:
    """Return the configured name of `email`, else the address."""
    return next((o.name for o in config.owners.values() if o.email.lower() == email.lower()), email)


def complete(web, s, action, recipient, form, now, outbox) -> str:
    note, evidence = text(form), text(form, "evidence")
    if not note:
        raise InputError("say what was done (the note is required)")
    if evidence and not re.match(r"^https?://\S+$", evidence):
        raise InputError("the evidence link must start with https:// or http://")
    operations.record_completion(s, action, note + (f" Evidence: {evidence}" if evidence else ""), by(recipient), now)
    s.flush()
    event = s.exec(select(ActionEvent.id).where(ActionEvent.action_id == action.id, ActionEvent.kind == EventKind.STATUS)
                   .order_by(ActionEvent.id.desc())).first()  # fmt: skip
    outbox.add(s, action, StageName("confirmed", event), recipient,
               "A confirmation is on its way, and no more reminders will be sent.",
               f"No more reminders will be sent. The confirmation email: {QUEUED}")  # fmt: skip
    return "Recorded as complete."


def progress(web, s, action, recipient, form, now, outbox) -> str:
    operations.record_progress(s, action, text(form), by(recipient), now)
    return "Progress recorded."


def extend(web, s, action, recipient, form, now, outbox) -> str:
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


# What each role may do on the action page (the page hiding a form is not the check: this is).
OWNER_FORMS = {"complete": complete, "progress": progress, "extend": extend, "review": review_progress}
MANAGER_FORMS = {"note": note, "decide": decide_pending}
