"""Forecast and simulate a reminder campaign over a date range (PRODUCT.md §5).

Both work on a throwaway SQLite copy of the database, synced with the config as of the
start of `--from` (so an action the database has not seen counts as assigned that day), and
visit the same run instants (each plan's send time on each day). `forecast` applies the pure
decision to an in-memory ledger; `simulate` runs the real pipeline with the file backend.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel, select

from scheduler import db
from scheduler.config_model import Config
from scheduler.decide import decide
from scheduler.facts import build_facts, calendar_for, ledger_done, sync_and_refresh
from scheduler.models import CLOSED, Action
from scheduler.pipeline import run_once
from scheduler.transport import FileTransport


@contextmanager
def throwaway_copy(source: sa.Engine, config: Config, start: dt.date):
    """Yield an engine on a temporary SQLite copy of `source`, synced as of `start` 00:00."""
    with tempfile.TemporaryDirectory(prefix="reminders-sim-") as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'copy.db'}")
        db.upgrade(engine)
        tables = SQLModel.metadata.sorted_tables
        with source.connect() as src, engine.begin() as dst:
            for table in tables:
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
    """The UTC instants of each plan's send time on `day`, earliest first, without repeats."""
    instants = {
        dt.datetime.combine(day, p.policy.send_time, tzinfo=p.policy.tz).astimezone(dt.UTC)
        for p in config.plans.values()
    }
    return sorted(instants)


def days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def forecast(engine: sa.Engine, config: Config, start: dt.date, end: dt.date) -> list[dict]:
    """Return [{date, plan, ref, stage, to, cc}] sorted by date, assuming nothing changes."""
    with db.session(engine) as s:
        actions = [a for a in s.exec(select(Action).order_by(Action.id))
                   if a.plan_id in config.plans and a.status not in CLOSED and a.in_config]  # fmt: skip
        facts = {a.id: build_facts(s, config, a) for a in actions}
        done = ledger_done(s, [a.id for a in actions])
    out = []
    for day in days(start, end):
        for instant in run_instants(config, day):
            for a in actions:
                plan = config.plans[a.plan_id]
                seen = done.setdefault((a.id, a.due), set())
                local = instant.astimezone(plan.policy.tz)
                decision = decide(facts[a.id], plan.policy, calendar_for(plan), seen, local)
                for pn in decision.superseded + decision.send:
                    seen.add((pn.stage.name, pn.to.email))
                for pn in decision.send:
                    out.append({"date": local.date().isoformat(), "plan": a.plan_id, "ref": a.ref,
                                "stage": pn.stage.name, "to": pn.to.email, "cc": [c.email for c in pn.cc]})  # fmt: skip
    return out


def simulate(
    engine: sa.Engine, config: Config, renderer, start: dt.date, end: dt.date, outbox: Path
) -> list[dict]:
    """Run the real pipeline at every run instant; return the notice outcomes with their date."""
    transport = FileTransport(outbox)
    out = []
    for day in days(start, end):
        for instant in run_instants(config, day):
            report = run_once(engine, config, renderer, transport, instant)
            for o in report.outcomes:
                out.append({"date": day.isoformat(), **o})
    return out
