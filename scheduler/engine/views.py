"""Template views: everything an email may show about one notice, built from the database and
the config. `notice_view` for a ledger row; `preview_view` for any stage of an action."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from scheduler.config.model import Config
from scheduler.engine import verification_view
from scheduler.engine.decide import escalation_stages, notice_for, owner_stages
from scheduler.engine.facts import build_facts, calendar_for
from scheduler.store.models import Action, ExtensionRequest, Notice
from scheduler.store.operations import InputError, revisions
from scheduler.store.stages import WEB_KINDS, StageName

KINDS = ("assigned", "extension", "reminder", "due", "overdue", "escalation", "escalated", "progress", "verify",
         "verified", "returned") + WEB_KINDS


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


@dataclass(frozen=True)
class RequestView:
    """An extension request, for the approval request and decision notices."""

    id: int
    requested_by: Recipient
    approver: Recipient
    due_date: dt.date
    proposed_due: dt.date
    reason: str
    state: str
    note: str | None


@dataclass(frozen=True)
class NoticeView:
    """Everything a template may show about one notice."""

    plan: str
    plan_title: str
    ref: str
    title: str
    response: str | None
    area: str | None
    stage: str
    kind: str  # one of KINDS
    to: Recipient
    cc: tuple[Recipient, ...]
    owner: Recipient
    owner_id: str
    due: dt.date
    original_due: dt.date
    revisions: tuple  # of (previous_due, revised_due, reason, approved_by)
    today: dt.date
    status: str
    owner_since: dt.date
    escalation_level: int | None
    overdue_number: int | None
    before_days: int | None
    ics_sequence: int = 0
    administrator: Recipient | None = None  # named in the email, its Reply-To
    escalated_to: Recipient | None = None  # on the owner's copy of an escalation: who got it
    next_escalation: tuple | None = None  # (send day, Recipient) of the next level still to come
    action_id: int | None = None  # for the signed "update this action" link
    request: RequestView | None = None  # approval:N and decision:N notices: extension request N
    tz: dt.tzinfo | None = None  # the plan's zone: the email's Date, and any time shown, are local to it
    verification: dict | None = None  # verify / verified / returned: note, evidence, decision (verification_view)
    verifier: Recipient | None = None  # who verifies the action's completion: never its owner (config/approvers.py)
    completed_on: dt.date | None = None  # awaiting verification or complete: the day the owner completed it

    @property
    def days_left(self) -> int:
        return (self.due - self.today).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)

    @property
    def key(self) -> str:
        return f"{self.plan}/{self.ref}"

    @property
    def admin_owns(self) -> bool:
        """Return True when the plan administrator owns this action (their completion goes to the verifier)."""
        return bool(self.administrator and self.owner.email
                    and self.administrator.email.lower() == self.owner.email.lower())  # fmt: skip

    @property
    def reply_to(self) -> Recipient | None:
        """Return who replies about this action reach: the administrator, or the verifier when the
        administrator owns it (a reply must never go back to the owner as the checker)."""
        return self.verifier if self.admin_owns and self.verifier else self.administrator


def kind_of(stage: StageName, extended: bool, copy: bool = False) -> str:
    """Return the template kind of a stage (an `assigned` after an extension: `extension`;
    the owner's copy of an escalation: `escalated`)."""
    head = stage.kind
    if head == "assigned":
        return "extension" if extended else "assigned"
    if head == "escalation" and copy:
        return "escalated"
    return {"before": "reminder"}.get(head, head)


def recipient(config: Config, email: str) -> Recipient:
    """Return the configured person with this address (their current name), or the bare address."""
    for o in config.owners.values():
        if o.email == email:
            return Recipient(o.name, o.email)
    low = email.lower()  # web requests store addresses lower-cased: only a miss pays for this
    for o in config.owners.values():
        if o.email.lower() == low:
            return Recipient(o.name, o.email)
    return Recipient(email, email)


def notice_view(session: Session, config: Config, action: Action, notice: Notice, now: dt.datetime,
                revs: list | None = None) -> NoticeView:  # fmt: skip
    """Return the view of ledger row `notice` for `action`, as of `now` (`revs`: its revisions, if known)."""
    plan = config.plans[action.plan_id]
    revs = revisions(session, action.id) if revs is None else revs
    # The revisions that led to this notice's due date (none if it is the original date).
    last = max((i for i, r in enumerate(revs) if r.revised_due == notice.due_date), default=-1)
    stage = StageName.parse(notice.stage)
    head, number = stage.kind, stage.number
    owner = config.owners.get(action.owner_id)
    today = now.astimezone(plan.policy.tz).date()
    facts = build_facts(session, config, action, revs)
    target = facts.escalation_targets[number - 1] if head == "escalation" else None
    copy = target is not None and target.email != notice.recipient
    admin = config.owners.get(plan.administrator) if plan.administrator else None
    return NoticeView(
        plan=plan.id, plan_title=plan.title, ref=action.ref, title=action.title, response=action.response,
        area=action.area, stage=notice.stage, kind=kind_of(stage, last >= 0, copy),
        to=recipient(config, notice.recipient),
        cc=tuple(recipient(config, e) for e in (notice.cc or "").split(",") if e),
        owner=Recipient(owner.name, owner.email) if owner else Recipient(action.owner_id, ""),
        owner_id=action.owner_id, due=notice.due_date, original_due=action.config_due,
        revisions=tuple((r.previous_due, r.revised_due, r.reason, _name(config, r.approved_by)) for r in revs[: last + 1]),
        today=today, status=action.status, owner_since=action.owner_since,
        escalation_level=number if head == "escalation" else None,
        overdue_number=number if head == "overdue" else None,
        before_days=number if head == "before" else None,
        ics_sequence=len(revs),
        administrator=Recipient(admin.name, admin.email) if admin else None,
        escalated_to=Recipient(target.name, target.email) if copy else None,
        next_escalation=_next_escalation(facts, plan, today),
        action_id=action.id, tz=plan.policy.tz,
        request=_request(session, config, number) if head in ("approval", "decision") else None,
        verification=verification_view.detail(session, config, action, notice, plan.policy.tz, today),
        verifier=Recipient(facts.verifier.name, facts.verifier.email) if facts.verifier else None,
        completed_on=verification_view.completed_on(session, action, plan.policy.tz),
    )  # fmt: skip


def _name(config: Config, who: str) -> str:
    """Return the configured name of owner id `who` (as people read it), else `who` as recorded."""
    owner = config.owners.get(who)
    return owner.name if owner else who


def _request(session: Session, config: Config, request_id: int) -> RequestView | None:
    req = session.get(ExtensionRequest, request_id)
    if req is None:
        return None
    return RequestView(req.id, recipient(config, req.requested_by), recipient(config, req.approver), req.due_date,
                       req.proposed_due, req.reason, req.state, req.decided_note)  # fmt: skip


def _next_escalation(facts, plan, today: dt.date) -> tuple | None:
    """Return (send day, Recipient) of the first escalation level still to come after `today`."""
    for stage in escalation_stages(facts, plan.policy, calendar_for(plan)):
        if stage.send_day > today:
            p = facts.escalation_targets[stage.order - 1]
            return stage.send_day, Recipient(p.name, p.email)
    return None


def preview_view(session: Session, config: Config, action: Action, stage: str | None, now: dt.datetime):
    """Return (view, send day, send time) of `stage` (default: the next one) of `action`.

    Raises InputError naming the stages when `stage` is not one of this action's.
    """
    if action.plan_id not in config.plans:
        raise InputError(f"{action.plan_id}/{action.ref}: its plan is no longer in the config")
    plan = config.plans[action.plan_id]
    facts = build_facts(session, config, action)
    cal = calendar_for(plan)
    today = now.astimezone(plan.policy.tz).date()
    stages = owner_stages(facts, plan.policy, cal, max(today, action.due) + dt.timedelta(days=60))
    stages += escalation_stages(facts, plan.policy, cal)
    names = [st.name for st in stages]
    chosen = stage or next((st.name for st in stages if st.send_day >= today), "due")
    if chosen not in names:
        raise InputError(f"--stage {chosen!r}: not a stage of this action; use one of: {', '.join(names)}")
    pn = notice_for(stages[names.index(chosen)], facts)
    row = Notice(action_id=action.id, due_date=action.due, stage=chosen, track=pn.stage.track,
                 recipient=pn.to.email, send_day=pn.stage.send_day, state="preview")  # fmt: skip
    # As the recipient would see it: on its send day, at the send time (days left/overdue then).
    sent_at = dt.datetime.combine(pn.stage.send_day, plan.policy.send_time, tzinfo=plan.policy.tz)
    return notice_view(session, config, action, row, sent_at), pn.stage.send_day, plan.policy.send_time
