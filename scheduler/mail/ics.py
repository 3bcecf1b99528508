"""An all-day calendar event for an action's due date (icalendar), and its cancellation.

The UID is stable per action and SEQUENCE counts due-date revisions, so a calendar updates
the same event when an extension moves the date, and removes it when the action is complete.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event


def _event(method: str, plan: str, ref: str, title: str, due: dt.date, domain: str, now: dt.datetime,
           sequence: int) -> tuple[Calendar, Event]:  # fmt: skip
    """Return (calendar, event) with what every due-date entry of plan/ref carries."""
    cal = Calendar()
    cal.add("prodid", "-//improvement-plan-reminders//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", f"{plan}.{ref}.due@{domain}")
    event.add("sequence", sequence)
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", due)
    event.add("dtend", due + dt.timedelta(days=1))
    event.add("summary", f"Due: {plan}/{ref} {title}"[:250])
    return cal, event


def due_date_event(n, domain: str, now: dt.datetime) -> bytes:
    """Return the ICS bytes (METHOD:PUBLISH) for notice view `n`'s due date."""
    cal, event = _event("PUBLISH", n.plan, n.ref, n.title, n.due, domain, now, n.ics_sequence)
    event.add("description", f"Improvement plan action {n.plan}/{n.ref}, owner {n.owner.name}.\n{n.title}")
    event.add("transp", "TRANSPARENT")
    cal.add_component(event)
    return cal.to_ical()


def cancel_event(plan: str, ref: str, title: str, due: dt.date, domain: str, now: dt.datetime, sequence: int) -> bytes:
    """Return ICS bytes (METHOD:CANCEL) removing the due-date event of plan/ref (same UID)."""
    cal, event = _event("CANCEL", plan, ref, title, due, domain, now, sequence)
    event.add("status", "CANCELLED")
    cal.add_component(event)
    return cal.to_ical()
