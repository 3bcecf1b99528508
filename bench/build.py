"""Helpers of bench/run.py, each run in its own process (so its peak RSS is its own):

    build.py DB N DUE            build a SQLite database of N actions, DUE of them due on the run day
    build.py --select DB         time the raw indexed query and the product's selection
    build.py --run DB smtp PORT  time run_once on the run day (or: null 0 for an in-memory transport)
    build.py --messages DB OUT   write the messages that run would send (a list of bytes, pickled)
    build.py --cached-run DB DIR time run_once (null transport) with the config of folder DIR, read
                                 through the config cache as the CLI does (the first call fills it)
    build.py --status DB         time `status --json` (the CLI's streamed rows and writer; output discarded)
    build.py --forecast DB       time `forecast` of the run day (the CLI's throwaway copy and generator)
    build.py --config DIR N      write a config folder of N actions (owners.yaml, plans/*.yaml)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RUN_DAY = dt.date(2010, 3, 1)
REPORT = dt.date(2009, 11, 24)
PER_PLAN = 1000


def owners_for(n: int) -> int:
    return max(1000, n // 10)


def build(db_path: str, n: int, due: int) -> None:
    import sqlalchemy as sa

    from scheduler.store import db

    engine = db.make_engine(f"sqlite:///{db_path}")
    db.upgrade(engine)
    now = dt.datetime(2009, 11, 24, 8, 0)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO owner VALUES ('boss', 'Director', 'boss@example.org', NULL, 1, :t)"), {"t": now})
        conn.execute(sa.text("INSERT INTO owner VALUES (:id, :name, :email, 'boss', 1, :t)"),
                     [{"id": f"o{i}", "name": f"Owner {i}", "email": f"o{i}@example.org", "t": now}
                      for i in range(owners_for(n))])  # fmt: skip
        plans = (n + PER_PLAN - 1) // PER_PLAN
        conn.execute(sa.text("INSERT INTO plan VALUES (:id, :title, :rd, 'boss', 1, :t)"),
                     [{"id": f"p{p}", "title": f"Plan {p}", "rd": REPORT, "t": now} for p in range(plans)])  # fmt: skip
        stmt = sa.text("INSERT INTO action (plan_id, ref, title, owner_id, owner_since, config_due, due, status, "
                       "in_config, next_notice_on, created_at, updated_at) VALUES (:plan, :ref, :title, :owner, :rd, "
                       ":due, :due, 'open', 1, :next, :t, :t)")  # fmt: skip
        batch = []
        for i in range(n):
            soon = i < due  # due in 28 days: `before:28` falls on the run day
            d = RUN_DAY + dt.timedelta(days=28 if soon else 400 + i % 300)
            batch.append({"plan": f"p{i // PER_PLAN}", "ref": f"A{i}", "title": f"Action {i} of the benchmark",
                          "owner": f"o{i % owners_for(n)}", "rd": REPORT, "due": d,
                          "next": RUN_DAY if soon else d - dt.timedelta(days=28), "t": now})  # fmt: skip
            if len(batch) == 20000:
                conn.execute(stmt, batch)
                batch = []
        if batch:
            conn.execute(stmt, batch)
        # the config of config_object() counts as applied: a forecast's copy does not re-sync
        conn.execute(sa.text("INSERT INTO service_event (at, kind, detail) VALUES (:t, 'config_applied', 'bench')"),
                     {"t": now})  # fmt: skip
    engine.dispose()


def config_object(n: int):
    """The Config the product would load for this database (plans and owners; no YAML parsing)."""
    from scheduler.config.fields import Fields
    from scheduler.config.model import DEFAULT_POLICY, Config, Owner, PlanConfig
    from scheduler.config.policy import check_policy

    policy = check_policy(dict(DEFAULT_POLICY), Fields("bench", []), "", None, {})
    owners = {"boss": Owner("boss", "Director", "boss@example.org")}
    owners.update({f"o{i}": Owner(f"o{i}", f"Owner {i}", f"o{i}@example.org", "boss") for i in range(owners_for(n))})
    plans = {f"p{p}": PlanConfig(f"p{p}", f"Plan {p}", REPORT, policy, (), "boss", (), "", "boss")
             for p in range((n + PER_PLAN - 1) // PER_PLAN)}  # fmt: skip
    return Config(owners, plans, policy, "bench", "bench")


def count_actions(db_path: str) -> int:
    import sqlite3

    return sqlite3.connect(db_path).execute("SELECT count(*) FROM action").fetchone()[0]


def select(db_path: str) -> dict:
    import sqlalchemy as sa

    from scheduler.engine.ledger import SqlLedger
    from scheduler.store import db

    engine = db.make_engine(f"sqlite:///{db_path}")
    now = dt.datetime.combine(RUN_DAY, dt.time(9, 0), tzinfo=dt.UTC)
    with engine.connect() as conn:
        started = time.perf_counter()
        conn.execute(sa.text("SELECT id FROM action WHERE next_notice_on <= :d"), {"d": RUN_DAY}).all()
        raw = time.perf_counter() - started
    ledger = SqlLedger(engine, config_object(count_actions(db_path)))
    started = time.perf_counter()
    ids = ledger.select(now)
    product = time.perf_counter() - started
    return {"raw_ms": raw * 1000, "select_ms": product * 1000, "due": len(ids)}


class NullTransport:
    """Accepts and forgets every message (the product's cost without the wire)."""

    name = "null"

    def open(self):
        pass

    def prepare(self, msg):
        return msg

    def send(self, msg):
        return {}

    def close(self):
        pass


def run(db_path: str, kind: str, port: int) -> dict:
    import os
    import shutil

    from scheduler.engine.pipeline import run_once
    from scheduler.mail.render import Renderer
    from scheduler.mail.transport import SmtpTransport
    from scheduler.store import db

    # SMTP_CONNECTIONS / SMTP_MAX_PER_MINUTE / RUN_DEADLINE as the settings would give them (default:
    # one connection, no limit, so the figures compare with a one-connection raw loop)
    connections = int(os.environ.get("BENCH_CONNECTIONS", "1"))
    per_minute = float(os.environ["BENCH_PER_MINUTE"]) if os.environ.get("BENCH_PER_MINUTE") else None
    deadline = float(os.environ.get("BENCH_DEADLINE", "1800"))
    copy = db_path + f".{kind}.{os.getpid()}"
    shutil.copy(db_path, copy)  # each run starts from the same unsent state
    engine = db.make_engine(f"sqlite:///{copy}")
    config = config_object(count_actions(copy))
    transport = (SmtpTransport("127.0.0.1", port, "none", connections=connections, max_per_minute=per_minute)
                 if kind == "smtp" else NullTransport())  # fmt: skip
    now = dt.datetime.combine(RUN_DAY, dt.time(9, 30), tzinfo=dt.UTC)
    started = time.perf_counter()
    report = run_once(engine, config, Renderer(), transport, now, deadline_seconds=deadline)
    seconds = time.perf_counter() - started
    sent = report.count("sent")
    engine.dispose()
    os.unlink(copy)
    return {"seconds": seconds, "sent": sent, "messages": report.messages, "left": report.left,
            "per_s": report.messages / seconds if seconds else 0}  # fmt: skip


def cached_run(db_path: str, folder: str) -> dict:
    """Load the config folder through the cache (as `run --once` does) and run the pipeline on a
    copy of the database with a null transport; return the load and run seconds."""
    import shutil

    from scheduler.config.cache import load_cached
    from scheduler.config.load import load_config
    from scheduler.engine.pipeline import run_once
    from scheduler.mail.render import Renderer
    from scheduler.store import db

    started = time.perf_counter()
    config = load_cached(Path(folder), Path(folder).parent / "run-cache", load_config)  # not the CLI's
    loaded = time.perf_counter() - started
    copy = db_path + ".cached"
    shutil.copy(db_path, copy)
    started = time.perf_counter()
    report = run_once(db.make_engine(f"sqlite:///{copy}"), config, Renderer(), NullTransport(),
                      dt.datetime.combine(RUN_DAY, dt.time(9, 30), tzinfo=dt.UTC))  # fmt: skip
    return {"load": loaded, "run": time.perf_counter() - started, "sent": report.count("sent")}


def messages(db_path: str, out: str) -> dict:
    """Run the pipeline on a copy of the database into memory and save what it would send."""
    import pickle
    import shutil

    from scheduler.engine.pipeline import run_once
    from scheduler.mail.render import Renderer
    from scheduler.mail.transport import MemoryTransport
    from scheduler.store import db

    copy = db_path + ".messages"
    shutil.copy(db_path, copy)
    engine = db.make_engine(f"sqlite:///{copy}")
    transport = MemoryTransport()
    run_once(engine, config_object(count_actions(copy)), Renderer(), transport,
             dt.datetime.combine(RUN_DAY, dt.time(9, 30), tzinfo=dt.UTC))  # fmt: skip
    Path(out).write_bytes(pickle.dumps([m.as_bytes() for m in transport.sent]))
    return {"messages": len(transport.sent)}


def status(db_path: str) -> dict:
    """Print every action's status as JSON to /dev/null, as `status --json` does."""
    import contextlib
    import os

    from scheduler.cli.tables import write_json
    from scheduler.engine.status import iter_status
    from scheduler.store import db

    engine = db.make_engine(f"sqlite:///{db_path}")
    config, now = config_object(count_actions(db_path)), dt.datetime.combine(RUN_DAY, dt.time(9), tzinfo=dt.UTC)
    started = time.perf_counter()
    with db.session(engine) as s, open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        rows = iter_status(s, lambda _plan: RUN_DAY, config=config, now=now)
        count = write_json(r.as_json() for r in rows)
    return {"seconds": time.perf_counter() - started, "rows": count}


def forecast(db_path: str) -> dict:
    """Forecast the run day on a throwaway copy, as `forecast --json` does (output counted)."""
    from scheduler.engine.campaign import forecast as do_forecast
    from scheduler.engine.campaign import throwaway_copy
    from scheduler.store import db

    engine = db.make_engine(f"sqlite:///{db_path}")
    config = config_object(count_actions(db_path))
    started = time.perf_counter()
    with throwaway_copy(engine, config, RUN_DAY) as copy:
        count = sum(1 for _ in do_forecast(copy, config, RUN_DAY, RUN_DAY))
    return {"seconds": time.perf_counter() - started, "notices": count}


def write_config(folder: str, n: int) -> None:
    import shutil

    root = Path(folder)
    shutil.rmtree(root, ignore_errors=True)
    (root / "plans").mkdir(parents=True)
    lines = ["owners:", "  - {id: boss, name: Director, email: boss@example.org}"]
    lines += [f"  - {{id: o{i}, name: Owner {i}, email: o{i}@example.org, manager: boss}}" for i in range(owners_for(n))]
    (root / "owners.yaml").write_text("\n".join(lines) + "\n")
    # Send time 23:59: a daemon started for the idle measurement has no catch-up run to do.
    (root / "policy.yaml").write_text('send_time: "23:59"\n')
    for p in range((n + PER_PLAN - 1) // PER_PLAN):
        text = [f"id: p{p}", f"title: Plan {p}", f"report_date: {REPORT}", "escalation_contact: boss", "actions:"]
        text += [f"  - {{ref: A{i}, title: Action {i} of the benchmark, owner: o{i % owners_for(n)}, "
                 f"timescale_months: {3 + i % 6}}}" for i in range(p * PER_PLAN, min(n, (p + 1) * PER_PLAN))]  # fmt: skip
        (root / "plans" / f"p{p}.yaml").write_text("\n".join(text) + "\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[0] == "--select":
        print(json.dumps(select(args[1])))
    elif args[0] == "--run":
        print(json.dumps(run(args[1], args[2], int(args[3]))))
    elif args[0] == "--messages":
        print(json.dumps(messages(args[1], args[2])))
    elif args[0] == "--cached-run":
        print(json.dumps(cached_run(args[1], args[2])))
    elif args[0] == "--status":
        print(json.dumps(status(args[1])))
    elif args[0] == "--forecast":
        print(json.dumps(forecast(args[1])))
    elif args[0] == "--config":
        write_config(args[1], int(args[2]))
    else:
        build(args[0], int(args[1]), int(args[2]))
