"""The plan's `reviews` and the `progress_request_days` policy: exact messages, exit 2, nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.config.load import load_config
from tests.conftest import snapshot
from tests.test_config_errors import PLAN, edit, line_of

REVIEWS = "reviews:\n  - date: 2010-01-12\n    body: Children's Services Management Team\n  - date: 2010-03-16\n"


def add_reviews(config_dir, block=REVIEWS):
    edit(config_dir, PLAN, "actions:\n", block + "actions:\n")


CASES = {
    "review_not_a_date": (
        "reviews:\n  - date: 2010-02-30\n",
        lambda c: [f"{PLAN} line {line_of(c, PLAN, 'date: 2010-02-30')}, reviews[0].date: not a valid date: "
                   "'2010-02-30'; write it as YYYY-MM-DD"],  # fmt: skip
    ),
    "review_before_report": (
        "reviews:\n  - date: 2009-11-24\n",
        lambda c: [f"{PLAN} line {line_of(c, PLAN, '- date: 2009-11-24')}, reviews[0].date: review date "
                   "2009-11-24 is not after the plan's report_date 2009-11-24; a review monitors the plan "
                   "after its report"],  # fmt: skip
    ),
    "review_duplicate": (
        "reviews:\n  - date: 2010-01-12\n  - {date: 2010-01-12, body: Scrutiny}\n",
        lambda c: [f"{PLAN} line {line_of(c, PLAN, 'body: Scrutiny')}, reviews[1].date: duplicate review date "
                   f"2010-01-12 (first on line {line_of(c, PLAN, '  - date: 2010-01-12')})"],  # fmt: skip
    ),
    "review_unknown_key": (
        "reviews:\n  - date: 2010-01-12\n    venue: Town Hall\n",
        lambda c: [f"{PLAN} line {line_of(c, PLAN, 'venue: Town Hall')}, reviews[0].venue: unknown key 'venue'; "
                   "allowed keys: body, date"],  # fmt: skip
    ),
    "review_missing_date": (
        "reviews:\n  - body: Scrutiny\n",
        lambda c: [f"{PLAN} line {line_of(c, PLAN, 'body: Scrutiny')}, reviews[0].date: required key is "
                   "missing; add `date:`"],  # fmt: skip
    ),
    "reviews_not_a_list": (
        "reviews: 2010-01-12\n",
        lambda c: [f"{PLAN} line {line_of(c, PLAN, 'reviews: 2010-01-12')}, reviews: expected a list"],
    ),
    "progress_days_not_numbers": (
        "policy:\n  progress_request_days: [ten, 3]\n",
        lambda c: [f"{PLAN} line {line_of(c, PLAN, 'progress_request_days')}, policy.progress_request_days: "
                   "expected a list of whole numbers of working days from 1 to 1095, got ['ten', 3]; "
                   "e.g. [10, 3]"],  # fmt: skip
    ),
    "progress_days_repeated": (
        "policy:\n  progress_request_days: [3, 3]\n",
        lambda c: ["policy.progress_request_days: a number appears twice in [3, 3]; list each number of days once"],
    ),
}


@pytest.fixture
def synced(cli, db_url):
    result = cli("sync", "--now", "2009-11-24T08:00")
    assert result.exit_code == 0, result.output
    return snapshot(db_url)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_review_or_progress_policy_is_reported_and_changes_nothing(case, cli, config_dir, db_url, synced):
    block, expected = CASES[case]
    add_reviews(config_dir, block)
    result = cli("sync", "--now", "2010-01-04T10:00")
    assert result.exit_code == 2, result.output
    for part in expected(config_dir):
        assert part in result.output, f"missing {part!r} in:\n{result.output}"
    assert snapshot(db_url) == synced
    validate = cli("validate")
    assert validate.exit_code == 2
    assert all(part in validate.output for part in expected(config_dir))


def test_reviews_are_read_in_date_order_with_their_body(config_dir):
    add_reviews(config_dir, "reviews:\n  - date: 2010-03-16\n" + REVIEWS.removeprefix("reviews:\n"))
    with pytest.raises(Exception, match="duplicate review date 2010-03-16"):
        load_config(config_dir)
    config_dir.joinpath(PLAN).write_text(config_dir.joinpath(PLAN).read_text().replace(
        "  - date: 2010-03-16\n  - date: 2010-01-12", "  - date: 2010-04-20\n  - date: 2010-01-12"))
    plan = load_config(config_dir).plans["ofsted-2009"]
    assert [(r.date, r.body) for r in plan.reviews] == [
        (dt.date(2010, 1, 12), "Children's Services Management Team"), (dt.date(2010, 3, 16), None),
        (dt.date(2010, 4, 20), None)]  # fmt: skip
    assert plan.policy.progress_request_days == (10, 3)


def test_progress_request_days_is_overridable_per_plan_and_sorted(config_dir):
    add_reviews(config_dir, "policy:\n  progress_request_days: [2, 15]\n")
    assert load_config(config_dir).plans["ofsted-2009"].policy.progress_request_days == (15, 2)


def test_a_review_on_a_bank_holiday_is_a_warning_not_an_error(cli, config_dir):
    add_reviews(config_dir, "reviews:\n  - date: 2010-04-05\n")
    result = cli("validate")
    assert result.exit_code == 0, result.output
    line = line_of(config_dir, PLAN, "date: 2010-04-05")
    assert (f"warning: {PLAN} line {line}, reviews: 2010-04-05 is not a working day (Easter Monday); the "
            "progress report goes out on 2010-04-06; check the date") in result.output  # fmt: skip
    assert "config OK" in result.output
