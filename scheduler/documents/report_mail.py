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
from scheduler.mail.headers import address
from scheduler.mail.render import plural, wrap_text


def report_subject(report: Report) -> str:
    """Return e.g. '[ofsted-2009] Progress report for 16 Mar 2010: 12 actions (1 complete and verified,
    2 awaiting verification, 6 on target, ...)': every non-empty category in the report's own words
    and order, so the figures add up to the number of actions."""
    parts = [f"{report.counts[c]} {LABELS[c].lower()}" for c in CATEGORIES if report.counts[c]]
    what = f"{plural(report.total, 'action')} ({', '.join(parts)})" if report.total else "no actions yet"
    return f"[{report.plan_id}] Progress report for {day(report.as_of)}: {what}"


def recipient(to) -> str:
    """Return a To address: `Name <email>` for an owner (anything with .name and .email), else as given."""
    return address(to.name, to.email) if hasattr(to, "email") else str(to)


def report_message(renderer, report: Report, to: list, now: dt.datetime, admin=None) -> EmailMessage:
    """Return the report email to `to` (owners, named in To, or bare addresses); `admin` (name, email)
    is named and is the Reply-To."""
    pngs = charts(report)
    domain = getattr(renderer, "domain", "reminders.invalid")
    cids = {name: make_msgid(idstring=f"{name}-chart", domain=domain)[1:-1] for name in pngs}
    ctx = dict(r=report, headline=headline(report), categories=CATEGORIES, labels=LABELS, colours=COLOURS,
               rag_labels=RAG_LABELS, admin=admin, trend_cid=cids["trend"], timeline_cid=cids["timeline"])  # fmt: skip
    env = _env()
    text = wrap_text(env.get_template("report_email.txt").render(**ctx))
    html = env.get_template("report_email.html").render(**ctx)
    msg = renderer.new_message("report", report_subject(report), ", ".join(map(recipient, to)), now)
    if admin is not None:
        msg["Reply-To"] = address(admin.name, admin.email)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]
    for name, png in pngs.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cids[name]}>",
                              filename=f"{name}.png", disposition="inline")  # fmt: skip
    msg.add_attachment(report_pdf(report, pngs), maintype="application", subtype="pdf",
                       filename=f"progress-report-{report.plan_id}-{report.as_of}.pdf")  # fmt: skip
    return msg
