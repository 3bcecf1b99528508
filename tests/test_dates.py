import datetime as dt

import pytest

from scheduler.config.dates import WorkingCalendar, add_months

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2009, 11, 24), 3, D(2010, 2, 24)),  # the seed plan, 3 months
        (D(2009, 11, 24), 6, D(2010, 5, 24)),  # the seed plan, 6 months
        (D(2009, 8, 31), 6, D(2010, 2, 28)),  # 31 Aug + 6, non-leap year: clamp to 28 Feb
        (D(2011, 8, 31), 6, D(2012, 2, 29)),  # 31 Aug + 6, leap year: clamp to 29 Feb
        (D(2010, 1, 31), 1, D(2010, 2, 28)),  # 31 Jan + 1
        (D(2012, 1, 31), 1, D(2012, 2, 29)),
        (D(2010, 3, 31), 1, D(2010, 4, 30)),  # 31-day month into a 30-day month
        (D(2009, 10, 15), 3, D(2010, 1, 15)),  # year boundary
        (D(2009, 12, 31), 2, D(2010, 2, 28)),  # year boundary and clamp
        (D(2010, 2, 28), 1, D(2010, 3, 28)),  # a clamped day stays the same day number
        (D(2009, 11, 24), 12, D(2010, 11, 24)),
        (D(2009, 11, 30), 3, D(2010, 2, 28)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_working_calendar_england_2010():
    cal = WorkingCalendar((0, 1, 2, 3, 4), "GB-ENG")
    assert not cal.is_working_day(D(2010, 4, 2))  # Good Friday
    assert not cal.is_working_day(D(2010, 4, 5))  # Easter Monday
    assert not cal.is_working_day(D(2010, 12, 27))  # Christmas Day (observed)
    assert not cal.is_working_day(D(2010, 12, 28))  # Boxing Day (observed)
    assert not cal.is_working_day(D(2010, 2, 27))  # Saturday
    assert cal.is_working_day(D(2010, 2, 24))
    assert cal.on_or_before(D(2010, 4, 5)) == D(2010, 4, 1)  # Easter: back to Thursday
    assert cal.on_or_after(D(2010, 4, 2)) == D(2010, 4, 6)  # Easter: on to Tuesday
    assert cal.on_or_after(D(2010, 12, 25)) == D(2010, 12, 29)


def test_no_holidays_calendar():
    cal = WorkingCalendar((0, 1, 2, 3, 4), "none")
    assert cal.is_working_day(D(2010, 4, 2))
    assert not cal.is_working_day(D(2010, 4, 3))
