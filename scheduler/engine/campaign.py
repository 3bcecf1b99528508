"""Forecast and simulate a reminder campaign over a date range (PRODUCT.md §5).

Both work on a throwaway SQLite copy of the database, synced with the config as of the start of
`--from` in every plan's own zone (so an action the database has not seen counts as assigned on
`--from` where its plan is), and visit the same run instants (each plan's send time on each day).
A plan's actions are held back until `--from` has begun in its zone: Sydney's 09:00 on `--from`
is the evening before in London, and a London stage must not go out dated the day before. `forecast` runs the pipeline's decision
stages (select, claim) on the copy's ledger and yields what they would send; `simulate` runs the
whole pipeline with the transport it is given. So they agree by construction, and neither holds
more than a batch of actions in memory, whatever the size of the database.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from scheduler.config.model import Config
from scheduler.engine.facts import calendar_for, sync_and_refresh
from scheduler.engine.ledger import CLAIM_BATCH, SqlLedger
from scheduler.engine.pipeline import run_once
from scheduler.store import db


@contextmanager
def throwaway_copy(source: sa.Engine, config: Config, start: dt.date):
    """Yield an engine on a temporary SQLite copy of `source`, synced as of `start` 00:00 (the
    latest of the plans' midnights, so the sync day is `start` in every plan's zone)."""
    with tempfile.TemporaryDirectory(prefix="reminders-sim-") as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'copy.db'}")
        _copy(source, engine)
        zones = [p.policy.tz for p in config.plans.values()] or [config.default_policy.tz]
        at = max(dt.datetime.combine(start, dt.time(0, 0), tzinfo=tz).astimezone(dt.UTC) for tz in zones)
        with db.session(engine) as s:
            sync_and_refresh(s, config, at)
            s.commit()
        try:
            yield engine
        finally:
            engine.dispose()


class Window:
    """Holds back, at each run instant, the plans whose `start` has not begun in their own zone
    (their actions' next notice day is cleared, so no run selects them), and lets each in at the
    first instant on or after its own `start` (its next notice days recomputed then)."""

    def __init__(self, engine: sa.Engine, config: Config, start: dt.date):
        self.engine, self.config, self.start = engine, config, start
        self.held: set[str] | None = None

    def _waiting(self, instant: dt.datetime) -> set[str]:
        return {p.id for p in self.config.plans.values() if instant.astimezone(p.policy.tz).date() < self.start}

    def before(self, instant: dt.datetime) -> None:
        """Hold or release plans for a run at `instant` (instants come in time order)."""
        from sqlmodel import select, update

        from scheduler.engine.facts import refresh_next_notice
        from scheduler.store.models import Action

        waiting = self._waiting(instant)
        with db.session(self.engine) as s:
            if self.held is None:
                if waiting:
                    s.execute(update(Action).where(Action.plan_id.in_(waiting)).values(next_notice_on=None))
                self.held = waiting
            for plan_id in sorted(self.held - waiting):
                rows = s.exec(select(Action).where(Action.plan_id == plan_id)).all()
                refresh_next_notice(s, self.config, instant, rows)
            self.held &= waiting
            s.commit()


def _copy(source: sa.Engine, engine: sa.Engine) -> None:
    """Copy the database: SQLite's online backup page by page, else a table at a time in batches."""
    if db.is_sqlite(source):
        src, dst = source.raw_connection(), engine.raw_connection()
        try:
            src.driver_connection.backup(dst.driver_connection, pages=1024)
        finally:
            src.close()
            dst.close()
        return
    db.upgrade(engine)
    with source.connect() as src, engine.begin() as dst:
        for table in SQLModel.metadata.sorted_tables:
            result = src.execution_options(yield_per=5000).execute(sa.select(table))
            for batch in result.mappings().partitions():
                dst.execute(table.insert(), [dict(r) for r in batch])


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


def forecast(engine: sa.Engine, config: Config, start: dt.date, end: dt.date) -> Iterator[dict]:
    """Yield {date, plan, ref, stage, to, cc} in date order, assuming nothing changes: the
    pipeline's select and claim stages at every run instant, on `engine` (a throwaway copy: the
    claims are written to it, as a run would, and nothing is sent)."""
    from scheduler.engine.progress import planned_reports
    from scheduler.store import queries

    ledger = SqlLedger(engine, config)
    window = Window(engine, config, start)
    reported: set = set()
    for day in days(start, end):
        for instant in run_instants(config, day):
            window.before(instant)
            yield from _queued(engine, config, instant)
            yield from planned_reports(engine, config, instant, reported)  # the review days' progress reports
            due = ledger.select(instant)
            for i in range(0, len(due), CLAIM_BATCH):
                chunk = due[i : i + CLAIM_BATCH]
                labels = queries.labels(engine, chunk)
                for aid, claim in zip(chunk, ledger.claim_many(chunk, instant, "forecast"), strict=True):
                    plan, ref = labels[aid]
                    local = instant.astimezone(config.plans[plan].policy.tz)
                    for _, pn in claim.send:
                        yield {"date": local.date().isoformat(), "plan": plan, "ref": ref, "stage": pn.stage.name,
                               "to": pn.to.email, "cc": [c.email for c in pn.cc]}  # fmt: skip


def _queued(engine: sa.Engine, config: Config, instant: dt.datetime) -> Iterator[dict]:
    """Yield the outcome notices a verification queued in the ledger that a run at `instant` sends (the
    pipeline's select stage picks them with the retries; no newer notice replaces them); mark them sent
    on the copy."""
    from scheduler.store import queries
    from scheduler.store.models import Notice

    sent = []
    for n, a in queries.due_retries(engine, instant):
        plan = config.plans.get(a.plan_id)
        if n.track != "outcome":
            continue
        local = instant.astimezone(plan.policy.tz) if plan else None
        if local is None or not calendar_for(plan).is_working_day(local.date()):
            continue
        sent.append(n.id)
        yield {"date": local.date().isoformat(), "plan": a.plan_id, "ref": a.ref, "stage": n.stage,
               "to": n.recipient, "cc": [c for c in (n.cc or "").split(",") if c]}  # fmt: skip
    if sent:
        with engine.begin() as conn:
            conn.execute(sa.update(Notice).where(Notice.id.in_(sent)).values(state="sent"))


def simulate(engine: sa.Engine, config: Config, renderer, transport, start: dt.date, end: dt.date,
             after=None) -> list[dict]:  # fmt: skip
    """Run the real pipeline at every run instant; return the notice outcomes with their date.
    `after(engine, instant)`, when given, runs after each run (the progress reports) and returns
    outcome dicts of its own."""
    out = []
    window = Window(engine, config, start)
    for day in days(start, end):
        for instant in run_instants(config, day):
            window.before(instant)
            report = run_once(engine, config, renderer, transport, instant)
            out += [{"date": day.isoformat(), **o} for o in report.outcomes]
            out += after(engine, instant) if after else []
    return out
