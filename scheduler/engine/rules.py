"""The pipeline's pure rules beside `decide()`: retry and backoff, cancelling a claimed notice,
which waiting retries a newer notice replaces, digest grouping, and orphan recovery.

No I/O and no clock: each takes what it needs and returns a value, and each is tested
table-driven in tests/test_rules.py. The pipeline and the daemon only read, call and write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from scheduler.store.states import CLOSED, WAITING, NoticeState, Track

MAX_ATTEMPTS = 8
ORPHAN_AFTER = dt.timedelta(minutes=10)
T = TypeVar("T")


def backoff(attempts: int) -> dt.timedelta:
    """Return the wait before the next attempt: 15 min, 30 min, 1 h, ... capped at 12 h."""
    return min(dt.timedelta(minutes=15) * 2 ** max(0, attempts - 1), dt.timedelta(hours=12))


def after_failure(attempts: int, permanent: bool, now: dt.datetime) -> tuple[NoticeState, dt.datetime | None]:
    """Return (new state, next attempt) for a notice whose `attempts`-th try just failed."""
    if permanent or attempts >= MAX_ATTEMPTS:
        return NoticeState.FAILED, None
    return NoticeState.RETRY, now + backoff(attempts)


def cancel_reason(row_state: str, row_due: dt.date, action_status: str, action_due: dt.date,
                  track: str = Track.OWNER) -> str | None:  # fmt: skip
    """Return why a claimed notice must not be sent now (None: send it).

    A completion or an extension recorded after the claim stops a calendar notice; a web-track
    notice answers a person's request (a confirmation, a decision) and an outcome notice (verified,
    returned) the administrator's decision: they go whatever happened since. A verify request stops
    once the action no longer awaits verification; a progress request once it is neither open nor in
    progress (an extension does not stop it).
    """
    if row_state not in WAITING:
        return f"already {row_state}"
    if track in (Track.WEB, Track.OUTCOME):
        return None
    if track == Track.VERIFICATION:
        return None if action_status == "awaiting_verification" else f"not sent: action is {action_status}"
    if track == Track.PROGRESS:  # asked per review, whatever the due date; only while the action is open
        # (awaiting verification included: the owner has reported completion, there is nothing to ask)
        return None if action_status in ("open", "in_progress") else f"not sent: action is {action_status}"
    if action_status in CLOSED or action_status == "awaiting_verification" or action_due != row_due:
        return f"not sent: action is {action_status}, due {action_due}"
    return None


def tracks_replaced(sending: set[str]) -> set[str]:
    """Return the tracks whose notices waiting for a retry a newly sent notice replaces.

    A new owner-track notice replaces an owner-track retry; an escalation replaces both
    (the owner hears of it through the escalation's copy).
    """
    if Track.ESCALATION in sending:
        return {Track.OWNER, Track.ESCALATION}
    return set(sending) & {Track.OWNER}


def orphan_state(state: str) -> tuple[NoticeState, str | None]:
    """Return (new state, error) for a row a dead run left behind.

    `pending` was never handed over: safe to send. `sending` was handed over with an unknown
    outcome: sending again could duplicate it, so it is `unknown`: reported, not resent.
    """
    if state == NoticeState.PENDING:
        return NoticeState.RETRY, None
    return NoticeState.UNKNOWN, "run interrupted while handing it over; it may or may not have arrived"


def run_is_dead(lease, this_host: str, pid_alive, wall_now: float, stale: bool) -> bool:
    """Return True when the run that claimed a row is gone, so its rows can be recovered now.

    `lease` is its run lease (None: a run from before leases existed, judged by `stale`): dead once
    finished, past its expiry (wall-clock seconds), or when its process on this host has exited.
    """
    if lease is None:
        return stale
    if lease.finished_at is not None or wall_now > lease.expires:
        return True
    return lease.host == this_host and not pid_alive(lease.pid)


def group_messages(items: Iterable[T], key: Callable[[T], Hashable], digest: Callable[[T], bool]) -> list[list[T]]:
    """Group notices into messages: one per `key` (the recipient) when `digest(item)`,
    else one per notice; groups keep the order of their first item."""
    groups: dict = {}
    for i, item in enumerate(items):
        k = (key(item),) if digest(item) else ("single", i)
        groups.setdefault(k, []).append(item)
    return list(groups.values())


def send_time_passed(is_working_day: bool, send_time: dt.time, now_local: dt.datetime) -> bool:
    """Return True when today's run should already have happened (catch-up after downtime)."""
    return is_working_day and now_local.time() >= send_time
