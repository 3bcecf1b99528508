"""Build the template view of a ledger notice from the database and the config."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from scheduler.config_model import Config
from scheduler.emails import NoticeView, Recipient, kind_of
from scheduler.models import Action, Notice
from scheduler.operations import revisions


def recipient(config: Config, email: str) -> Recipient:
    """The configured person with this address (their current name), or the bare address."""
    for o in config.owners.values():
        if o.email == email:
            return Recipient(o.name, o.email)
    return Recipient(email, email)


def notice_view(
    session: Session, config: Config, action: Action, notice: Notice, now: dt.datetime
) -> NoticeView:
    plan = config.plans[action.plan_id]
    revs = revisions(session, action.id)
    # The revisions that led to this notice's due date (none if it is the original date).
    last = max((i for i, r in enumerate(revs) if r.revised_due == notice.due_date), default=-1)
    applicable = revs[: last + 1]
    extended = last >= 0
    head, _, number = notice.stage.partition(":")
    owner = config.owners.get(action.owner_id)
    return NoticeView(
        plan=plan.id,
        plan_title=plan.title,
        ref=action.ref,
        title=action.title,
        response=action.response,
        area=action.area,
        stage=notice.stage,
        kind=kind_of(notice.stage, extended),
        to=recipient(config, notice.recipient),
        cc=tuple(recipient(config, e) for e in (notice.cc or "").split(",") if e),
        owner=Recipient(owner.name, owner.email) if owner else Recipient(action.owner_id, ""),
        owner_id=action.owner_id,
        due=notice.due_date,
        original_due=action.config_due,
        revisions=tuple((r.previous_due, r.revised_due, r.reason, r.approved_by) for r in applicable),
        today=now.astimezone(plan.policy.tz).date(),
        status=action.status,
        owner_since=action.owner_since,
        escalation_level=int(number) if head == "escalation" else None,
        overdue_number=int(number) if head == "overdue" else None,
        before_days=int(number) if head == "before" else None,
        ics_sequence=len(revs),
    )
