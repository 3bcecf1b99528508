"""The progress report's figures (PRODUCT.md §8), computed from an action's history as of a date.

Pure: `build_report(history, as_of)` takes a `PlanHistory` (every event, revision, escalation and
evidence time of each action, as loaded by `report_source.load_history`) and returns a `Report`.
Each action's state on a day is replayed from the events recorded up to the end of that day (plan
time), so a report as of a past date comes out the same whenever it is made.

Categories (each action in exactly one; definitions in `categorise`): complete and verified,
awaiting verification, on target, behind by up to a month, behind by more than a month,
rescheduled with approval, withdrawn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from scheduler.config.dates import add_months

CATEGORIES = ("complete", "awaiting_verification", "on_target", "behind_month", "behind_more", "rescheduled",
              "withdrawn")  # fmt: skip
LABELS = {
    "complete": "Complete and verified",
    "awaiting_verification": "Awaiting verification",
    "on_target": "On target",
    "behind_month": "Behind by up to a month",
    "behind_more": "Behind by more than a month",
    "rescheduled": "Rescheduled with approval",
    "withdrawn": "Withdrawn",
}
BEHIND = ("behind_month", "behind_more")
STATUS_KINDS = ("status", "withdrawn", "restored")  # events whose to_value is the new status
NOTE_KINDS = ("progress", "status")  # events whose note is the owner's (or admin's) commentary
RAG_LABELS = {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track"}


@dataclass(frozen=True)
class Event:
    at: dt.datetime  # UTC
    kind: str
    from_value: str | None = None
    to_value: str | None = None
    note: str | None = None
    by: str = ""
    rag: str | None = None  # on_track | at_risk | off_track, with a progress note


@dataclass(frozen=True)
class Revision:
    at: dt.datetime
    previous_due: dt.date
    revised_due: dt.date
    reason: str
    approved_by: str  # the approver's name (as recorded when no owner has that id)


@dataclass(frozen=True)
class ActionHistory:
    ref: str
    title: str
    owner: str  # owner's name (current)
    config_due: dt.date  # the original due date in the config today
    starts: dt.date  # first day the action counts in the plan
    events: tuple[Event, ...] = ()
    revisions: tuple[Revision, ...] = ()
    escalations: tuple[tuple[dt.datetime, str, str], ...] = ()  # (sent at, stage, recipient name)
    evidence: tuple[tuple, ...] = ()  # (added at, superseded at or None) of each piece of evidence


@dataclass(frozen=True)
class PlanHistory:
    plan_id: str
    title: str
    report_date: dt.date
    timezone: str
    reviews: tuple[tuple[dt.date, str | None], ...]  # (date, body), date order
    actions: tuple[ActionHistory, ...]


@dataclass(frozen=True)
class ActionState:
    """One action as of a day: what every section of the report shows about it."""

    ref: str
    title: str
    owner: str
    status: str
    category: str
    original_due: dt.date
    due: dt.date
    revisions: tuple[Revision, ...]
    days_behind: int  # 0 unless behind its (revised) due date
    completed_on: dt.date | None
    note: str | None
    note_on: dt.date | None
    rag: str | None
    escalations: tuple[tuple[dt.date, str, str], ...]
    evidence: int

    @property
    def at_risk(self) -> bool:
        return self.rag in ("at_risk", "off_track") and self.status in ("open", "in_progress")


@dataclass(frozen=True)
class TrendPoint:
    date: dt.date
    label: str  # the review's body, or "as of"
    counts: dict[str, int]


@dataclass(frozen=True)
class Report:
    plan_id: str
    title: str
    report_date: dt.date
    as_of: dt.date
    body: str | None  # the body meeting on the as-of date, if one does
    actions: tuple[ActionState, ...]
    counts: dict[str, int]
    trend: tuple[TrendPoint, ...] = field(default=())

    @property
    def total(self) -> int:
        return len(self.actions)

    def percent(self, category: str) -> float:
        """Return the category's share of the actions, in percent, to one decimal place."""
        return round(100.0 * self.counts[category] / self.total, 1) if self.total else 0.0

    @property
    def exceptions(self) -> tuple[ActionState, ...]:
        """Return the actions behind their due date or self-assessed at risk / off track."""
        return tuple(a for a in self.actions if a.category in BEHIND or a.at_risk)


def categorise(status: str, due: dt.date, rescheduled: bool, day: dt.date) -> tuple[str, int]:
    """Return (category, days behind) of an action with `status` and (revised) `due` on `day`.

    Closed statuses are their own categories. An open or in-progress action is behind once `day` is
    after its due date: by up to a month while `day` <= due + 1 calendar month, then by more. Not
    behind, it is rescheduled with approval when an extension moved its date, else on target.
    """
    if status in ("complete", "awaiting_verification", "withdrawn"):
        return status, 0
    if day > due:
        return ("behind_month" if day <= add_months(due, 1) else "behind_more"), (day - due).days
    return ("rescheduled" if rescheduled else "on_target"), 0


def cutoff(day: dt.date, timezone: str) -> dt.datetime:
    """Return the UTC instant the day ends in the plan's timezone (events before it count)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


def _replayed(a: ActionHistory, until: dt.datetime) -> tuple[str, dt.date, dt.date | None]:
    """Return (status, original due, completion day in UTC terms) from the events before `until`."""
    status, original, completed = "open", a.config_due, None
    due_changes = [e for e in a.events if e.kind == "changed" and e.note == "due date in config"]
    before = [e for e in due_changes if e.at < until]
    if before:
        original = dt.date.fromisoformat(before[-1].to_value)
    elif due_changes and due_changes[0].from_value:
        original = dt.date.fromisoformat(due_changes[0].from_value)
    for e in a.events:
        if e.at >= until:
            break
        if e.kind in STATUS_KINDS and e.to_value:
            status = e.to_value
            if status in ("complete", "awaiting_verification") and e.from_value not in ("complete", "awaiting_verification"):
                completed = e.at
    return status, original, completed if status in ("complete", "awaiting_verification") else None


def action_state(a: ActionHistory, day: dt.date, timezone: str) -> ActionState:
    """Return the action as it stood at the end of `day` (plan time)."""
    until, tz = cutoff(day, timezone), ZoneInfo(timezone)
    status, original, completed = _replayed(a, until)
    revs = tuple(r for r in a.revisions if r.at < until)
    due = revs[-1].revised_due if revs else original
    category, behind = categorise(status, due, bool(revs), day)
    notes = [e for e in a.events if e.at < until and e.kind in NOTE_KINDS and e.note]
    rags = [e.rag for e in a.events if e.at < until and e.rag]
    return ActionState(
        ref=a.ref, title=a.title, owner=a.owner, status=status, category=category, original_due=original,
        due=due, revisions=revs, days_behind=behind,
        completed_on=completed.astimezone(tz).date() if completed else None,
        note=notes[-1].note if notes else None, note_on=notes[-1].at.astimezone(tz).date() if notes else None,
        rag=rags[-1] if rags else None,
        escalations=tuple((at.astimezone(tz).date(), stage, to) for at, stage, to in a.escalations if at < until),
        evidence=sum(1 for at, gone in a.evidence if at < until and (gone is None or gone >= until)),
    )  # fmt: skip


def counts_of(states) -> dict[str, int]:
    """Return {category: number of actions}, every category present."""
    out = dict.fromkeys(CATEGORIES, 0)
    for s in states:
        out[s.category] += 1
    return out


def states_on(history: PlanHistory, day: dt.date) -> tuple[ActionState, ...]:
    """Return the state of every action that counts in the plan on `day`, in the history's order
    (the plan file's, as first synced)."""
    return tuple(action_state(a, day, history.timezone) for a in history.actions if a.starts <= day)


def trend(history: PlanHistory, as_of: dt.date) -> tuple[TrendPoint, ...]:
    """Return the categories at each review up to `as_of`, then at `as_of` itself if it is no review."""
    points = [TrendPoint(d, body or "Review", counts_of(states_on(history, d)))
              for d, body in history.reviews if d <= as_of]  # fmt: skip
    if not points or points[-1].date != as_of:
        points.append(TrendPoint(as_of, "As of", counts_of(states_on(history, as_of))))
    return tuple(points)


def build_report(history: PlanHistory, as_of: dt.date) -> Report:
    """Return the progress report of the plan as of the end of `as_of`."""
    states = states_on(history, as_of)
    body = next((b for d, b in history.reviews if d == as_of), None)
    return Report(history.plan_id, history.title, history.report_date, as_of, body, states, counts_of(states),
                  trend(history, as_of))  # fmt: skip
