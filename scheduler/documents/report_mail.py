"""The progress report email sent on a review date (PRODUCT.md §8): HTML with the headline figures and
the two charts inline (cid PNG images: Outlook shows PNG, not SVG), a plain-text part, and the
report attached as PDF.

`report_message(renderer, report, to, now, admin)` returns the EmailMessage, built with the renderer's
headers (Date, Message-ID, Auto-Submitted) like every other email of the product.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import make_msgid

from scheduler.documents.report_charts import COLOURS
from scheduler.documents.report_data import CATEGORIES, LABELS, RAG_LABELS, Report
from scheduler.documents.report_render import _env, charts, day, headline, report_pdf


def report_subject(report: Report) -> str:
    """Return e.g. '[ofsted-2009] Progress report for 16 Mar 2010: 7 on target, 5 behind'."""
    behind = report.counts["behind_month"] + report.counts["behind_more"]
    done = report.counts["complete"]
    parts = [f"{report.counts['on_target']} on target", f"{behind} behind"] + ([f"{done} complete"] if done else [])
    return f"[{report.plan_id}] Progress report for {day(report.as_of)}: " + ", ".join(parts)


def report_message(renderer, report: Report, to: list[str], now: dt.datetime, admin=None) -> EmailMessage:
    """Return the report email to `to` (addresses); `admin` (name, email) is named and is the Reply-To."""
    pngs = charts(report)
    domain = getattr(renderer, "domain", "reminders.invalid")
    cids = {name: make_msgid(idstring=f"{name}-chart", domain=domain)[1:-1] for name in pngs}
    ctx = dict(r=report, headline=headline(report), categories=CATEGORIES, labels=LABELS, colours=COLOURS,
               rag_labels=RAG_LABELS, admin=admin, trend_cid=cids["trend"], timeline_cid=cids["timeline"])  # fmt: skip
    env = _env()
    text = env.get_template("report_email.txt").render(**ctx)
    html = env.get_template("report_email.html").render(**ctx)
    msg = renderer.new_message("report", report_subject(report), ", ".join(to), now)
    if admin is not None:
        from email.utils import formataddr

        msg["Reply-To"] = formataddr((admin.name, admin.email))
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]
    for name, png in pngs.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cids[name]}>",
                              filename=f"{name}.png", disposition="inline")  # fmt: skip
    msg.add_attachment(report_pdf(report, pngs), maintype="application", subtype="pdf",
                       filename=f"progress-report-{report.plan_id}-{report.as_of}.pdf")  # fmt: skip
    return msg
