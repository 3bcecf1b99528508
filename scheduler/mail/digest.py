"""What a digest (one email carrying several notices) says about its contents: the subject's
counts and the list of contents, both by action: two notices about one action (escalated, and a
progress update asked for the review) are one action with two things to do, never two actions."""

from __future__ import annotations

from scheduler.config.humandates import shortdate
from scheduler.engine.views import NoticeView
from scheduler.store.stages import StageName


def plural(n: int, word: str) -> str:
    """Return e.g. '1 day' or '3 days'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def what(n: NoticeView) -> str:
    """Return the few words a digest subject counts a notice under, e.g. 'overdue', 'due tomorrow'."""
    if n.kind == "reminder":
        return "due tomorrow" if n.days_left == 1 else f"due in {n.days_left} days"
    return {"assigned": "new", "extension": "re-dated", "due": "due today", "overdue": "overdue",
            "escalation": "escalated to you", "escalated": "of yours escalated", "approval": "extension to decide",
            "decision": "extension decided", "confirmed": "completed", "link": "new link", "verify": "to verify",
            "verified": "verified", "returned": "returned", "progress": "to update for the review"}.get(
        n.kind, n.kind.replace("_", " "))  # fmt: skip


# A digest of one kind only reads as a sentence: "2 new actions for you", "5 overdue actions escalated to you".
_ONE_KIND = {"new": "{n} new {actions} for you", "escalated to you": "{n} overdue {actions} escalated to you",
             "of yours escalated": "{n} of your {actions} escalated", "re-dated": "{n} of your {actions} re-dated",
             "extension to decide": "{n} {actions}: more time asked, for you to decide",
             "extension decided": "{n} of your {actions}: more time decided",
             "completed": "{n} of your {actions} recorded as complete",
             "new link": "a new link for {n} of your {actions}", "to verify": "{n} {actions} to verify",
             "verified": "{n} of your {actions} verified complete",
             "returned": "{n} of your {actions} returned, not yet verified",
             "to update for the review": "{n} of your {actions} to update for the review"}  # fmt: skip


def digest_counts(notices: list[NoticeView]) -> str:
    """Return what a digest's subject says, plainly saying who must act, e.g. '5 overdue actions
    escalated to you', '3 actions for you: 2 escalated to you, 1 of yours escalated' (most urgent first)."""
    order = ["returned", "to verify", "escalated to you", "of yours escalated", "overdue", "due today", "due tomorrow"]
    counts: dict[str, int] = {}
    for n in notices:
        counts[what(n)] = counts.get(what(n), 0) + 1
    keys = sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k))
    actions = len({n.key for n in notices})
    if len(keys) == 1:
        k = keys[0]
        template = _ONE_KIND.get(k, "{n} of your {actions} " + k)
        return template.format(n=actions, actions="action" if actions == 1 else "actions")
    return f"{plural(actions, 'action')} for you: " + ", ".join(f"{counts[k]} {k}" for k in keys)


def happened(n: NoticeView) -> str:
    """Return one line of a digest's list of contents: what happened to the action, for this reader."""
    late = plural(n.days_overdue, "day") + " overdue"
    if n.kind == "escalation":
        return f"{late}, escalated to you (owner: {n.owner.name})"
    if n.kind == "escalated" and n.escalated_to:
        return f"{late}, escalated to {n.escalated_to.name}"
    if n.kind == "overdue":
        return late
    if n.kind == "extension":
        return f"due date moved to {shortdate(n.due)}"
    if n.kind == "assigned":
        return "new action for you"
    if n.kind in ("approval", "decision") and n.request is not None:
        if n.kind == "approval":
            return f"{n.request.requested_by.name} asks for more time, until {shortdate(n.request.proposed_due)}"
        return "more time agreed" if n.request.state == "approved" else f"more time {n.request.state}"
    if n.kind == "progress":
        return f"progress update asked for the review on {shortdate(StageName.parse(n.stage).day)}"
    return {"confirmed": "recorded as complete", "link": "your new link", "verify": "marked complete: to verify",
            "verified": "verified complete", "returned": "returned: not yet verified"}.get(n.kind, what(n))


def group_by_action(notices: list[NoticeView]) -> list[list[NoticeView]]:
    """Return the notices grouped by action (plan/ref), in order of each action's first notice."""
    groups: dict[str, list[NoticeView]] = {}
    for n in notices:
        groups.setdefault(n.key, []).append(n)
    return list(groups.values())
