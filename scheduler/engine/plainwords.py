"""An action's history in plain words, for the people who own it (PRODUCT.md §4: the action page).

The admin CLI's `history` shows the raw audit trail (stage names, states, Message-IDs); an owner
reads sentences: "Reminder sent: due in 7 days", "Asked for more time until 31 Mar 2010",
"Marked in progress by Contact Centre Manager". `event_words` and `notice_words` are pure (one
row -> one sentence, or None when the row means nothing to an owner: a superseded notice, the
owner's own copy of an escalation, a plan-level notice); `owner_history` reads an action's rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from scheduler.config.humandates import daydate
from scheduler.store.stages import StageName

STATUS_WORDS = {"open": "open", "in_progress": "in progress", "awaiting_verification": "waiting for verification",
                "complete": "complete", "withdrawn": "withdrawn"}  # fmt: skip


def who(by: str | None, names: Mapping[str, str]) -> str:
    """Return a person as people know them: a configured name for an owner id or address ('x@y
    (via web)' too), 'the reminder service' for the config sync, else what was recorded."""
    text = (by or "").strip()
    if not text or text == "sync":
        return "the reminder service"
    web = text.endswith("(via web)")
    key = text.removesuffix("(via web)").strip()
    return names.get(key, key) + (" (on the web page)" if web else "")


def _day(value: str | None) -> str:
    try:
        return daydate(dt.date.fromisoformat(str(value)))
    except (TypeError, ValueError):
        return str(value or "")


def event_words(kind: str, from_value: str | None, to_value: str | None, note: str | None, by: str | None,
                names: Mapping[str, str]) -> str | None:  # fmt: skip
    """Return one sentence for an action event (None: nothing an owner needs to read)."""
    person = who(by, names)
    if kind == "created":
        return "Added to the plan"
    if kind == "status":
        return _status_words(from_value, to_value, person, note)
    if kind == "owner":
        return f"Owner changed from {names.get(from_value or '', from_value)} to {names.get(to_value or '', to_value)}"
    if kind == "extension":
        said = re.sub(r"\(approved by ([^()]+)\)$", lambda m: f"(approved by {names.get(m.group(1), m.group(1))})",
                      note or "")  # fmt: skip
        return f"Due date moved from {_day(from_value)} to {_day(to_value)}" + (f": {said}" if said else "")
    if kind == "extension_decided":
        return f"Request for more time {to_value or 'decided'} by {person}" + (f": {note}" if note else "")
    if kind == "note":
        return f"Follow-up noted by {person}" + (f": {note}" if note else "")
    if kind == "extension_request":
        return f"Asked for more time until {_day(to_value)} by {person}" + (f": {note}" if note else "")
    if kind == "progress":
        return f"Progress reported by {person}" + (f": {note}" if note else "")
    if kind == "changed" and from_value and to_value:
        return f"Due date in the plan changed from {_day(from_value)} to {_day(to_value)}"
    if kind == "withdrawn":
        return "Withdrawn from the plan"
    if kind == "restored":
        return "Back in the plan"
    return None  # config field edits, resends: the admin's trail, not the owner's


def _status_words(frm: str | None, to: str | None, person: str, note: str | None) -> str:
    said = f": {note}" if note else ""
    if to == "in_progress" and frm == "awaiting_verification":  # the store notes "returned: <reason>"
        return f"Returned by {person}, not verified yet{said.replace(': returned: ', ': ', 1)}"
    if to == "complete" and frm == "awaiting_verification" and note == "verified":
        return f"Verified by {person}: complete"
    if to == "awaiting_verification":
        return f"Marked complete by {person}; waiting for verification{said}"
    if to == "complete":
        return f"Marked complete by {person}{said}"
    if to == "open" and frm in ("complete", "withdrawn", "awaiting_verification"):
        return f"Reopened by {person}{said}"
    return f"Marked {STATUS_WORDS.get(to or '', to)} by {person}{said}"


def notice_words(stage: str, state: str, due: dt.date, send_day: dt.date, recipient: str,
                 copy: bool = False) -> str | None:  # fmt: skip
    """Return one sentence for a ledger notice (None for one never sent, or for `copy`, the owner's
    own copy of an escalation: the escalation itself says it). `recipient` is the person's name."""
    if state == "superseded" or copy:
        return None
    try:
        name = StageName.parse(stage)
    except ValueError:  # a kind this version does not know: still an email that went out
        name = None
    head = name.kind if name else ""
    if head == "before":
        days = name.number
        text = "Reminder sent: due " + ("tomorrow" if days == 1 else f"in {days} days")
    elif head == "due":
        text = "Reminder sent: due today"
    elif head == "overdue":
        late = (send_day - due).days
        text = f"Overdue reminder sent: {late} day{'s' if late != 1 else ''} overdue"
    elif head == "assigned":
        text = f"Told {recipient} the action is theirs, due {daydate(due)}"
    elif head == "escalation":
        text = f"Escalated to {recipient}"
    elif head == "verify":
        text = f"{recipient} asked to verify the completion"
    elif head in ("verified", "returned"):
        text = f"Told {recipient} it was verified" if head == "verified" else f"Told {recipient} why it was returned"
    elif head == "progress":
        text = f"Asked for a progress update before the review on {daydate(name.day)}"
    elif head in ("approval", "decision", "confirmed", "link"):
        return None  # what the owner did on the page says it; these emails only confirm it
    else:
        text = f"Email sent to {recipient}"
    return text + _state_words(state)


def _state_words(state: str) -> str:
    return {"sent": "", "pending": " (queued)", "sending": " (being sent)", "retry": " (queued: will be retried)",
            "failed": " (could not be delivered)", "unknown": " (may not have arrived)"}.get(state, f" ({state})")  # fmt: skip


def names_of(config) -> dict[str, str]:
    """Return owner id -> name and email -> name for every configured owner."""
    out: dict[str, str] = {}
    for o in config.owners.values():
        out[o.id] = out[o.email] = o.name
    return out


def owner_history(session, action, tz: ZoneInfo, names: Mapping[str, str]) -> list[tuple[dt.datetime, str]]:
    """Return (local time, sentence) for the action's events and notices an owner would want to
    read, newest first; no stage names, states or Message-IDs."""
    from sqlmodel import select

    from scheduler.store.models import ActionEvent, Notice, Owner

    out = []
    for e in session.exec(select(ActionEvent).where(ActionEvent.action_id == action.id)):
        text = event_words(e.kind, e.from_value, e.to_value, e.note, e.by, names)
        if text:
            out.append((e.at.astimezone(tz), text))
    notices = list(session.exec(select(Notice).where(Notice.action_id == action.id)))
    owner = session.get(Owner, action.owner_id)
    # The owner's copy of an escalation is the row beside one to somebody else: the latter says it.
    shared = {(n.due_date, n.stage) for n in notices if owner is None or n.recipient != owner.email}
    for n in notices:
        copy = owner is not None and n.recipient == owner.email and (n.due_date, n.stage) in shared
        text = notice_words(n.stage, n.state, n.due_date, n.send_day, names.get(n.recipient, n.recipient), copy)
        if text:
            out.append(((n.sent_at or n.created_at).astimezone(tz), _no_ids(text)))
    return sorted(out, key=lambda x: x[0], reverse=True)


def _no_ids(text: str) -> str:
    """Strip anything that looks like a Message-ID (<...@...>): noise on an owner's page."""
    return re.sub(r"\s*<[^<>\s]+@[^<>\s]+>", "", text)


# What people call each kind of notice (singular, plural), in the order a count lists them.
NOTICE_WORDS = {"assigned": ("new-action notice", "new-action notices"),
                "extension": ("revised due date", "revised due dates"), "reminder": ("reminder", "reminders"),
                "due": ("due-today notice", "due-today notices"), "overdue": ("overdue notice", "overdue notices"),
                "escalation": ("escalation", "escalations"), "progress": ("progress request", "progress requests"),
                "verify": ("verification request", "verification requests"),
                "verified": ("completion verified", "completions verified"),
                "returned": ("completion returned", "completions returned"),
                "confirmed": ("completion receipt", "completion receipts"),
                "approval": ("extension request", "extension requests"),
                "decision": ("extension decision", "extension decisions"), "link": ("new link", "new links")}  # fmt: skip


def notice_counts(counts: Mapping[str, int]) -> str:
    """Return notice counts by kind in people's words, e.g. '3 reminders, 2 verification requests,
    1 revised due date' (kinds as the summary counts them: `reminder` for before:N, `extension` for
    an `assigned` notice of a revised date); an unknown kind is shown as its name."""
    order = list(NOTICE_WORDS)
    kinds = sorted((k for k, n in counts.items() if n), key=lambda k: (order.index(k) if k in order else len(order), k))
    parts = []
    for k in kinds:
        one, many = NOTICE_WORDS.get(k, (k.replace("_", " "),) * 2)
        parts.append(f"{counts[k]} {one if counts[k] == 1 else many}")
    return ", ".join(parts)
