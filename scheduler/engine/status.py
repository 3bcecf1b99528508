"""The status table: every action with its due date, days left and RAG rating."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from sqlmodel import Session, select

from scheduler.store import extensions
from scheduler.store.models import Action, DueRevision, Owner, Plan

DUE_SOON_DAYS = 14
CSV_FIELDS = ("plan", "ref", "title", "area", "owner", "owner_name", "owner_email", "original_due", "due",
              "days_left", "status", "rag", "pending_extension")  # fmt: skip


def rag(status: str, days_left: int) -> str:
    """Return complete / withdrawn / awaiting verification / overdue / due soon / on track."""
    if status in ("complete", "withdrawn"):
        return status
    if status == "awaiting_verification":
        return "awaiting verification"
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


def status_rows(session: Session, today_for, plan_id: str | None = None, *, config, now) -> list[StatusRow]:
    """Return `iter_status` as a list (for the pages and summaries of one plan)."""
    return list(iter_status(session, today_for, plan_id, config=config, now=now))


def iter_status(session: Session, today_for, plan_id: str | None = None, *, config, now) -> Iterator[StatusRow]:
    """Yield one row per action (active plans), ordered by plan, due date and ref, reading the
    actions in pages: memory stays flat however many there are.

    `today_for(plan_id)` gives the local date to count days from; a row's pending_extension is a
    request still waiting at `now` under `config` (store/extensions.py `waiting`: not lapsed).
    """
    # Plain columns, not ORM objects, fetched a page at a time; sorted by the database.
    stmt = select(Action.id, Action.plan_id, Action.ref, Action.title, Action.area, Action.owner_id, Owner.name,
                  Owner.email, Action.config_due, Action.due, Action.status).join(Owner, Owner.id == Action.owner_id)
    stmt = stmt.join(Plan, Plan.id == Action.plan_id).where(Plan.active)
    if plan_id:
        stmt = stmt.where(Action.plan_id == plan_id)
    binary = "BINARY" if session.get_bind().dialect.name == "sqlite" else "C"  # code point order, as Python sorts
    stmt = stmt.order_by(Action.plan_id.collate(binary), Action.status == "withdrawn", Action.due,
                         Action.ref.collate(binary))  # fmt: skip
    revs: dict[int, list] = {}  # extensions and pending requests are few: read them whole
    cols = select(DueRevision.action_id, DueRevision.previous_due, DueRevision.revised_due, DueRevision.reason,
                  DueRevision.approved_by).order_by(DueRevision.id)  # fmt: skip
    for aid, prev, new, reason, by in session.exec(cols):
        revs.setdefault(aid, []).append({"from": prev.isoformat(), "to": new.isoformat(), "reason": reason,
                                         "approved_by": by})  # fmt: skip
    pending = {aid: {"to": p.proposed_due.isoformat(), "approver": p.approver, "reason": p.reason}
               for aid, p in extensions.waiting(session, config, now, plan_id).items()}  # fmt: skip
    today: dict[str, dt.date] = {}
    rows = session.exec(stmt.execution_options(yield_per=2000))
    for aid, plan, ref, title, area, owner_id, name, email, config_due, due, status in rows:
        if plan not in today:
            today[plan] = today_for(plan)
        days = (due - today[plan]).days
        yield StatusRow(plan, ref, title, area, owner_id, name, email, config_due, due, revs.get(aid, []),
                        days, status, rag(status, days), pending.get(aid))  # fmt: skip


def days_text(row: StatusRow) -> str:
    if row.status in ("complete", "withdrawn"):
        return "-"
    if row.days_left < 0:
        return f"{-row.days_left}d overdue"
    return "due today" if row.days_left == 0 else f"{row.days_left}d left"
