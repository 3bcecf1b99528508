"""Table-driven tests of the pure decision (PRODUCT.md §3): no database, no clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduler.config.dates import WorkingCalendar
from scheduler.config.fields import Fields
from scheduler.config.model import DEFAULT_POLICY
from scheduler.config.policy import check_policy
from scheduler.engine.decide import ActionFacts, Person, decide, next_notice_day, owner_stages

D = dt.date
LONDON = ZoneInfo("Europe/London")
OWNER = Person("owner", "Owner", "owner@example.org")
MANAGER = Person("manager", "Manager", "manager@example.org")
CONTACT = Person("director", "Director", "director@example.org")


def policy(**overrides):
    raw = {**DEFAULT_POLICY, **overrides}
    problems = []
    result = check_policy(raw, Fields("test", problems), "", None, {"x": None})
    assert result is not None, problems
    return result


POLICY = policy()
CAL = WorkingCalendar(POLICY.working_days, POLICY.holidays)


def facts(due=D(2010, 2, 24), assigned=D(2009, 11, 24), status="open", owner=OWNER):
    return ActionFacts("p", "A1", status, due, assigned, owner, (MANAGER, CONTACT))


def at(day: dt.date, hhmm="09:00") -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=LONDON)


def run(f, done, now, pol=POLICY, cal=CAL):
    d = decide(f, pol, cal, done, now)
    return [(n.stage.name, n.to.email) for n in d.send], sorted(n.stage.name for n in d.superseded)


def done_of(*stages, to=OWNER.email):
    return {(s, to) for s in stages}


def send_days(f, pol=POLICY, cal=CAL, until=D(2010, 4, 30)):
    return {s.name: s.send_day for s in owner_stages(f, pol, cal, until)}


@pytest.mark.parametrize(
    ("due", "stage", "send_day", "why"),
    [
        (D(2010, 2, 24), "before:28", D(2010, 1, 27), "a Wednesday stays"),
        (D(2010, 2, 24), "before:1", D(2010, 2, 23), "Tuesday"),
        (D(2010, 2, 24), "overdue:1", D(2010, 2, 25), "Thursday"),
        (D(2010, 5, 24), "before:1", D(2010, 5, 21), "Sunday moves earlier to Friday"),
        (D(2010, 5, 24), "overdue:2", D(2010, 6, 1), "31 May bank holiday: 1 June"),
        (D(2010, 2, 27), "due", D(2010, 2, 26), "a Saturday due date is sent on Friday"),
        (D(2010, 2, 26), "overdue:1", D(2010, 3, 1), "Saturday moves later to Monday"),
        (D(2010, 4, 5), "due", D(2010, 4, 1), "Easter Monday due: back past Good Friday to Thursday"),
        (D(2010, 4, 1), "overdue:1", D(2010, 4, 6), "Good Friday: on past Easter Monday to Tuesday"),
        (D(2010, 12, 24), "overdue:1", D(2010, 12, 29), "Christmas and Boxing Day observed"),
        (D(2010, 12, 29), "before:1", D(2010, 12, 24), "back past the observed holidays"),
    ],
)
def test_send_days_move_to_working_days(due, stage, send_day, why):
    assert send_days(facts(due=due), until=due + dt.timedelta(days=30))[stage] == send_day, why


def test_assigned_on_a_weekend_moves_later():
    assert send_days(facts(assigned=D(2009, 11, 28)))["assigned"] == D(2009, 11, 30)


def test_overdue_gaps_last_one_repeats():
    pol = policy(overdue_repeat_days=[2, 5])
    stages = send_days(facts(due=D(2010, 3, 1)), pol=pol, cal=WorkingCalendar((0, 1, 2, 3, 4, 5, 6), "none"))
    assert [stages[f"overdue:{k}"] for k in (1, 2, 3, 4)] == [
        D(2010, 3, 2),
        D(2010, 3, 4),
        D(2010, 3, 9),
        D(2010, 3, 14),
    ]


def test_no_repeat_means_one_overdue_notice():
    stages = send_days(facts(), pol=policy(overdue_repeat_days=[]))
    assert "overdue:1" in stages and "overdue:2" not in stages


CASES = [
    # (name, facts kwargs, done stages, now, expected send, expected superseded)
    ("assigned on the report day", {}, set(), at(D(2009, 11, 24)), [("assigned", OWNER.email)], []),
    ("before send time: nothing yet", {}, set(), at(D(2009, 11, 24), "08:59"), [], []),
    ("nothing between stages", {}, done_of("assigned"), at(D(2010, 1, 4)), [], []),
    ("before:28 on its day", {}, done_of("assigned"), at(D(2010, 1, 27)), [("before:28", OWNER.email)], []),
    ("a weekend run sends nothing", {}, done_of("assigned"), at(D(2010, 1, 30)), [], []),
    (
        # before:28 (nominal Easter Monday) moved back to Thu 1 April and has fallen due: a run on
        # Easter Monday itself would send it but for the holiday rule; the Tuesday run does.
        "a bank holiday run sends nothing",
        {"due": D(2010, 5, 3)},
        done_of("assigned"),
        at(D(2010, 4, 5)),
        [],
        [],
    ),
    (
        "the working day after the bank holiday sends what fell due",
        {"due": D(2010, 5, 3)},
        done_of("assigned"),
        at(D(2010, 4, 6)),
        [("before:28", OWNER.email)],
        [],
    ),
    (
        "downtime: only the latest of several missed stages",
        {},
        done_of("assigned"),
        at(D(2010, 2, 19)),
        [("before:7", OWNER.email)],
        ["before:14", "before:28"],
    ),
    (
        "tie on a send day: the later stage wins",
        {"due": D(2010, 2, 27)},
        done_of("assigned", "before:28", "before:14", "before:7"),
        at(D(2010, 2, 26)),
        [("due", OWNER.email)],
        ["before:1"],
    ),
    (
        "escalation supersedes the owner notice of the same run",
        {"due": D(2010, 5, 24)},
        done_of("assigned", "before:28", "before:14", "before:7", "before:1", "due", "overdue:1"),
        at(D(2010, 6, 1)),
        [("escalation:1", MANAGER.email), ("escalation:1", OWNER.email)],
        ["overdue:2"],
    ),
    (
        "ten days down while overdue: one per track",
        {},
        done_of("assigned", "before:28", "before:14", "before:7", "before:1", "due", "overdue:1"),
        at(D(2010, 3, 12)),
        [("escalation:1", MANAGER.email), ("escalation:1", OWNER.email)],
        ["overdue:2", "overdue:3"],
    ),
    ("complete: nothing", {"status": "complete"}, set(), at(D(2010, 3, 1)), [], []),
    ("withdrawn: nothing", {"status": "withdrawn"}, set(), at(D(2010, 3, 1)), [], []),
    (
        "new owner gets their own assigned notice",
        {"owner": MANAGER, "assigned": D(2010, 1, 12)},
        done_of("assigned"),
        at(D(2010, 1, 12)),
        [("assigned", MANAGER.email)],
        [],
    ),
    (
        "extension: fresh stages for the new date, only the latest is sent",
        {"due": D(2010, 3, 10), "assigned": D(2010, 2, 22)},
        set(),
        at(D(2010, 2, 24)),
        [("before:14", OWNER.email)],
        ["assigned", "before:28"],
    ),
]


@pytest.mark.parametrize(
    ("name", "kw", "done", "now", "send", "superseded"), CASES, ids=[c[0] for c in CASES]
)
def test_decide(name, kw, done, now, send, superseded):
    got_send, got_superseded = run(facts(**kw), done, now)
    assert got_send == send
    assert got_superseded == sorted(superseded)


def test_escalation_goes_to_the_level_target_and_the_owner_gets_a_copy_of_their_own():
    done = done_of(
        "assigned", "before:28", "before:14", "before:7", "before:1", "due", "overdue:1", "overdue:2"
    )
    done |= {("escalation:1", MANAGER.email), ("overdue:3", OWNER.email)}
    d = decide(facts(), POLICY, CAL, done, at(D(2010, 3, 17)))
    assert [(n.stage.name, n.to, n.cc, n.copy_of) for n in d.send] == [
        ("escalation:2", CONTACT, (), None),
        ("escalation:2", OWNER, (), CONTACT),
    ]


def test_an_owner_who_is_the_escalation_target_gets_one_notice_not_two():
    f = facts(owner=MANAGER)  # escalation:1 goes to the owner's manager: here, themselves
    f = dataclasses.replace(f, escalation_targets=(MANAGER, CONTACT))
    done = done_of("assigned", "before:28", "before:14", "before:7", "before:1", "due", "overdue:1")
    d = decide(f, POLICY, CAL, done, at(D(2010, 3, 3)))
    assert [(n.stage.name, n.to.email) for n in d.send] == [("escalation:1", MANAGER.email)]


@pytest.mark.parametrize(
    ("until", "escalations", "last_overdue"),
    [
        ("final_escalation", None, "overdue:3"),  # due+21: 25 Feb, 4 Mar, 11 Mar; not 18 Mar
        ("closed", None, "overdue:28"),  # every week to the window (plus the next one)
        ("final_escalation", [], "overdue:28"),  # no escalations: both mean `closed`
        ("final_escalation", [{"after_days_overdue": 8, "to": "manager"}], "overdue:2"),  # 25 Feb, 4 Mar
    ],
)
def test_overdue_repeats_stop_at_the_final_escalation(until, escalations, last_overdue):
    kw = {"overdue_repeat_until": until} | ({"escalations": escalations} if escalations is not None else {})
    stages = send_days(facts(), pol=policy(**kw), until=D(2010, 8, 31))
    overdue = [s for s in stages if s.startswith("overdue:")]
    assert overdue[-1] == last_overdue


def test_no_holidays_calendar_sends_on_good_friday():
    pol = policy(holidays="none")
    cal = WorkingCalendar(pol.working_days, pol.holidays)
    f = facts(due=D(2010, 4, 1))
    done = done_of("assigned", "before:28", "before:14", "before:7", "before:1", "due")
    assert run(f, done, at(D(2010, 4, 2)), pol, cal)[0] == [("overdue:1", OWNER.email)]
    assert run(f, done, at(D(2010, 4, 2)))[0] == []  # GB-ENG: Good Friday is a holiday


def test_next_notice_day():
    f = facts()
    assert next_notice_day(f, POLICY, CAL, done_of("assigned"), D(2009, 12, 1)) == D(2010, 1, 27)
    assert next_notice_day(f, POLICY, CAL, set(), D(2009, 12, 1)) == D(2009, 11, 24)
    assert (
        next_notice_day(dataclasses.replace(f, status="complete"), POLICY, CAL, set(), D(2009, 12, 1)) is None
    )
