"""`reminders import`: draft a plan file from an inspection report or an action-plan spreadsheet."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from scheduler.cli.common import BadInput, Failure, config_option, parse_date

_SLUG = r"[A-Za-z0-9][A-Za-z0-9_.-]*"


@click.command("import")
@click.argument("report", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--plan-id", required=True, metavar="ID", help="The new plan's id, e.g. ofsted-2009.")
@click.option("--report-date", required=True, metavar="DATE", help="The report's date (timescales count from it).")
@click.option("--title", help="The plan's title (default: the document's title, in sentence case).")
@click.option("--owner", metavar="OWNER", help="Owner id for every action (default: a placeholder to replace).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout).")
@click.option("--force", is_flag=True, help="Write the draft despite warnings, and overwrite --out if it exists.")
@config_option
def import_report(report, plan_id, report_date, title, owner, out, force, config_dir):
    """Draft a plan file from an inspection report (.txt, .md, .html, .docx, a PDF with text) or an
    action plan (.xlsx, .csv with a header row).

    One action per recommendation found under a timescale heading ("Within 3 months:",
    "Within six months", "Immediately", "By March 2010"), ref by area (SG1, LAC1, ...); in a table
    whose header names a timescale or target date column, one per row, lead officers matched to
    owners.yaml by name or email. Prints what it found per group and what it skipped. When the text
    mentions more recommendations than were found, or a title is over 400 characters, it warns and
    exits 1 without writing: check the report, then add --force.

    \b
    Examples:
      reminders import report.pdf --plan-id ofsted-2009 --report-date 2009-11-24 --out config/plans/ofsted-2009.yaml
      reminders import plan.xlsx --plan-id jtai-2019 --report-date 2019-03-12 --out config/plans/jtai-2019.yaml
    """
    from scheduler.importer.blocks import ReportError
    from scheduler.importer.draft import Draft, counts_line, doubts, draft_yaml, read_owners
    from scheduler.importer.parse import parse
    from scheduler.importer.read import read_document

    day = _check_options(plan_id, report_date, owner, out, force)
    try:
        blocks, sha = read_document(report)
    except ReportError as exc:
        raise BadInput(str(exc)) from None
    found = parse(blocks, day)
    for where, text, why in found.skipped:
        click.echo(f"warning: {where}: looks like a recommendation but {why}: {text[:70]!r}", err=True)
    if not found.items:
        raise BadInput(f"{report.name}: no recommendations found. Looked for timescale headings ('Within 3 "
                       "months:', 'Within six months', 'Immediately', 'By March 2010') followed by a list, "
                       "paragraphs or a Recommendation / Response table, and for a table whose header row names "
                       "a recommendation or action column and a timescale or target date column")  # fmt: skip
    owners = read_owners(config_dir or os.environ.get("REMINDERS_CONFIG_DIR") or "config")
    draft = Draft(plan_id, day, title or _title(found, blocks, report) or plan_id, report.name, sha, owner)
    text = draft_yaml(found, draft, owners)
    summary = f"found {counts_line(found)}"
    _refuse_doubts(doubts(found), summary, force)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    click.echo(summary + (f"; wrote {out}" if out else ""), err=True)


def _refuse_doubts(problems: list[str], summary: str, force: bool) -> None:
    """Warn about each reason to doubt the draft; without --force, stop with exit 1 before writing it."""
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    if problems and not force:
        click.echo(summary, err=True)
        raise Failure("the draft was not written: check the warnings above against the report, then run again "
                      "with --force to write it anyway")  # fmt: skip


def _check_options(plan_id, report_date, owner, out, force):
    """Return the report date; BadInput names the flag and the fix for a bad option."""
    day = parse_date(report_date, "--report-date")
    if not re.fullmatch(_SLUG, plan_id):
        raise BadInput(f"--plan-id {plan_id!r}: use letters, digits, '-', '_' or '.', e.g. ofsted-2009")
    if owner is not None and not re.fullmatch(_SLUG, owner):
        raise BadInput(f"--owner {owner!r}: not an owner id; use the id from owners.yaml, e.g. head-of-safeguarding")
    if out is not None and out.exists() and not force:
        raise BadInput(f"--out {out}: the file exists; choose another name, or add --force to overwrite it")
    return day


def _title(found, blocks, report: Path) -> str:
    """Return the plan title from the document's title, cased from the rest of its text."""
    from scheduler.importer.title import plan_title

    body = " ".join(b.label for b in blocks if b.label != found.title)
    return plan_title(found.title or report.stem.replace("-", " ").replace("_", " ").capitalize(), body)
