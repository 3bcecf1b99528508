"""Admin commands over config and the database: validate, sync, status, set-status, extend,
history, db upgrade."""

from __future__ import annotations

import itertools

import click

from scheduler.cli.common import (
    BadInput,
    config_option,
    default_by,
    do_sync,
    input_errors,
    no_database_yet,
    now_option,
    parse_date,
    with_app,
)
from scheduler.config.limits import MAX_NAME, MAX_NOTE, text_problem
from scheduler.config.text import strip_unsafe
from scheduler.store.states import ActionStatus


@click.command()
@config_option
@with_app
def validate(app):
    """Check the config folder and report every error at once (changes nothing).

    \b
    Example:
      reminders validate --config config/
    """
    from dataclasses import replace

    from scheduler.config.load import load_config
    from scheduler.config.model import ConfigErrors
    from scheduler.config.reviews import config_warnings

    counted = []

    def count_only(plan):  # validate keeps no actions: memory follows the largest plan file
        counted.append(len(plan.actions))
        return replace(plan, actions=())

    try:
        cfg = load_config(app.config_dir, spill=count_only)
    except ConfigErrors as exc:
        raise BadInput(str(exc)) from None
    for warning in config_warnings(cfg):
        click.echo(f"warning: {warning}", err=True)
    n_actions = sum(counted)
    click.echo(f"config OK: {len(cfg.owners)} owners, {len(cfg.plans)} plan(s), {n_actions} actions "
               f"in {app.config_dir}")  # fmt: skip


@click.command()
@click.option("--allow-withdraw", is_flag=True, help="Allow withdrawing more than half of a plan's actions.")
@config_option
@now_option
@with_app
def sync(app, allow_withdraw):
    """Bring owners, plans and actions in the database in line with the config.

    Status, history, extensions and the send ledger are never overwritten. An action
    removed from its plan file is marked withdrawn; an owner change is recorded.

    \b
    Example:
      reminders sync --now 2009-11-24T08:00
    """
    do_sync(app, allow_withdraw=allow_withdraw)


@click.command()
@click.option("--plan", "plan_id", metavar="PLAN", help="Only this plan.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json (ISO dates).")
@click.option("--wide", is_flag=True, help="Print the table in full, however wide (default: fit the terminal).")
@config_option
@now_option
@with_app
def status(app, plan_id, fmt, as_json, wide):
    """Show every action: owner, due date, days left or overdue, status and RAG.

    RAG: complete / awaiting verification / on track / due soon (14 days or less) / overdue. The table
    fits the terminal ($COLUMNS): long titles and names are shortened; --wide shows them in full.

    \b
    Example:
      reminders status --now 2010-03-15 --plan ofsted-2009
      reminders status --format csv > status.csv
    """
    from scheduler.cli.tables import emit, write_json

    fmt = "json" if as_json else fmt
    if no_database_yet(app):
        return
    with app.session() as session:
        rows = _status_rows(app, session, plan_id)
        if fmt == "json":  # streamed: a million actions cost a page of memory
            write_json(r.as_json() for r in rows)
            return
        if fmt == "csv":
            from scheduler.engine.status import CSV_FIELDS

            emit(({**r.as_json(), "pending_extension": (r.pending_extension or {}).get("to", "")} for r in rows),
                 "csv", CSV_FIELDS, CSV_FIELDS)  # fmt: skip
            return
        rows = list(rows)
    if not rows:
        click.echo("no actions in the database yet: run `reminders sync`")
        return
    _status_table(rows, wide)
    _in_doubt(app)


def _status_rows(app, session, plan_id):
    """Return the status rows (an iterator); BadInput when --plan names no plan in the database."""
    from scheduler.app import AppError
    from scheduler.engine.status import iter_status

    try:
        config = app.config
    except AppError:  # the table still shows with a broken config; pending requests as the database has them
        config = None
    rows = iter_status(session, app.today_for, plan_id, config=config, now=app.now)
    first = next(rows, None)
    if plan_id and first is None:
        raise BadInput(f"--plan {plan_id!r}: no such plan in the database; run `reminders sync`, "
                       "or check the plan id with `reminders status`")  # fmt: skip
    return itertools.chain([first] if first else [], rows)


def _status_table(rows, wide: bool) -> None:
    """Print the status table, fitted to the terminal unless `wide`; refs alone when one plan."""
    from scheduler.cli.tables import table
    from scheduler.config.humandates import daydate
    from scheduler.engine.status import days_text

    one_plan = len({r.plan for r in rows}) == 1
    key = "ref" if one_plan else "action"
    cells = [{key: r.ref if one_plan else f"{r.plan}/{r.ref}", "title": r.title, "owner": r.owner_name,
              "days": days_text(r), "due": daydate(r.due) + ("*" if r.revisions else ""), "rag": r.rag,
              "status": r.status.replace("_", " ")
              + (f" (asked for {daydate(r.pending_extension['to'])})" if r.pending_extension else "")}
             for r in rows]  # fmt: skip
    if one_plan:
        click.echo(f"plan {rows[0].plan}")
    table(cells, (key, "title", "owner", "due", "days", "status", "rag"),
          shrink={"title": 16, "owner": 14, "status": 11}, drop=("rag",), wide=wide)  # fmt: skip
    if any(r.revisions for r in rows):
        click.echo("* due date revised by an agreed extension (see `reminders history REF`)")


def _in_doubt(app) -> None:
    """Say when notices (and summary or report emails) are in doubt (unknown) or failed: they need an admin."""
    import sqlalchemy as sa

    counts: dict[tuple[str, str], int] = {}
    with app.session() as s:
        for kind, table in (("action", "notice"), ("plan", "plan_notice")):
            for state, n in s.execute(sa.text(f"SELECT state, count(*) FROM {table} "  # noqa: S608 (fixed names)
                                              "WHERE state IN ('unknown', 'failed') GROUP BY state")):
                counts[(kind, state)] = n
    for kind, what in (("action", "notice(s)"), ("plan", "summary or report email(s)")):
        flag = "" if kind == "action" else " --kind plan"
        if counts.get((kind, "unknown")):
            click.echo(f"! {counts[(kind, 'unknown')]} {what} in doubt (may have arrived): check, then "
                       f"`reminders resend ID{flag}` (list them with `reminders notices --format csv`)", err=True)
        if counts.get((kind, "failed")):
            click.echo(f"! {counts[(kind, 'failed')]} {what} failed: see `reminders notices` and the summary",
                       err=True)


@click.command("set-status")
@click.argument("ref")
@click.argument("new_status", metavar="STATUS", type=click.Choice([s.value for s in ActionStatus]))
@click.option("--note", help="Why, e.g. the evidence of completion.")
@click.option("--by", default=default_by, show_default="your user name", help="Who made the change.")
@click.option("--evidence", multiple=True, metavar="FILE|URL", help="awaiting_verification: a file or link (repeat).")
@config_option
@now_option
@with_app
@input_errors
def set_status(app, ref, new_status, note, by, evidence):
    """Change an action's status (recorded in its history); awaiting_verification: an owner's completion.

    \b
    Example:
      reminders set-status ofsted-2009/SG1 complete --note "audit shows all allocated" --by pqa
      reminders set-status SG1 awaiting_verification --by contact-centre-manager --note "done" --evidence a.pdf
    """
    from scheduler.cli.verify import change_status
    from scheduler.store import operations

    _check_text(("--note", note, MAX_NOTE, False), ("--by", by, MAX_NAME, True))
    with app.session() as session:
        # locked like the web's changes, so a web change at the same moment waits, and is checked after
        action = operations.lock_action(session, operations.resolve_ref(session, ref).id)
        changed = change_status(app, session, action, new_status, strip_unsafe(note) if note else note,
                                strip_unsafe(by), evidence)  # fmt: skip
        _refresh(app, session, action)
        session.commit()
        key = f"{action.plan_id}/{action.ref}"
    click.echo(f"{key}: status {new_status}" if changed else f"{key}: already {new_status}, no change")


@click.command()
@click.argument("ref")
@click.option("--to", "to_date", required=True, metavar="DATE", help="The agreed new due date.")
@click.option("--reason", required=True, help="Why the new date was agreed.")
@click.option("--approved-by", required=True, metavar="OWNER", help="Owner id who approved it.")
@click.option("--by", default=default_by, show_default="your user name", help="Who recorded it.")
@config_option
@now_option
@with_app
@input_errors
def extend(app, ref, to_date, reason, approved_by, by):
    """Record an agreed extension: a revised due date (the original is kept).

    \b
    Example:
      reminders extend SG4 --to 2010-07-30 --reason "survey delayed" --approved-by executive-director
    """
    new_due = parse_date(to_date, "--to")
    _check_text(("--reason", reason, MAX_NOTE, False), ("--by", by, MAX_NAME, True),
                ("--approved-by", approved_by, MAX_NAME, True))  # fmt: skip
    from scheduler.store import operations

    with app.session() as session:
        action = operations.lock_action(session, operations.resolve_ref(session, ref).id)  # as set-status
        rev = operations.extend(session, action, new_due, strip_unsafe(reason), approved_by, strip_unsafe(by), app.now)
        _refresh(app, session, action)
        session.commit()
        click.echo(f"{action.plan_id}/{action.ref}: due {rev.previous_due} -> {rev.revised_due} "
                   f"(original {action.config_due}), approved by {approved_by}")  # fmt: skip


def _check_text(*flags) -> None:
    """Raise BadInput (exit 2, nothing changed) for free text too long or with line breaks where
    they would reach a header or a log line; `flags` are (flag, value, most, single line)."""
    for flag, value, most, single_line in flags:
        problem = value is not None and text_problem(value, most, single_line)
        if problem:
            raise BadInput(f"{flag} {problem}")


def _refresh(app, session, action) -> None:
    """Recompute the changed action's next notice day (no other action's can move)."""
    from scheduler.engine.facts import refresh_next_notice

    refresh_next_notice(session, app.config, app.now, [action])


@click.group("db")
def db_group():
    """Database maintenance."""


@db_group.command("upgrade")
@with_app
def db_upgrade(app):
    """Apply schema migrations (other commands do this automatically).

    \b
    Example:
      DATABASE_URL=postgresql+psycopg://reminders@db/reminders reminders db upgrade
    """
    from scheduler.store import db

    engine = app.engine
    click.echo(f"database at revision {db.current_revision(engine)} (head {db.head_revision()})")
