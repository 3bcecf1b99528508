"""`reminders report`: the progress report the monitoring body tables (PRODUCT.md §8)."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli.common import BadInput, config_option, now_option, parse_date, with_app

FORMATS = ("html", "pdf", "docx", "csv")


def _format(fmt: str | None, out: str | None) -> str:
    """Return the format asked for, else the --out file's extension, else html."""
    if fmt:
        return fmt
    suffix = Path(out).suffix.lower().lstrip(".") if out else ""
    if out and suffix not in FORMATS:
        raise BadInput(f"--out {out!r}: cannot tell the format from {suffix or 'no extension'!r}; "
                       f"add --format ({', '.join(FORMATS)}) or name the file .html, .pdf, .docx or .csv")  # fmt: skip
    return suffix or "html"


@click.command()
@click.option("--plan", "plan_id", metavar="PLAN", help="The plan (its id in plans/*.yaml).")
@click.option("--as-of", "as_of", metavar="DATE", help="Report the state at the end of this day (default: today).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format (default: from --out, else html).")
@click.option("--out", metavar="FILE", help="Write here (default: stdout for html and csv; "
              "report-PLAN-DATE.pdf/.docx in the current folder).")  # fmt: skip
@config_option
@now_option
@with_app
def report(app, plan_id, as_of, fmt, out):
    """Make the progress report of a plan: headline figures in the council categories, the trend at
    each review, the timeline, the exceptions and every action.

    The figures come from the recorded history as of the end of --as-of, so a report for a past
    date is the same whenever it is made.

    \b
    Examples:
      reminders report --plan ofsted-2009 --as-of 2010-03-15 --out march.pdf
      reminders report --plan ofsted-2009 --format csv > actions.csv
    """
    from scheduler.documents.report_files import render
    from scheduler.documents.report_source import report_for

    plans = app.config.plans
    if not plan_id or plan_id not in plans:
        known = ", ".join(sorted(plans))
        raise BadInput(f"--plan {plan_id!r}: no such plan; known: {known}" if plan_id
                       else f"--plan is required; known plans: {known}")  # fmt: skip
    plan, today = plans[plan_id], app.today_for(plan_id)
    day = parse_date(as_of, "--as-of") if as_of else today
    if day < plan.report_date:
        raise BadInput(f"--as-of {day}: before the plan's report date {plan.report_date}; nothing to report yet")
    if day > today:
        raise BadInput(f"--as-of {day}: after today ({today}); the report shows what was recorded, not a "
                       "forecast (use `reminders forecast`, or --now to act as of a later day)")  # fmt: skip
    fmt = _format(fmt, out)
    with app.session() as s:
        data = report_for(s, plan, day)
    if not data.total:
        raise BadInput(f"--plan {plan_id}: the database has no actions of this plan as of {day}; "
                       "run `reminders sync` first")  # fmt: skip
    content = render(data, fmt)
    if out is None and fmt in ("pdf", "docx"):
        out = f"report-{plan_id}-{day}.{fmt}"
    if out is None:
        click.echo(content.decode("utf-8"), nl=False)
        return
    try:
        Path(out).write_bytes(content)
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot write it ({exc.strerror}); pick a folder you can write to") from None
    click.echo(f"report {plan_id} as of {day} ({fmt}, {data.total} actions) written to {out}", err=True)
