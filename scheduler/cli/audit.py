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
from scheduler.store.states import NoticeState


@click.command()
@click.option("--plan", "plan_id", metavar="PLAN", help="Only this plan.")
@click.option("--owner", "owner_id", metavar="OWNER", help="Only notices sent to this owner (an owner id).")
@click.option("--state", type=click.Choice([s.value for s in NoticeState]), help="Only notices in this state.")
@click.option("--since", metavar="DATE", help="Claimed on or after this date (YYYY-MM-DD, local).")
@click.option("--until", metavar="DATE", help="Claimed before the end of this date (YYYY-MM-DD, local).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--wide", is_flag=True, help="Print the table in full, however wide (default: fit the terminal).")
@config_option
@with_app
def notices(app, plan_id, owner_id, state, since, until, fmt, wide):
    """List every notice claimed: who was chased, about what, when, and what became of it.

    The evidence of chasing an inspector asks for. Times are in the plan's timezone (CSV and JSON:
    ISO 8601 with the offset). The table fits the terminal; --wide shows it in full. The weekly
    summary and the progress report (one message per recipient) follow in a table of their own,
    each failure or retry with its last error (CSV and JSON: `kind` "plan").

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
        rows = notice_records(s, cfg, plan_id, recipient, bounds[0], bounds[1], state)
        if fmt != "table":
            emit(rows, fmt, NOTICE_FIELDS, NOTICE_FIELDS)
            return
        rows = list(rows)
    action_rows = [r for r in rows if r["kind"] == "action"]
    plan_rows = [r for r in rows if r["kind"] == "plan"]
    if action_rows or not plan_rows:
        _notice_table(app, action_rows, wide)
    if plan_rows:
        if action_rows:
            click.echo()
        _plan_notice_table(app, plan_rows, wide)


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


def _plan_notice_table(app, rows: list[dict], wide: bool) -> None:
    """Print the plan-level notices (summary, progress report) as a table that fits the terminal,
    then, for each one not sent, its last error and next try on a line of its own (wrapped)."""
    import textwrap

    from scheduler.cli.tables import table, terminal_width
    from scheduler.config.humandates import when
    from scheduler.config.text import strip_unsafe

    def local(r, field):
        return when(dt.datetime.fromisoformat(r[field]), people_tz(app, r["plan"])) if r[field] else ""

    one_plan = len({r["plan"] for r in rows}) <= 1
    cells = [{"id": r["id"], "plan": r["plan"], "stage": r["stage"], "to": r["recipient_name"] or r["recipient"],
              "state": r["state"], "tries": r["attempts"],
              "when": local(r, "sent_at") or local(r, "claimed_at")} for r in rows]  # fmt: skip
    which = f"plan {rows[0]['plan']}; " if one_plan else ""
    click.echo(f"{which}summaries and progress reports; WHEN: sent (or claimed)")
    columns = ("stage", "to", "state", "tries", "when")
    columns = ("id", *columns) if one_plan else ("id", "plan", *columns)
    table(cells, columns, shrink={"to": 12, "plan": 8}, drop=("tries",), wide=wide)
    for r in rows:
        if r["state"] == NoticeState.SENT or not (r["error"] or r["next_attempt_at"]):
            continue
        retry = f"; next try {local(r, 'next_attempt_at')}" if r["state"] == NoticeState.RETRY else ""
        line = strip_unsafe(f"{r['plan'] + ' ' if not one_plan else ''}{r['stage']} to {r['recipient']}: "
                            f"{r['state']}{retry}; last error: {r['error'] or '-'}")  # fmt: skip
        click.echo(line if wide else textwrap.fill(line, terminal_width(), subsequent_indent="    ",
                                                   break_long_words=True, break_on_hyphens=False))  # fmt: skip
    if any(r["state"] in (NoticeState.UNKNOWN, NoticeState.FAILED) for r in rows):
        # ids here are of this ledger, not the action notices': the flag says which
        click.echo("after checking one did not arrive: reminders resend ID --kind plan")


@click.command()
@click.argument("notice_id", metavar="ID", type=int)
@click.option("--kind", type=click.Choice(["action", "plan"]), default=None,
              help="Which ledger ID is in, as `notices` shows it: an action's notice (the default), or plan "
                   "for a weekly summary or progress report. Asked for when a summary or report that could "
                   "be resent has the same ID.")  # fmt: skip
@click.option("--by", default=default_by, show_default="your user name", help="Who checked and asked for it.")
@config_option
@now_option
@with_app
@input_errors
def resend(app, notice_id, kind, by):
    """Send a notice again whose outcome was unknown (or that failed), after checking it did not arrive.

    A notice is `unknown` when the connection was lost after the message was handed over, or a
    run was killed mid-hand-over: it may have arrived, so it is never resent by itself. The next
    `run --once` (or the service) sends it, once. A weekly summary or progress report is in a
    ledger of its own (`notices`: kind plan, its own table): add --kind plan.

    \b
    Examples:
      reminders notices --format csv | grep unknown
      reminders resend 1234 --by pqa
      reminders resend 7 --kind plan --by pqa     # summary or progress report 7
    """
    from scheduler.store import operations

    with app.session() as s:
        if kind is None:  # the two ledgers number their rows separately: never guess which one was meant
            _one_ledger(s, notice_id)
        if kind == "plan":
            row = operations.resend_plan_notice(s, notice_id, by, app.now)
            what = operations.plan_notice_name(row)
        else:
            row = operations.resend(s, notice_id, by, app.now)
            what = f"notice {notice_id} ({row.stage} to {row.recipient})"
        s.commit()
        click.echo(f"{what} will be sent by the next run")


def _one_ledger(session, notice_id: int) -> None:
    """Refuse a bare ID when a summary or report that could be resent has it too (an admin who
    checked that the summary did not arrive must not re-queue an action's email that may have)."""
    from scheduler.store import operations
    from scheduler.store.models import Notice, PlanNotice

    plan_row = session.get(PlanNotice, notice_id)
    if plan_row is None or plan_row.state not in operations.RESENDABLE:
        return
    row = session.get(Notice, notice_id)
    action = f"action notice {notice_id} ({row.stage} to {row.recipient}, {row.state})" if row else "no action notice"
    raise BadInput(f"ID {notice_id} could mean {operations.plan_notice_name(plan_row)} ({plan_row.state}) or "
                   f"{action}: say which with --kind plan or --kind action")
