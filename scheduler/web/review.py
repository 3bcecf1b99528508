"""The progress report on the web, reached from the plan's dashboard link, and the owner's short
"progress for the review" form on the action page.

GET `/d/{token}/report[?as_of=YYYY-MM-DD]` is the report page (charts at `/d/{token}/report/trend.png`
and `timeline.png`; the page's CSP allows no inline styles or data: images), `/d/{token}/report.pdf`,
`.docx` and `.csv` the files, `/report.css` its stylesheet. Nothing here changes anything; each runs
in Starlette's thread pool. `review_progress` is the form: one store operation, like every form.
"""

from __future__ import annotations

import datetime as dt
import re

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from scheduler.documents.report_charts import timeline_png, trend_png
from scheduler.documents.report_files import render
from scheduler.documents.report_render import report_css, report_html
from scheduler.documents.report_source import report_for
from scheduler.store.operations import InputError
from scheduler.store.review_progress import record_review_progress
from scheduler.web.access import dashboard_plan
from scheduler.web.pages import SECURITY_HEADERS, message

FILES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}  # fmt: skip
CHARTS = {"trend": trend_png, "timeline": timeline_png}


def _report(request: Request):
    """Return (plan, report, as-of date) for the request, or a page saying what is wrong."""
    found = dashboard_plan(request)
    if not isinstance(found, tuple):
        return found
    web, plan = found
    today = web.now().astimezone(plan.policy.tz).date()
    text = request.query_params.get("as_of", "")
    try:
        day = dt.date.fromisoformat(text) if text else today
    except ValueError:
        return message("Not a date", "Write the date as YYYY-MM-DD, e.g. 2010-03-16.", 400)
    if not plan.report_date <= day <= today:
        return message("No report for that date", f"Choose a date from {plan.report_date} to {today}.", 400)
    with web.session() as s:
        return plan, report_for(s, plan, day), day


def report_page(request: Request):
    """GET: the progress report as a web page, with links to its PDF, DOCX and CSV."""
    found = _report(request)
    if not isinstance(found, tuple):
        return found
    plan, report, day = found
    base = f"/d/{request.path_params['token']}"
    query = f"?as_of={day}"
    links = [("Back to the dashboard", base)] + [(f"Download {f.upper()}", f"{base}/report.{f}{query}") for f in FILES]
    html = report_html(report, chart_urls={n: f"{base}/report/{n}.png{query}" for n in CHARTS}, css_href="/report.css",
                       links=links)  # fmt: skip
    return HTMLResponse(html, headers=SECURITY_HEADERS)


def report_chart(request: Request):
    """GET: one chart of the report as PNG (the same bytes as in the PDF and DOCX)."""
    name = request.path_params["name"]
    if name not in CHARTS:
        return message("Not found", "There is nothing at this address.", 404)
    found = _report(request)
    if not isinstance(found, tuple):
        return found
    return Response(CHARTS[name](found[1]), media_type="image/png", headers=SECURITY_HEADERS)


def report_file(request: Request):
    """GET: the report as a PDF, DOCX or CSV download."""
    fmt = request.path_params["fmt"]
    if fmt not in FILES:
        return message("Not found", "There is nothing at this address.", 404)
    found = _report(request)
    if not isinstance(found, tuple):
        return found
    plan, report, day = found
    name = f"progress-report-{plan.id}-{day}.{fmt}"
    return Response(render(report, fmt), media_type=FILES[fmt],
                    headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def stylesheet(request: Request):
    """GET: the report's stylesheet (public: it is only CSS)."""
    return Response(report_css(), media_type="text/css", headers={**SECURITY_HEADERS, "Cache-Control": "max-age=3600"})


def next_review(plan, today: dt.date):
    """Return the plan's first review on or after `today` (None: no review to come)."""
    return next((r for r in plan.reviews if r.date >= today), None)


def review_progress(web, s, action, recipient, form, now, outbox) -> str:
    """Form `review`: the owner's RAG, a note and optional evidence links, for the next review."""
    from scheduler.web.forms import by, links_of, text

    if not str(form.get("rag", "")).strip():  # no radio chosen: say what to do, not "self-assessment ''"
        raise InputError("choose your self-assessment: on track, at risk or off track")
    links = links_of(text(form, "evidence"))
    bad = [w for w in links if not re.match(r"^https?://\S+$", w)]
    if bad:
        raise InputError(f"evidence links must start with https:// or http:// ({bad[0][:60]} does not)")
    note = text(form) + (" Evidence: " + " ".join(links) if links else "")
    if not text(form):
        raise InputError("say what has been done and what is left (the note is required)")
    record_review_progress(s, action, form.get("rag", ""), note, by(recipient), now)
    return "Progress for the review recorded: thank you."
