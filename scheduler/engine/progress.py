"""Progress requests before each review (PRODUCT.md §3, §8): the stage `progress:<R>:<n>`, a track of
its own beside the owner and escalation tracks.

For a review on date R and each k in `progress_request_days` (largest first), request n goes out on
the k-th working day before R (R not counted; n = 1 is the earliest), one notice per open or
in-progress action to its owner (the pipeline puts them in the owner's one email of the run). A later
request skips an action whose owner recorded progress (a progress note or a status change) since
the earlier one was due. Within one review only the latest request fallen due is sent (the earlier
ones are superseded, as a week's downtime must not send a burst); requests for a review that has
come are never sent. They never supersede, and are never superseded by, the other tracks.

`decide_progress` and `next_progress_day` are pure; `recorded_updates` and `done_by_action` read
what they need in batches.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from scheduler.config.dates import WorkingCalendar
from scheduler.engine.decide import ActionFacts, Decision, PlannedNotice, Stage, fallen_due
from scheduler.store.stages import StageName
from scheduler.store.states import Track

PROGRESS = Track.PROGRESS  # the track's name in the ledger
ASKED = ("open", "in_progress")  # the statuses a progress request goes to
UPDATE_KINDS = ("progress", "status")  # events that count as the owner recording progress


def working_day_before(day: dt.date, k: int, cal: WorkingCalendar) -> dt.date:
    """Return the k-th working day before `day` (`day` itself not counted)."""
    count = 0
    while count < k:
        day -= dt.timedelta(days=1)
        count += cal.is_working_day(day)
    return day


def progress_stages(reviews, days: tuple[int, ...], cal: WorkingCalendar) -> list[Stage]:
    """Return the progress-request stages of every review (`reviews`: objects with a `date`)."""
    out = []
    for review in reviews:
        for n, k in enumerate(sorted(set(days), reverse=True), start=1):
            send = working_day_before(review.date, k, cal)
            out.append(Stage(StageName(PROGRESS, n, review.date).format(), PROGRESS, n, send, send))
    return out


def review_of(stage: Stage) -> dt.date:
    """Return the review date R of the stage `progress:R:n`."""
    return StageName.parse(stage.name).day


def _earlier_instant(stages: list[Stage], stage: Stage, send_time: dt.time, tz) -> dt.datetime | None:
    """Return when the request before `stage` (same review) fell due, as a UTC instant."""
    earlier = StageName(PROGRESS, stage.order - 1, review_of(stage)).format()
    prev = next((s for s in stages if s.name == earlier), None)
    if prev is None:
        return None
    return dt.datetime.combine(prev.send_day, send_time, tzinfo=tz).astimezone(dt.UTC)


def skipped(stages, stage: Stage, updates, send_time: dt.time, tz) -> bool:
    """Return True when the owner recorded progress since the earlier request of this review."""
    since = _earlier_instant(stages, stage, send_time, tz)
    return since is not None and any(at >= since for at in updates)


def _open_stages(facts: ActionFacts, plan, cal, done: set[str], updates, today: dt.date, now_local=None):
    """Return (all stages, stages still to send: not done, review still to come, not skipped)."""
    if facts.status not in ASKED or not plan.reviews:
        return [], []
    policy = plan.policy
    stages = progress_stages(plan.reviews, policy.progress_request_days, cal)
    waiting = [s for s in stages if s.name not in done and review_of(s) > today]
    due_now = [s for s in waiting if now_local is None or fallen_due(s, now_local, policy.send_time)]
    skip = {s.name for s in due_now if s.send_day <= today and skipped(stages, s, updates, policy.send_time, policy.tz)}
    return stages, [s for s in waiting if s.name not in skip]


def decide_progress(facts: ActionFacts, plan, cal: WorkingCalendar, done: set[str], updates,
                    now_local: dt.datetime) -> Decision:  # fmt: skip
    """Return the progress requests a run at `now_local` sends for this action, and those superseded.

    `done`: the action's progress stages already in the ledger (any due date); `updates`: UTC
    instants of the progress notes and status changes recorded on it.
    """
    decision = Decision()
    today = now_local.date()
    if not cal.is_working_day(today):
        return decision
    stages, waiting = _open_stages(facts, plan, cal, done, updates, today, now_local)
    candidates = [s for s in waiting if fallen_due(s, now_local, plan.policy.send_time)]
    for review in sorted({review_of(s) for s in candidates}):
        mine = [s for s in candidates if review_of(s) == review]
        best = max(mine, key=lambda s: s.order)
        decision.send.append(PlannedNotice(best, facts.owner))
        decision.superseded += [PlannedNotice(s, facts.owner) for s in mine if s is not best]
    return decision


def next_progress_day(facts: ActionFacts, plan, cal: WorkingCalendar, done: set[str], updates,
                      today: dt.date) -> dt.date | None:  # fmt: skip
    """Return the earliest send day of a progress request still to send (None: none)."""
    _, waiting = _open_stages(facts, plan, cal, done, updates, today)
    return min((s.send_day for s in waiting), default=None)


def earliest(*days: dt.date | None) -> dt.date | None:
    """Return the earliest of the days given, ignoring None."""
    return min((d for d in days if d is not None), default=None)


def done_by_action(found: dict) -> dict[int, set[str]]:
    """Return {action id: progress stages in the ledger} from `ledger_done`'s {(id, due): {(stage,
    recipient)}}: a request is per review, whatever due date the action had when it went."""
    out: dict[int, set[str]] = defaultdict(set)
    for (aid, _), rows in found.items():
        out[aid].update(stage for stage, _ in rows if stage.startswith(PROGRESS + ":"))
    return out


def recorded_updates(session, action_ids) -> dict[int, list[dt.datetime]]:
    """Return {action id: [when progress or a status change was recorded]} (sync's events left out)."""
    from sqlmodel import select

    from scheduler.store.models import ActionEvent

    out: dict[int, list] = defaultdict(list)
    ids = list(action_ids)
    for i in range(0, len(ids), 500):
        stmt = select(ActionEvent.action_id, ActionEvent.at).where(
            ActionEvent.action_id.in_(ids[i : i + 500]), ActionEvent.kind.in_(UPDATE_KINDS), ActionEvent.by != "sync")
        for aid, at in session.exec(stmt):  # fmt: skip
            out[aid].append(at)
    return out


REPORT_CATCH_UP_DAYS = 7  # a service down on a review day still sends its report within a week


def report_day(review_date: dt.date, cal: WorkingCalendar) -> dt.date:
    """Return the day the review's progress report goes out: the review date, or the next working day."""
    return cal.on_or_after(review_date)


def reports_due(plan, cal: WorkingCalendar, now_local: dt.datetime) -> list:
    """Return the plan's reviews whose report has fallen due by `now_local` (send time on its report
    day) and is at most REPORT_CATCH_UP_DAYS old: stage `report:<R>`, once per recipient (the
    plan-level ledger keeps it once)."""
    today, out = now_local.date(), []
    if not cal.is_working_day(today):
        return out
    for review in plan.reviews:
        day = report_day(review.date, cal)
        fallen = day < today or (day == today and now_local.time() >= plan.policy.send_time)
        if fallen and (today - day).days <= REPORT_CATCH_UP_DAYS:
            out.append(review)
    return out


def report_recipients(config, plan) -> list[str]:
    """Return who gets the plan's progress report: its summary recipients, else its administrator."""
    if plan.summary_recipients:
        return list(plan.summary_recipients)
    admin = config.owners.get(plan.administrator) if plan.administrator else None
    return [admin.email] if admin else []


def planned_reports(engine, config, instant: dt.datetime, done: set) -> list[dict]:
    """Return the progress reports a run at `instant` sends, as forecast lists them (ref "-": no
    action): those not in the plan-level ledger and not already listed (`done` is updated)."""
    from scheduler.engine import plan_notices
    from scheduler.engine.facts import calendar_for

    out = []
    for plan in config.plans.values():
        local = instant.astimezone(plan.policy.tz)
        for review in reports_due(plan, calendar_for(plan), local):
            stage = StageName("report", day=review.date).format()
            have = {r.recipient for r in plan_notices.rows_for(engine, plan.id, stage)}
            for to in report_recipients(config, plan):
                if to not in have and (plan.id, stage, to) not in done:
                    done.add((plan.id, stage, to))
                    out.append({"date": local.date().isoformat(), "plan": plan.id, "ref": "-", "stage": stage,
                                "to": to, "cc": []})  # fmt: skip
    return out
