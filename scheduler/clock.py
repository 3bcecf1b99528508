"""Clocks: the one place the current time comes from.

The CLI builds a `FixedClock` (the instant of `--now`, or of the command's start), the daemon a
`SystemClock`; tests drive the daemon's jobs with a `ManualClock`. Every other module takes its
`now` from one of these, so nothing below reads the wall clock itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Return the current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """Always the same instant: a command's one `now`."""

    def __init__(self, at: dt.datetime):
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self.at


class ManualClock(FixedClock):
    """A clock a test moves by hand."""

    def set(self, at: dt.datetime) -> None:
        self.at = at.astimezone(dt.UTC)

    def advance(self, **delta) -> dt.datetime:
        """Move forward by `datetime.timedelta(**delta)`; return the new instant."""
        self.at += dt.timedelta(**delta)
        return self.at
