"""`reminders notices`: every notice ever claimed, for the audit trail."""

from __future__ import annotations

import datetime as dt

import click

from scheduler.cli.common import (
    BadInput,
    config_option,
    default_by,
    did_you_mean,
    input_errors,
    no_database_yet,
    now_option,
    parse_date,
    people_tz,
    with_app,
)
from scheduler.cli.tables import emit


@click.command()
@click.option("--plan", "plan_id", metavar="PLAN", help="Only this plan.")
@click.option("--owner", "owner_id", metavar="OWNER", help="Only notices sent to this owner (an owner id).")
@click.option("--since", metavar="DATE", help="Claimed on or after this date (YYYY-MM-DD, local).")
@click.option("--until", metavar="DATE", help="Claimed before the end of this date (YYYY-MM-DD, local).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--wide", is_flag=True, help="Print the table in full, however wide (default: fit the terminal).")
@config_option
@with_app
def notices(app, plan_id, owner_id, since, until, fmt, wide):
    """List every notice claimed: who was chased, about what, when, and what became of it.

    The evidence of chasing an inspector asks for. Times are in the plan's timezone (CSV and JSON:
    ISO 8601 with the offset). The table fits the terminal; --wide shows it in full.

    \b
    Example:
      reminders notices --plan ofsted-2009 --since 2010-02-01 --format csv > chasing.csv
    """
    from scheduler.engine.audit import NOTICE_FIELDS
    from scheduler.engine.audit import notices as notice_records

    if no_database_yet(app):
        return
    cfg = app.config
    if plan_id and plan_id not in cfg.plans:
        raise BadInput(f"--plan {plan_id!r}: no such plan{did_you_mean(plan_id, cfg.plans)}")
    if owner_id and owner_id not in cfg.owners:
        raise BadInput(f"--owner {owner_id!r}: no such owner{did_you_mean(owner_id, cfg.owners)}")
    tz = cfg.default_policy.tz
    bounds = []
    for flag, value, extra in (("--since", since, 0), ("--until", until, 1)):
        day = parse_date(value, flag) + dt.timedelta(days=extra) if value else None
        bounds.append(dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC) if day else None)
    if bounds[0] and bounds[1] and bounds[1] <= bounds[0]:
        raise BadInput(f"--until {until} is before --since {since}")
    recipient = cfg.owners[owner_id].email if owner_id else None
    with app.session() as s:
        rows = notice_records(s, cfg, plan_id, recipient, bounds[0], bounds[1])
        if fmt != "table":
            emit(rows, fmt, NOTICE_FIELDS, NOTICE_FIELDS)
            return
        rows = list(rows)
    _notice_table(app, rows, wide)


def _notice_table(app, rows: list[dict], wide: bool) -> None:
    """Print the notices as a table that fits the terminal, times as people read them."""
    from scheduler.cli.tables import table
    from scheduler.config.humandates import when

    one_plan = len({r["plan"] for r in rows}) <= 1
    key = "ref" if one_plan else "action"
    cells = []
    for r in rows:
        at = r["sent_at"] or r["claimed_at"]
        cells.append({key: r["ref"] if one_plan else f"{r['plan']}/{r['ref']}", "id": r["id"], "stage": r["stage"],
                      "to": r["recipient_name"] or r["recipient"], "state": r["state"],
                      "when": when(dt.datetime.fromisoformat(at), people_tz(app, r["plan"])) if at else ""})  # fmt: skip
    if one_plan and rows:
        click.echo(f"plan {rows[0]['plan']}; WHEN is when it was sent (or claimed, if not sent)")
    table(cells, ("id", key, "stage", "to", "state", "when"), shrink={"to": 12}, wide=wide)


@click.command()
@click.argument("notice_id", metavar="ID", type=int)
@click.option("--by", default=default_by, show_default="your user name", help="Who checked and asked for it.")
@config_option
@now_option
@with_app
@input_errors
def resend(app, notice_id, by):
    """Send a notice again whose outcome was unknown (or that failed), after checking it did not arrive.

    A notice is `unknown` when the connection was lost after the message was handed over, or a
    run was killed mid-hand-over: it may have arrived, so it is never resent by itself.

    \b
    Example:
      reminders notices --format csv | grep unknown
      reminders resend 1234 --by pqa
    """
    from scheduler.store import operations

    with app.session() as s:
        row = operations.resend(s, notice_id, by, app.now)
        s.commit()
        click.echo(f"notice {notice_id} ({row.stage} to {row.recipient}) will be sent by the next run")
