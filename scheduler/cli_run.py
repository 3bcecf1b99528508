"""CLI commands that send or predict notices: run, forecast, simulate, preview, send-test."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from scheduler import logsetup, operations
from scheduler.campaign import forecast as do_forecast
from scheduler.campaign import simulate as do_simulate
from scheduler.campaign import throwaway_copy
from scheduler.cli import do_sync, main
from scheduler.cli_common import BadInput, Failure, config_option, now_option, parse_date, with_app
from scheduler.decide import escalation_stages, notice_for, owner_stages
from scheduler.emails import Renderer, TemplateProblem
from scheduler.facts import build_facts, calendar_for
from scheduler.models import Notice
from scheduler.pipeline import run_once
from scheduler.transport import TransportError, make_transport
from scheduler.views import notice_view


def renderer_for(app) -> Renderer:
    return Renderer(app.settings.templates_dir, app.settings.mail_from)


def transport_for(app, outbox=None):
    try:
        return make_transport(app.settings, outbox)
    except ValueError as exc:
        raise BadInput(f"{exc} (see .env.example)") from None


def run_one(app) -> int:
    """Sync, then run the pipeline once at app.now; print a summary; return the exit code."""
    logsetup.configure(app.settings.log_format)
    do_sync(app, quiet=True)
    report = run_once(app.engine, app.config, renderer_for(app), transport_for(app), app.now)
    undelivered = report.count("retry") + report.count("failed")
    click.echo(f"run {report.run_id} at {app.now:%Y-%m-%d %H:%M}Z: {report.count('sent')} notice(s) sent in "
               f"{report.messages} message(s), {report.superseded} superseded, {report.count('retry')} to "
               f"retry, {report.count('failed')} failed")  # fmt: skip
    return 1 if undelivered else 0


@main.command()
@click.option("--once", is_flag=True, help="Run the daily job once and exit (otherwise: the daemon).")
@config_option
@now_option
@with_app
def run(app, once):
    """Send the notices that are due: once, or as a long-running service.

    \b
    Examples:
      reminders run --once --now 2010-02-24T09:00
      reminders run              # the daemon (container CMD)
    """
    if once:
        raise SystemExit(run_one(app))
    from scheduler.service import serve

    raise SystemExit(serve(app))


def _range(app, start, end):
    start_d, end_d = parse_date(start, "--from"), parse_date(end, "--to")
    if end_d < start_d:
        raise BadInput(f"--to {end_d} is before --from {start_d}")
    if (end_d - start_d).days > 3660:
        raise BadInput("--from/--to span more than 10 years; choose a shorter range")
    return start_d, end_d


@main.command()
@click.option("--from", "start", required=True, metavar="DATE", help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, metavar="DATE", help="Last day, YYYY-MM-DD.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON list of {date, plan, ref, stage, to, cc}."
)
@config_option
@with_app
def forecast(app, start, end, as_json):
    """List the notices that will go out between two dates if nothing changes.

    \b
    Example:
      reminders forecast --from 2009-11-24 --to 2010-08-31 --json
    """
    start_d, end_d = _range(app, start, end)
    with throwaway_copy(app.engine, app.config, start_d) as copy:
        entries = do_forecast(copy, app.config, start_d, end_d)
    if as_json:
        click.echo(json.dumps(entries, indent=1))
        return
    for e in entries:
        cc = f" (cc {', '.join(e['cc'])})" if e["cc"] else ""
        click.echo(f"{e['date']}  {e['plan']}/{e['ref']:<6} {e['stage']:<13} -> {e['to']}{cc}")
    click.echo(f"{len(entries)} notice(s)")


@main.command()
@click.option("--from", "start", required=True, metavar="DATE", help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, metavar="DATE", help="Last day, YYYY-MM-DD.")
@click.option(
    "--outbox", type=click.Path(file_okay=False), help="Write the .eml files here (default: OUTBOX_DIR)."
)
@config_option
@with_app
def simulate(app, start, end, outbox):
    """Run the real pipeline day by day on a throwaway copy of the database; print the timeline.

    Nothing in the real database changes. Messages are written as .eml files.

    \b
    Example:
      reminders simulate --from 2009-11-24 --to 2010-07-31 --outbox outbox/
    """
    start_d, end_d = _range(app, start, end)
    out = Path(outbox) if outbox else app.settings.outbox_dir
    with throwaway_copy(app.engine, app.config, start_d) as copy:
        outcomes = do_simulate(copy, app.config, renderer_for(app), start_d, end_d, out)
    for o in outcomes:
        day = dt.date.fromisoformat(o["date"])
        click.echo(f"{o['date']} {day:%a}  {o['plan']}/{o['ref']:<6} {o['stage']:<13} -> {o['recipient']}  "
                   f"{o['outcome']}")  # fmt: skip
    sent = sum(1 for o in outcomes if o["outcome"] == "sent")
    n_files = len(list(out.glob("*.eml")))
    click.echo(f"{sent} notice(s) sent from {start_d} to {end_d}; {n_files} message file(s) in {out}/")


@main.command()
@click.argument("ref")
@click.option("--stage", help="Stage to render, e.g. assigned, before:14, due, overdue:1, escalation:2.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="Also write the HTML part here.")
@config_option
@now_option
@with_app
def preview(app, ref, stage, html_file):
    """Render one notice for an action to the terminal (nothing is sent or recorded).

    \b
    Example:
      reminders preview SG1 --stage escalation:1 --now 2010-03-05 --html /tmp/sg1.html
    """
    with app.session() as s:
        try:
            action = operations.resolve_ref(s, ref)
        except operations.InputError as exc:
            raise BadInput(str(exc)) from None
        if action.plan_id not in app.config.plans:
            raise BadInput(f"{ref}: its plan is no longer in the config")
        plan = app.config.plans[action.plan_id]
        facts = build_facts(s, app.config, action)
        cal = calendar_for(plan)
        today = app.now.astimezone(plan.policy.tz).date()
        stages = owner_stages(facts, plan.policy, cal, max(today, action.due) + dt.timedelta(days=60))
        stages += escalation_stages(facts, plan.policy, cal)
        names = [st.name for st in stages]
        chosen = stage or next((st.name for st in stages if st.send_day >= today), "due")
        if chosen not in names:
            raise BadInput(
                f"--stage {chosen!r}: not a stage of this action; use one of: {', '.join(names[:12])}"
            )
        pn = notice_for(stages[names.index(chosen)], facts)
        row = Notice(action_id=action.id, due_date=action.due, stage=chosen, track=pn.stage.track,
                     recipient=pn.to.email, cc=",".join(c.email for c in pn.cc) or None,
                     send_day=pn.stage.send_day, state="preview")  # fmt: skip
        view = notice_view(s, app.config, action, row, app.now)
    try:
        msg = renderer_for(app).render([view], app.now)
    except TemplateProblem as exc:
        raise Failure(str(exc)) from None
    for header in ("From", "To", "Cc", "Subject", "X-Reminder-Notices", "References"):
        if msg[header]:
            click.echo(f"{header}: {msg[header]}")
    click.echo(f"(would be sent on {pn.stage.send_day:%a %d %b %Y} at {plan.policy.send_time:%H:%M})\n")
    click.echo(msg.get_body(("plain",)).get_content())
    if html_file:
        Path(html_file).write_text(msg.get_body(("html",)).get_content(), encoding="utf-8")
        click.echo(f"HTML part written to {html_file}")


@main.command("send-test")
@click.argument("email")
@config_option
@now_option
@with_app
def send_test(app, email):
    """Send a test message to EMAIL through the configured backend (SMTP or file).

    \b
    Example:
      SMTP_HOST=smtp.example.org reminders send-test qa-team@example.org
    """
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise BadInput(f"EMAIL {email!r}: {exc}") from None
    msg = EmailMessage()
    msg["Subject"] = "Improvement plan reminders: test message"
    msg["From"], msg["To"] = app.settings.mail_from, email
    msg["Date"] = format_datetime(app.now)
    msg["Message-ID"] = make_msgid(idstring="test", domain=Renderer(None, app.settings.mail_from).domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content("This is a test from the improvement plan reminder service. Delivery works.")
    transport = transport_for(app)
    try:
        transport.open()
        refused = transport.send(msg)
    except TransportError as exc:
        raise Failure(f"test message not delivered ({transport.name}): {exc}") from None
    finally:
        transport.close()
    if refused:
        raise Failure(f"test message refused: {refused}")
    click.echo(f"test message sent to {email} via {transport.name} ({msg['Message-ID']})")
