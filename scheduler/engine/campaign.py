"""Forecast and simulate a reminder campaign over a date range (PRODUCT.md §5).

Both work on a throwaway SQLite copy of the database, synced with the config as of the start of
`--from` (so an action the database has not seen counts as assigned that day), and visit the
same run instants (each plan's send time on each day). `forecast` runs the pipeline's decision
stages (select, claim) on an in-memory ledger; `simulate` runs the whole pipeline with the
transport it is given. So they agree by construction.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from scheduler.config.model import Config
from scheduler.engine.facts import sync_and_refresh
from scheduler.engine.ledger import MemoryLedger
from scheduler.engine.pipeline import run_once
from scheduler.store import db


@contextmanager
def throwaway_copy(source: sa.Engine, config: Config, start: dt.date):
    """Yield an engine on a temporary SQLite copy of `source`, synced as of `start` 00:00."""
    with tempfile.TemporaryDirectory(prefix="reminders-sim-") as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'copy.db'}")
        db.upgrade(engine)
        with source.connect() as src, engine.begin() as dst:
            for table in SQLModel.metadata.sorted_tables:
                rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
                if rows:
                    dst.execute(table.insert(), rows)
        tz = config.default_policy.tz
        at = dt.datetime.combine(start, dt.time(0, 0), tzinfo=tz).astimezone(dt.UTC)
        with db.session(engine) as s:
            sync_and_refresh(s, config, at)
            s.commit()
        try:
            yield engine
        finally:
            engine.dispose()


def run_instants(config: Config, day: dt.date) -> list[dt.datetime]:
    """Return the UTC instants of each plan's send time on `day`, earliest first, without repeats."""
    instants = {
        dt.datetime.combine(day, p.policy.send_time, tzinfo=p.policy.tz).astimezone(dt.UTC)
        for p in config.plans.values()
    }
    return sorted(instants)


def days(start: dt.date, end: dt.date):
    """Yield every date from `start` to `end` inclusive."""
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def forecast(engine: sa.Engine, config: Config, start: dt.date, end: dt.date) -> list[dict]:
    """Return [{date, plan, ref, stage, to, cc}] sorted by date, assuming nothing changes."""
    with db.session(engine) as s:
        ledger = MemoryLedger(s, config, start)
    out = []
    for day in days(start, end):
        for instant in run_instants(config, day):
            for aid in ledger.select(instant):
                action = ledger.actions[aid]
                local = instant.astimezone(config.plans[action.plan_id].policy.tz)
                for _, pn in ledger.claim(aid, instant, "forecast").send:
                    out.append({"date": local.date().isoformat(), "plan": action.plan_id, "ref": action.ref,
                                "stage": pn.stage.name, "to": pn.to.email, "cc": [c.email for c in pn.cc]})  # fmt: skip
    return out


def simulate(engine: sa.Engine, config: Config, renderer, transport, start: dt.date, end: dt.date) -> list[dict]:
    """Run the real pipeline at every run instant; return the notice outcomes with their date."""
    out = []
    for day in days(start, end):
        for instant in run_instants(config, day):
            report = run_once(engine, config, renderer, transport, instant)
            out += [{"date": day.isoformat(), **o} for o in report.outcomes]
    return out
