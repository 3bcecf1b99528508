"""What the verification emails show: for `verify:N` the owner's note, the evidence and how long it
has waited; for `verified:N` and `returned:N` who decided, when, and the reason for a return."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from scheduler.store.evidence import human_size, listing
from scheduler.store.models import Action, ActionEvent, Notice
from scheduler.store.stages import StageName
from scheduler.store.verification import AWAITING, submissions

HEADS = ("verify", "verified", "returned")


def _name(config, who: str) -> str:
    """Return the configured name of an owner id or address (a `(via web)` suffix kept out)."""
    bare = who.replace(" (via web)", "").strip().lower()
    for o in config.owners.values():
        if bare in (o.id.lower(), o.email.lower()):
            return o.name
    return who


def _decision(session: Session, action: Action, notice: Notice) -> ActionEvent | None:
    """Return the administrator's decision the outcome notice is about (the latest before it)."""
    stmt = select(ActionEvent).where(ActionEvent.action_id == action.id, ActionEvent.kind == "status",
                                     ActionEvent.from_value == AWAITING).order_by(ActionEvent.id.desc())  # fmt: skip
    if notice.created_at is not None:
        stmt = stmt.where(ActionEvent.at <= notice.created_at + dt.timedelta(seconds=1))
    return session.exec(stmt).first()


def detail(session: Session, config, action: Action, notice: Notice, tz, today: dt.date) -> dict | None:
    """Return the verification facts a verify or outcome notice shows (None for other stages)."""
    head = StageName.parse(notice.stage).kind
    if head not in HEADS:
        return None
    sent = submissions(session, action.id)
    last = sent[-1] if sent else None
    out = {"note": last.note if last else None, "submitted_by": _name(config, last.by) if last else None,
           "since": last.at.astimezone(tz) if last else None,
           "days_waiting": (today - last.at.astimezone(tz).date()).days if last else 0,
           "evidence": [], "by": None, "at": None, "reason": None}  # fmt: skip
    if head == "verify":
        since = last.at if last else None
        out["evidence"] = [_evidence(e) for e in listing(session, action.id)
                           if since is None or e.submitted_at >= since - dt.timedelta(seconds=1)]  # fmt: skip
        return out
    decision = _decision(session, action, notice)
    if decision is not None:
        out["by"], out["at"] = _name(config, decision.by), decision.at.astimezone(tz)
        out["reason"] = (decision.note or "").removeprefix("returned: ") if head == "returned" else None
    return out


def completed_on(session: Session, action: Action, tz) -> dt.date | None:
    """Return the local day the owner completed the action (its latest status change to awaiting
    verification or complete that was not a verifier's decision), while it is awaiting verification
    or complete; else None. An email then says when it was completed, not how overdue it is."""
    if action.status not in (AWAITING, "complete"):
        return None
    stmt = select(ActionEvent).where(ActionEvent.action_id == action.id, ActionEvent.kind == "status",
                                     ActionEvent.to_value.in_([AWAITING, "complete"]))  # fmt: skip
    stmt = stmt.where((ActionEvent.from_value.is_(None)) | (ActionEvent.from_value != AWAITING))
    last = session.exec(stmt.order_by(ActionEvent.id.desc())).first()
    return last.at.astimezone(tz).date() if last else None


def _evidence(e) -> dict:
    if e.kind == "link":
        return {"name": e.url, "what": "link", "sha256": None}
    return {"name": e.file_name, "what": f"{e.content_type}, {human_size(e.size)}", "sha256": e.sha256}
