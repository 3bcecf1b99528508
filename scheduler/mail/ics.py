"""An all-day calendar event for an action's due date (icalendar).

The UID is stable per action and SEQUENCE counts due-date revisions, so a calendar updates
the same event when an extension moves the date.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event


def due_date_event(n, domain: str, now: dt.datetime) -> bytes:
    """Return the ICS bytes (METHOD:PUBLISH) for notice view `n`'s due date."""
    cal = Calendar()
    cal.add("prodid", "-//improvement-plan-reminders//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{n.plan}.{n.ref}.due@{domain}")
    event.add("sequence", n.ics_sequence)
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", n.due)
    event.add("dtend", n.due + dt.timedelta(days=1))
    event.add("summary", f"Due: {n.plan}/{n.ref} {n.title}"[:250])
    event.add("description", f"Improvement plan action {n.plan}/{n.ref}, owner {n.owner.name}.\n{n.title}")
    event.add("transp", "TRANSPARENT")
    cal.add_component(event)
    return cal.to_ical()


def cancel_event(plan: str, ref: str, title: str, due: dt.date, domain: str, now: dt.datetime, sequence: int) -> bytes:
    """Return ICS bytes (METHOD:CANCEL) removing the due-date event of plan/ref (same UID)."""
    cal = Calendar()
    cal.add("prodid", "-//improvement-plan-reminders//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL")
    event = Event()
    event.add("uid", f"{plan}.{ref}.due@{domain}")
    event.add("sequence", sequence)
    event.add("status", "CANCELLED")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", due)
    event.add("dtend", due + dt.timedelta(days=1))
    event.add("summary", f"Due: {plan}/{ref} {title}"[:250])
    cal.add_component(event)
    return cal.to_ical()
