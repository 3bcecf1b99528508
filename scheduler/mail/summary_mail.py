"""The management summary as text, Markdown, HTML or CSV, and emailed to each plan's
summary_recipients (the weekly job and `reminders summary --send`), one message per recipient
through the plan-level ledger (engine/plan_notices.py): retried, reported, never silently lost."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from scheduler.config.humandates import daydate
from scheduler.engine import plan_notices
from scheduler.engine.plainwords import notice_counts
from scheduler.engine.status import days_text
from scheduler.engine.summary import (
    RAG_ORDER,
    PlanSummary,
    build_summaries,
    last_summary_at,
    render_csv,
    render_lines,
    stream_csv,
    stream_lines,
)
from scheduler.mail.render import wrap_text
from scheduler.store import db
from scheduler.store.models import ServiceEvent
from scheduler.store.states import ServiceEventKind

log = logging.getLogger("scheduler.notices")
RAG_COLOURS = {"overdue": "#f8d7da", "due soon": "#fff3cd", "on track": "#d4edda", "complete": "#e2e3e5",
               "awaiting verification": "#e8dcf2"}


def render(summaries: list[PlanSummary], fmt: str, renderer=None, dashboard: str | None = None,
           report_query: str = "") -> str:  # fmt: skip
    """Return the summaries as text, md, html or csv (HTML with links to `dashboard` and its latest
    progress report when given)."""
    if fmt == "csv":
        return render_csv(summaries)
    if fmt == "html":
        from scheduler.mail.render import Renderer

        renderer = renderer or Renderer()
        return renderer.template(renderer.html, "summary.html", summaries=summaries, rag_order=RAG_ORDER,
                                 days_text=days_text, rag_colours=RAG_COLOURS, dashboard=dashboard,
                                 report_query=report_query, notice_words=notice_counts)  # fmt: skip
    return render_lines(summaries, md=fmt == "md")


def _named(config, email: str) -> str:
    """Return 'Name <email>' for a configured person's address, else the address."""
    from scheduler.mail.headers import address

    owner = next((o for o in config.owners.values() if o.email == email), None)
    return address(owner.name, email) if owner else email


def render_stream(summaries, fmt: str, renderer=None):
    """Yield the summaries (an iterable, read once) as text, md or csv a plan at a time; html
    (one page) is rendered whole."""
    if fmt == "csv":
        yield from stream_csv(summaries)
    elif fmt == "html":
        yield render(list(summaries), fmt, renderer)
    else:
        yield from stream_lines(summaries, md=fmt == "md")


def send_summaries(engine, config, renderer, transport, now: dt.datetime, plan_ids, since=None) -> list:
    """Send each plan's summary as one message per recipient through the plan-level ledger (stage
    `summary:YYYY-MM-DD`, the plan's local date): a recipient already sent to today is not sent to
    again, one refused is retried. Return one `PlanOutcome` per recipient."""
    run_id = uuid.uuid4().hex[:12]
    plan_notices.recover(engine, now, run_id)
    rows = []
    for plan_id in plan_ids:
        plan = config.plans[plan_id]
        if not plan.summary_recipients:
            continue
        stage = f"summary:{now.astimezone(plan.policy.tz).date().isoformat()}"
        plan_notices.claim(engine, plan.id, stage, list(plan.summary_recipients), now, run_id)
        rows += plan_notices.rows_for(engine, plan.id, stage)
    return _deliver(engine, config, renderer, transport, now, rows, run_id, since)


def retry_summaries(engine, config, renderer, transport, now: dt.datetime) -> list:
    """Send the summaries waiting for a retry whose time has come (and those a dead run left
    `pending`, recovered first; never a new one); return their `PlanOutcome`s."""
    run_id = uuid.uuid4().hex[:12]
    plan_notices.recover(engine, now, run_id)
    rows = [r for r in plan_notices.due_retries(engine, now, "summary:") if r.plan_id in config.plans]
    return _deliver(engine, config, renderer, transport, now, rows, run_id) if rows else []


def _deliver(engine, config, renderer, transport, now, rows, run_id, since=None) -> list:
    """Render each plan's summary once, send it to each waiting recipient, record the summary."""
    made: dict = {}

    def build(row):
        if (row.plan_id, row.stage) not in made:
            made[row.plan_id, row.stage] = _content(engine, config, renderer, now, row, since)
        subject, text, html = made[row.plan_id, row.stage]
        return renderer.summary_message(subject, [_named(config, row.recipient)], text, html, now,
                                        config.plans[row.plan_id].policy.tz)  # fmt: skip

    results = plan_notices.deliver(engine, transport, rows, build, now, run_id)
    for plan_id, stage in dict.fromkeys((r.plan, r.stage) for r in results if r.outcome == "sent"):
        with db.session(engine) as s:  # changes in the next summary count from the first one sent
            if last_summary_at(s, plan_id, detail=stage) is None:
                s.add(ServiceEvent(at=now, kind=ServiceEventKind.SUMMARY, plan_id=plan_id, detail=stage))
                s.commit()
    return results


def _content(engine, config, renderer, now, row, since) -> tuple[str, str, str]:
    """Return (subject, text, html) of a plan's summary as of `now`; a retry covers the period its
    first attempt covered (since the summary before it)."""
    plan = config.plans[row.plan_id]
    with db.session(engine) as s:
        start = since or last_summary_at(s, plan.id, before=row.created_at)
        (summary,) = build_summaries(s, config, now, start, plan.id)
    links = getattr(renderer, "links", None)
    # the read-only dashboard, a signed link for the summary's readers
    url = links.url("dashboard", plan.id, ",".join(plan.summary_recipients)) if links is not None else None
    # the latest progress report: of the last review so far, else as of today
    last = max((r.date for r in plan.reviews if r.date <= summary.as_of), default=None)
    query = f"?as_of={last.isoformat()}" if last else ""
    # 72 columns, as every notice's text part; a link line is left whole (a URL cannot wrap)
    text, html = wrap_text(render([summary], "text")), render([summary], "html", renderer, url, query)
    if url:
        text += f"\nDashboard (read-only): {url}\nLatest progress report: {url}/report{query}\n"
    return f"Improvement plan summary: {plan.title} ({daydate(summary.as_of)})", text, html
