"""High availability on the real PostgreSQL: two daemons, one sends; kill -9 the leader, the other
takes over and sends the next run; a real SMTP sink proves no notice is ever sent twice."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.conftest import postgres_only
from tests.service_helpers import Daemon, service_config, wait_for


@pytest.fixture
def pg_env(env, smtp_env, db_url):
    return env


def notices_sent(sink) -> Counter:
    """Count (recipient, plan/ref=stage) over every message the sink accepted."""
    return Counter((tuple(r), n.strip()) for r, m in sink.parsed() for n in m["X-Reminder-Notices"].split(","))


def add_second_plan(config_dir):
    """plans/second.yaml: the shipped plan as a new plan reported today (only `assigned` is due)."""
    text = (config_dir / "plans" / "ofsted-2009.yaml").read_text()
    text = text.replace("id: ofsted-2009\n", "id: second-plan\n", 1)
    text = text.replace("report_date: 2009-11-24", f"report_date: {dt.datetime.now(dt.UTC).date()}")
    (config_dir / "plans" / "second.yaml").write_text(text)


@postgres_only
@pytest.mark.slow
def test_kill_9_the_leader_and_the_standby_takes_over_within_a_minute(pg_env, smtp_env, config_dir, tmp_path):
    service_config(config_dir)  # 00:00 UTC every day: each new leader's catch-up runs at once
    a = Daemon(tmp_path, pg_env, "a")
    b = None
    try:
        a.wait_log(r"is the leader", timeout=30)
        a.wait_log(r"run \w+: 24 notice\(s\) sent in 10 message\(s\)", timeout=60)
        b = Daemon(tmp_path, pg_env, "b")
        wait_for(lambda: "service started" in b.log(), 30, "standby start")
        time.sleep(2)
        assert "is the leader" not in b.log()

        a.kill()  # SIGKILL: no cleanup, the advisory lock goes with its connection
        killed = time.monotonic()
        add_second_plan(config_dir)  # only the new leader can send it
        b.wait_log(r"is the leader", timeout=60)
        assert time.monotonic() - killed < 60
        b.wait_log(r"run \w+: 12 notice\(s\) sent", timeout=60)  # the second plan's 12 `assigned`
        wait_for(lambda: len(smtp_env.messages) == 19, 20, "19 messages")
        assert "notice plan=second-plan" in b.log() and "notice plan=second-plan" not in a.log()
        assert "notice plan=ofsted-2009" not in b.log(), "the new leader repeats nothing"
        sent = notices_sent(smtp_env)
        assert len(sent) == 36 and set(sent.values()) == {1}, sent
        assert b.stop() == 0
    finally:
        a.kill()
        if b:
            b.kill()


@postgres_only
@pytest.mark.slow
def test_concurrent_runs_never_double_send(pg_env, smtp_env, tmp_path):
    """Four `run --once` processes at the same instant, on several days: each notice exactly once."""
    env = {**os.environ, **pg_env}

    def reminders(*args):
        return subprocess.Popen([sys.executable, "-m", "scheduler", *args], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip

    assert reminders("sync", "--now", "2009-11-24T08:00").wait(60) == 0
    expected = Counter()
    for day in ("2009-11-24", "2010-01-27", "2010-02-24", "2010-03-03", "2010-03-04"):
        fc = subprocess.run([sys.executable, "-m", "scheduler", "forecast", "--from", day, "--to", day, "--json"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
        expected.update(((e["to"],), f"{e['plan']}/{e['ref']}={e['stage']}") for e in json.loads(fc.stdout))
        procs = [reminders("run", "--once", "--now", f"{day}T09:00") for _ in range(4)]
        for p in procs:
            p.wait(120)
            assert p.returncode == 0, p.stderr.read()
    sent = notices_sent(smtp_env)
    assert sent == expected
    assert set(sent.values()) == {1}
    # 24 Nov: 12 assigned; 27 Jan: 5 before:28; 24 Feb: 5 due; 3 Mar: 5 escalation:1 (+5 copies); 4 Mar: 5 overdue:2
    assert sum(expected.values()) == 12 + 5 + 5 + 2 * 5 + 5  # escalation:1 to the manager and the owner


@postgres_only
@pytest.mark.slow
def test_concurrent_runs_never_send_the_same_retry_twice(pg_env, smtp_env, tmp_path, cli):
    """Notices waiting for a retry are claimed by a conditional update: three runs at once, one copy each."""
    import sqlalchemy as sa

    env = {**os.environ, **pg_env}
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    smtp_env.refuse.update({f"{who}@example.org": [451] for who in (
        "contact-centre-manager", "area-services-manager", "pqa-manager", "head-of-safeguarding",
        "lscb-business-manager", "iro-service-manager", "sixteen-plus-manager", "head-of-lac",
        "virtual-school-head")})  # fmt: skip
    first = cli("run", "--once", "--now", "2009-11-24T09:00")
    assert "12 to retry" in first.output, first.output
    engine = sa.create_engine(pg_env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM notice WHERE state = 'retry'")).scalar() == 12
    engine.dispose()
    procs = [subprocess.Popen([sys.executable, "-m", "scheduler", "run", "--once", "--now", "2009-11-24T09:30"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]  # fmt: skip
    for p in procs:
        p.wait(120)
    sent = notices_sent(smtp_env)
    assert len(sent) == 12 and set(sent.values()) == {1}, sent
