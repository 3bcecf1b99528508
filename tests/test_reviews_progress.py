"""Progress requests before each review: `progress:<R>:<n>` on the k-th working day before R (bank
holidays respected), one per open action to its owner, in the owner's one email of the run; the
second request skips actions updated since the first; a track of its own."""

from __future__ import annotations

import datetime as dt
import email
import json
from collections import Counter
from email import policy

import pytest

from scheduler.config.dates import WorkingCalendar
from scheduler.engine.progress import working_day_before
from tests.test_config_errors import PLAN, edit

CAL = WorkingCalendar((0, 1, 2, 3, 4), "GB-ENG")


def uncomment_reviews(config_dir):
    """Turn on the two reviews the shipped plan carries commented out (so the example is tested)."""
    edit(config_dir, PLAN, "\n#reviews:\n", "\nreviews:\n")
    edit(config_dir, PLAN, "\n#  - {date: 2010-", "\n  - {date: 2010-", count=2)


@pytest.fixture
def reviewed(cli, config_dir):
    uncomment_reviews(config_dir)
    result = cli("sync", "--now", "2009-11-24T08:00")
    assert result.exit_code == 0, result.output
    return cli


def forecast(cli, start, end):
    result = cli("forecast", "--from", start, "--to", end, "--json")
    assert result.exit_code == 0, result.output
    return [n for n in json.loads(result.output) if n["stage"].startswith("progress:")]


@pytest.mark.parametrize(
    "review, k, expected",
    [
        ("2010-01-12", 3, "2010-01-07"),  # Mon 11, Fri 8, Thu 7: the review day itself is not counted
        # Back over Christmas: 11, 8, 7, 6, 5, 4 Jan; 1 Jan is New Year's Day; 31, 30, 29 Dec; 28 Dec
        # is the Boxing Day substitute, 25 Dec Christmas: the 10th working day is Thu 24 Dec.
        ("2010-01-12", 10, "2009-12-24"),
        ("2010-04-06", 1, "2010-04-01"),  # Easter: Mon 5 Apr and Good Friday 2 Apr are bank holidays
    ],
)
def test_request_day_is_the_kth_working_day_before_the_review(review, k, expected):
    assert working_day_before(dt.date.fromisoformat(review), k, CAL) == dt.date.fromisoformat(expected)


def test_forecast_shows_progress_requests_10_and_3_working_days_before_each_review(reviewed):
    found = forecast(reviewed, "2009-11-24", "2010-04-30")
    assert Counter((n["date"], n["stage"]) for n in found) == {
        ("2009-12-24", "progress:2010-01-12:1"): 12,  # bank holidays over Christmas skipped
        ("2010-01-07", "progress:2010-01-12:2"): 12,
        ("2010-03-02", "progress:2010-03-16:1"): 12,
        ("2010-03-11", "progress:2010-03-16:2"): 12,
    }
    sg1 = [n["to"] for n in found if n["ref"] == "SG1"]
    assert set(sg1) == {"contact-centre-manager@example.org"}  # the owner, never a manager


def test_second_request_skips_an_action_whose_owner_recorded_progress_since_the_first(reviewed):
    run = reviewed("run", "--once", "--now", "2009-12-24T09:05")
    assert run.exit_code == 0, run.output
    note = reviewed("set-status", "SG1", "in_progress", "--note", "triage rota in place", "--by",
                    "contact-centre-manager", "--now", "2010-01-04T11:00")  # fmt: skip
    assert note.exit_code == 0, note.output
    second = forecast(reviewed, "2010-01-05", "2010-01-11")
    assert {n["stage"] for n in second} == {"progress:2010-01-12:2"}
    assert {n["date"] for n in second} == {"2010-01-07"}
    assert sorted(n["ref"] for n in second) == sorted(
        ["SG2", "SG3", "SG4", "SG5", "SG6", "SG7", "LAC1", "LAC2", "LAC3", "LAC4", "LAC5"])  # not SG1


def test_a_service_down_for_the_first_request_sends_only_the_latest_and_nothing_after_the_review(reviewed):
    found = forecast(reviewed, "2010-01-08", "2010-01-20")
    assert Counter((n["date"], n["stage"]) for n in found) == {("2010-01-08", "progress:2010-01-12:2"): 12}


def test_complete_actions_get_no_progress_request(reviewed):
    done = reviewed("set-status", "SG4", "complete", "--now", "2009-12-01T10:00")
    assert done.exit_code == 0, done.output
    found = forecast(reviewed, "2009-12-24", "2009-12-24")
    assert len(found) == 11 and "SG4" not in {n["ref"] for n in found}


def test_progress_requests_share_the_owners_one_email_and_never_supersede_the_owner_track(reviewed, tmp_path):
    result = reviewed("simulate", "--from", "2009-12-24", "--to", "2009-12-24", "--outbox", str(tmp_path / "sim"))
    assert result.exit_code == 0, result.output
    messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted((tmp_path / "sim").glob("*.eml"))]  # fmt: skip
    by_owner = Counter(str(m["To"]) for m in messages)
    assert all(n == 1 for n in by_owner.values())  # one email per person in the run
    pqa = next(m for m in messages if "pqa-manager@example.org" in str(m["To"]))
    notices = str(pqa["X-Reminder-Notices"])
    assert "ofsted-2009/SG3=progress:2010-01-12:1" in notices and "ofsted-2009/SG4=progress:2010-01-12:1" in notices
    text = " ".join(pqa.get_body(("plain",)).get_content().split())
    assert "PROGRESS UPDATE: ofsted-2009/SG3 for the review on Tuesday 12 January 2010." in text
    assert "your self-assessment: on track, at risk or off track" in text
    assert "2 actions for you:" in str(pqa["Subject"]) and "2 to update for the review" in str(pqa["Subject"])


def test_report_falls_due_at_send_time_on_the_review_day_or_the_next_working_day_for_a_week():
    from types import SimpleNamespace

    from scheduler.config.reviews import Review
    from scheduler.engine.progress import reports_due

    plan = SimpleNamespace(reviews=(Review(dt.date(2010, 4, 5), "Scrutiny"),),
                           policy=SimpleNamespace(send_time=dt.time(9, 0)))  # fmt: skip

    def due(text):
        return [r.date.isoformat() for r in reports_due(plan, CAL, dt.datetime.fromisoformat(text))]

    assert due("2010-04-05T10:00") == []  # Easter Monday: no run
    assert due("2010-04-06T08:59") == []
    assert due("2010-04-06T09:00") == ["2010-04-05"]
    assert due("2010-04-13T09:00") == ["2010-04-05"]  # a week's catch-up after downtime
    assert due("2010-04-14T09:00") == []


def test_a_claimed_progress_request_survives_an_extension_but_not_a_completion():
    from scheduler.engine.rules import cancel_reason
    from scheduler.store.states import Track

    due, later = dt.date(2010, 2, 24), dt.date(2010, 4, 30)
    assert cancel_reason("pending", due, "in_progress", later, Track.PROGRESS) is None
    assert cancel_reason("pending", due, "awaiting_verification", due, Track.PROGRESS) is not None
    assert cancel_reason("pending", due, "complete", due, Track.PROGRESS) == "not sent: action is complete"


def test_forecast_shows_each_review_days_report_once_per_recipient_and_agrees_with_simulate(reviewed, tmp_path):
    result = reviewed("forecast", "--from", "2010-03-10", "--to", "2010-03-24", "--json")
    assert result.exit_code == 0, result.output
    reports = [(n["date"], n["stage"], n["to"]) for n in json.loads(result.output) if n["stage"].startswith("report:")]
    assert sorted(reports) == [("2010-03-16", "report:2010-03-16", "executive-director@example.org"),
                               ("2010-03-16", "report:2010-03-16", "pqa-manager@example.org")]  # fmt: skip
    sim = reviewed("simulate", "--from", "2010-03-10", "--to", "2010-03-24", "--outbox", str(tmp_path / "sim"))
    assert sim.output.count("report:2010-03-16") == 2 and sim.output.count("report:") == 2
