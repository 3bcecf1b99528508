"""Email the weekly management summary to each plan's summary_recipients."""

from __future__ import annotations

import datetime as dt
import logging
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from scheduler import db
from scheduler.emails import MAIL_POLICY
from scheduler.models import ServiceEvent
from scheduler.summary import build_summaries, render
from scheduler.transport import TransportError

log = logging.getLogger("scheduler.notices")


def send_summaries(engine, config, renderer, transport, now: dt.datetime, plan_ids) -> int:
    """Send one summary email per plan with recipients; record it; return messages sent."""
    sent = 0
    with db.session(engine) as s:
        summaries = [x for x in build_summaries(s, config, now) if x.plan_id in plan_ids]
    for summary in summaries:
        plan = config.plans[summary.plan_id]
        if not plan.summary_recipients:
            continue
        msg = EmailMessage(policy=MAIL_POLICY)
        msg["Subject"] = f"Improvement plan summary: {plan.title} ({summary.as_of:%d %b %Y})"
        msg["From"] = renderer.sender
        msg["To"] = ", ".join(plan.summary_recipients)
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = make_msgid(idstring="summary", domain=renderer.domain)
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(render([summary], "text"))
        msg.add_alternative(render([summary], "html", renderer), subtype="html")
        try:
            transport.open()
            transport.send(msg)
            outcome = "sent"
            sent += 1
        except TransportError as exc:
            outcome = f"failed: {exc}"
        finally:
            transport.close()
        log.info("summary plan=%s recipients=%s outcome=%s message_id=%s", plan.id, ",".join(plan.summary_recipients),
                 outcome, msg["Message-ID"])  # fmt: skip
        if outcome == "sent":
            with db.session(engine) as s:
                s.add(ServiceEvent(at=now, kind="summary", plan_id=plan.id, detail=msg["Message-ID"]))
                s.commit()
    return sent
