"""The plan-level notices a run delivers after the action notices, one path for the daemon's daily
run and `reminders run --once` (cron): the weekly summaries waiting for a retry whose time has come
(rows a dead run left behind recovered first), then the progress reports fallen due and their
retries. A summary is claimed only by its weekly job or `summary --send`, so a run never sends one
that is not due; the ledger's conditional claim (engine/plan_notices.py) never sends one twice."""

from __future__ import annotations

import datetime as dt

from scheduler.documents.report_send import send_reports
from scheduler.engine.plan_notices import PlanOutcome
from scheduler.mail.summary_mail import retry_summaries

FINE = ("sent", "already sent", "taken by another run")  # outcomes that leave nothing undelivered


def send_plan_notices(engine, config, renderer, transport, now: dt.datetime) -> list[PlanOutcome]:
    """Retry the summaries whose time has come, then send the reports due; return one PlanOutcome
    per message handed over (or found no longer waiting), summaries first."""
    return retry_summaries(engine, config, renderer, transport, now) + send_reports(engine, config, renderer,
                                                                                    transport, now)
