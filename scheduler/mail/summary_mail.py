"""The management summary as text, Markdown, HTML or CSV, and emailed to each plan's
summary_recipients (the weekly job and `reminders summary`)."""

from __future__ import annotations

import datetime as dt
import logging

from scheduler.config.humandates import daydate
from scheduler.engine.ports import TransportError
from scheduler.engine.status import days_text
from scheduler.engine.summary import RAG_ORDER, PlanSummary, build_summaries, render_csv, render_lines
from scheduler.store import db
from scheduler.store.models import ServiceEvent
from scheduler.store.states import ServiceEventKind

log = logging.getLogger("scheduler.notices")
RAG_COLOURS = {"overdue": "#f8d7da", "due soon": "#fff3cd", "on track": "#d4edda", "complete": "#e2e3e5"}


def render(summaries: list[PlanSummary], fmt: str, renderer=None, dashboard: str | None = None) -> str:
    """Return the summaries as text, md, html or csv (HTML with a link to `dashboard` when given)."""
    if fmt == "csv":
        return render_csv(summaries)
    if fmt == "html":
        from scheduler.mail.render import Renderer

        renderer = renderer or Renderer()
        return renderer.template(renderer.html, "summary.html", summaries=summaries, rag_order=RAG_ORDER,
                                 days_text=days_text, rag_colours=RAG_COLOURS, dashboard=dashboard)  # fmt: skip
    return render_lines(summaries, md=fmt == "md")


def _named(config, email: str) -> str:
    """Return 'Name <email>' for a configured person's address, else the address."""
    from scheduler.mail.headers import address

    owner = next((o for o in config.owners.values() if o.email == email), None)
    return address(owner.name, email) if owner else email


def send_summaries(engine, config, renderer, transport, now: dt.datetime, plan_ids, since=None) -> list[tuple]:
    """Send one summary email per plan with recipients; record it; return (plan, outcome, Message-ID)."""
    sent = []
    with db.session(engine) as s:
        summaries = [x for x in build_summaries(s, config, now, since) if x.plan_id in plan_ids]
    for summary in summaries:
        plan = config.plans[summary.plan_id]
        if not plan.summary_recipients:
            continue
        links = getattr(renderer, "links", None)
        # the read-only dashboard, a signed link for the summary's readers
        url = links.url("dashboard", plan.id, ",".join(plan.summary_recipients)) if links is not None else None
        text, html = render([summary], "text"), render([summary], "html", renderer, url)
        if url:
            text += f"\nDashboard (read-only): {url}\n"
        msg = renderer.summary_message(f"Improvement plan summary: {plan.title} ({daydate(summary.as_of)})",
                                       [_named(config, e) for e in plan.summary_recipients], text, html, now,
                                       plan.policy.tz)  # fmt: skip
        try:
            transport.open()
            transport.send(msg)
            outcome = "sent"
        except TransportError as exc:
            outcome = f"failed: {exc}"
        finally:
            transport.close()
        sent.append((plan.id, outcome, msg["Message-ID"]))
        log.info("summary plan=%s recipients=%s outcome=%s message_id=%s", plan.id, ",".join(plan.summary_recipients),
                 outcome, msg["Message-ID"])  # fmt: skip
        if outcome == "sent":
            with db.session(engine) as s:
                s.add(ServiceEvent(at=now, kind=ServiceEventKind.SUMMARY, plan_id=plan.id, detail=msg["Message-ID"]))
                s.commit()
    return sent
