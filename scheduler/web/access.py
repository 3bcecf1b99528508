"""Who a signed link lets in, and the CSRF token that guards every change.

A link is checked first (signature, purpose, the longest age any plan allows) before a body is
parsed, then against its plan's own `link_valid_days` and the current config: the owner the
action has now, or a manager it escalates to (or the plan's administrator, or the action's verifier).
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets

from starlette.requests import Request

from scheduler.config.approvers import verifier_of
from scheduler.engine.facts import build_facts
from scheduler.engine.links import Claims, LinkProblem
from scheduler.store.models import Action
from scheduler.web.pages import message

CSRF_COOKIE = "reminders_csrf"
OWNER, MANAGER = "owner", "manager"


def csrf_token(request: Request) -> str:
    """Return the CSRF token of this browser (the cookie's, or a new one to set)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_csrf(response, token: str, secure: bool) -> None:
    """Set the CSRF cookie: HttpOnly, SameSite=Strict, Secure over https."""
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/",
                        max_age=86400)  # fmt: skip


def csrf_ok(request: Request, form: dict) -> bool:
    """Return True when the form's CSRF token matches the cookie's (double submit), compared as bytes
    (any text a client sends is comparable, so a strange value is a refusal, never an error)."""
    cookie, field = request.cookies.get(CSRF_COOKIE) or "", form.get("csrf") or ""
    return bool(cookie and field) and hmac.compare_digest(cookie.encode("utf-8", "replace"),
                                                          field.encode("utf-8", "replace"))  # fmt: skip


def number(subject: str) -> int | None:
    """Return a link's subject as a row id when it is plain ASCII digits (at most 18), else None: `int()`
    alone takes "²" as an error and "١" as 1."""
    return int(subject) if re.fullmatch(r"[0-9]{1,18}", subject) else None


def checked(web, token: str, purpose: str, csrf: str):
    """Return the link's Claims (signature, purpose and the longest age any plan allows), or the
    page that says why it cannot be used."""
    try:
        return web.links.check(token, purpose, web.max_link_days())
    except LinkProblem as exc:
        if exc.expired and purpose == "action":
            return expired_page(web, token, csrf)
        if exc.expired:
            return message("This link has expired", "Links in emails work for a limited time; use the one in "
                           "your most recent email, or ask the plan administrator for a new one.", 410)  # fmt: skip
        return message("This link cannot be used", f"{exc}. Use the link in your most recent email.", 400)


def too_old(web, claims: Claims, plan_id: str) -> bool:
    """Return True when the link is older than its plan's own `link_valid_days`."""
    plan = web.config.plans.get(plan_id)
    days = plan.policy.link_valid_days if plan else web.config.default_policy.link_valid_days
    return web.now() - claims.issued > dt.timedelta(days=days)


def role_of(session, config, action: Action, recipient: str) -> str | None:
    """Return OWNER or MANAGER for whom an action link may serve now (by the current config), else None.

    A link stops working for an owner the action was reassigned away from, or whose address changed.
    """
    plan = config.plans.get(action.plan_id)
    owner = config.owners.get(action.owner_id)
    if plan is None or owner is None:
        return None
    if owner.email.lower() == recipient:
        return OWNER
    facts = build_facts(session, config, action)
    managers = {p.email.lower() for p in facts.escalation_targets}
    admin = config.owners.get(plan.administrator) if plan.administrator else None
    verifier = verifier_of(config, action.plan_id, action.owner_id)  # the administrator unless they own it
    if recipient in managers or any(p and p.email.lower() == recipient for p in (admin, verifier)):
        return MANAGER
    return None


def expired_page(web, token: str, csrf: str):
    """Return the "link expired" page with its button for a fresh link (and its CSRF cookie)."""
    response = message("This link has expired", "Links in reminder emails work for a limited time. "
                       "Ask for a fresh one below.", 410, renew_token=token, csrf=csrf)  # fmt: skip
    set_csrf(response, csrf, web.secure)
    return response


def dashboard_plan(request: Request):
    """Return (web, plan) for the dashboard link in the path, or the page saying why it cannot be used."""
    web = request.app.state.web
    claims = checked(web, request.path_params["token"], "dashboard", csrf_token(request))
    if not isinstance(claims, Claims):
        return claims
    plan = web.config.plans.get(claims.subject)
    if plan is None:
        return message("This link cannot be used", "The plan it names is no longer in the config.", 404)
    if too_old(web, claims, plan.id):
        return message("This link has expired", "Links work for a limited time; ask the plan administrator "
                       "for a new one (`reminders web-link`).", 410)  # fmt: skip
    return web, plan
