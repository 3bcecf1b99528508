"""Runs across DST changes and bank holidays: one notice per working day at 09:00 local, none
on weekends or holidays. The real pipeline, a real SQLite file and the file outbox; the clock
is frozen at each run instant."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from scheduler.config.load import load_config
from scheduler.engine.pipeline import run_once
from scheduler.mail.render import Renderer
from scheduler.mail.transport import FileTransport
from scheduler.store.db import make_engine
from tests.conftest import REPO
from tests.test_config_errors import PLAN, edit

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def daily_overdue(cli, config_dir, db_url):
    """The shipped plan with an overdue notice every day and no escalations, synced."""
    edit(config_dir, PLAN, "actions:\n", "policy:\n  overdue_repeat_days: [1]\n  escalations: []\nactions:\n")
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    return load_config(config_dir), make_engine(db_url)


def run_every(engine, config, outbox, start: dt.datetime, end: dt.datetime, step: dt.timedelta):
    """Run the pipeline at each instant; return {local date: [(local time, plan/ref=stage)]}."""
    renderer = Renderer(REPO / "templates" / "emails")
    sent = defaultdict(list)
    now = start
    while now <= end:
        with freeze_time(now):
            report = run_once(engine, config, renderer, FileTransport(outbox), now)
        local = now.astimezone(LONDON)
        for o in report.outcomes:
            assert o["outcome"] == "sent"
            sent[local.date()].append((local.strftime("%H:%M"), f"{o['ref']}={o['stage']}"))
        now += step
    return sent


def utc(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("warm_up", "start", "end", "days", "per_day"),
    [
        # Spring forward on Sunday 28 March: 09:00 GMT (09:00Z) before, 09:00 BST (08:00Z) after;
        # the five 3-month actions are overdue.
        ("2010-03-24T09:00", "2010-03-25T00:00", "2010-04-01T23:00",
         ["2010-03-25", "2010-03-26", "2010-03-29", "2010-03-30", "2010-03-31", "2010-04-01"], 5),
        # Fall back on Sunday 31 October: 09:00 BST (08:00Z) before, 09:00 GMT (09:00Z) after;
        # all twelve actions are overdue.
        ("2010-10-27T08:00", "2010-10-28T00:00", "2010-11-03T23:00",
         ["2010-10-28", "2010-10-29", "2010-11-01", "2010-11-02", "2010-11-03"], 12),
    ],
    ids=["spring", "autumn"],
)  # fmt: skip
def test_dst_week_one_notice_per_action_per_working_day_at_0900_local(
    daily_overdue, tmp_path, warm_up, start, end, days, per_day
):
    config, engine = daily_overdue
    hour = dt.timedelta(hours=1)
    run_every(engine, config, tmp_path / "o", utc(warm_up), utc(warm_up), hour)  # clear the backlog
    sent = run_every(engine, config, tmp_path / "o", utc(start), utc(end), hour)
    assert sorted(sent) == [dt.date.fromisoformat(d) for d in days]
    for day, items in sent.items():
        assert {t for t, _ in items} == {"09:00"}, (day, items)
        assert len(items) == per_day
        assert len({n.split("=")[0] for _, n in items}) == per_day  # one notice per action


@pytest.mark.parametrize(
    ("start", "end", "holidays"),
    [
        ("2010-03-31", "2010-04-07", {"2010-04-02", "2010-04-05"}),  # Easter 2010
        ("2010-12-22", "2011-01-04", {"2010-12-27", "2010-12-28", "2011-01-03"}),  # Christmas (observed)
    ],
)
def test_bank_holidays_get_no_notices(daily_overdue, tmp_path, start, end, holidays):
    config, engine = daily_overdue
    first = dt.datetime.combine(dt.date.fromisoformat(start), dt.time(9), tzinfo=LONDON).astimezone(dt.UTC)
    last = dt.datetime.combine(dt.date.fromisoformat(end), dt.time(9), tzinfo=LONDON).astimezone(dt.UTC)
    run_every(engine, config, tmp_path / "o", first - dt.timedelta(days=1), first - dt.timedelta(days=1),
              dt.timedelta(days=1))  # fmt: skip
    sent = run_every(
        engine, config, tmp_path / "o", first, last + dt.timedelta(hours=1), dt.timedelta(hours=12)
    )
    day, expected = dt.date.fromisoformat(start), []
    while day <= dt.date.fromisoformat(end):
        if day.weekday() < 5 and day.isoformat() not in holidays:
            expected.append(day)
        day += dt.timedelta(days=1)
    assert sorted(sent) == expected
    assert not {d.isoformat() for d in sent} & holidays
