"""Who a signed link lets in, and the CSRF and one-time form keys that guard every change."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

from scheduler.engine.facts import build_facts
from scheduler.engine.links import LinkProblem
from scheduler.store.models import Action, WebSubmission
from scheduler.web.pages import message

CSRF_COOKIE = "reminders_csrf"


def csrf_token(request: Request) -> str:
    """Return the CSRF token of this browser (the cookie's, or a new one to set)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_csrf(response, token: str, secure: bool) -> None:
    """Set the CSRF cookie: HttpOnly, SameSite=Strict, Secure over https."""
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/",
                        max_age=86400)  # fmt: skip


def csrf_ok(request: Request, form) -> bool:
    """Return True when the form's CSRF token matches the cookie's (double submit)."""
    cookie, field = request.cookies.get(CSRF_COOKIE), form.get("csrf")
    return bool(cookie and field) and hmac.compare_digest(str(cookie), str(field))


def once(session, key: str, now) -> bool:
    """Record a form's one-time key; return False when it was already used (a repeated POST)."""
    if not key or len(key) > 64 or session.get(WebSubmission, key) is not None:
        return False
    session.add(WebSubmission(key=key, at=now))
    return True


def role_of(session, config, action: Action, recipient: str) -> str | None:
    """Return 'owner' or 'manager' for whom an action link may serve now, else None.

    A link stops working for an owner the action was reassigned away from.
    """
    plan = config.plans.get(action.plan_id)
    owner = config.owners.get(action.owner_id)
    if plan is None or owner is None:
        return None
    if owner.email.lower() == recipient:
        return "owner"
    facts = build_facts(session, config, action)
    managers = {p.email.lower() for p in facts.escalation_targets}
    admin = config.owners.get(plan.administrator) if plan.administrator else None
    if recipient in managers or (admin and admin.email.lower() == recipient):
        return "manager"
    return None


def checked(web, token: str, purpose: str, days: int, csrf: str):
    """Return the link's Claims, or the page that says why it cannot be used."""
    try:
        return web.links.check(token, purpose, days)
    except LinkProblem as exc:
        if exc.expired and purpose == "action":
            return expired_page(web, token, csrf)
        return message("This link cannot be used", f"{exc}. Use the link in your most recent email.", 400)


def expired_page(web, token: str, csrf: str):
    """Return the "link expired" page with its button for a fresh link (and its CSRF cookie)."""
    response = message("This link has expired", "Links in reminder emails work for a limited time. "
                       "Ask for a fresh one below.", 410, renew_token=token, csrf=csrf)  # fmt: skip
    set_csrf(response, csrf, web.secure)
    return response
