"""The daily job's trigger: next fire times across the 2010 DST changes and bank holidays
(computed with get_next_fire_time; no live scheduler, no frozen clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduler.config.load import load_config
from scheduler.service.triggers import daily_trigger, summary_trigger
from tests.conftest import SHIPPED_CONFIG

UTC = dt.UTC


def fires(trigger, start: dt.datetime, n: int) -> list[dt.datetime]:
    out, prev, now = [], None, start
    for _ in range(n):
        nxt = trigger.get_next_fire_time(prev, now)
        out.append(nxt)
        prev, now = nxt, nxt + dt.timedelta(seconds=1)
    return out


@pytest.fixture(scope="module")
def policy():
    return load_config(SHIPPED_CONFIG).plans["ofsted-2009"].policy


def as_utc(fires_):
    return [f.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M") for f in fires_]


def test_spring_forward_2010(policy):
    got = as_utc(fires(daily_trigger(policy), dt.datetime(2010, 3, 25, 12, tzinfo=UTC), 4))
    # Fri 26 Mar 09:00 GMT; the weekend (and the 28 March clock change) skipped; then 09:00 BST = 08:00Z.
    assert got == [
        "Fri 2010-03-26 09:00",
        "Mon 2010-03-29 08:00",
        "Tue 2010-03-30 08:00",
        "Wed 2010-03-31 08:00",
    ]


def test_fall_back_2010(policy):
    got = as_utc(fires(daily_trigger(policy), dt.datetime(2010, 10, 28, 12, tzinfo=UTC), 3))
    assert got == ["Fri 2010-10-29 08:00", "Mon 2010-11-01 09:00", "Tue 2010-11-02 09:00"]


def test_easter_and_christmas_2010_are_skipped(policy):
    easter = as_utc(fires(daily_trigger(policy), dt.datetime(2010, 3, 31, 12, tzinfo=UTC), 3))
    assert easter == ["Thu 2010-04-01 08:00", "Tue 2010-04-06 08:00", "Wed 2010-04-07 08:00"]
    christmas = as_utc(fires(daily_trigger(policy), dt.datetime(2010, 12, 23, 12, tzinfo=UTC), 4))
    assert christmas == [
        "Fri 2010-12-24 09:00",
        "Wed 2010-12-29 09:00",
        "Thu 2010-12-30 09:00",
        "Fri 2010-12-31 09:00",
    ]
    new_year = as_utc(fires(daily_trigger(policy), dt.datetime(2010, 12, 31, 12, tzinfo=UTC), 1))
    assert new_year == ["Tue 2011-01-04 09:00"]  # Mon 3 Jan 2011: New Year's Day (observed)


def test_fire_times_are_local_send_time(policy):
    london = ZoneInfo("Europe/London")
    for f in fires(daily_trigger(policy), dt.datetime(2010, 1, 1, tzinfo=UTC), 300):
        local = f.astimezone(london)
        assert (local.hour, local.minute) == (9, 0) and local.weekday() < 5


def test_weekly_summary_trigger(policy):
    got = as_utc(fires(summary_trigger(policy), dt.datetime(2010, 3, 24, tzinfo=UTC), 2))
    assert got == ["Mon 2010-03-29 07:00", "Mon 2010-04-05 07:00"]  # 08:00 BST
