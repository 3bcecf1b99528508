"""Table-driven tests of the verification track's pure rules (PRODUCT.md §3): no database, no clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduler.engine.decide import ActionFacts, decide, next_notice_day
from scheduler.engine.verification import add_working_days, first_send_day
from tests.test_decide import CAL, CONTACT, MANAGER, OWNER, POLICY, policy

D = dt.date
LONDON = ZoneInfo("Europe/London")


def local(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(D.fromisoformat(day), dt.time.fromisoformat(hhmm), tzinfo=LONDON)


def waiting(since: dt.datetime, before: int = 0, admin=CONTACT) -> ActionFacts:
    return ActionFacts("p", "A1", "awaiting_verification", D(2010, 2, 24), D(2009, 11, 24), OWNER,
                       (MANAGER, CONTACT), admin, since.astimezone(dt.UTC), before)  # fmt: skip


@pytest.mark.parametrize(
    ("since", "first"),
    [
        (("2010-01-05", "08:59"), "2010-01-05"),  # before the send time: today's run
        (("2010-01-05", "09:00"), "2010-01-06"),  # at the send time: never at the moment of completion
        (("2010-01-08", "17:00"), "2010-01-11"),  # Friday evening: Monday
        (("2010-01-09", "08:00"), "2010-01-11"),  # a Saturday
        (("2010-04-01", "10:00"), "2010-04-06"),  # Maundy Thursday: Good Friday and Easter Monday skipped
    ],
)
def test_the_first_request_falls_at_the_first_send_time_after_the_completion(since, first):
    assert first_send_day(local(*since), POLICY.send_time, CAL) == D.fromisoformat(first)


def test_repeats_count_working_days_only():
    assert add_working_days(CAL, D(2010, 1, 6), 5) == D(2010, 1, 13)
    assert add_working_days(CAL, D(2010, 3, 31), 5) == D(2010, 4, 9)  # over Easter


@pytest.mark.parametrize(
    ("now", "send", "superseded"),
    [
        (("2010-01-05", "12:00"), [], []),
        (("2010-01-06", "08:59"), [], []),
        (("2010-01-06", "09:00"), ["verify:1"], []),
        (("2010-01-13", "09:00"), ["verify:2"], ["verify:1"]),  # a service down for a week: one, not a burst
        (("2010-01-09", "09:00"), [], []),  # a Saturday sends nothing
    ],
)
def test_one_request_per_run_the_latest_fallen_due_and_nothing_on_the_other_tracks(now, send, superseded):
    facts = waiting(local("2010-01-05", "10:00"))
    decision = decide(facts, POLICY, CAL, set(), local(*now))
    assert [n.stage.name for n in decision.send] == send
    assert [n.stage.name for n in decision.superseded] == superseded
    assert all(n.to == CONTACT for n in decision.send)


def test_numbering_continues_after_a_return_and_the_ledger_stops_a_repeat():
    facts = waiting(local("2010-01-05", "10:00"), before=2)
    assert [n.stage.name for n in decide(facts, POLICY, CAL, set(), local("2010-01-06", "09:00")).send] == ["verify:3"]
    done = {("verify:3", CONTACT.email)}
    assert decide(facts, POLICY, CAL, done, local("2010-01-06", "10:00")).send == []
    assert next_notice_day(facts, POLICY, CAL, done, D(2010, 1, 6)) == D(2010, 1, 13)


def test_repeat_days_follow_the_policy_and_overdue_actions_are_not_chased_while_waiting():
    facts = waiting(local("2010-02-22", "10:00"))
    quick = policy(verification_repeat_days=2)
    done = {("verify:1", CONTACT.email)}
    assert next_notice_day(facts, quick, CAL, done, D(2010, 2, 23)) == D(2010, 2, 25)
    decision = decide(facts, POLICY, CAL, done, local("2010-03-17", "09:00"))  # escalation:2's day
    assert {n.stage.track for n in decision.send} == {"verification"}


def test_without_an_administrator_nothing_is_sent():
    facts = waiting(local("2010-01-05", "10:00"), admin=None)
    assert decide(facts, POLICY, CAL, set(), local("2010-01-06", "09:00")).send == []
    assert next_notice_day(facts, POLICY, CAL, set(), D(2010, 1, 6)) is None
