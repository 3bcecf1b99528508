"""Shared CLI plumbing: `--now`, `--config`, exit codes, and building the App for a command.

Exit codes: 0 success, 1 failure (database, delivery), 2 bad input (options, config, REF).
Kept light: nothing heavy is imported at module level, so `reminders --help` starts fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass

import click

from scheduler.app import App, AppError
from scheduler.clock import FixedClock, SystemClock
from scheduler.config.limits import EARLIEST, LATEST

DEFAULT_TIMEZONE = "Europe/London"


class BadInput(click.ClickException):
    exit_code = 2


class Failure(click.ClickException):
    exit_code = 1


def parse_now(value: str | None, tz_name: str = DEFAULT_TIMEZONE) -> dt.datetime:
    """Return the aware UTC instant for `--now` (naive values are local to `tz_name`).

    A bare date means 12:00 local on that day. None means the real current time.
    """
    from zoneinfo import ZoneInfo

    if value is None:
        return SystemClock().now()
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(12, 0))
        else:
            parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise BadInput(f"--now {value!r}: not a date-time; write e.g. 2010-03-15T09:30 "
                       "(local time), 2010-03-15T09:30+00:00, or a date") from None  # fmt: skip
    if not EARLIEST <= parsed.date() <= LATEST:
        raise BadInput(f"--now {value!r}: out of range; use a date between {EARLIEST} and {LATEST}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz_name))
    return parsed.astimezone(dt.UTC)


def parse_date(value: str, flag: str) -> dt.date:
    """Return the date in `value` (YYYY-MM-DD, 1990..2100) or raise BadInput naming `flag`."""
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{flag} {value!r}: not a date; write it as YYYY-MM-DD") from None
    if not EARLIEST <= day <= LATEST:
        raise BadInput(f"{flag} {value}: out of range; use a date between {EARLIEST} and {LATEST}")
    return day


def config_option(f):
    return click.option("--config", "config_dir", metavar="DIR", envvar=None,
                        help="Config folder (default: $REMINDERS_CONFIG_DIR or ./config).")(f)  # fmt: skip


def now_option(f):
    return click.option("--now", "now", metavar="DATETIME",
                        help="Act as if it were this instant, e.g. 2010-03-15T09:30 (local time).")(f)  # fmt: skip


def default_by() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "admin"


def with_app(f):
    """Build an App from --config / --now, pass it as the first argument, map AppErrors to exits."""

    @functools.wraps(f)
    def wrapper(*args, config_dir=None, now=None, **kwargs):
        try:
            app = App.from_env(config_dir, FixedClock(parse_now(now)))
            return f(app, *args, **kwargs)
        except AppError as exc:
            raise (BadInput if exc.exit_code == 2 else Failure)(str(exc)) from None

    return wrapper


def input_errors(f):
    """Turn the store's InputError (bad REF, status, date) into exit 2 with its message."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        from scheduler.store.operations import InputError

        try:
            return f(*args, **kwargs)
        except InputError as exc:
            raise BadInput(str(exc)) from None

    return wrapper


def did_you_mean(value: str, known) -> str:
    """Return '; did you mean 'x'?' for the closest of `known` (difflib), else '; known: a, b, …',
    to end an error about an unknown id."""
    from scheduler.config.hints import suggest

    return suggest(value, known)


def no_database_yet(app, ref: str | None = None) -> bool:
    """For a read-only command: when the database is a SQLite file that does not exist yet, say
    how to create it and return True, without creating it (or its folder). With `ref` (a command
    about one action) that is bad input: BadInput, exit 2."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    try:
        url = make_url(app.settings.database_url)
    except Exception:  # a bad URL is reported by the engine, with its fix
        return False
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    if Path(url.database).exists():
        return False
    if ref is not None:
        raise BadInput(f"no action {ref!r}; the database has no actions yet: run `reminders sync` first "
                       f"(no database at {url.database})")  # fmt: skip
    where = app.config_dir if app.config_dir.is_dir() else None
    hint = "run `reminders sync` to create it from the config" if where else (
        f"there is no config folder at {app.config_dir} either: pass --config DIR or set REMINDERS_CONFIG_DIR, "
        "then run `reminders sync`")  # fmt: skip
    click.echo(f"no database yet at {url.database}: {hint}")
    return True


def people_tz(app, plan_id: str | None = None):
    """Return the zone times are shown to people in: the plan's, else the default policy's
    (Europe/London when the config cannot be read). Only logs and JSON/CSV keep UTC or offsets."""
    from zoneinfo import ZoneInfo

    try:
        plan = app.config.plans.get(plan_id) if plan_id else None
        return (plan.policy if plan else app.config.default_policy).tz
    except AppError:
        return ZoneInfo(DEFAULT_TIMEZONE)


def do_sync(app, quiet: bool = False, allow_withdraw: bool = False) -> list[str]:
    """Sync config into the database in one transaction; print and return the change lines."""
    from scheduler.engine.facts import sync_and_refresh
    from scheduler.store.sync import SyncRefused

    cfg = app.config
    with app.session() as session:
        try:
            report = sync_and_refresh(session, cfg, app.now, allow_withdraw)
        except SyncRefused as exc:
            raise BadInput(f"{exc}; nothing was changed") from None
        session.commit()
    if not quiet:
        for line in report.changes:
            click.echo(line)
        if report.total > len(report.changes):
            click.echo(f"... and {report.total - len(report.changes)} more change(s)")
        click.echo(f"sync: {report.total} change(s)" if report.total else "sync: no changes")
    return report.changes
