"""Shared by the web tests: the site fixture (a ManualClock App, links on), links, forms, state."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
import time

import pytest
import sqlalchemy as sa

from scheduler.app import App
from scheduler.clock import ManualClock
from scheduler.config.settings import load_settings

BASE = "http://reminders.test"
KEY = "test-secret-key-0123456789-abcdefghijklmnop"  # 32+ characters, in no shipped example
OWNER = "contact-centre-manager@example.org"  # owns SG1
MANAGER = "head-of-safeguarding@example.org"  # SG1's owner's manager: approves its extensions
START = dt.datetime(2009, 11, 24, 10, 0, tzinfo=dt.UTC)


def make_site(env):
    """(test client, App) over the environment's database, on a ManualClock at START."""
    from starlette.testclient import TestClient

    from scheduler.web.server import create

    app = App(load_settings(None), None, ManualClock(START))
    client = TestClient(create(app, config_check_seconds=0), base_url=BASE, raise_server_exceptions=False)
    return client, app


@pytest.fixture
def web(env, cli, monkeypatch):
    """(test client, App, db url) on the shipped plan synced on its report date, links on; the App's
    clock is a ManualClock (app.clock) that the web app and its links follow."""
    monkeypatch.setenv("BASE_URL", BASE)
    monkeypatch.setenv("SECRET_KEY", KEY)
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    client, app = make_site(env)
    yield client, app, env["DATABASE_URL"]
    app.engine.dispose()


def sg1(app):
    with app.session() as s:
        return s.execute(sa.text("SELECT id FROM action WHERE ref = 'SG1'")).scalar()


def link(app, purpose="action", subject=None, to=OWNER) -> str:
    return app.links.url(purpose, sg1(app) if subject is None else subject, to).removeprefix(BASE)


def form_of(html: str, do: str) -> dict:
    """The hidden fields of the form whose `do` is `do` (or the only form)."""
    forms = re.findall(r"<form method=\"post\".*?</form>", html, re.S)
    form = next(f for f in forms if f'value="{do}"' in f or do == "*")
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def status_of(app, ref="SG1") -> str:
    with app.session() as s:
        return s.execute(sa.text("SELECT status FROM action WHERE ref = :r"), {"r": ref}).scalar()


@contextlib.contextmanager
def serving(asgi, **limits):
    """Run `asgi` on a free port with uvicorn as `reminders web` configures it (web/connections.py),
    in a thread; yield the port; stop it after."""
    import uvicorn

    from scheduler.web.connections import uvicorn_config
    from tests.conftest import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn_config(asgi, "127.0.0.1", port, **limits))
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        assert server.started
        yield port
    finally:
        server.should_exit = True
        runner.join(10)
