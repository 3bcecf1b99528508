"""Benchmark: a run's cost should follow the actions that are due, not the actions that exist.

Builds plans of N actions in a temporary SQLite database where only a handful have a notice due
on the run day, then times `run_once` (file backend). Usage:
    .venv/bin/python bench/selection.py 500 5000
Prints one line per size: actions, notices sent, seconds for the run (sync excluded).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

from scheduler.config.load import load_config
from scheduler.engine.facts import sync_and_refresh
from scheduler.engine.pipeline import run_once
from scheduler.mail.render import Renderer
from scheduler.mail.transport import FileTransport
from scheduler.store import db

REPO = Path(__file__).resolve().parent.parent


def make_config(root: Path, n_actions: int) -> Path:
    cfg = root / "config"
    shutil.copytree(REPO / "config", cfg)
    (cfg / "plans" / "ofsted-2009.yaml").unlink()
    report = dt.date(2010, 1, 4)
    per_plan = 100
    for p in range(max(1, n_actions // per_plan)):
        actions = []
        for i in range(per_plan):
            # All but five (in the first plan) are due far ahead: nothing to send on the run day.
            due = report + dt.timedelta(days=7 if (p == 0 and i < 5) else 300 + i)
            actions.append({"ref": f"A{i}", "title": f"Action {i}", "owner": "pqa-manager", "due": due})
        plan = {"id": f"plan-{p}", "title": f"Plan {p}", "report_date": report,
                "escalation_contact": "executive-director", "actions": actions}  # fmt: skip
        (cfg / "plans" / f"plan-{p}.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    return cfg


def measure(n_actions: int) -> tuple[int, int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = load_config(make_config(root, n_actions))
        engine = db.make_engine(f"sqlite:///{root / 'b.db'}")
        db.upgrade(engine)
        synced = dt.datetime(2010, 1, 4, 8, tzinfo=dt.UTC)
        with db.session(engine) as s:
            sync_and_refresh(s, config, synced)
            s.commit()
        # The report-day run sends every `assigned` notice (that one is O(actions) by nature).
        run_once(
            engine,
            config,
            Renderer(),
            FileTransport(root / "out"),
            dt.datetime(2010, 1, 4, 9, 30, tzinfo=dt.UTC),
        )
        run_at = dt.datetime(2010, 1, 11, 9, 30, tzinfo=dt.UTC)  # due of the near ones (4 Jan + 7)
        start = time.perf_counter()
        report = run_once(engine, config, Renderer(), FileTransport(root / "out"), run_at)
        elapsed = time.perf_counter() - start
        engine.dispose()
        return sum(len(p.actions) for p in config.plans.values()), report.count("sent"), elapsed


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [500, 5000]:
        n, sent, secs = measure(size)
        print(f"actions={n:6d} sent={sent:4d} run_seconds={secs:.3f}")
