"""The status table: every action with its due date, days left and RAG rating."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlmodel import Session, select

from scheduler.store.models import Action, DueRevision, ExtensionRequest, Owner, Plan

DUE_SOON_DAYS = 14
CSV_FIELDS = ("plan", "ref", "title", "area", "owner", "owner_name", "owner_email", "original_due", "due",
              "days_left", "status", "rag", "pending_extension")  # fmt: skip


def rag(status: str, days_left: int) -> str:
    """Return complete / withdrawn / overdue / due soon / on track."""
    if status in ("complete", "withdrawn"):
        return status
    if days_left < 0:
        return "overdue"
    return "due soon" if days_left <= DUE_SOON_DAYS else "on track"


@dataclass(frozen=True)
class StatusRow:
    plan: str
    ref: str
    title: str
    area: str | None
    owner: str
    owner_name: str
    owner_email: str
    original_due: dt.date
    due: dt.date
    revisions: list
    days_left: int
    status: str
    rag: str
    pending_extension: dict | None = None  # {"to", "approver", "reason"} while awaiting approval

    def as_json(self) -> dict:
        d = asdict(self)
        d["original_due"], d["due"] = self.original_due.isoformat(), self.due.isoformat()
        return d


def status_rows(session: Session, today_for, plan_id: str | None = None) -> list[StatusRow]:
    """Return one row per action (active plans), ordered by plan, due date and ref.

    `today_for(plan_id)` gives the local date to count days from.
    """
    stmt = select(Action, Owner, Plan).join(Owner, Owner.id == Action.owner_id)
    stmt = stmt.join(Plan, Plan.id == Action.plan_id).where(Plan.active)
    if plan_id:
        stmt = stmt.where(Action.plan_id == plan_id)
    revs: dict[int, list] = {}
    for r in session.exec(select(DueRevision).order_by(DueRevision.id)):
        revs.setdefault(r.action_id, []).append(
            {"from": r.previous_due.isoformat(), "to": r.revised_due.isoformat(),
             "reason": r.reason, "approved_by": r.approved_by})  # fmt: skip
    pending = {p.action_id: {"to": p.proposed_due.isoformat(), "approver": p.approver, "reason": p.reason}
               for p in session.exec(select(ExtensionRequest).where(ExtensionRequest.state == "pending"))}  # fmt: skip
    rows = []
    for action, owner, _plan in session.exec(stmt):
        days = (action.due - today_for(action.plan_id)).days
        rows.append(StatusRow(action.plan_id, action.ref, action.title, action.area, owner.id,
                              owner.name, owner.email, action.config_due, action.due,
                              revs.get(action.id, []), days, action.status,
                              rag(action.status, days), pending.get(action.id)))  # fmt: skip
    rows.sort(key=lambda r: (r.plan, r.status == "withdrawn", r.due, r.ref))
    return rows


def days_text(row: StatusRow) -> str:
    if row.status in ("complete", "withdrawn"):
        return "-"
    if row.days_left < 0:
        return f"{-row.days_left}d overdue"
    return "due today" if row.days_left == 0 else f"{row.days_left}d left"
