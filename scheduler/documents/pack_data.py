"""What the evidence pack says about each recommendation, read from the database (PRODUCT.md §8):
response, owner, due dates and revisions, progress notes, completion, verification, evidence and
notices sent. Only what the database holds, in a fixed order, so the same database gives the same
pack. Times are local to the plan's timezone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, select

from scheduler.store.evidence import human_size, listing
from scheduler.store.models import Action, ActionEvent, DueRevision, Notice, Owner

AWAITING = "awaiting_verification"


@dataclass
class PackFile:
    """One evidence file as it goes into the zip."""

    evidence_id: int
    ref: str
    path: str  # inside the zip: evidence/<ref>/<id>-<name>
    name: str
    given_name: str
    content_type: str
    size: int
    sha256: str
    submitted_by: str
    submitted_at: dt.datetime
    superseded_by: int | None

    @property
    def size_text(self) -> str:
        return human_size(self.size)


@dataclass
class ActionSection:
    """Everything the pack says about one recommendation."""

    ref: str
    title: str
    response: str | None
    area: str | None
    owner: str
    owner_email: str
    status: str
    original_due: dt.date
    due: dt.date
    revisions: list[dict] = field(default_factory=list)
    progress: list[dict] = field(default_factory=list)  # {at, by, note}
    completions: list[dict] = field(default_factory=list)  # {at, by, note}
    decisions: list[dict] = field(default_factory=list)  # {at, by, outcome, reason}
    files: list[PackFile] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)  # {url, by, at}
    notices: list[dict] = field(default_factory=list)  # {at, stage, to, state}


def sections(session: Session, plan_id: str, tz, order: tuple[str, ...] = ()) -> list[ActionSection]:
    """Return one section per action of the plan, in the plan file's `order` of refs, then the others
    (withdrawn ones, removed from the file) in ref order."""
    owners = {o.id: o for o in session.exec(select(Owner))}
    actions = session.exec(select(Action).where(Action.plan_id == plan_id)).all()
    place = {ref: i for i, ref in enumerate(order)}
    out = []
    for a in sorted(actions, key=lambda a: (place.get(a.ref, len(place)), _natural(a.ref))):
        o = owners.get(a.owner_id)
        sec = ActionSection(a.ref, a.title, a.response, a.area, o.name if o else a.owner_id, o.email if o else "",
                            a.status, a.config_due, a.due)  # fmt: skip
        _revisions(session, a, sec, tz)
        _events(session, a, sec, tz, owners)
        _evidence(session, a, sec, tz, owners)
        for n in session.exec(select(Notice).where(Notice.action_id == a.id).order_by(Notice.id)):
            if n.state == "sent":
                sec.notices.append({"at": n.sent_at.astimezone(tz), "stage": n.stage, "to": n.recipient})
        out.append(sec)
    return out


def _natural(ref: str) -> tuple:
    """Sort SG2 before SG10: letters, then the number."""
    head = ref.rstrip("0123456789")
    tail = ref[len(head) :]
    return head, int(tail) if tail else -1, ref


def _revisions(session: Session, a: Action, sec: ActionSection, tz) -> None:
    for r in session.exec(select(DueRevision).where(DueRevision.action_id == a.id).order_by(DueRevision.id)):
        sec.revisions.append({"from": r.previous_due, "to": r.revised_due, "reason": r.reason,
                              "approved_by": r.approved_by, "at": r.recorded_at.astimezone(tz)})  # fmt: skip


def _who(by: str, owners: dict) -> str:
    bare = by.replace(" (via web)", "")
    for o in owners.values():
        if bare in (o.id, o.email):
            return o.name + (" (via web)" if bare != by else "")
    return by


def _events(session: Session, a: Action, sec: ActionSection, tz, owners: dict) -> None:
    """Sort the action's events into progress notes, completions and the administrator's decisions."""
    for e in session.exec(select(ActionEvent).where(ActionEvent.action_id == a.id).order_by(ActionEvent.id)):
        item = {"at": e.at.astimezone(tz), "by": _who(e.by, owners), "note": e.note, "outcome": None, "reason": None}
        if e.kind == "progress" or (e.kind == "status" and e.to_value == "in_progress" and e.from_value != AWAITING):
            if e.note:
                sec.progress.append(item)
        elif e.kind == "status" and e.to_value == AWAITING:
            sec.completions.append(item)
        elif e.kind == "status" and e.from_value == AWAITING:
            returned = e.to_value == "in_progress"
            reason = (e.note or "").removeprefix("returned: ") if returned else None
            sec.decisions.append({**item, "outcome": "returned" if returned else "verified", "reason": reason})
        elif e.kind == "status" and e.to_value == "complete":  # closed by an admin, or before verification
            sec.completions.append({**item, "note": (e.note or "") + " (recorded complete without verification)"})


def _evidence(session: Session, a: Action, sec: ActionSection, tz, owners: dict) -> None:
    for e in listing(session, a.id):
        at = e.submitted_at.astimezone(tz)
        if e.kind == "link":
            sec.links.append({"url": e.url, "by": _who(e.submitted_by, owners), "at": at})
            continue
        sec.files.append(PackFile(e.id, a.ref, f"evidence/{a.ref}/{e.id}-{e.file_name}", e.file_name,
                                  e.given_name or e.file_name, e.content_type, e.size, e.sha256,
                                  _who(e.submitted_by, owners), at,
                                  e.superseded_by))  # fmt: skip
