"""The management summary: per plan RAG counts, overdue actions, what changed and what was sent.

`build_summaries(session, config, now, since)` returns one `PlanSummary` per plan; `render_lines`
and `render_csv` turn them into text, Markdown or CSV (`mail.summary_mail` adds HTML).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, select

from scheduler.config.approvers import verifier_of
from scheduler.config.humandates import daydate, longdate, when
from scheduler.config.text import shorten
from scheduler.engine.plainwords import notice_counts
from scheduler.engine.status import StatusRow, days_text, status_rows
from scheduler.store.models import Action, ActionEvent, DueRevision, Notice, ServiceEvent
from scheduler.store.stages import StageName
from scheduler.store.states import NoticeState

RAG_ORDER = ("overdue", "due soon", "on track", "complete", "awaiting verification", "withdrawn")


@dataclass
class PlanSummary:
    plan_id: str
    title: str
    as_of: dt.date
    since: dt.datetime
    rows: list[StatusRow]
    counts: Counter = field(default_factory=Counter)
    completed: list[dict] = field(default_factory=list)
    extensions: list[dict] = field(default_factory=list)
    notices: Counter = field(default_factory=Counter)
    failures: list[dict] = field(default_factory=list)
    config_errors: list[dict] = field(default_factory=list)
    tz: dt.tzinfo | None = None  # the plan's zone: every time shown to people is local to it
    awaiting: list[dict] = field(default_factory=list)  # completions waiting for verification, longest first

    @property
    def overdue(self) -> list[StatusRow]:
        return sorted((r for r in self.rows if r.rag == "overdue"), key=lambda r: r.days_left)

    @property
    def due_soon(self) -> list[StatusRow]:
        return [r for r in self.rows if r.rag == "due soon"]


def last_summary_at(session: Session, plan_id: str, before: dt.datetime | None = None,
                    detail: str | None = None) -> dt.datetime | None:
    """Return when the plan's latest summary (before `before`; of stage `detail`) was first sent."""
    stmt = select(ServiceEvent).where(ServiceEvent.kind == "summary", ServiceEvent.plan_id == plan_id)
    if before is not None:
        stmt = stmt.where(ServiceEvent.at < before)
    if detail is not None:
        stmt = stmt.where(ServiceEvent.detail == detail)
    row = session.exec(stmt.order_by(ServiceEvent.at.desc())).first()
    return row.at if row else None


def build_summaries(
    session: Session, config, now: dt.datetime, since=None, plan_id=None
) -> list[PlanSummary]:
    """Return a summary per plan in the config (or just `plan_id`) as of `now`.

    `since` (aware) defaults to the plan's last summary, or 7 days before `now`.
    """
    return list(iter_summaries(session, config, now, since, plan_id))


def iter_summaries(session: Session, config, now: dt.datetime, since=None, plan_id=None):
    """Yield the summaries `build_summaries` returns, one plan at a time (each built from that
    plan's rows only, so memory follows the largest plan)."""
    for plan in config.plans.values():
        if plan_id and plan.id != plan_id:
            continue
        today = now.astimezone(plan.policy.tz).date()
        start = since or last_summary_at(session, plan.id) or now - dt.timedelta(days=7)
        rows = status_rows(session, lambda _p, t=today: t, plan.id, config=config, now=now)
        s = PlanSummary(plan.id, plan.title, today, start, rows, Counter(r.rag for r in rows), tz=plan.policy.tz)
        actions = {a.id: a for a in session.exec(select(Action).where(Action.plan_id == plan.id))}
        ids = list(actions)
        for e in session.exec(select(ActionEvent).where(ActionEvent.action_id.in_(ids), ActionEvent.at >= start,
                                                        ActionEvent.kind == "status", ActionEvent.to_value == "complete")):  # fmt: skip
            a = actions[e.action_id]
            s.completed.append({"ref": a.ref, "title": a.title, "owner": a.owner_id, "at": e.at, "note": e.note,
                                "owner_name": _name(config, a.owner_id)})  # fmt: skip
        for r in session.exec(
            select(DueRevision).where(DueRevision.action_id.in_(ids), DueRevision.recorded_at >= start)
        ):
            a = actions[r.action_id]
            s.extensions.append({"ref": a.ref, "original": a.config_due, "from": r.previous_due, "to": r.revised_due,
                                 "reason": r.reason, "approved_by": _name(config, r.approved_by)})  # fmt: skip
        # the dates agreed extensions moved actions to: an `assigned` notice for one of those read "due
        # date revised" (as the email decides it, engine/views.py), whatever the config says today
        revised = set(session.exec(select(DueRevision.action_id, DueRevision.revised_due)
                                   .where(DueRevision.action_id.in_(ids))).all())  # fmt: skip
        for n in session.exec(select(Notice).where(Notice.action_id.in_(ids), Notice.updated_at >= start)):
            if n.state == NoticeState.SENT and n.sent_at and n.sent_at >= start:
                head = StageName.parse(n.stage).kind
                if head == "assigned" and (n.action_id, n.due_date) in revised:
                    head = "extension"  # the owner read "due date revised", not "new action"
                s.notices["reminder" if head == "before" else head] += 1
            elif n.state in ("failed", "unknown"):  # unknown: may have arrived; an admin checks, then resends
                a = actions[n.action_id]
                error = n.last_error if n.state == "failed" else f"in doubt (notice {n.id}): {n.last_error}"
                s.failures.append({"ref": a.ref, "stage": n.stage, "recipient": n.recipient, "error": error})
        s.awaiting = _awaiting(session, config, plan, actions, today)
        for e in session.exec(
            select(ServiceEvent).where(ServiceEvent.kind == "config_error", ServiceEvent.at >= start)
        ):
            s.config_errors.append({"at": e.at, "detail": e.detail})
        yield s


def _awaiting(session: Session, config, plan, actions: dict, today: dt.date) -> list[dict]:
    """Return the plan's completions awaiting verification, with since when and for how many days."""
    from scheduler.store.verification import waiting_since

    ids = [aid for aid, a in actions.items() if a.status == "awaiting_verification"]
    out = []
    for aid, at in waiting_since(session, ids).items():
        a, since = actions[aid], at.astimezone(plan.policy.tz).date()
        who = verifier_of(config, plan.id, a.owner_id)  # the administrator unless they own it
        out.append({"ref": a.ref, "title": a.title, "owner_name": _name(config, a.owner_id), "since": since,
                    "days": (today - since).days,
                    "verifier": None if who and who.id == plan.administrator else who.name if who else "nobody"})  # fmt: skip
    return sorted(out, key=lambda w: (-w["days"], w["ref"]))


def awaiting_heading(s: PlanSummary) -> str:
    """Return the heading of the awaiting-verification section: by the administrator, unless some
    completion is the administrator's own (then its line names who verifies it)."""
    return "Awaiting verification" + ("" if any(w["verifier"] for w in s.awaiting) else " by the administrator")


def _name(config, owner_id: str) -> str:
    owner = config.owners.get(owner_id)
    return owner.name if owner else owner_id


def _lines_text(s: PlanSummary, md: bool) -> list[str]:
    h = "## " if md else ""
    bullet = "- " if md else "  - "
    period = f"since {when(s.since, s.tz)}"
    lines = [f"{h}{s.title} ({s.plan_id}) as of {longdate(s.as_of)}", ""]
    counts = ", ".join(f"{s.counts.get(k, 0)} {k}" for k in RAG_ORDER[:4])
    lines += [
        f"Actions: {counts}" + "".join(f", {s.counts[k]} {k}" for k in RAG_ORDER[4:] if s.counts.get(k)),
        "",
    ]
    # The sections of the HTML part (summary.html), in its order and with its headings.
    sub = "### " if md else ""
    gap = [""] if md else []
    if s.overdue:
        lines += _overdue_lines(s, md, sub, bullet)
    if s.due_soon:
        lines += [f"{sub}Due in the next 14 days"] + gap
        lines += [f"{bullet}{r.ref}: {_md(shorten(r.title, 60))} ({r.owner_name}), due {daydate(r.due)}" for r in s.due_soon]
        lines.append("")
    lines += _all_and_awaiting(s, sub, gap, bullet)
    lines += _section(f"Completed {period}", sub, gap,
                      [f"{bullet}{c['ref']}: {_md(shorten(c['title'], 60))} ({c['owner_name']})" for c in s.completed])
    lines += [""] + _section(f"Extensions agreed {period}", sub, gap, [
        f"{bullet}{e['ref']}: due {daydate(e['from'])} -> {daydate(e['to'])} (original {daydate(e['original'])}); "
        f"{e['reason']}; approved by {e['approved_by']}" for e in s.extensions])  # fmt: skip
    waiting = [r for r in s.rows if r.pending_extension]
    if waiting:
        lines += ["", f"{sub}Extension requests awaiting approval"] + gap
        lines += [f"{bullet}{r.ref}: due {daydate(r.due)} -> {_day(r.pending_extension['to'])}; "
                  f"{r.pending_extension['reason']}; "
                  f"waiting for {r.pending_extension['approver']}" for r in waiting]  # fmt: skip
    sent = notice_counts(s.notices)
    lines += ["", f"{sub}Notices sent {period}: {sum(s.notices.values())}" + (f" ({sent})" if sent else "")]
    if s.failures:
        lines += ["", f"{sub}Delivery failures"] + gap
        lines += [f"{bullet}{f['ref']} {f['stage']} to {f['recipient']}: {f['error']}" for f in s.failures]
    if s.config_errors:
        lines += ["", f"{sub}Config errors (the last valid config kept running)"] + gap
        lines += [f"{bullet}{when(e['at'], s.tz)}: {e['detail']}" for e in s.config_errors]
    return lines + [""]


def _all_and_awaiting(s: PlanSummary, sub: str, gap: list[str], bullet: str) -> list[str]:
    """Return the "All actions" section (each action's due date, status and RAG) and, if any, the
    completions awaiting verification: the text part's copy of the HTML part's sections."""
    lines = [f"{sub}All actions"] + gap if s.rows else []
    lines += [f"{bullet}{r.ref} ({r.status.replace('_', ' ')}, {r.rag}): {_md(shorten(r.title, 60))} "
              f"({_md(r.owner_name)}), due {daydate(r.due)}" for r in s.rows] + ([""] if s.rows else [])  # fmt: skip
    if s.awaiting:
        lines += [f"{sub}{awaiting_heading(s)}"] + gap
        lines += [f"{bullet}{w['ref']}: {_md(shorten(w['title'], 60))} ({w['owner_name']}), "
                  f"completed {daydate(w['since'])}, waiting {w['days']} day{'s' if w['days'] != 1 else ''}"
                  + (f"; {w['verifier']} verifies it (the administrator owns it)" if w["verifier"] else "")
                  for w in s.awaiting] + [""]  # fmt: skip
    return lines


def _section(heading: str, sub: str, gap: list[str], items: list[str]) -> list[str]:
    """Return a heading and its items, or for no items one line ("Completed since ...: none."):
    never a heading over "none"."""
    return [f"{sub}{heading}"] + gap + items if items else [f"{heading}: none."]


def _overdue_lines(s: PlanSummary, md: bool, sub: str, bullet: str) -> list[str]:
    lines = [f"{sub}Overdue"]
    if md:
        lines += ["", "| Ref | Action | Owner | Due | Overdue |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r.ref} | {_md(r.title)} | {_md(r.owner_name)} | {daydate(r.due)} | {-r.days_left} days |"
                  for r in s.overdue]  # fmt: skip
    else:
        lines += [f"{bullet}{r.ref}: {shorten(r.title, 60)} ({r.owner_name}), due {daydate(r.due)}, {days_text(r)}"
                  for r in s.overdue]  # fmt: skip
    return lines + [""]


def _day(iso: str) -> str:
    """Return an ISO date (as status rows carry them for JSON) as people read it."""
    return daydate(dt.date.fromisoformat(iso))


def _md(text: str) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render_csv(summaries: list[PlanSummary]) -> str:
    """Return the summaries' action rows as CSV."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["plan", "ref", "title", "owner", "original_due", "due", "days_left", "status", "rag"])
    for s in summaries:
        for r in s.rows:
            w.writerow(
                [r.plan, r.ref, r.title, r.owner_name, r.original_due, r.due, r.days_left, r.status, r.rag]
            )
    return buf.getvalue()


def stream_lines(summaries, md: bool):
    """Yield the text of `render_lines` a plan at a time (the same text, joined)."""
    if md:
        yield "# Improvement plan summary\n\n"
    pending = None
    for s in summaries:
        if pending is not None:
            yield pending + "\n"
        pending = "\n".join(_lines_text(s, md))
    yield (pending or "").rstrip() + "\n"


def stream_csv(summaries):
    """Yield the CSV of `render_csv` a plan at a time."""
    header = True
    for s in summaries:
        text = render_csv([s])
        yield text if header else text.split("\r\n", 1)[1]
        header = False
    if header:
        yield render_csv([])


def render_lines(summaries: list[PlanSummary], md: bool) -> str:
    """Return the summaries as plain text, or Markdown when `md`."""
    lines = ["# Improvement plan summary", ""] if md else []
    for s in summaries:
        lines += _lines_text(s, md)
    return "\n".join(lines).rstrip() + "\n"
