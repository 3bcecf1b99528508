"""The whole reminder schedule of the shipped plan, 2009-11-24 .. 2010-08-31, worked out by hand.

Rules (policy.yaml defaults): reminders 28/14/7/1 days before (moved earlier to a working day),
on the due date, overdue on due+1 then every 7 days (moved later) until the final escalation
(overdue_repeat_until: final_escalation: none nominally after due+21), escalation to the manager
at due+7 and to the executive director at due+21 (moved later), each with the owner's own copy,
England bank holidays.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

D = dt.date.fromisoformat

OWNERS = {
    "SG1": ("contact-centre-manager@example.org", "head-of-safeguarding@example.org"),
    "SG2": ("area-services-manager@example.org", "head-of-safeguarding@example.org"),
    "SG3": ("pqa-manager@example.org", "head-of-safeguarding@example.org"),
    "SG4": ("pqa-manager@example.org", "head-of-safeguarding@example.org"),
    "SG5": ("head-of-safeguarding@example.org", "executive-director@example.org"),
    "SG6": ("area-services-manager@example.org", "head-of-safeguarding@example.org"),
    "SG7": ("lscb-business-manager@example.org", "lscb-chair@example.org"),
    "LAC1": ("iro-service-manager@example.org", "head-of-lac@example.org"),
    "LAC2": ("sixteen-plus-manager@example.org", "head-of-lac@example.org"),
    "LAC3": ("head-of-lac@example.org", "executive-director@example.org"),
    "LAC4": ("virtual-school-head@example.org", "head-of-lac@example.org"),
    "LAC5": ("sixteen-plus-manager@example.org", "head-of-lac@example.org"),
}
THREE_MONTHS = {"SG1", "SG2", "SG3", "LAC1", "LAC2"}  # due Wednesday 24 February 2010
DIRECTOR = "executive-director@example.org"

# Due Wed 24 Feb 2010: every stage falls on a working day as it is; overdue on Thursdays.
THREE_MONTH_STAGES = [
    ("2009-11-24", "assigned"),
    ("2010-01-27", "before:28"),
    ("2010-02-10", "before:14"),
    ("2010-02-17", "before:7"),
    ("2010-02-23", "before:1"),
    ("2010-02-24", "due"),
    ("2010-03-03", "escalation:1"),  # due + 7, a Wednesday
    ("2010-03-17", "escalation:2"),  # due + 21
] + [((D("2010-02-25") + dt.timedelta(days=7 * (k - 1))).isoformat(), f"overdue:{k}") for k in range(1, 4)]
# overdue:3 is Thursday 11 March; overdue:4 (18 March) would be after escalation:2's nominal 17 March.

# Due Mon 24 May 2010: before:1 is Sunday 23 May -> Friday 21 May; escalation:1 is the Spring
# bank holiday, Monday 31 May -> Tuesday 1 June, where it supersedes overdue:2 (the owner gets the
# escalation's copy instead). overdue:3 is 8 June; overdue:4 (15 June) is after escalation:2 (14 June).
SIX_MONTH_STAGES = [
    ("2009-11-24", "assigned"),
    ("2010-04-26", "before:28"),
    ("2010-05-10", "before:14"),
    ("2010-05-17", "before:7"),
    ("2010-05-21", "before:1"),
    ("2010-05-24", "due"),
    ("2010-05-25", "overdue:1"),
    ("2010-06-01", "escalation:1"),
    ("2010-06-14", "escalation:2"),
    ("2010-06-08", "overdue:3"),
]


def expected_entries() -> list[dict]:
    out = []
    for ref, (owner, manager) in OWNERS.items():
        for day, stage in THREE_MONTH_STAGES if ref in THREE_MONTHS else SIX_MONTH_STAGES:
            target = {"escalation:1": manager, "escalation:2": DIRECTOR}.get(stage, owner)
            for to in dict.fromkeys([target, owner]):  # an escalation, then the owner's own copy
                out.append({"date": day, "plan": "ofsted-2009", "ref": ref, "stage": stage, "to": to, "cc": []})
    return out


def key(e):
    return (e["date"], e["ref"], e["stage"])


def test_shipped_plan_schedule_matches_the_hand_worked_one(cli):
    result = cli("forecast", "--from", "2009-11-24", "--to", "2010-08-31", "--json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert [e["date"] for e in got] == sorted(e["date"] for e in got), "sorted by date"
    assert sorted(got, key=key) == sorted(expected_entries(), key=key)
    counts = Counter(e["stage"].split(":")[0] for e in got)
    assert counts == {"assigned": 12, "before": 48, "due": 12, "overdue": 5 * 3 + 7 * 2, "escalation": 24 * 2}
    last = {(e["ref"]): e["date"] for e in got if e["stage"] == "escalation:2"}
    assert all(e["date"] <= last[e["ref"]] for e in got if e["stage"].startswith("overdue")), "none after"
    for e in got:  # never on a weekend or an England bank holiday
        day = D(e["date"])
        assert day.weekday() < 5 and day not in {D("2010-04-02"), D("2010-04-05"), D("2010-05-03"),
                                                  D("2010-05-31"), D("2010-08-30")}, e  # fmt: skip
