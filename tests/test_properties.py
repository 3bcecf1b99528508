"""Properties (hypothesis) of the date arithmetic and of the decision over random plans, policies,
holiday calendars and run calendars with gaps (downtime)."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.config.dates import WorkingCalendar, add_months
from scheduler.config.fields import Fields
from scheduler.config.model import DEFAULT_POLICY
from scheduler.config.policy import check_policy
from scheduler.engine.decide import ActionFacts, Person, decide, escalation_stages, fallen_due

LONDON = ZoneInfo("Europe/London")
OWNER = Person("owner", "Owner", "owner@example.org")
TARGETS = (Person("m", "Manager", "manager@example.org"), Person("d", "Director", "director@example.org"))
dates = st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2090, 12, 31))


@given(dates, st.integers(min_value=1, max_value=60))
def test_add_months_is_calendar_months_clamped_to_the_month_end(start, months):
    got = add_months(start, months)
    total = start.year * 12 + start.month - 1 + months
    assert (got.year, got.month) == (total // 12, total % 12 + 1)
    assert got.day == min(start.day, calendar.monthrange(got.year, got.month)[1])


def make_policy(before, repeat, escalate, until, days, hol):
    raw = {**DEFAULT_POLICY, "reminders_before_days": before, "overdue_repeat_days": repeat,
           "overdue_repeat_until": until, "working_days": days, "holidays": hol,
           "escalations": [{"after_days_overdue": d, "to": "manager" if i == 0 else "escalation_contact"}
                           for i, d in enumerate(escalate)]}  # fmt: skip
    policy = check_policy(raw, Fields("p", []), "", None, {})
    assert policy is not None
    return policy


policies = st.builds(
    make_policy,
    st.lists(st.integers(1, 60), max_size=4, unique=True),
    st.lists(st.integers(1, 21), max_size=3),
    st.lists(st.integers(1, 40), max_size=2, unique=True).map(sorted),
    st.sampled_from(["final_escalation", "closed"]),
    st.sampled_from([["mon", "tue", "wed", "thu", "fri"], ["mon", "wed", "fri"], ["sat", "sun", "mon"]]),
    st.sampled_from(["GB-ENG", "GB-SCT", "none"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies, dates, st.integers(0, 200), st.lists(st.booleans(), min_size=30, max_size=30),
       st.integers(0, 120))  # fmt: skip
def test_runs_with_gaps_never_repeat_a_stage_or_send_on_a_bad_day_or_early(policy, report, months_x, up, close_at):
    cal = WorkingCalendar(policy.working_days, policy.holidays)
    due = report + dt.timedelta(days=months_x)
    facts = ActionFacts("p", "A1", "open", due, report, OWNER, TARGETS[: len(policy.escalations)])
    done: set = set()
    sent: list = []
    day, step = report, max(1, (months_x + 60) // 30)
    for i in range(30 * step):
        day = report + dt.timedelta(days=i)
        if not up[(i // step) % 30]:  # the service is down that stretch
            continue
        status = "complete" if i >= close_at * step else "open"
        now = dt.datetime.combine(day, policy.send_time, tzinfo=policy.tz)
        d = decide(dataclasses.replace(facts, status=status), policy, cal, done, now)
        per_track: dict = {}
        for n in d.send:
            assert cal.is_working_day(day), "nothing on a non-working day"
            assert status == "open", "nothing for a closed action"
            assert (n.stage.name, n.to.email) not in done, "no stage twice"
            assert fallen_due(n.stage, now, policy.send_time)
            per_track.setdefault((n.stage.track, n.to.email), []).append(n)
            sent.append((day, n.stage))
        assert all(len(v) == 1 for v in per_track.values()), "one notice per track per recipient per run"
        for n in d.send + d.superseded:
            done.add((n.stage.name, n.to.email))
    nominal = {s.name: s.nominal for s in escalation_stages(facts, policy, cal)}
    for day, stage in sent:
        if stage.name.startswith("escalation:"):
            assert day >= nominal[stage.name], "no escalation early"
        if stage.name.startswith("overdue:") and policy.last_overdue_offset() is not None:
            assert stage.nominal <= due + dt.timedelta(days=policy.last_overdue_offset())
