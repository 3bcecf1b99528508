"""Dates and times as people read them, in the plan's timezone (PRODUCT.md §4, §5).

One place for every date or time a person sees: emails, the CLI's tables and messages, the web
pages, the summary. Machine formats (JSON, CSV, logs, headers) keep ISO 8601 with an offset and
do not come here. Instants are aware datetimes (naive ones are taken as UTC, as the database
stores them); a time shown to a person is always converted to the plan's zone first and carries
the zone's own abbreviation (GMT, BST, AEDT), never "UTC" or "Z" unless the plan is in UTC.

    longdate(d)          'Wednesday 24 February 2010'   (emails, pages)
    shortdate(d)         'Wed 24 Feb 2010'              (lists, subjects)
    daydate(d)           '24 Feb 2010'                  (table cells)
    when(t, tz)          'Wed 24 Feb 2010 09:30 GMT'    (an instant, in `tz`)
    longwhen(t, tz)      'Wednesday 24 February 2010 at 09:30 GMT'
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["longdate", "shortdate", "daydate", "local", "when", "longwhen", "clock", "zone"]


def zone(tz) -> dt.tzinfo:
    """Return a tzinfo for `tz` (a tzinfo, an IANA name, or None for UTC)."""
    if tz is None:
        return dt.UTC
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _date(value) -> dt.date:
    if isinstance(value, str):  # an ISO date, as JSON-shaped rows carry them
        return dt.date.fromisoformat(value)
    return value.date() if isinstance(value, dt.datetime) else value


def longdate(value: dt.date) -> str:
    """Return e.g. 'Wednesday 24 February 2010' (no leading zero on the day)."""
    d = _date(value)
    return f"{d:%A} {d.day} {d:%B %Y}"


def shortdate(value: dt.date) -> str:
    """Return e.g. 'Wed 24 Feb 2010'."""
    d = _date(value)
    return f"{d:%a} {d.day} {d:%b %Y}"


def daydate(value: dt.date) -> str:
    """Return e.g. '24 Feb 2010' (a table cell: 11 characters at most)."""
    d = _date(value)
    return f"{d.day} {d:%b %Y}"


def local(instant: dt.datetime, tz) -> dt.datetime:
    """Return `instant` in zone `tz` (a naive instant is taken as UTC, as stored)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(zone(tz))


def clock(instant: dt.datetime, tz) -> str:
    """Return e.g. '09:30 GMT': the local time of day with the zone's abbreviation."""
    t = local(instant, tz)
    return f"{t:%H:%M} {_abbrev(t)}"


def when(instant: dt.datetime, tz) -> str:
    """Return e.g. 'Wed 24 Feb 2010 09:30 GMT': an instant as a person reads it, in `tz`."""
    t = local(instant, tz)
    return f"{shortdate(t)} {t:%H:%M} {_abbrev(t)}"


def longwhen(instant: dt.datetime, tz) -> str:
    """Return e.g. 'Wednesday 24 February 2010 at 09:30 GMT'."""
    t = local(instant, tz)
    return f"{longdate(t)} at {t:%H:%M} {_abbrev(t)}"


def _abbrev(t: dt.datetime) -> str:
    """Return the zone's abbreviation at `t` ('GMT', 'BST', 'AEDT'; tzdata's '+04' where a zone has none)."""
    return t.tzname() or t.strftime("%z")
