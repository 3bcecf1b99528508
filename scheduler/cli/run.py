"""Commands that send or predict notices: run, forecast, simulate, preview, send-test."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path

import click

from scheduler.cli.common import (
    BadInput,
    Failure,
    config_option,
    do_sync,
    input_errors,
    no_database_yet,
    now_option,
    parse_date,
    people_tz,
    with_app,
)
from scheduler.config.humandates import shortdate, when


def run_one(app) -> int:
    """Sync, run the pipeline once at app.now, then the plan-level notices due (as the daemon does);
    print what happened; return the exit code."""
    from scheduler.engine.pipeline import run_once
    from scheduler.service.logsetup import configure

    configure(app.settings.log_format)
    transport = app.transport()  # a bad OUTBOX_DIR is exit 2 before anything is synced or claimed
    do_sync(app, quiet=True)
    report = run_once(app.engine, app.config, app.renderer, transport, app.now,
                      deadline_seconds=app.settings.run_deadline)
    click.echo(f"run {report.run_id} at {when(app.now, people_tz(app))}: {report.describe()}")
    from scheduler.documents.plan_delivery import FINE, send_plan_notices
    from scheduler.store.stages import StageName

    # the summaries whose retry has come and the progress reports due, as the daemon's daily run
    plan_level = send_plan_notices(app.engine, app.config, app.renderer, transport, app.now)
    for r in plan_level:
        what = "summary" if StageName.parse(r.stage).kind == "summary" else "progress report"
        click.echo(f"{what} {r.plan} {r.stage} to {r.recipient}: {r.outcome}")
    return 1 if report.undelivered or any(r.outcome not in FINE for r in plan_level) else 0


@click.command()
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
    from scheduler.cli.web import strong_secret

    strong_secret(app)  # the emails it sends carry links signed with it
    if once:
        raise SystemExit(run_one(app))
    from scheduler.clock import SystemClock
    from scheduler.service.runner import serve

    app.clock = SystemClock()
    raise SystemExit(serve(app))


def _range(start, end):
    start_d, end_d = parse_date(start, "--from"), parse_date(end, "--to")
    if end_d < start_d:
        raise BadInput(f"--to {end_d} is before --from {start_d}")
    if (end_d - start_d).days > 3660:
        raise BadInput("--from/--to span more than 10 years; choose a shorter range")
    return start_d, end_d


@contextmanager
def _source(app):
    """Yield the engine forecast and simulate copy from: the database, or, when its SQLite file does
    not exist yet, an empty one in a temporary folder (they only read it: nothing is created)."""
    import tempfile

    from sqlalchemy.engine import make_url

    from scheduler.store import db

    url = make_url(app.settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or Path(url.database).exists():
        yield app.engine
        return
    with tempfile.TemporaryDirectory(prefix="reminders-empty-") as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        db.upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


@click.command()
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
    from scheduler.cli.tables import write_json
    from scheduler.engine.campaign import forecast as do_forecast
    from scheduler.engine.campaign import throwaway_copy

    start_d, end_d = _range(start, end)
    with _source(app) as source, throwaway_copy(source, app.config, start_d) as copy:
        entries = do_forecast(copy, app.config, start_d, end_d)
        if as_json:  # streamed: the notices of a million actions are printed as they are decided
            write_json(entries)
            return
        count = 0
        for e in entries:
            cc = f" (cc {', '.join(e['cc'])})" if e["cc"] else ""
            day = shortdate(dt.date.fromisoformat(e["date"]))
            click.echo(f"{day:<15} {e['plan']}/{e['ref']:<6} {e['stage']:<13} -> {e['to']}{cc}")
            count += 1
    click.echo(f"{count} notice(s)")


@click.command()
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
    from scheduler.engine.campaign import simulate as do_simulate
    from scheduler.engine.campaign import throwaway_copy

    start_d, end_d = _range(start, end)
    out = Path(outbox) if outbox else app.settings.outbox_dir
    from scheduler.documents.report_send import outcome_rows, send_reports

    transport = app.transport(out)
    reports = lambda engine, at: outcome_rows(send_reports(engine, app.config, app.renderer, transport, at), at,  # noqa: E731
                                              app.config)  # fmt: skip
    with _source(app) as source, throwaway_copy(source, app.config, start_d) as copy:
        outcomes = do_simulate(copy, app.config, app.renderer, transport, start_d, end_d, reports)
    for o in outcomes:
        day = shortdate(dt.date.fromisoformat(o["date"]))
        click.echo(f"{day:<15} {o['plan']}/{o['ref']:<6} {o['stage']:<13} -> {o['recipient']}  {o['outcome']}")
    sent = sum(1 for o in outcomes if o["outcome"] == "sent")
    n_files = len(list(out.glob("*.eml")))
    click.echo(f"{sent} notice(s) sent from {shortdate(start_d)} to {shortdate(end_d)}; {n_files} message file(s) "
               f"in {out}/")  # fmt: skip


@click.command()
@click.argument("ref")
@click.option("--stage", help="Stage to render, e.g. assigned, before:14, due, overdue:1, escalation:2.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="Also write the HTML part here.")
@config_option
@now_option
@with_app
@input_errors
def preview(app, ref, stage, html_file):
    """Render one notice for an action to the terminal (nothing is sent or recorded).

    \b
    Example:
      reminders preview SG1 --stage escalation:1 --now 2010-03-05 --html /tmp/sg1.html
    """
    from scheduler.engine.views import preview_view
    from scheduler.mail.render import TemplateProblem
    from scheduler.store import operations

    no_database_yet(app, ref)
    with app.session() as s:
        action = operations.resolve_ref(s, ref)
        view, send_day, send_time = preview_view(s, app.config, action, stage, app.now)
    try:
        msg = app.renderer.render([view], app.now)
    except TemplateProblem as exc:
        raise Failure(str(exc)) from None
    for header in ("From", "To", "Cc", "Subject", "X-Reminder-Notices", "References"):
        if msg[header]:
            click.echo(f"{header}: {msg[header]}")
    tz = people_tz(app, view.plan)
    click.echo(f"(would be sent {when(dt.datetime.combine(send_day, send_time, tzinfo=tz), tz)})\n")
    click.echo(msg.get_body(("plain",)).get_content())
    if html_file:
        Path(html_file).write_text(msg.get_body(("html",)).get_content(), encoding="utf-8")
        click.echo(f"HTML part written to {html_file}")


@click.command("send-test")
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
    from email_validator import EmailNotValidError, validate_email

    from scheduler.engine.ports import TransportError

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise BadInput(f"EMAIL {email!r}: {exc}") from None
    msg = app.renderer.test_message(email, app.now)
    transport = app.transport()
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
