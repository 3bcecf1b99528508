"""Wiring: build settings -> config, engine, renderer, transport and clock, once, for one process.

The CLI and the daemon both take an `App`; nothing below this module builds its own. Heavy
parts (SQLAlchemy, Alembic, Jinja2, SMTP) are imported only when first used, so `--help` and
`validate` start fast. Errors are `AppError`s with an exit code (2: bad input, 1: failure).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scheduler.clock import Clock, FixedClock, SystemClock


class AppError(Exception):
    """Something the person running the command must fix; `exit_code` 2 (input) or 1 (failure)."""

    exit_code = 1


class BadSetup(AppError):
    """Bad settings, config or options: exit 2, nothing changed."""

    exit_code = 2


class Unavailable(AppError):
    """The database or mail server cannot be used: exit 1."""


class App:
    """Everything one process needs, built lazily from the settings."""

    def __init__(self, settings, config_dir: str | Path | None = None, clock: Clock | None = None):
        self.settings = settings
        self.config_dir = Path(config_dir) if config_dir else settings.config_dir
        self.clock: Clock = clock or FixedClock(SystemClock().now())
        self._config = None
        self._engine = None
        self._renderer = None
        self.link_clock = None  # None: links are stamped with the wall clock; the web app sets its clock

    @classmethod
    def from_env(cls, config_dir=None, clock: Clock | None = None, env_file: str | None = ".env") -> App:
        """Return an App on the environment's settings; BadSetup lists every bad variable."""
        from scheduler.config.settings import SettingsError, load_settings

        try:
            settings = load_settings(env_file)
        except SettingsError as exc:
            raise BadSetup(f"{exc}\n(see .env.example)") from None
        return cls(settings, config_dir, clock)

    @property
    def now(self) -> dt.datetime:
        """The clock's current instant (for the CLI: the command's one `now`)."""
        return self.clock.now()

    # --- config ---------------------------------------------------------------------------------
    def load_config(self, cached: bool = False):
        """Read and validate the config folder; raise ConfigErrors. `cached`: reuse the validated
        config of unchanged files (config/cache.py); `validate` always parses afresh."""
        from scheduler.config.cache import load_cached

        def parse(directory, spill=None):
            from scheduler.config.load import load_config  # not imported when the cache answers

            return load_config(directory, spill)

        return load_cached(self.config_dir, self.cache_dir if cached else None, parse)

    @property
    def cache_dir(self) -> Path | None:
        """Where the validated config is cached: REMINDERS_CACHE_DIR, else `cache/` beside a SQLite
        file, else $XDG_CACHE_HOME/reminders (~/.cache/reminders)."""
        import os

        from sqlalchemy.engine import make_url

        if self.settings.cache_dir:
            return Path(self.settings.cache_dir)
        url = make_url(self.settings.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).parent / "cache"
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reminders"

    @property
    def config(self):
        """The validated config, read once; BadSetup (exit 2) with every problem otherwise."""
        if self._config is None:
            from scheduler.config.model import ConfigErrors

            try:
                self._config = self.load_config(cached=True)
            except ConfigErrors as exc:
                fix = (f" Fix the config in {self.config_dir} and run `reminders validate`."
                       if self.config_dir.is_dir() else "")  # no folder: the error itself says where to point
                raise BadSetup(f"{exc}\nnothing was changed.{fix}") from None
        return self._config

    @config.setter
    def config(self, value) -> None:
        self._config = value

    # --- database -------------------------------------------------------------------------------
    @property
    def engine(self):
        """The migrated database engine; Unavailable (exit 1) when it cannot be used."""
        if self._engine is None:
            from scheduler.config.settings import redact_url
            from scheduler.store import db

            url = redact_url(self.settings.database_url)
            try:
                engine = db.make_engine(self.settings.database_url)
                db.upgrade(engine)
            except db.DatabaseError as exc:
                raise Unavailable(f"{exc} (DATABASE_URL={url})") from None
            except Exception as exc:  # bad URL, missing driver
                raise Unavailable(f"cannot use DATABASE_URL={url}: {exc}") from None
            self._engine = engine
        return self._engine

    def session(self):
        """Return a new Session on the engine (objects stay readable after commit)."""
        from scheduler.store import db

        return db.session(self.engine)

    # --- mail -----------------------------------------------------------------------------------
    @property
    def renderer(self):
        """The email renderer (templates compiled once per process)."""
        if self._renderer is None:
            from scheduler.mail.render import Renderer

            self._renderer = Renderer(self.settings.templates_dir, self.settings.mail_from, self.links)
        return self._renderer

    @property
    def links(self):
        """The signed-link maker, or None when BASE_URL is not set (emails then carry no links)."""
        if not self.settings.base_url:
            return None
        from scheduler.engine.links import Links

        return Links(self.settings.base_url, self.settings.secret_key.get_secret_value(), self.link_clock)

    def transport(self, outbox: Path | None = None):
        """Return a new transport as the settings ask (`outbox` forces the file backend)."""
        from scheduler.mail.transport import OutboxNotWritable, make_transport

        try:
            return make_transport(self.settings, outbox)
        except OutboxNotWritable as exc:  # a setting: exit 2 before anything is claimed
            raise BadSetup(str(exc)) from None

    def today_for(self, plan_id: str) -> dt.date:
        """Local date of `now` in the plan's timezone (the default policy's when unknown)."""
        from zoneinfo import ZoneInfo

        from scheduler.config.model import DEFAULT_POLICY

        try:
            tz = self.config.plans[plan_id].policy.tz
        except (KeyError, AppError):
            tz = ZoneInfo(DEFAULT_POLICY["timezone"])
        return self.now.astimezone(tz).date()
