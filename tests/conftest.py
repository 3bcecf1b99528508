"""Shared fixtures: a copy of the shipped config, a real SQLite file, the CLI in-process and
in a subprocess, and a database snapshot for "nothing changed" checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from scheduler.cli import main

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CONFIG = REPO / "config"
POSTGRES_ENV = "REMINDERS_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def known_terminal_width(monkeypatch):
    """Tables fit the terminal (COLUMNS, else the terminal, else 120): tests read them at 120
    columns whatever runs them (a tty, CI, a pytest-xdist worker); a test about widths sets its own."""
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture
def config_dir(tmp_path) -> Path:
    """A writable copy of the shipped config."""
    dest = tmp_path / "config"
    shutil.copytree(SHIPPED_CONFIG, dest)
    return dest


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@contextmanager
def postgres_schema():
    """A fresh schema on the test PostgreSQL; yields a URL whose search_path points at it."""
    import uuid

    base = postgres_url()
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_url(request, tmp_path):
    """A real SQLite file; tests marked `both_databases` also run on the real PostgreSQL."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'reminders.db'}"
    else:
        with postgres_schema() as url:
            yield url


# For the tests that are about the database (claims, locks, migrations, sync, HA).
both_databases = pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
postgres_only = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


@pytest.fixture
def env(tmp_path, config_dir, db_url, monkeypatch) -> dict:
    """Environment for the CLI: tmp database, tmp outbox, the config copy; cwd = tmp."""
    monkeypatch.chdir(tmp_path)
    values = {
        "DATABASE_URL": db_url,
        "REMINDERS_CONFIG_DIR": str(config_dir),
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "EMAIL_BACKEND": "file",
        "TEMPLATES_DIR": str(REPO / "templates" / "emails"),
    }
    for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "LOG_FORMAT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def cli(env):
    """Run the CLI in-process: cli("status", "--json") -> click Result."""
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def cli_subprocess(env, tmp_path):
    """Run the real console entry point in a subprocess: returns CompletedProcess."""

    def run(*args, timeout=120, extra_env=None):
        full_env = {**os.environ, **env, **(extra_env or {})}
        return subprocess.run([sys.executable, "-m", "scheduler", *args], cwd=tmp_path, env=full_env,
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip

    return run


def snapshot(url: str) -> dict:
    """Every row of every table, to prove a failed command changed nothing."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        with engine.connect() as conn:
            return {
                t: sorted(map(tuple, conn.execute(sa.text(f'SELECT * FROM "{t}"')).all()), key=repr)
                for t in inspector.get_table_names()
            }
    finally:
        engine.dispose()


class SmtpSink:
    """aiosmtpd handler that records every message and can refuse recipients on cue.

    `refuse[address] = [451, None, ...]` answers RCPT TO for that address with each code in
    turn (None = accept), then accepts.
    """

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: dict[str, list] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        codes = self.refuse.get(address)
        code = codes.pop(0) if codes else None
        if code:
            return f"{code} {'try again later' if code < 500 else 'no such mailbox'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def parsed(self):
        import email
        from email import policy

        return [
            (rcpts, email.message_from_bytes(raw, policy=policy.default)) for _, rcpts, raw in self.messages
        ]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (started before any clock is frozen)."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.controller = controller
    yield sink
    try:
        sink.controller.stop()  # a test may have replaced it (a restarted server)
    except AssertionError:
        pass  # already stopped by the test


@pytest.fixture
def smtp_env(env, smtp_server, monkeypatch):
    values = {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.controller.port),
              "SMTP_SECURITY": "none", "SMTP_TIMEOUT": "5"}  # fmt: skip
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    env.update(values)
    return smtp_server


def insert_action_before_upgrade(conn, status: str = "open", at=None) -> int:
    """Write one owner, plan and action with plain SQL (as an older schema holds them, before a
    migration under test); return the action's id."""
    import datetime as dt

    t = {"t": at or dt.datetime(2010, 1, 4, 9, 0)}
    conn.execute(sa.text("INSERT INTO owner (id, name, email, manager_id, active, updated_at) "
                         "VALUES ('o1', 'Owner', 'o1@example.org', NULL, true, :t)"), t)  # fmt: skip
    conn.execute(sa.text("INSERT INTO plan (id, title, report_date, escalation_contact, active, updated_at) "
                         "VALUES ('p', 'Plan', '2009-11-24', NULL, true, :t)"), t)  # fmt: skip
    conn.execute(sa.text("INSERT INTO action (plan_id, ref, title, owner_id, owner_since, config_due, due, status, "
                         "in_config, created_at, updated_at) VALUES ('p', 'A1', 'Do it', 'o1', '2009-11-24', "
                         "'2010-02-24', '2010-02-24', :status, true, :t, :t)"), {**t, "status": status})  # fmt: skip
    return conn.execute(sa.text("SELECT id FROM action")).scalar()
