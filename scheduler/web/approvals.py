"""Extension approval: the approver's signed link shows the request (GET) and decides it (POST);
approval runs the same operation as `reminders extend`, and the owner is told the outcome."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from starlette.requests import Request

from scheduler.engine.facts import refresh_next_notice
from scheduler.store import operations
from scheduler.store.models import Action, ExtensionRequest
from scheduler.web import mailer
from scheduler.web.access import checked, csrf_ok, csrf_token, once, set_csrf
from scheduler.web.pages import message, page


def _load(web, request: Request):
    claims = checked(web, request.path_params["token"], "approve", web.max_link_days(), csrf_token(request))
    if not hasattr(claims, "subject"):
        return claims
    session = web.app.session()
    req = session.get(ExtensionRequest, int(claims.subject)) if claims.subject.isdigit() else None
    if req is None or req.approver.lower() != claims.recipient:
        session.close()
        return message("This link cannot be used", "It is not for an extension request you can decide.", 403)
    return session, req, session.get(Action, req.action_id)


def _render(web, request, session, req, action, notice=None, kind="", status=200):
    cfg = web.app.config
    plan = cfg.plans.get(action.plan_id)
    owner = cfg.owners.get(action.owner_id)
    csrf = csrf_token(request)
    response = page("approve.html", status, a=action, r=req, plan_title=plan.title if plan else action.plan_id,
                    owner_name=owner.name if owner else action.owner_id, notice=notice, notice_kind=kind,
                    csrf=csrf, form_key=secrets.token_urlsafe(16))  # fmt: skip
    set_csrf(response, csrf, web.secure)
    return response


async def approval_page(request: Request):
    """GET: show the request; changes nothing."""
    web = request.app.state.web
    loaded = _load(web, request)
    if not isinstance(loaded, tuple):
        return loaded
    session, req, action = loaded
    with session:
        return _render(web, request, session, req, action)


async def approval_post(request: Request):
    """POST: approve or decline once; approval records the revised due date like `reminders extend`."""
    web = request.app.state.web
    form = await request.form()
    loaded = _load(web, request)
    if not isinstance(loaded, tuple):
        return loaded
    session, req, action = loaded
    with session:
        decision = form.get("decision")
        if not csrf_ok(request, form) or decision not in ("approve", "decline"):
            return _render(web, request, session, req, action, "The form had expired; please try again.", "error", 400)
        now = dt.datetime.now(dt.UTC)
        if req.state != "pending" or not once(session, str(form.get("form_key", "")), now):
            return _render(web, request, session, req, action, f"Already decided ({req.state}); nothing changed.")
        text = _decide(web, session, req, action, decision, re.sub(r"\s+", " ", str(form.get("note", ""))).strip(), now)
        session.commit()
        mailer.tell_owner_decision(web, action, req, now)
        return _render(web, request, session, req, action, text, "" if req.state == "approved" else "error")


def _decide(web, session, req, action, decision, note, now) -> str:
    cfg = web.app.config
    approver_id = next((o.id for o in cfg.owners.values() if o.email.lower() == req.approver.lower()), req.approver)
    req.decided_by, req.decided_note, req.decided_at = req.approver, note[:2000] or None, now
    if decision == "decline":
        req.state = "declined"
        return "Declined; the owner has been told."
    try:
        operations.extend(session, action, req.proposed_due, req.reason, approver_id, f"{req.approver} (via web)", now)
    except operations.InputError as exc:
        req.state = "declined"
        req.decided_note = f"could not be applied: {exc}"
        return f"Could not apply it: {exc}"
    req.state = "approved"
    refresh_next_notice(session, cfg, now, [action])
    return f"Approved: {action.plan_id}/{action.ref} is now due {req.proposed_due:%d %B %Y}; the owner has been told."
