"""`reminders history REF`: an action's changes and every notice sent about it, in the plan's
local time, wrapped to the terminal."""

from __future__ import annotations

import click

from scheduler.cli.common import config_option, input_errors, no_database_yet, with_app
from scheduler.config.text import strip_unsafe


@click.command()
@click.argument("ref")
@click.option("--wide", is_flag=True, help="One line per entry, however long (default: wrap to the terminal).")
@config_option
@with_app
@input_errors
def history(app, ref, wide):
    """Show an action's changes (status, owner, due date revisions) and every notice sent about it,
    in the plan's local time.

    \b
    Example:
      reminders history ofsted-2009/SG1
    """
    import textwrap

    from scheduler.cli.tables import terminal_width
    from scheduler.config.humandates import daydate
    from scheduler.engine.audit import history as action_history
    from scheduler.store import operations

    no_database_yet(app, ref)
    with app.session() as session:
        action = operations.resolve_ref(session, ref)
        plan = app.config.plans.get(action.plan_id)
        tz = (plan.policy if plan else app.config.default_policy).tz
        entries = action_history(session, action, tz)
        zones = "/".join(dict.fromkeys(h.at.tzname() for h in entries)) or tz.key
        head = [f"{action.plan_id}/{action.ref}: {action.title}",
                f"owner {action.owner_id}; status {action.status}; due {daydate(action.due)} "
                f"(original {daydate(action.config_due)}); times are {tz.key} ({zones})"]  # fmt: skip
        # notes typed before cleaning existed may still hold control characters
        lines = head + [strip_unsafe(f"{daydate(h.at):>11} {h.at:%H:%M}  {h.kind:<10} {h.text}") for h in entries]
    width = terminal_width()
    for i, line in enumerate(lines):
        indent = " " * (4 if i < len(head) else 31)
        click.echo(line if wide else textwrap.fill(line, width, subsequent_indent=indent, break_long_words=True,
                                                   break_on_hyphens=False))  # fmt: skip
