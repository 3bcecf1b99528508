"""Table-driven tests of the pipeline's pure rules (scheduler/engine/rules.py): no database."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.engine import rules
from scheduler.store.states import NoticeState, Track

NOW = dt.datetime(2010, 3, 1, 9, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(0, 15 * MIN), (1, 15 * MIN), (2, 30 * MIN), (3, 60 * MIN), (6, 480 * MIN), (7, 720 * MIN), (20, 720 * MIN)],
)
def test_backoff_doubles_from_15_minutes_up_to_12_hours(attempts, wait):
    assert rules.backoff(attempts) == wait


@pytest.mark.parametrize(
    ("attempts", "permanent", "state", "next_at"),
    [
        (1, False, NoticeState.RETRY, NOW + 15 * MIN),
        (3, False, NoticeState.RETRY, NOW + 60 * MIN),
        (7, False, NoticeState.RETRY, NOW + 720 * MIN),
        (8, False, NoticeState.FAILED, None),  # out of attempts
        (1, True, NoticeState.FAILED, None),  # 5xx: never retried
    ],
)
def test_after_failure_retries_with_backoff_until_permanent_or_out_of_attempts(attempts, permanent, state, next_at):
    assert rules.after_failure(attempts, permanent, NOW) == (state, next_at)


DUE, LATER = dt.date(2010, 2, 24), dt.date(2010, 4, 30)


@pytest.mark.parametrize(
    ("row_state", "row_due", "status", "action_due", "reason"),
    [
        ("pending", DUE, "open", DUE, None),
        ("retry", DUE, "in_progress", DUE, None),
        ("pending", DUE, "complete", DUE, "not sent: action is complete, due 2010-02-24"),
        ("retry", DUE, "withdrawn", DUE, "not sent: action is withdrawn, due 2010-02-24"),
        ("pending", DUE, "open", LATER, "not sent: action is open, due 2010-04-30"),  # extended since the claim
        ("sent", DUE, "open", DUE, "already sent"),
        ("superseded", DUE, "open", DUE, "already superseded"),
    ],
)
def test_cancel_reason_stops_a_claimed_notice_when_closed_or_re_dated(row_state, row_due, status, action_due, reason):
    assert rules.cancel_reason(row_state, row_due, status, action_due) == reason


@pytest.mark.parametrize(
    ("sending", "replaced"),
    [
        (set(), set()),
        ({Track.OWNER}, {Track.OWNER}),
        ({Track.ESCALATION}, {Track.OWNER, Track.ESCALATION}),
        ({Track.OWNER, Track.ESCALATION}, {Track.OWNER, Track.ESCALATION}),
    ],
)
def test_a_newer_notice_replaces_retries_on_its_track_and_an_escalation_replaces_both(sending, replaced):
    assert rules.tracks_replaced(sending) == replaced


@pytest.mark.parametrize(
    ("state", "new_state", "has_error"),
    [("pending", NoticeState.RETRY, False), ("sending", NoticeState.UNKNOWN, True)],
)
def test_orphans_pending_are_resent_sending_are_reported_not_resent(state, new_state, has_error):
    got, error = rules.orphan_state(state)
    assert got == new_state and bool(error) is has_error


@pytest.mark.parametrize(
    ("items", "digest", "groups"),
    [
        ([("a", 1), ("b", 2), ("a", 3)], True, [[("a", 1), ("a", 3)], [("b", 2)]]),
        ([("a", 1), ("b", 2), ("a", 3)], False, [[("a", 1)], [("b", 2)], [("a", 3)]]),
        ([], True, []),
    ],
)
def test_digest_groups_by_recipient_in_first_seen_order(items, digest, groups):
    assert rules.group_messages(items, key=lambda x: x[0], digest=lambda x: digest) == groups


@pytest.mark.parametrize(
    ("working", "now", "passed"),
    [
        (True, "08:59", False),
        (True, "09:00", True),
        (True, "23:59", True),
        (False, "12:00", False),
    ],
)
def test_send_time_passed_only_on_a_working_day_after_the_send_time(working, now, passed):
    local = dt.datetime.combine(dt.date(2010, 3, 1), dt.time.fromisoformat(now))
    assert rules.send_time_passed(working, dt.time(9, 0), local) is passed


class Lease:
    def __init__(self, host="here", pid=10, expires=1000.0, finished_at=None):
        self.host, self.pid, self.expires, self.finished_at = host, pid, expires, finished_at


@pytest.mark.parametrize(
    ("lease", "alive", "wall", "stale", "dead"),
    [
        (Lease(), True, 500.0, False, False),  # running here, within its lease
        (Lease(), False, 500.0, False, True),  # its process on this host has exited (kill -9)
        (Lease(finished_at=400.0), True, 500.0, False, True),  # finished: what it left is free
        (Lease(), True, 1001.0, False, True),  # past its lease
        (Lease(host="elsewhere"), False, 500.0, False, False),  # another host: trust the lease
        (None, True, 500.0, False, False),  # a row from before leases: wait until it is stale
        (None, True, 500.0, True, True),
    ],
)
def test_a_dead_run_is_recognised_at_once_a_live_one_is_left_alone(lease, alive, wall, stale, dead):
    assert rules.run_is_dead(lease, "here", lambda pid: alive, wall, stale) is dead
