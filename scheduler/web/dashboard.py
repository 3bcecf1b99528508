"""The read-only plan dashboard for managers, reached by a signed link (weekly summary email,
`reminders web-link`): RAG counts, overdue, due soon, recent completions, pending extensions,
and a per-owner view."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlmodel import select
from starlette.requests import Request

from scheduler.engine.status import status_rows
from scheduler.engine.summary import RAG_ORDER
from scheduler.store import extensions
from scheduler.store.models import Action, ActionEvent
from scheduler.store.states import ActionStatus, EventKind
from scheduler.web.access import dashboard_plan
from scheduler.web.pages import page


def dashboard(request: Request):
    """GET: the plan's dashboard (nothing on it changes anything); runs in the thread pool."""
    found = dashboard_plan(request)
    if not isinstance(found, tuple):
        return found
    web, plan = found
    now = web.now()
    today = now.astimezone(plan.policy.tz).date()
    with web.session() as s:
        rows = status_rows(s, lambda _p: today, plan.id, config=web.config, now=now)
        actions = {a.id: a for a in s.exec(select(Action).where(Action.plan_id == plan.id))}
        since = now - dt.timedelta(days=30)
        done = s.exec(select(ActionEvent).where(ActionEvent.action_id.in_(list(actions)), ActionEvent.kind == EventKind.STATUS,
                                                ActionEvent.to_value == ActionStatus.COMPLETE, ActionEvent.at >= since))  # fmt: skip
        names = {r.ref: r.owner_name for r in rows}
        completed = [{"ref": actions[e.action_id].ref, "title": actions[e.action_id].title, "at": e.at,
                      "owner_name": names.get(actions[e.action_id].ref, "")} for e in done]  # fmt: skip
        # not lapsed at `now` (a request past link_valid_days waits for nobody), read without writing
        pending = [{"ref": actions[p.action_id].ref, "due_date": p.due_date, "proposed_due": p.proposed_due,
                    "reason": p.reason, "approver": p.approver}
                   for p in extensions.waiting(s, web.config, now, plan.id).values()]  # fmt: skip
    by_owner: dict[str, Counter] = {}
    for r in rows:
        by_owner.setdefault(r.owner_name, Counter())[r.rag] += 1
    return page("dashboard.html", plan=plan, today=today, rag_order=RAG_ORDER[:5], counts=Counter(r.rag for r in rows),
                overdue=sorted((r for r in rows if r.rag == "overdue"), key=lambda r: r.days_left),
                due_soon=[r for r in rows if r.rag == "due soon"], completed=completed, pending=pending,
                by_owner=sorted(by_owner.items()), report_href=f"/d/{request.path_params['token']}/report",
                pack_url=f"/d/{request.path_params['token']}/evidence-pack.zip")  # fmt: skip
