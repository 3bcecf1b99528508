"""The progress report as HTML (Jinja2, templates/documents/report.html) and PDF (WeasyPrint, A4).

`report_html(report, charts)` returns the page with the charts inline (data: URIs, so the file stands
alone), or pointing at `chart_urls` (the web app serves them). `report_pdf(report)` returns the PDF
printed from that HTML. `headline(report)` is the one-sentence summary every format shares.
"""

from __future__ import annotations

import base64
import datetime as dt
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from scheduler.config.files import shipped_templates
from scheduler.config.text import shorten
from scheduler.documents.report_charts import COLOURS, timeline_png, trend_png
from scheduler.documents.report_data import CATEGORIES, LABELS, RAG_LABELS, ActionState, Report
from scheduler.store.stages import StageName

STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "awaiting_verification": "Awaiting verification",
                 "complete": "Complete", "withdrawn": "Withdrawn"}  # fmt: skip


def day(value: dt.date | None) -> str:
    """Return e.g. '24 Feb 2010' (no weekday: tables stay narrow)."""
    return "-" if value is None else f"{value.day} {value:%b %Y}"


def dues(a: ActionState) -> str:
    """Return the due date with every agreed revision, e.g. '24 Feb 2010; revised to 30 Apr 2010'."""
    text = day(a.original_due)
    for r in a.revisions:
        text += f"; revised to {day(r.revised_due)} ({r.reason}, approved by {r.approved_by})"
    return text


def level(stage: str) -> str:
    """Return 'level 2' for the stage 'escalation:2'."""
    return f"level {StageName.parse(stage).number}"


def headline(report: Report) -> str:
    """Return the headline sentence, e.g. '7 of 12 actions (58.3%) are on target; 5 (41.7%) ...'."""
    if not report.total:
        return "The plan has no actions yet."
    parts = [f"{report.counts[c]} ({report.percent(c):.1f}%) {LABELS[c].lower()}" for c in CATEGORIES
             if report.counts[c]]  # fmt: skip
    return f"Of {report.total} actions: " + "; ".join(parts) + "."


@lru_cache(maxsize=1)
def _env() -> Environment:
    # Only HTML is escaped: the email's text part must say "Children's", not "Children&#39;s".
    env = Environment(loader=FileSystemLoader(str(shipped_templates("documents"))), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"], default_for_string=True, default=False))  # fmt: skip
    env.filters.update(day=day, dues=dues, level=level, short=shorten, status=lambda s: STATUS_LABELS.get(s, s))
    return env


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def charts(report: Report) -> dict[str, bytes]:
    """Return {"trend": PNG bytes, "timeline": PNG bytes}."""
    return {"trend": trend_png(report), "timeline": timeline_png(report)}


def report_html(report: Report, pngs: dict[str, bytes] | None = None, chart_urls: dict[str, str] | None = None,
                css_href: str | None = None, links: list[tuple[str, str]] = ()) -> str:  # fmt: skip
    """Return the report page: standalone (styles and charts inline, from `pngs` or drawn now), or for
    the web (`chart_urls`, `css_href` and download `links`: its Content-Security-Policy allows no
    inline styles or data: images)."""
    if chart_urls is None:
        pngs = pngs or charts(report)
        chart_urls = {name: data_uri(png) for name, png in pngs.items()}
    return _env().get_template("report.html").render(
        r=report, headline=headline(report), categories=CATEGORIES, labels=LABELS, colours=COLOURS,
        rag_labels=RAG_LABELS, trend_src=chart_urls["trend"], timeline_src=chart_urls["timeline"],
        css_href=css_href, links=list(links))  # fmt: skip


def report_css() -> str:
    """Return the report's stylesheet (served by the web app; inlined in the standalone page)."""
    return _env().loader.get_source(_env(), "report.css")[0]


def report_pdf(report: Report, pngs: dict[str, bytes] | None = None) -> bytes:
    """Return the report as an A4 PDF printed from its HTML (the same figures, the same charts)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting is chatty at INFO
    html = report_html(report, pngs)
    # A fixed identifier and no creation date: the same report gives the same bytes.
    return HTML(string=html).write_pdf(pdf_identifier=f"{report.plan_id}-{report.as_of}".encode())
