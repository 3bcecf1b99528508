"""The progress report as CSV (one row per action) and DOCX (python-docx: real tables, the charts as
pictures, for pasting into committee papers).

Both are byte-for-byte the same for the same Report: the CSV has no timestamp, and the DOCX's
document properties and zip entries carry the as-of date instead of the time it was made.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from scheduler.documents.report_charts import WIDTH_IN
from scheduler.documents.report_data import CATEGORIES, LABELS, RAG_LABELS, Report
from scheduler.documents.report_render import STATUS_LABELS, charts, day, dues, headline, level

CSV_FIELDS = ("ref", "title", "owner", "due", "revised_due", "status", "category", "days_behind",
              "self_assessment", "latest_note", "note_date", "completed_on", "evidence", "escalations")  # fmt: skip


def report_csv(report: Report) -> str:
    """Return the CSV text: a header, then one row per action in ref order (ISO dates)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for a in report.actions:
        writer.writerow([
            a.ref, a.title, a.owner, a.original_due.isoformat(), a.due.isoformat() if a.revisions else "",
            a.status, LABELS[a.category], a.days_behind, RAG_LABELS.get(a.rag, ""), a.note or "",
            a.note_on.isoformat() if a.note_on else "", a.completed_on.isoformat() if a.completed_on else "",
            a.evidence, "; ".join(f"{level(stage)} to {to} on {d.isoformat()}" for d, stage, to in a.escalations),
        ])  # fmt: skip
    return out.getvalue()


def _table(doc, header: list[str], rows: list[list[str]], widths_cm: list[float]):
    """Add a grid table: a bold header row, then `rows`, 8.5 pt, columns `widths_cm` wide. Cells are
    filled as each row is made (walking `table.rows` again costs O(rows^2) in python-docx)."""
    from docx.shared import Cm, Pt

    table = doc.add_table(rows=0, cols=len(header))
    table.style = "Table Grid"
    widths = [Cm(w) for w in widths_cm]
    for i, values in enumerate([header, *rows]):
        for cell, text, width in zip(table.add_row().cells, values, widths, strict=True):
            cell.width = width
            run = cell.paragraphs[0].add_run(str(text))
            run.font.size, run.bold = Pt(8.5), i == 0 or None
    return table


def _exceptions(doc, report: Report) -> None:
    doc.add_heading("Exceptions", level=1)
    if not report.exceptions:
        doc.add_paragraph("No action is behind its due date or self-assessed at risk.")
    for a in report.exceptions:
        doc.add_heading(f"{a.ref}: {a.title}", level=2)
        what = LABELS[a.category] if a.category != "on_target" else "At risk"
        late = f" ({a.days_behind} days past {day(a.due)})" if a.days_behind else ""
        doc.add_paragraph(f"{what}{late}. Owner: {a.owner}. Due: {dues(a)}. "
                          f"Self-assessment: {RAG_LABELS.get(a.rag, 'none given')}.")  # fmt: skip
        when = f" ({day(a.note_on)})" if a.note_on else ""
        doc.add_paragraph(f"Latest note{when}: {a.note or 'none recorded'}")
        sent = "; ".join(f"{level(s)} to {to} on {day(d)}" for d, s, to in a.escalations) or "none"
        doc.add_paragraph(f"Escalations sent: {sent}")


def report_docx(report: Report, pngs: dict[str, bytes] | None = None) -> bytes:
    """Return the DOCX: headline table, the two charts, the exceptions and the table of every action."""
    from docx import Document
    from docx.shared import Cm

    pngs = pngs or charts(report)
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(1.8)
    doc.add_heading(f"Progress report: {report.title}", level=0)
    body = f" for {report.body}" if report.body else ""
    doc.add_paragraph(f"Plan {report.plan_id}, report of {day(report.report_date)}, as of {day(report.as_of)}"
                      f"{body}; {report.total} actions.")  # fmt: skip
    doc.add_heading("Headline", level=1)
    doc.add_paragraph(headline(report))
    rows = [[LABELS[c], str(report.counts[c]), f"{report.percent(c):.1f}%"] for c in CATEGORIES]
    _table(doc, ["Category", "Actions", "Share"], rows + [["Total", str(report.total), "100.0%" if report.total
                                                             else "0.0%"]], [8, 3, 3])  # fmt: skip
    doc.add_heading("Trend at each review", level=1)
    doc.add_picture(io.BytesIO(pngs["trend"]), width=Cm(WIDTH_IN * 2.54))
    doc.add_heading("Timeline", level=1)
    doc.add_picture(io.BytesIO(pngs["timeline"]), width=Cm(WIDTH_IN * 2.54))
    _exceptions(doc, report)
    doc.add_heading("All actions", level=1)
    rows = [[a.ref, a.title, a.owner, dues(a), f"{STATUS_LABELS.get(a.status, a.status)} ({LABELS[a.category]})",
             a.note or "-", str(a.evidence)] for a in report.actions]  # fmt: skip
    _table(doc, ["Ref", "Action", "Owner", "Due (revisions)", "Status", "Latest note", "Evidence"], rows,
           [1.3, 4.6, 2.4, 2.6, 2.4, 3.2, 1.3])  # fmt: skip
    stamp = dt.datetime.combine(report.as_of, dt.time(0), tzinfo=dt.UTC)
    props = doc.core_properties
    props.created = props.modified = stamp
    props.author = props.last_modified_by = "reminders"
    props.title, props.revision = f"Progress report: {report.title}", 1
    buf = io.BytesIO()
    doc.save(buf)
    return _stable_zip(buf.getvalue(), report.as_of)


def _stable_zip(data: bytes, day_of: dt.date) -> bytes:
    """Return the zip with every entry dated `day_of` (python-docx stamps them with the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(day_of.year, day_of.month, day_of.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


FORMATS = ("html", "pdf", "docx", "csv")


def render(report: Report, fmt: str) -> bytes:
    """Return the report in `fmt` (one of FORMATS) as bytes; the charts are drawn once."""
    from scheduler.documents.report_render import report_html, report_pdf

    if fmt == "csv":
        return report_csv(report).encode("utf-8")
    pngs = charts(report)
    if fmt == "html":
        return report_html(report, pngs).encode("utf-8")
    if fmt == "pdf":
        return report_pdf(report, pngs)
    return report_docx(report, pngs)
