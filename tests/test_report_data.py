"""The report's figures: council categories from the event history as of a date (pure, report_data)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.documents.report_data import (
    CATEGORIES,
    ActionHistory,
    Event,
    PlanHistory,
    Revision,
    build_report,
    categorise,
)

UTC = dt.UTC
REPORT = dt.date(2009, 11, 24)


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=UTC)


def action(ref="A1", due="2010-02-24", events=(), revisions=(), starts=REPORT, **kw) -> ActionHistory:
    return ActionHistory(ref, f"Title {ref}", "Owner", dt.date.fromisoformat(due), starts, tuple(events),
                         tuple(revisions), **kw)  # fmt: skip


def plan(*actions, reviews=()) -> PlanHistory:
    return PlanHistory("p", "Plan", REPORT, "Europe/London", tuple(reviews), tuple(actions))


@pytest.mark.parametrize(
    "status, due, rescheduled, day, expected",
    [
        ("open", "2010-02-24", False, "2010-02-24", ("on_target", 0)),  # due today is not behind
        ("in_progress", "2010-02-24", False, "2010-02-25", ("behind_month", 1)),
        ("open", "2010-02-24", False, "2010-03-24", ("behind_month", 28)),  # one calendar month exactly
        ("open", "2010-02-24", False, "2010-03-25", ("behind_more", 29)),
        ("open", "2010-04-30", True, "2010-03-15", ("rescheduled", 0)),
        ("open", "2010-03-01", True, "2010-03-15", ("behind_month", 14)),  # behind its revised date
        ("complete", "2010-02-24", False, "2011-01-01", ("complete", 0)),
        ("awaiting_verification", "2010-02-24", False, "2010-06-01", ("awaiting_verification", 0)),
        ("withdrawn", "2010-02-24", True, "2010-06-01", ("withdrawn", 0)),
    ],
)
def test_each_status_and_date_falls_in_one_council_category(status, due, rescheduled, day, expected):
    assert categorise(status, dt.date.fromisoformat(due), rescheduled, dt.date.fromisoformat(day)) == expected


def test_state_is_replayed_from_the_events_recorded_by_the_end_of_the_day():
    a = action(events=[Event(at("2010-01-10"), "status", "open", "in_progress", "started", "o", "on_track"),
                       Event(at("2010-02-20"), "status", "in_progress", "awaiting_verification", "done", "o"),
                       Event(at("2010-03-02"), "status", "awaiting_verification", "complete", None, "pqa")],
               evidence=((at("2010-01-05"), at("2010-02-20")), (at("2010-02-20"), None)))  # fmt: skip
    p = plan(a)
    assert build_report(p, dt.date(2010, 1, 9)).actions[0].status == "open"
    jan = build_report(p, dt.date(2010, 1, 10)).actions[0]
    assert (jan.status, jan.note, jan.note_on, jan.rag, jan.evidence) == ("in_progress", "started",
                                                                         dt.date(2010, 1, 10), "on_track", 1)
    feb = build_report(p, dt.date(2010, 2, 25)).actions[0]
    # the file of 5 January was replaced by a new version on 20 February: still one piece of evidence
    assert (feb.category, feb.completed_on, feb.evidence) == ("awaiting_verification", dt.date(2010, 2, 20), 1)
    assert build_report(p, dt.date(2010, 1, 4)).actions[0].evidence == 0
    mar = build_report(p, dt.date(2010, 3, 15)).actions[0]
    assert (mar.category, mar.completed_on) == ("complete", dt.date(2010, 2, 20))  # the owner's completion day


def test_an_extension_counts_from_the_day_it_was_agreed():
    rev = Revision(at("2010-02-10"), dt.date(2010, 2, 24), dt.date(2010, 4, 30), "staffing", "hos")
    p = plan(action(revisions=[rev]))
    assert build_report(p, dt.date(2010, 2, 9)).actions[0].category == "on_target"
    after = build_report(p, dt.date(2010, 3, 15)).actions[0]
    assert (after.category, after.due, after.original_due) == ("rescheduled", dt.date(2010, 4, 30),
                                                               dt.date(2010, 2, 24))  # fmt: skip
    assert build_report(p, dt.date(2010, 5, 1)).actions[0].category == "behind_month"


def test_trend_has_each_review_so_far_then_the_as_of_date():
    reviews = [(dt.date(2010, 1, 12), "Management Team"), (dt.date(2010, 3, 16), None), (dt.date(2010, 5, 11), None)]
    p = plan(action("A1"), action("A2", due="2010-05-24"), reviews=reviews)
    trend = build_report(p, dt.date(2010, 4, 1)).trend
    assert [(t.date, t.label) for t in trend] == [(dt.date(2010, 1, 12), "Management Team"),
                                                  (dt.date(2010, 3, 16), "Review"), (dt.date(2010, 4, 1), "As of")]
    assert trend[0].counts["on_target"] == 2
    assert (trend[1].counts["behind_month"], trend[1].counts["on_target"]) == (1, 1)
    assert (trend[2].counts["behind_more"], trend[2].counts["on_target"]) == (1, 1)
    assert build_report(p, dt.date(2010, 3, 16)).body is None
    assert [t.date for t in build_report(p, dt.date(2010, 1, 12)).trend] == [dt.date(2010, 1, 12)]


def test_an_action_added_later_counts_from_its_own_day():
    p = plan(action("A1"), action("A2", starts=dt.date(2010, 3, 1)))
    assert build_report(p, dt.date(2010, 2, 1)).total == 1
    assert build_report(p, dt.date(2010, 3, 1)).total == 2


STATUS = st.sampled_from(["open", "in_progress", "awaiting_verification", "complete", "withdrawn"])
DAY = st.dates(min_value=dt.date(2009, 11, 25), max_value=dt.date(2011, 12, 31))


@st.composite
def histories(draw):
    actions = []
    for i in range(draw(st.integers(0, 15))):
        changes = sorted(draw(st.lists(st.tuples(DAY, STATUS), max_size=4)))
        events = [Event(at(d.isoformat()), "status", None, s, draw(st.none() | st.text(max_size=5)), "o",
                        draw(st.sampled_from([None, "on_track", "at_risk", "off_track"])))
                  for d, s in changes]  # fmt: skip
        revs = [Revision(at(d.isoformat()), dt.date(2010, 1, 1), d + dt.timedelta(days=n), "r", "m")
                for d, n in sorted(draw(st.lists(st.tuples(DAY, st.integers(0, 200)), max_size=2)))]  # fmt: skip
        actions.append(action(f"A{i}", draw(DAY).isoformat(), events, revs, starts=draw(DAY)))
    reviews = sorted({(d, None) for d in draw(st.lists(DAY, max_size=4))})
    return plan(*actions, reviews=reviews)


@settings(max_examples=150, deadline=None)
@given(histories(), DAY)
def test_the_categories_always_sum_to_the_number_of_actions(history, as_of):
    report = build_report(history, as_of)
    assert sum(report.counts.values()) == report.total == sum(1 for a in history.actions if a.starts <= as_of)
    assert set(report.counts) == set(CATEGORIES)
    for point in report.trend:
        assert sum(point.counts.values()) == sum(1 for a in history.actions if a.starts <= point.date)
    assert abs(sum(report.percent(c) for c in CATEGORIES) - (100.0 if report.total else 0.0)) < 0.5
    assert {a.ref for a in report.exceptions} <= {a.ref for a in report.actions}
