"""The progress report emailed on each review date (PRODUCT.md §3, §8): stage `report:<R>` in the
plan-level ledger (engine/plan_notices.py: one row per plan, stage and recipient, ever; retried,
reported, never sent twice), to the plan's summary recipients (the administrator when it names none),
at send time on R (the next working day if R is not one), its own email with the PDF attached.

`send_reports(engine, config, renderer, transport, now)` claims the reports fallen due and sends the
waiting ones; it returns one PlanOutcome per message handed over. `planned_reports(config, day)`
lists what falls due on a day, for `forecast`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from scheduler.documents.report_mail import report_message
from scheduler.documents.report_source import report_for
from scheduler.engine import plan_notices
from scheduler.engine.facts import calendar_for
from scheduler.engine.progress import report_recipients, reports_due
from scheduler.store import db
from scheduler.store.stages import StageName
from scheduler.store.states import WAITING

PREFIX = "report:"


def send_reports(engine, config, renderer, transport, now: dt.datetime) -> list:
    """Claim every report fallen due by `now` and send each waiting one (and retries whose time has
    come) as its own message; return their PlanOutcomes."""
    run_id = uuid.uuid4().hex[:12]
    plan_notices.recover(engine, now, run_id)
    rows = []
    for plan in config.plans.values():
        for review in reports_due(plan, calendar_for(plan), now.astimezone(plan.policy.tz)):
            stage = StageName("report", day=review.date).format()
            plan_notices.claim(engine, plan.id, stage, report_recipients(config, plan), now, run_id)
            rows += [r for r in plan_notices.rows_for(engine, plan.id, stage) if r.state in WAITING]
    seen = {r.id for r in rows}
    rows += [r for r in plan_notices.due_retries(engine, now, PREFIX) if r.id not in seen and r.plan_id in config.plans]
    if not rows:
        return []
    made: dict = {}
    people = {o.email: o for o in config.owners.values()}  # To names the person, as every email does

    def build(row):
        plan = config.plans[row.plan_id]
        if (row.plan_id, row.stage) not in made:
            with db.session(engine) as s:
                made[row.plan_id, row.stage] = report_for(s, plan, StageName.parse(row.stage).day)
        admin = config.owners.get(plan.administrator) if plan.administrator else None
        return report_message(renderer, made[row.plan_id, row.stage], [people.get(row.recipient, row.recipient)], now,
                              admin)  # fmt: skip

    return plan_notices.deliver(engine, transport, rows, build, now, run_id)


def outcome_rows(results, now: dt.datetime, config) -> list[dict]:
    """Return the report outcomes as simulate prints them: {date, plan, ref, stage, recipient, outcome}."""
    out = []
    for r in results:
        day = now.astimezone(config.plans[r.plan].policy.tz).date() if r.plan in config.plans else now.date()
        out.append({"date": day.isoformat(), "plan": r.plan, "ref": "-", "stage": r.stage, "recipient": r.recipient,
                    "outcome": r.outcome})  # fmt: skip
    return out
