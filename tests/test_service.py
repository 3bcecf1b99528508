"""The daemon's jobs called in-process with a ManualClock (milliseconds, any time of day), plus one
real-time smoke test of `reminders run` in a subprocess."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from scheduler.app import App
from scheduler.clock import ManualClock
from scheduler.config.settings import load_settings
from scheduler.engine.summary import build_summaries
from scheduler.mail.summary_mail import render
from scheduler.service.daemon import Service
from scheduler.service.jobs import plan_jobs
from scheduler.store import db
from scheduler.store.models import Notice, ServiceEvent
from tests.conftest import postgres_only
from tests.service_helpers import Daemon, service_config, wait_for

LONDON = ZoneInfo("Europe/London")


def at(text: str) -> dt.datetime:
    """A London local time as an aware UTC instant."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(dt.UTC)


@pytest.fixture
def service(env, config_dir):
    """A Service on the test database and the shipped config, its clock at 24 Nov 2009 08:00."""
    clock = ManualClock(at("2009-11-24T08:00"))
    app = App(load_settings(None), config_dir, clock)
    svc = Service(app)
    yield svc
    svc.lock.release()
    app.engine.dispose()


def outbox(env) -> list:
    return sorted((os.path.join(env["OUTBOX_DIR"], f)) for f in os.listdir(env["OUTBOX_DIR"])) if os.path.isdir(
        env["OUTBOX_DIR"]) else []  # fmt: skip


def test_daily_run_sends_only_once_the_send_time_has_come(service, env):
    service.tick()
    assert service.leader
    assert service.daily_run() == "0 notice(s) sent in 0 message(s), 0 superseded, 0 to retry, 0 failed"
    service.app.clock.set(at("2009-11-24T09:00"))
    assert service.daily_run().startswith("12 notice(s) sent in 9 message(s)")
    assert len(outbox(env)) == 9
    assert service.daily_run().startswith("0 notice(s) sent"), "a second run the same day sends nothing"


@pytest.mark.parametrize(
    ("local", "missed"),
    [
        ("2009-11-24T08:59", False),  # before the send time
        ("2009-11-24T09:00", True),
        ("2009-11-24T17:30", True),
        ("2009-11-28T10:00", False),  # Saturday
        ("2009-12-25T10:00", False),  # Christmas Day
        ("2009-12-29T10:00", True),
    ],
)
def test_catch_up_runs_only_when_todays_send_time_has_passed(service, env, local, missed):
    service.tick()
    service.app.clock.set(at(local))
    assert service.missed_today() is missed
    service.catch_up()
    assert bool(outbox(env)) is missed


def test_retry_check_runs_when_a_retry_is_due(service, env):
    service.tick()
    service.app.clock.set(at("2009-11-24T09:00"))
    service.daily_run()
    with db.session(service.engine) as s:
        row = s.exec(sa.select(Notice).limit(1)).scalars().first()
        row.state, row.next_attempt_at = "retry", at("2009-11-24T09:30")
        s.commit()
    before = len(outbox(env))
    service.app.clock.set(at("2009-11-24T09:20"))
    service.retry_check()
    assert len(outbox(env)) == before, "not yet due"
    service.app.clock.set(at("2009-11-24T09:31"))
    service.retry_check()
    assert len(outbox(env)) == before + 1


def test_config_typo_keeps_the_last_valid_config_and_is_reported(service, config_dir):
    service.tick()
    good = service.config
    owners = config_dir / "owners.yaml"
    owners.write_text(owners.read_text().replace("email: pqa-manager@example.org", "email: pqa-manager"))
    service.tick()
    service.tick()  # reported once, not every tick
    assert service.config is good and service.leader
    with db.session(service.engine) as s:
        errors = s.exec(sa.select(ServiceEvent).where(ServiceEvent.kind == "config_error")).scalars().all()
        assert len(errors) == 1
        assert "owners.yaml line 25, owners[5].email: invalid email address 'pqa-manager'" in errors[0].detail
        text = render(build_summaries(s, good, service.now()), "text")
    assert "Config errors (the last valid config kept running)" in text
    # A valid edit is picked up at the next tick, and a new send time re-schedules the jobs.
    owners.write_text(owners.read_text().replace("email: pqa-manager\n", "email: pqa-manager@example.org\n"))
    policy = config_dir / "policy.yaml"
    policy.write_text(policy.read_text().replace('send_time: "09:00"', 'send_time: "10:30"'))
    rescheduled = []
    service.on_jobs_changed = rescheduled.append
    service.tick()
    assert service.config is not good and service.bad_config is None
    assert [j.policy.send_time for j in rescheduled[0].daily] == [dt.time(10, 30)]
    assert rescheduled[0] == plan_jobs(service.config)


def test_a_second_instance_on_sqlite_cannot_lead(service):
    service.tick()
    other = Service(service.app)
    assert other.lock.exclusive and not other.lock.try_acquire()
    other.tick()
    assert not other.leader
    assert other.daily_run() is None


@postgres_only
def test_leadership_moves_when_the_leader_lets_go(env, config_dir):
    clock = ManualClock(at("2009-11-24T09:00"))
    a = Service(App(load_settings(None), config_dir, clock))
    b = Service(App(load_settings(None), config_dir, clock))
    caught_up = []
    b.on_leader = lambda: caught_up.append(b.now())
    try:
        a.tick()
        b.tick()
        assert a.leader and not b.leader
        assert b.daily_run() is None
        a.lock.release()  # as when its process dies: the server frees the lock
        b.tick()
        assert b.leader and caught_up == [clock.now()]
        assert b.daily_run().startswith("12 notice(s) sent")
    finally:
        a.lock.release()
        b.lock.release()


@pytest.mark.slow
def test_daemon_smoke_sends_reports_health_and_stops_cleanly(env, config_dir, tmp_path):
    """Real time, real process: send time 00:00 UTC every day, so the start-up catch-up sends."""
    service_config(config_dir)
    daemon = Daemon(tmp_path, env)
    try:
        daemon.wait_log(r"this instance \(.+\) is the leader", timeout=30)
        # Synced today, every action is long overdue: escalation:2 to the director (one digest) and
        # each owner's own copy (nine owners): 24 notices in 10 emails.
        daemon.wait_log(r"run \w+: 24 notice\(s\) sent in 10 message\(s\)", timeout=60)
        wait_for(lambda: len(list((tmp_path / "outbox").glob("*.eml"))) == 10, 10, "10 messages")

        def reminders(*args):
            return subprocess.run([sys.executable, "-m", "scheduler", *args], cwd=tmp_path,
                                  env={**os.environ, **env}, capture_output=True, text=True, timeout=60)  # fmt: skip

        healthy = reminders("health")
        assert healthy.returncode == 0, healthy.stderr
        assert healthy.stdout.startswith("healthy: leader ")
        second = reminders("run")
        assert second.returncode == 1
        assert "another `reminders run` already uses this SQLite database" in second.stderr
        started = time.monotonic()
        assert daemon.stop() == 0
        assert time.monotonic() - started < 10
        assert "service stopped" in daemon.log()
        gone = reminders("health")
        assert gone.returncode == 1
        assert "unhealthy: no scheduler heartbeat on host" in gone.stderr
    finally:
        daemon.kill()


def test_invalid_config_at_start_is_exit_2(cli, config_dir):
    (config_dir / "owners.yaml").write_text("owners: []\n")
    result = cli("run")
    assert result.exit_code == 2
    assert "owners.yaml line 1, owners: the list is empty; add at least one item" in result.output
