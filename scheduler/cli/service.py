"""Commands for the management summary and the service's health."""

from __future__ import annotations

import datetime as dt

import click

from scheduler.cli.common import (
    BadInput,
    config_option,
    did_you_mean,
    no_database_yet,
    now_option,
    parse_date,
    with_app,
)


@click.command()
@click.option("--plan", "plan_id", metavar="PLAN", help="Only this plan.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "md", "html", "csv"]), default="text", show_default=True
)
@click.option(
    "--since", metavar="DATE", help="Changes since this date (default: the last summary, or 7 days)."
)
@click.option("--send", is_flag=True, help="Email it now to each plan's summary_recipients.")
@config_option
@now_option
@with_app
def summary(app, plan_id, fmt, since, send):
    """Print the management summary: RAG counts, actions, completions, extensions, notices.

    \b
    Examples:
      reminders summary --now 2010-03-15 --format md > board-paper.md
      reminders summary --plan ofsted-2009 --send
    """
    from scheduler.engine.summary import iter_summaries
    from scheduler.mail.summary_mail import render_stream

    if plan_id and plan_id not in app.config.plans:
        raise BadInput(f"--plan {plan_id!r}: no such plan{did_you_mean(plan_id, app.config.plans)}")
    since_at = None
    if since:
        tz = app.config.default_policy.tz
        since_at = dt.datetime.combine(parse_date(since, "--since"), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    if send:
        raise SystemExit(_send(app, plan_id, since_at))
    if no_database_yet(app):
        return
    with app.session() as s:  # a plan at a time: a million actions never sit in memory at once
        for chunk in render_stream(iter_summaries(s, app.config, app.now, since_at, plan_id), fmt, app.renderer):
            click.echo(chunk, nl=False)


def _send(app, plan_id, since_at) -> int:
    """Email the summaries now; print one line per plan; return the exit code."""
    from scheduler.mail.summary_mail import send_summaries

    plans = [plan_id] if plan_id else sorted(app.config.plans)
    if not any(app.config.plans[p].summary_recipients for p in plans):
        raise BadInput(f"--send: no summary_recipients in plan(s) {', '.join(plans)}; add "
                       "`summary_recipients: [OWNER_ID or email, ...]` to the plan file")  # fmt: skip
    results = send_summaries(app.engine, app.config, app.renderer, app.transport(), app.now, plans, since_at)
    for r in results:  # one line per recipient: each is its own message, sent, retried or failed
        detail = f" ({r.message_id})" if r.message_id else ""
        click.echo(f"summary {r.plan} to {r.recipient}: {r.outcome}{detail}" + (f": {r.error}" if r.error else ""))
    return 0 if all(r.outcome in ("sent", "already sent") for r in results) else 1


@click.command("health")
@click.option("--any-host", is_flag=True, help="Accept a scheduler on any host (default: this host only).")
@with_app
def health_cmd(app, any_host):
    """Exit 0 if the scheduler is alive (recent heartbeat, not stuck, database reachable), else 1.

    This is the container HEALTHCHECK.

    \b
    Example:
      reminders health && echo ok
    """
    import socket

    from scheduler.config.settings import redact_url
    from scheduler.service import health
    from scheduler.store import db

    try:
        engine = db.make_engine(app.settings.database_url)
    except Exception as exc:
        click.echo(
            f"unhealthy: cannot use DATABASE_URL={redact_url(app.settings.database_url)}: {exc}", err=True
        )
        raise SystemExit(1) from None
    ok, text = health.verdict(engine, app.now, None if any_host else socket.gethostname())
    click.echo(text, err=not ok)
    raise SystemExit(0 if ok else 1)
