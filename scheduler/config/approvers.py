"""Who approves an owner's extension request (PRODUCT.md §2): nobody approves their own.

The request goes to the owner's manager; when that person would be the requester (no manager,
or the manager shares the owner's mailbox) it goes up to the plan's escalation contact, then to
its administrator. A plan where some owner has nobody left is a config error (`validate`).
"""

from __future__ import annotations


def approver_chain(owners: dict, owner_id: str, contact: str | None, administrator: str | None) -> list:
    """Return the Owners who may approve for `owner_id`, in order (manager, escalation contact,
    administrator), without duplicates and without anyone sharing the owner's address."""
    owner = owners.get(owner_id)
    if owner is None:
        return []
    own = owner.email.lower()
    out, seen = [], set()
    for who in (owner.manager, contact, administrator):
        person = owners.get(who) if who else None
        if person is None or person.email.lower() == own or person.email.lower() in seen:
            continue
        seen.add(person.email.lower())
        out.append(person)
    return out


def approver_of(config, plan_id: str, owner_id: str, requester: str | None = None):
    """Return the Owner who approves extensions of `owner_id`'s action in plan `plan_id` now (first
    of the chain who is not `requester` either), or None when nobody can."""
    plan = config.plans.get(plan_id)
    if plan is None:
        return None
    chain = approver_chain(config.owners, owner_id, plan.escalation_contact, plan.administrator)
    asker = (requester or "").lower()
    return next((p for p in chain if p.email.lower() != asker), None)
