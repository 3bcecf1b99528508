"""`reminders import`: draft a plan file from an inspection report."""

from __future__ import annotations

import re
from pathlib import Path

import click

from scheduler.cli.common import BadInput, parse_date


def first_paragraph(lines: list[str]) -> str:
    """Return the report's first paragraph on one line (its title, usually), cut at 120 characters."""
    from scheduler.config.text import shorten

    para = []
    for line in lines:
        text = line.strip("#*-_ \t")
        if text:
            para.append(text)
        elif para:
            break
    return shorten(" ".join(para), 120)


@click.command("import")
@click.argument("report", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--plan-id", required=True, metavar="ID", help="The new plan's id, e.g. ofsted-2009.")
@click.option("--report-date", required=True, metavar="DATE", help="The report's date (timescales count from it).")
@click.option("--title", help="The plan's title (default: the report's first line).")
@click.option("--owner", metavar="OWNER", help="Owner id for every action (default: a placeholder to replace).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout).")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def import_report(report, plan_id, report_date, title, owner, out, force):
    """Draft a plan file from an inspection report (.txt, .md, .html, .docx or a PDF with text).

    One action per recommendation found under a timescale heading ("Within 3 months:",
    "Within six months", "Immediately", "By March 2010"), ref by area (SG1, LAC1, ...).
    Prints what it found; warns about text that looked like a recommendation but had no timescale.

    \b
    Example:
      reminders import report.txt --plan-id ofsted-2009 --report-date 2009-11-24 --out config/plans/ofsted-2009.yaml
    """
    from scheduler.config.report_draft import counts_line, draft_yaml
    from scheduler.config.report_parse import parse
    from scheduler.config.report_read import ReportError, read_report

    day = parse_date(report_date, "--report-date")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", plan_id):
        raise BadInput(f"--plan-id {plan_id!r}: use letters, digits, '-', '_' or '.', e.g. ofsted-2009")
    if owner is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", owner):
        raise BadInput(f"--owner {owner!r}: not an owner id; use the id from owners.yaml, e.g. head-of-safeguarding")
    if out is not None and out.exists() and not force:
        raise BadInput(f"--out {out}: the file exists; choose another name, or add --force to overwrite it")
    try:
        lines, sha = read_report(report)
    except ReportError as exc:
        raise BadInput(str(exc)) from None
    found = parse(lines, day)
    for warning in found.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not found.items:
        raise BadInput(f"{report.name}: no recommendations found. Looked for timescale headings ('Within 3 "
                       "months:', 'Within six months', 'Immediately', 'By March 2010') followed by a list or a "
                       "Recommendation / Response table")  # fmt: skip
    text = draft_yaml(found, plan_id, day, title or first_paragraph(lines) or plan_id, owner, report.name, sha)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    click.echo(f"found {counts_line(found)}" + (f"; wrote {out}" if out else ""), err=True)
