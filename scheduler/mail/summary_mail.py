"""The management summary as text, Markdown, HTML or CSV, and emailed to each plan's
summary_recipients (the weekly job and `reminders summary`)."""

from __future__ import annotations

import datetime as dt
import logging

from scheduler.engine.ports import TransportError
from scheduler.engine.status import days_text
from scheduler.engine.summary import RAG_ORDER, PlanSummary, build_summaries, render_csv, render_lines
from scheduler.store import db
from scheduler.store.models import ServiceEvent
from scheduler.store.states import ServiceEventKind

log = logging.getLogger("scheduler.notices")
RAG_COLOURS = {"overdue": "#f8d7da", "due soon": "#fff3cd", "on track": "#d4edda", "complete": "#e2e3e5",
               "awaiting verification": "#e8dcf2"}


def render(summaries: list[PlanSummary], fmt: str, renderer=None) -> str:
    """Return the summaries as text, md, html or csv."""
    if fmt == "csv":
        return render_csv(summaries)
    if fmt == "html":
        from scheduler.mail.render import Renderer

        renderer = renderer or Renderer()
        return renderer.template(renderer.html, "summary.html", summaries=summaries, rag_order=RAG_ORDER,
                                 days_text=days_text, rag_colours=RAG_COLOURS)  # fmt: skip
    return render_lines(summaries, md=fmt == "md")


def send_summaries(engine, config, renderer, transport, now: dt.datetime, plan_ids, since=None) -> list[tuple]:
    """Send one summary email per plan with recipients; record it; return (plan, outcome, Message-ID)."""
    sent = []
    with db.session(engine) as s:
        summaries = [x for x in build_summaries(s, config, now, since) if x.plan_id in plan_ids]
    for summary in summaries:
        plan = config.plans[summary.plan_id]
        if not plan.summary_recipients:
            continue
        text, html = render([summary], "text"), render([summary], "html", renderer)
        links = getattr(renderer, "links", None)
        if links is not None:  # the read-only dashboard, a signed link for the summary's readers
            url = links.url("dashboard", plan.id, ",".join(plan.summary_recipients))
            text += f"\nDashboard (read-only): {url}\n"
            html = html.replace("</body>", f'<p><a href="{url}">Open the dashboard</a> (read-only)</p></body>')
        msg = renderer.summary_message(f"Improvement plan summary: {plan.title} ({summary.as_of:%d %b %Y})",
                                       list(plan.summary_recipients), text, html, now)  # fmt: skip
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
