"""Date arithmetic: calendar months with end-of-month clamping, and working days."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays as holidays_lib
from dateutil.relativedelta import relativedelta

from scheduler.config.humandates import longdate  # noqa: F401  (kept for older imports)


def add_months(start: dt.date, months: int) -> dt.date:
    """Return `start` + `months` calendar months, clamped to the end of the target month.

    31 Aug 2009 + 6 months = 28 Feb 2010; 31 Aug 2011 + 6 months = 29 Feb 2012.
    """
    return start + relativedelta(months=months)


def parse_holiday_code(code: str) -> tuple[str, str | None]:
    """Split "GB-ENG" into ("GB", "ENG"); "FR" into ("FR", None)."""
    country, _, subdiv = code.partition("-")
    return country.upper(), (subdiv.upper() or None)


@lru_cache(maxsize=32)
def _holiday_calendar(code: str):
    if code.lower() == "none":
        return {}
    country, subdiv = parse_holiday_code(code)
    return holidays_lib.country_holidays(country, subdiv=subdiv)


def check_holiday_code(code: str) -> str | None:
    """Return None when `code` names a known calendar (or "none"), else a reason."""
    if code.lower() == "none":
        return None
    country, subdiv = parse_holiday_code(code)
    try:
        holidays_lib.country_holidays(country, subdiv=subdiv)
    except NotImplementedError:
        return f"unknown country {country!r}"
    except Exception as exc:  # the package raises NotImplementedError / ValueError by version
        return str(exc)
    return None


class WorkingCalendar:
    """Which local dates are working days: a weekday set minus a bank-holiday calendar."""

    def __init__(self, working_days: tuple[int, ...], holiday_code: str):
        self.working_days = frozenset(working_days)
        self.holiday_code = holiday_code
        self._holidays = _holiday_calendar(holiday_code)
        self._known: dict[dt.date, bool] = {}  # a sync asks about the same few hundred days a million times

    def is_working_day(self, day: dt.date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = day.weekday() in self.working_days and day not in self._holidays
        return known

    def holiday_name(self, day: dt.date) -> str | None:
        return self._holidays.get(day) if self._holidays else None

    def on_or_before(self, day: dt.date) -> dt.date:
        """Return the latest working day <= `day`."""
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def on_or_after(self, day: dt.date) -> dt.date:
        """Return the earliest working day >= `day`."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day


@lru_cache(maxsize=64)
def working_calendar(working_days: tuple[int, ...], holiday_code: str) -> WorkingCalendar:
    """Return the one shared calendar for these working days and bank holidays (it only caches)."""
    return WorkingCalendar(tuple(working_days), holiday_code)
