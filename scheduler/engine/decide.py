"""The notice schedule and the pure decision of what one run sends (PRODUCT.md §3).

`stages(facts, policy, calendar, until)` lists an action's stages on both tracks with
their send days; `decide(facts, policy, calendar, done, now_local)` returns the notices a
run at `now_local` sends and the stages it marks superseded. No I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scheduler.config.dates import WorkingCalendar
from scheduler.config.model import Policy
from scheduler.store.states import CLOSED, ActionStatus, Track

OWNER, ESCALATION = Track.OWNER, Track.ESCALATION
AWAITING = ActionStatus.AWAITING_VERIFICATION


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class ActionFacts:
    """What the decision needs to know about one action, as of this run."""

    plan: str
    ref: str
    status: str
    due: dt.date
    assigned_on: dt.date  # later of report date, owner assignment day, extension day
    owner: Person
    escalation_targets: tuple[Person, ...]  # one per policy escalation level
    verifier: Person | None = None  # who verifies completions (never the owner; config/approvers.py)
    waiting_since: dt.datetime | None = None  # when the completion awaiting verification was sent (UTC)
    verify_before: int = 0  # verify:N requests claimed in earlier waits (N keeps counting)


@dataclass(frozen=True)
class Stage:
    name: str  # assigned | before:N | due | overdue:K | escalation:L
    track: str
    order: int  # position in its track; breaks ties on the same send day
    nominal: dt.date
    send_day: dt.date


@dataclass(frozen=True)
class PlannedNotice:
    stage: Stage
    to: Person
    cc: tuple[Person, ...] = ()  # always empty since escalations send the owner a copy instead
    copy_of: Person | None = None  # set on the owner's copy of an escalation: who it went to


@dataclass
class Decision:
    send: list[PlannedNotice] = field(default_factory=list)
    superseded: list[PlannedNotice] = field(default_factory=list)


def owner_stages(facts: ActionFacts, policy: Policy, cal: WorkingCalendar, until: dt.date) -> list[Stage]:
    """Return the owner-track stages whose nominal day is <= `until` (plus the next overdue one)."""
    due = facts.due
    out = [Stage("assigned", OWNER, 0, facts.assigned_on, cal.on_or_after(facts.assigned_on))]
    for i, n in enumerate(policy.reminders_before_days):  # largest first
        nominal = due - dt.timedelta(days=n)
        out.append(Stage(f"before:{n}", OWNER, 1 + i, nominal, cal.on_or_before(nominal)))
    order = 1 + len(policy.reminders_before_days)
    if policy.on_due_date:
        out.append(Stage("due", OWNER, order, due, cal.on_or_before(due)))
    last = policy.last_overdue_offset()
    cap = due + dt.timedelta(days=last) if last is not None else None
    nominal, k, gaps = due + dt.timedelta(days=1), 1, policy.overdue_repeat_days
    while cap is None or nominal <= cap:
        out.append(Stage(f"overdue:{k}", OWNER, order + k, nominal, cal.on_or_after(nominal)))
        if not gaps or nominal > until:
            break
        nominal += dt.timedelta(days=gaps[min(k - 1, len(gaps) - 1)])
        k += 1
    return out


def escalation_stages(facts: ActionFacts, policy: Policy, cal: WorkingCalendar) -> list[Stage]:
    """Return the escalation-track stages, one per policy level."""
    out = []
    for level, esc in enumerate(policy.escalations, start=1):
        nominal = facts.due + dt.timedelta(days=esc.after_days_overdue)
        out.append(Stage(f"escalation:{level}", ESCALATION, level, nominal, cal.on_or_after(nominal)))
    return out


def _is_done(stage: Stage, recipient: Person, done: set[tuple[str, str]]) -> bool:
    """A stage is done once the ledger has it for this due date. `assigned` is per owner:
    a new owner gets their own `assigned` notice."""
    if stage.name == "assigned":
        return ("assigned", recipient.email) in done
    return any(name == stage.name for name, _ in done)


def notices_for(stage: Stage, facts: ActionFacts) -> list[PlannedNotice]:
    """Return the notices of `stage`: to the owner; or to the level's target, plus the owner's
    own copy (a separate notice) unless the owner is the target."""
    if stage.track == OWNER:
        return [PlannedNotice(stage, facts.owner)]
    target = facts.escalation_targets[stage.order - 1]
    if target.email == facts.owner.email:
        return [PlannedNotice(stage, target)]
    return [PlannedNotice(stage, target), PlannedNotice(stage, facts.owner, copy_of=target)]


def notice_for(stage: Stage, facts: ActionFacts) -> PlannedNotice:
    """Return the main notice of `stage` (to the owner, or to the escalation target)."""
    return notices_for(stage, facts)[0]


def pending_stages(facts, policy, cal, done, until) -> list[PlannedNotice]:
    """Return every notice (both tracks) not yet in the ledger, with recipients, by send day."""
    stages = owner_stages(facts, policy, cal, until) + escalation_stages(facts, policy, cal)
    notices = [n for s in stages for n in notices_for(s, facts)]
    pending = [n for n in notices if not _is_done(n.stage, n.to, done)]
    return sorted(pending, key=lambda n: (n.stage.send_day, n.stage.track, n.stage.order))


def fallen_due(stage: Stage, now_local: dt.datetime, send_time: dt.time) -> bool:
    """Return True once `stage`'s send day has reached `send_time` (local) by `now_local`."""
    today = now_local.date()
    return stage.send_day < today or (stage.send_day == today and now_local.time() >= send_time)


def decide(facts: ActionFacts, policy: Policy, cal: WorkingCalendar, done: set[tuple[str, str]],
           now_local: dt.datetime) -> Decision:  # fmt: skip
    """Return what a run at `now_local` (the plan's local time) sends for this action.

    `done` holds (stage, recipient email) for every ledger row of the current due date.
    Per track only the latest candidate is sent (latest send day, then later stage); the
    others are superseded. An escalation supersedes the same run's owner-track notice.
    """
    decision = Decision()
    if facts.status == AWAITING:  # only the verification track sends while the verifier checks
        from scheduler.engine.verification import decide_verification

        return decide_verification(facts, policy, cal, done, now_local)
    if facts.status in CLOSED or not cal.is_working_day(now_local.date()):
        return decision
    pending = pending_stages(facts, policy, cal, done, now_local.date())
    winners: dict[str, list[PlannedNotice]] = {}
    for track in (OWNER, ESCALATION):
        candidates = [
            n for n in pending if n.stage.track == track and fallen_due(n.stage, now_local, policy.send_time)
        ]
        if not candidates:
            continue
        best = max(candidates, key=lambda n: (n.stage.send_day, n.stage.order)).stage
        winners[track] = [n for n in candidates if n.stage == best]  # an escalation and its copy
        decision.superseded += [n for n in candidates if n.stage != best]
    if ESCALATION in winners and OWNER in winners:
        decision.superseded += winners.pop(OWNER)  # the owner gets the escalation's copy instead
    decision.send = [n for t in (OWNER, ESCALATION) for n in winners.get(t, [])]
    return decision


def next_notice_day(facts, policy, cal, done, today: dt.date) -> dt.date | None:
    """Return the earliest send day of a stage not yet in the ledger (None if closed)."""
    if facts.status in CLOSED:
        return None
    if facts.status == AWAITING:
        from scheduler.engine.verification import next_verify_day

        return next_verify_day(facts, policy, cal, done, today)
    pending = pending_stages(facts, policy, cal, done, today)
    return pending[0].stage.send_day if pending else None
