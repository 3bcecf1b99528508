"""The verification track (PRODUCT.md §3): `verify:N` requests to the action's verifier (the
administrator, or the next who is not the owner: config/approvers.py) while an action awaits
verification. Pure: no I/O, no clock.

The first request falls due at the first send time after the owner's completion (a run, never
the moment of completion), then every `verification_repeat_days` working days while it waits.
N keeps counting across waits (`facts.verify_before` requests were claimed before this one), so
a completion returned and sent again is asked about as verify:3, not verify:1 again. As on the
other tracks, a run sends only the latest request fallen due; earlier ones are superseded.
"""

from __future__ import annotations

import datetime as dt

from scheduler.config.dates import WorkingCalendar
from scheduler.config.model import Policy
from scheduler.engine.decide import ActionFacts, Decision, PlannedNotice, Stage, fallen_due
from scheduler.store.states import Track


def first_send_day(since_local: dt.datetime, send_time: dt.time, cal: WorkingCalendar) -> dt.date:
    """Return the working day of the first send time strictly after `since_local`."""
    day = since_local.date()
    if cal.is_working_day(day) and since_local.time() < send_time:
        return day
    return cal.on_or_after(day + dt.timedelta(days=1))


def add_working_days(cal: WorkingCalendar, day: dt.date, n: int) -> dt.date:
    """Return the working day `n` working days after `day`."""
    for _ in range(n):
        day = cal.on_or_after(day + dt.timedelta(days=1))
    return day


def verify_stages(facts: ActionFacts, policy: Policy, cal: WorkingCalendar, until: dt.date) -> list[Stage]:
    """Return this wait's verify:N stages up to `until`, plus the next one."""
    if facts.waiting_since is None:
        return []
    day = first_send_day(facts.waiting_since.astimezone(policy.tz), policy.send_time, cal)
    out, n = [], facts.verify_before + 1
    while True:
        out.append(Stage(f"verify:{n}", Track.VERIFICATION, n, day, day))
        if day > until:
            return out
        day, n = add_working_days(cal, day, policy.verification_repeat_days), n + 1


def _pending(facts, policy, cal, done, until) -> list[Stage]:
    sent = {name for name, _ in done}
    return [s for s in verify_stages(facts, policy, cal, until) if s.name not in sent]


def decide_verification(facts: ActionFacts, policy: Policy, cal: WorkingCalendar, done: set[tuple[str, str]],
                        now_local: dt.datetime) -> Decision:  # fmt: skip
    """Return the verify request a run at `now_local` sends for an action awaiting verification (the
    owner and escalation tracks send nothing while it waits)."""
    decision = Decision()
    if facts.verifier is None or not cal.is_working_day(now_local.date()):
        return decision
    candidates = [s for s in _pending(facts, policy, cal, done, now_local.date())
                  if fallen_due(s, now_local, policy.send_time)]  # fmt: skip
    if not candidates:
        return decision
    best = max(candidates, key=lambda s: s.order)
    decision.send = [PlannedNotice(best, facts.verifier)]
    decision.superseded = [PlannedNotice(s, facts.verifier) for s in candidates if s is not best]
    return decision


def next_verify_day(facts: ActionFacts, policy: Policy, cal: WorkingCalendar, done, today: dt.date) -> dt.date | None:
    """Return the send day of the next verify request not yet in the ledger (None: nobody verifies)."""
    if facts.verifier is None:
        return None
    pending = _pending(facts, policy, cal, done, today)
    return pending[0].send_day if pending else None
