"""The daemon in a subprocess against the real clock: sends at its send time, survives a config
typo, refuses a second instance on SQLite, reports health, stops cleanly on SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from scheduler.store import db
from scheduler.config.load import load_config
from scheduler.engine.summary import build_summaries
from scheduler.mail.summary_mail import render
from tests.service_helpers import Daemon, near_midnight, service_config, wait_for


@pytest.fixture
def sqlite_env(env, tmp_path):
    if near_midnight():
        pytest.skip("too close to midnight UTC for a same-day send time")
    return env


def reminders(tmp_path, env, *args, timeout=60):
    return subprocess.run([sys.executable, "-m", "scheduler", *args], cwd=tmp_path, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def test_daemon_sends_survives_a_typo_and_stops_cleanly(sqlite_env, config_dir, tmp_path, db_url):
    env = sqlite_env
    service_config(config_dir, send_in_seconds=8)
    daemon = Daemon(tmp_path, env)
    try:
        daemon.wait_log(r"this instance \(.+\) is the leader", timeout=30)
        assert not list((tmp_path / "outbox").glob("*.eml")), "nothing before the send time"
        # Synced today (the real date), every action is long overdue: escalation:2 for all 12.
        daemon.wait_log(r"run \w+: 12 sent, \d+ superseded, 0 retry, 0 failed", timeout=60)
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 9
        assert len([x for x in daemon.log().splitlines() if " notice plan=ofsted-2009 " in x]) == 12

        healthy = reminders(tmp_path, env, "health")
        assert healthy.returncode == 0, healthy.stderr
        assert healthy.stdout.startswith("healthy: leader ")

        if db_url.startswith("sqlite"):
            second = reminders(tmp_path, env, "run", timeout=30)
            assert second.returncode == 1
            assert "another `reminders run` already uses this SQLite database" in second.stderr
            assert "use PostgreSQL (DATABASE_URL) for several replicas" in second.stderr

        valid = load_config(config_dir)
        owners = config_dir / "owners.yaml"
        owners.write_text(owners.read_text().replace("email: pqa-manager@example.org", "email: pqa-manager"))
        daemon.wait_log(r"config edit rejected, still running the last valid config", timeout=30)
        time.sleep(1)
        assert daemon.proc.poll() is None, "a config typo must not kill the service"
        engine = sa.create_engine(db_url)
        with engine.connect() as conn:
            detail = conn.execute(
                sa.text("SELECT detail FROM service_event WHERE kind = 'config_error'")
            ).scalar()
        engine.dispose()
        assert "owners.yaml line 25, owners[5].email: invalid email address 'pqa-manager'" in detail
        # The next summary (built from the last valid config, as the service does) reports it.
        engine = db.make_engine(db_url)
        with db.session(engine) as s:
            text = render(build_summaries(s, valid, dt.datetime.now(dt.UTC)), "text")
        engine.dispose()
        assert "Config errors (the last valid config kept running)" in text
        assert "owners[5].email: invalid email address 'pqa-manager'" in text
        assert reminders(tmp_path, env, "health").returncode == 0

        started = time.monotonic()
        assert daemon.stop() == 0
        assert time.monotonic() - started < 10
        assert "service stopped" in daemon.log()
        gone = reminders(tmp_path, env, "health")
        assert gone.returncode == 1
        assert "unhealthy: no scheduler heartbeat on host" in gone.stderr
    finally:
        daemon.kill()


def test_daemon_catches_up_a_missed_run_at_start(sqlite_env, config_dir, tmp_path):
    service_config(config_dir, send_in_seconds=-60)  # today's send time passed while it was down
    daemon = Daemon(tmp_path, sqlite_env)
    try:
        daemon.wait_log(r"catch-up: today's send time has passed; running now", timeout=30)
        daemon.wait_log(r"run \w+: 12 sent", timeout=60)
        assert wait_for(lambda: len(list((tmp_path / "outbox").glob("*.eml"))) == 9, 10, "9 messages")
    finally:
        assert daemon.stop() == 0


def test_invalid_config_at_start_is_exit_2(env, config_dir, tmp_path):
    (config_dir / "owners.yaml").write_text("owners: []\n")
    result = reminders(tmp_path, env, "run")
    assert result.returncode == 2
    assert "owners.yaml line 1, owners: the list is empty; add at least one item" in result.stderr
