"""Crash trials: `reminders run --once` in a subprocess with a few hundred notices due, SIGKILLed at a
seeded random moment, then run again to completion. Per notice, count the copies the SMTP sink
accepted: none missed, never two copies, at most one message per SMTP connection in doubt (`unknown`).

CI runs a few trials per database; REMINDERS_CRASH_TRIALS=50 runs the full count (README figures).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.conftest import both_databases

pytestmark = [pytest.mark.slow, both_databases]
N_ACTIONS = 200
TRIALS = int(os.environ.get("REMINDERS_CRASH_TRIALS", "5"))
CONNECTIONS = 3  # SMTP_CONNECTIONS: a kill leaves at most the message in flight on each in doubt


def write_config(config_dir) -> None:
    """200 actions, each with its own owner: 200 `assigned` emails on the report day."""
    owners = ["owners:", "  - {id: boss, name: Director, email: boss@example.org}"]
    owners += [f"  - {{id: o{i}, name: Owner {i}, email: o{i}@example.org, manager: boss}}" for i in range(N_ACTIONS)]
    (config_dir / "owners.yaml").write_text("\n".join(owners) + "\n")
    for p in (config_dir / "plans").glob("*.yaml"):
        p.unlink()
    plan = ["id: crash", "title: Crash trial plan", "report_date: 2009-11-24", "escalation_contact: boss", "actions:"]
    plan += [f"  - {{ref: A{i}, title: Action {i}, owner: o{i}, timescale_months: 3}}" for i in range(N_ACTIONS)]
    (config_dir / "plans" / "crash.yaml").write_text("\n".join(plan) + "\n")


def trial(seed: int, env: dict, tmp_path, sink) -> dict:
    """One kill and recovery; return what the sink and the ledger say."""
    full = {**os.environ, **env}
    cmd = [sys.executable, "-m", "scheduler", "run", "--once", "--now", "2009-11-24T09:00"]
    delay = random.Random(seed).uniform(0.3, 3.0)
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    again = subprocess.run(cmd, cwd=tmp_path, env=full, capture_output=True, text=True, timeout=120)
    rows = json.loads(subprocess.run([sys.executable, "-m", "scheduler", "notices", "--format", "json"], cwd=tmp_path,
                                     env=full, capture_output=True, text=True, timeout=60).stdout)  # fmt: skip
    copies = Counter(m["X-Reminder-Notices"].split("=")[0].split("/")[1] for _, m in sink.parsed())
    return {"killed": killed, "delay": delay, "rerun": again.returncode, "states": {r["ref"]: r["state"] for r in rows},
            "copies": copies}  # fmt: skip


def test_kill_9_at_random_moments_loses_nothing_and_doubles_nothing(cli, config_dir, smtp_env, env, tmp_path):
    write_config(config_dir)
    env["SMTP_CONNECTIONS"] = str(CONNECTIONS)
    totals = Counter()
    for t in range(TRIALS):
        db_file = tmp_path / f"t{t}"
        db_file.mkdir()
        if env["DATABASE_URL"].startswith("sqlite"):
            env["DATABASE_URL"] = f"sqlite:///{db_file / 'r.db'}"
            os.environ["DATABASE_URL"] = env["DATABASE_URL"]
        elif t > 0:  # a clean ledger on the same schema
            import sqlalchemy as sa

            engine = sa.create_engine(env["DATABASE_URL"])
            with engine.begin() as conn:
                for table in ("notice", "run_lease", "action_event", "due_revision", "extension_request", "action",
                              "plan", "owner", "service_event"):
                    conn.execute(sa.text(f"DELETE FROM {table}"))
            engine.dispose()
        assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
        smtp_env.messages.clear()
        got = trial(1000 + t, env, tmp_path, smtp_env)
        states, copies = got["states"], got["copies"]
        assert len(states) == N_ACTIONS, f"trial {t}: a notice was never claimed"
        unknown = [r for r, s in states.items() if s == "unknown"]
        assert set(states.values()) <= {"sent", "unknown"}, f"trial {t}: {Counter(states.values())}"
        assert len(unknown) <= CONNECTIONS, f"trial {t}: {unknown} in doubt"
        assert max(copies.values(), default=0) <= 1, f"trial {t}: sent twice: {copies.most_common(3)}"
        assert all(copies[r] == 1 for r, s in states.items() if s == "sent"), f"trial {t}: a sent notice is missing"
        assert got["rerun"] == (1 if unknown else 0)
        totals.update(trials=1, killed_mid_run=got["killed"], in_doubt=len(unknown), max_in_doubt=0,
                      in_doubt_arrived=sum(copies[r] for r in unknown), delivered=sum(copies.values()))
        totals["max_in_doubt"] = max(totals["max_in_doubt"], len(unknown))
    print(f"\ncrash trials ({env['DATABASE_URL'].split(':')[0]}): {dict(totals)}")
