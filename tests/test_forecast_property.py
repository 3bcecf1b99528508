"""Property: for random plans and policies, the forecast equals what day-by-day runs of the real
pipeline (SQLite, in-memory transport) send, notice for notice and recipient for recipient."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow


def write_config(root: Path, report: dt.date, months: list[int], policy: dict) -> None:
    (root / "plans").mkdir(parents=True)
    owners = [{"id": "boss", "name": "Director", "email": "boss@example.org"},
              {"id": "mgr", "name": "Manager", "email": "mgr@example.org", "manager": "boss"}]  # fmt: skip
    owners += [{"id": f"o{i}", "name": f"Owner {i}", "email": f"o{i}@example.org", "manager": "mgr"}
               for i in range(len(months))]  # fmt: skip
    (root / "owners.yaml").write_text(yaml.safe_dump({"owners": owners}))
    (root / "policy.yaml").write_text(yaml.safe_dump(policy))
    actions = [{"ref": f"A{i}", "title": f"Action {i}", "owner": f"o{i}", "timescale_months": m}
               for i, m in enumerate(months)]  # fmt: skip
    plan = {"id": "p", "title": "Plan", "report_date": report, "escalation_contact": "boss", "actions": actions}
    (root / "plans" / "p.yaml").write_text(yaml.safe_dump(plan))


policies = st.fixed_dictionaries({
    "reminders_before_days": st.lists(st.integers(1, 30), max_size=3, unique=True),
    "overdue_repeat_days": st.lists(st.integers(2, 10), max_size=2),
    "overdue_repeat_until": st.sampled_from(["final_escalation", "closed"]),
    "escalations": st.sampled_from([[], [{"after_days_overdue": 5, "to": "manager"}],
                                    [{"after_days_overdue": 3, "to": "manager"},
                                     {"after_days_overdue": 12, "to": "escalation_contact"}]]),
    "digest": st.booleans(),
})  # fmt: skip


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dates(dt.date(2009, 1, 1), dt.date(2011, 12, 31)), st.lists(st.integers(1, 3), min_size=1, max_size=3),
       policies)  # fmt: skip
def test_forecast_equals_what_the_runs_send(report, months, policy):
    from scheduler.config.load import load_config
    from scheduler.engine.campaign import days, forecast, run_instants, throwaway_copy
    from scheduler.engine.pipeline import run_once
    from scheduler.mail.render import Renderer
    from scheduler.mail.transport import MemoryTransport
    from scheduler.store import db

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_config(root / "config", report, months, policy)
        config = load_config(root / "config")
        engine = db.make_engine(f"sqlite:///{root / 'r.db'}")
        db.upgrade(engine)
        end = report + dt.timedelta(days=140)
        with throwaway_copy(engine, config, report) as copy:  # forecast writes its claims to its copy
            want = Counter((e["date"], e["ref"], e["stage"], e["to"]) for e in forecast(copy, config, report, end))
        with throwaway_copy(engine, config, report) as copy:
            got = Counter()
            transport = MemoryTransport()
            for day in days(report, end):
                for instant in run_instants(config, day):
                    for o in run_once(copy, config, Renderer(), transport, instant).outcomes:
                        if o["outcome"] == "sent":
                            got[(day.isoformat(), o["ref"], o["stage"], o["recipient"])] += 1
        engine.dispose()
    assert got == want
    assert set(got.values()) <= {1}
