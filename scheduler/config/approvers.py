"""Who decides for an owner (PRODUCT.md §2): nobody approves their own extension request, and nobody
verifies their own completion.

An extension request goes to the owner's manager; when that person would be the requester (no
manager, or the manager shares the owner's mailbox) it goes up to the plan's escalation contact,
then to its administrator. A completion is verified by the plan's administrator; when the
administrator is the owner (same address), by the escalation contact, then the owner's manager.
A plan where some owner has nobody left is a config error (`validate`).
"""

from __future__ import annotations


def _others(owners: dict, owner_id: str, candidates) -> list:
    """Return the Owners named by `candidates` (ids, in order), without duplicates and without
    anyone sharing `owner_id`'s address (compared case-insensitively)."""
    owner = owners.get(owner_id)
    if owner is None:
        return []
    own = owner.email.lower()
    out, seen = [], set()
    for who in candidates:
        person = owners.get(who) if who else None
        if person is None or person.email.lower() == own or person.email.lower() in seen:
            continue
        seen.add(person.email.lower())
        out.append(person)
    return out


def approver_chain(owners: dict, owner_id: str, contact: str | None, administrator: str | None) -> list:
    """Return the Owners who may approve for `owner_id`, in order (manager, escalation contact,
    administrator), without duplicates and without anyone sharing the owner's address."""
    owner = owners.get(owner_id)
    return _others(owners, owner_id, (owner.manager if owner else None, contact, administrator))


def verifier_chain(owners: dict, owner_id: str, contact: str | None, administrator: str | None) -> list:
    """Return the Owners who may verify `owner_id`'s completion, in order (administrator, escalation
    contact, manager), without duplicates and without anyone sharing the owner's address."""
    owner = owners.get(owner_id)
    return _others(owners, owner_id, (administrator, contact, owner.manager if owner else None))


def approver_of(config, plan_id: str, owner_id: str, requester: str | None = None):
    """Return the Owner who approves extensions of `owner_id`'s action in plan `plan_id` now (first
    of the chain who is not `requester` either), or None when nobody can."""
    plan = config.plans.get(plan_id)
    if plan is None:
        return None
    chain = approver_chain(config.owners, owner_id, plan.escalation_contact, plan.administrator)
    asker = (requester or "").lower()
    return next((p for p in chain if p.email.lower() != asker), None)


def verifier_of(config, plan_id: str, owner_id: str):
    """Return the Owner who verifies completions of `owner_id`'s actions in plan `plan_id` (the
    administrator unless that is the owner), or None when nobody but the owner could."""
    plan = config.plans.get(plan_id)
    if plan is None:
        return None
    chain = verifier_chain(config.owners, owner_id, plan.escalation_contact, plan.administrator)
    return chain[0] if chain else None


def nobody_left(owners: dict, owner_id: str, contact: str | None, administrator: str | None,
                verification: str) -> tuple[str, str] | None:  # fmt: skip
    """Return (problem, fix) when nobody but `owner_id` could approve their extension requests or
    verify their completions (the plan's `verification` says whether completions are verified), else None."""
    if approver_chain(owners, owner_id, contact, administrator):
        return None  # the same people in another order: someone approves, so someone verifies
    fix = f"give {owner_id!r} a manager in owners.yaml, or the plan an escalation_contact or administrator who is someone else"
    if verification == "administrator" and administrator is not None:
        return (f"nobody but its owner {owner_id!r} can verify its completion or approve an extension for it "
                "(the administrator, escalation contact and manager are the owner or not set)", fix)  # fmt: skip
    return (f"nobody can approve an extension for owner {owner_id!r} (no manager, escalation contact or "
            "administrator other than the owner)", f"give {owner_id!r} a manager in owners.yaml, or the plan an escalation_contact")  # fmt: skip
