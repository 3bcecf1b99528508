"""Shared CLI plumbing: settings, `--now`, `--config`, the database and config, exit codes.

Exit codes: 0 success, 1 failure (database, delivery), 2 bad input (options, config, REF).
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from scheduler import db
from scheduler.config_load import load_config
from scheduler.config_model import DEFAULT_POLICY, Config, ConfigErrors
from scheduler.settings import Settings, SettingsError, load_settings, redact_url


class BadInput(click.ClickException):
    exit_code = 2


class Failure(click.ClickException):
    exit_code = 1


def parse_now(value: str | None, tz_name: str = DEFAULT_POLICY["timezone"]) -> dt.datetime:
    """Return the aware UTC instant for `--now` (naive values are local to `tz_name`).

    A bare date means 12:00 local on that day. None means the real current time.
    """
    if value is None:
        return dt.datetime.now(dt.UTC)
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(12, 0))
        else:
            parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise BadInput(f"--now {value!r}: not a date-time; write e.g. 2010-03-15T09:30 "
                       "(local time), 2010-03-15T09:30+00:00, or a date") from None  # fmt: skip
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz_name))
    return parsed.astimezone(dt.UTC)


def parse_date(value: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{flag} {value!r}: not a date; write it as YYYY-MM-DD") from None


class App:
    """What a command needs, built lazily: settings, validated config, migrated engine."""

    def __init__(self, config_dir: str | None, now: str | None):
        try:
            self.settings: Settings = load_settings()
        except SettingsError as exc:
            raise BadInput(f"{exc} (see .env.example)") from None
        self.config_dir = Path(config_dir) if config_dir else self.settings.config_dir
        self.now = parse_now(now)  # the one `now` every part of this command uses
        self._config: Config | None = None
        self._engine = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_dir)
            except ConfigErrors as exc:
                raise BadInput(f"{exc}\nnothing was changed. Fix the config in {self.config_dir} "
                               "and run `reminders validate`.") from None  # fmt: skip
        return self._config

    @property
    def engine(self):
        if self._engine is None:
            try:
                self._engine = db.make_engine(self.settings.database_url)
                db.upgrade(self._engine)
            except db.DatabaseError as exc:
                url = redact_url(self.settings.database_url)
                raise Failure(f"{exc} (DATABASE_URL={url}); check DATABASE_URL and that the "
                              "database server is running") from None  # fmt: skip
            except Exception as exc:  # bad URL, missing driver
                raise Failure(f"cannot use DATABASE_URL={redact_url(self.settings.database_url)}: "
                              f"{exc}") from None  # fmt: skip
        return self._engine

    def session(self):
        return db.session(self.engine)

    def today_for(self, plan_id: str) -> dt.date:
        """Local date of `now` in the plan's timezone (default policy when unknown)."""
        try:
            tz = self.config.plans[plan_id].policy.tz
        except (KeyError, click.ClickException):
            tz = ZoneInfo(DEFAULT_POLICY["timezone"])
        return self.now.astimezone(tz).date()


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
    """Build an App from --config / --now and pass it as the first argument."""

    @functools.wraps(f)
    def wrapper(*args, config_dir=None, now=None, **kwargs):
        return f(App(config_dir, now), *args, **kwargs)

    return wrapper
