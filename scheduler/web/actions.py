"""The action page an owner reaches from the "Update this action" link: GET shows it, POST marks it
complete, records progress or asks for an extension. Every change is an event `via web`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets

from sqlmodel import select
from starlette.requests import Request

from scheduler.config.limits import LATEST
from scheduler.engine.audit import history
from scheduler.engine.facts import refresh_next_notice
from scheduler.engine.status import rag
from scheduler.store import operations
from scheduler.store.models import Action, ActionEvent, DueRevision, ExtensionRequest
from scheduler.web import mailer
from scheduler.web.access import checked, csrf_ok, csrf_token, expired_page, once, role_of, set_csrf
from scheduler.web.pages import message, page


def approver_of(config, action: Action) -> str | None:
    """Return the email of who approves this action's extensions: the owner's manager, else the
    plan's escalation contact."""
    owner = config.owners.get(action.owner_id)
    plan = config.plans.get(action.plan_id)
    who = (owner.manager if owner else None) or (plan.escalation_contact if plan else None)
    return config.owners[who].email if who in config.owners else None


def _load(web, request: Request, token: str):
    """Return (claims, session, action, role) or a Response explaining why not."""
    csrf = csrf_token(request)
    claims = checked(web, token, "action", web.max_link_days(), csrf)
    if not hasattr(claims, "subject"):
        return claims
    session = web.app.session()
    action = session.get(Action, int(claims.subject)) if claims.subject.isdigit() else None
    if action is None:
        session.close()
        return message("This link cannot be used", "The action it names no longer exists.", 404)
    plan = web.app.config.plans.get(action.plan_id)
    if plan is not None and dt.datetime.now(dt.UTC) - claims.issued > dt.timedelta(days=plan.policy.link_valid_days):
        session.close()
        return expired_page(web, token, csrf)
    role = role_of(session, web.app.config, action, claims.recipient)
    if role is None:
        session.close()
        return message("This link no longer works for you", "The action has been reassigned since this email "
                       "was sent; the current owner has their own link.", 403)  # fmt: skip
    return claims, session, action, role


async def action_page(request: Request):
    """GET: show the action and its forms; changes nothing."""
    web = request.app.state.web
    loaded = _load(web, request, request.path_params["token"])
    if not isinstance(loaded, tuple):
        return loaded
    claims, session, action, role = loaded
    with session:
        return _render(web, request, session, action, role)


def _render(web, request, session, action, role, notice=None, kind="", status=200):
    cfg = web.app.config
    plan = cfg.plans.get(action.plan_id)
    tz = (plan.policy if plan else cfg.default_policy).tz
    today = dt.datetime.now(dt.UTC).astimezone(tz).date()
    pending = session.exec(select(ExtensionRequest).where(ExtensionRequest.action_id == action.id,
                                                          ExtensionRequest.state == "pending")).first()  # fmt: skip
    owner = cfg.owners.get(action.owner_id)
    approver = approver_of(cfg, action)
    csrf = csrf_token(request)
    response = page("action.html", status, a=action, plan_title=plan.title if plan else action.plan_id,
                    owner_name=owner.name if owner else action.owner_id, days_left=(action.due - today).days,
                    rag=rag(action.status, (action.due - today).days), pending=pending,
                    history=[_plain(h) for h in reversed(history(session, action, tz))][:12], notice=notice,
                    notice_kind=kind,
                    can_change=role == "owner" and action.status not in ("complete", "withdrawn"),
                    approver_name=next((o.name for o in cfg.owners.values() if o.email == approver), "your manager"),
                    csrf=csrf, form_key=secrets.token_urlsafe(16))  # fmt: skip
    set_csrf(response, csrf, web.secure)
    return response


async def action_post(request: Request):
    """POST: apply one form (complete, progress, extend) once; show the page with the result."""
    web = request.app.state.web
    form = await request.form()
    loaded = _load(web, request, request.path_params["token"])
    if not isinstance(loaded, tuple):
        return loaded
    claims, session, action, role = loaded
    with session:
        if not csrf_ok(request, form):
            return _render(web, request, session, action, role, "The form had expired; please try again.", "error", 400)
        if role != "owner":
            return _render(web, request, session, action, role, "Only the action's owner can change it.", "error", 403)
        now = dt.datetime.now(dt.UTC)
        do = form.get("do")
        check, handler = FORMS.get(do, (None, None))
        if handler is None:
            return _render(web, request, session, action, role, "Unknown request.", "error", 400)
        problem = check(form, action)
        if problem:
            return _render(web, request, session, action, role, problem, "error", 400)
        if not once(session, str(form.get("form_key", "")), now):
            return _render(web, request, session, action, role, "Already recorded; nothing more was changed.")
        text = handler(web, session, action, claims.recipient, form, now)
        refresh_next_notice(session, web.app.config, now, [action])
        session.commit()
        return _render(web, request, session, action, role, text)


def _plain(entry):
    """Return a history entry without Message-IDs (noise for the owner reading it)."""
    return dataclasses.replace(entry, text=re.sub(r"\s+<[^<>\s]+@[^<>\s]+>", "", entry.text))


def _by(recipient: str) -> str:
    return f"{recipient} (via web)"


def _note(form, key="note") -> str:
    return re.sub(r"\s+", " ", str(form.get(key, ""))).strip()[:2000]


def _complete(web, session, action, recipient, form, now) -> str:
    note = _note(form)
    evidence = _note(form, "evidence")
    if action.status == "complete":
        return "Already complete; nothing more was changed."
    revisions = len(session.exec(select(DueRevision).where(DueRevision.action_id == action.id)).all())
    operations.set_status(session, action, "complete", note + (f" Evidence: {evidence}" if evidence else ""),
                          _by(recipient), now)  # fmt: skip
    session.flush()
    plan = web.app.config.plans.get(action.plan_id)
    mailer.confirm_completion(web, action, plan.title if plan else action.plan_id, recipient, now, revisions)
    return "Recorded as complete. A confirmation is on its way, and no more reminders will be sent."


def _complete_problem(form, action) -> str | None:
    evidence = _note(form, "evidence")
    if not _note(form):
        return "Say what was done (the note is required)."
    if evidence and not re.match(r"^https?://\S+$", evidence):
        return "The evidence link must start with https:// or http://."
    return None


def _progress(web, session, action, recipient, form, now) -> str:
    if action.status == "open":
        operations.set_status(session, action, "in_progress", _note(form), _by(recipient), now)
    else:
        session.add(ActionEvent(action_id=action.id, at=now, by=_by(recipient), kind="progress", note=_note(form)))
    return "Progress recorded."


def _progress_problem(form, action) -> str | None:
    return None if _note(form) else "Say what progress was made (required)."


def _extend(web, session, action, recipient, form, now) -> str:
    proposed = dt.date.fromisoformat(str(form["proposed_due"]))
    approver = approver_of(web.app.config, action)
    for old in session.exec(select(ExtensionRequest).where(ExtensionRequest.action_id == action.id,
                                                           ExtensionRequest.state == "pending")):  # fmt: skip
        old.state, old.decided_at = "withdrawn", now
    request = ExtensionRequest(action_id=action.id, due_date=action.due, proposed_due=proposed, reason=_note(form, "reason"),
                               requested_by=recipient, approver=approver, state="pending", created_at=now)  # fmt: skip
    session.add(request)
    session.add(ActionEvent(action_id=action.id, at=now, by=_by(recipient), kind="extension_request",
                            from_value=str(action.due), to_value=str(proposed), note=request.reason))  # fmt: skip
    session.flush()
    mailer.ask_approver(web, action, request, approver, now)
    return f"Asked for {proposed:%d %B %Y}; {approver} has been emailed to approve it."


def _extend_problem(form, action) -> str | None:
    try:
        proposed = dt.date.fromisoformat(str(form.get("proposed_due", "")))
    except ValueError:
        return "Choose the proposed due date."
    if not action.due < proposed <= LATEST:
        return f"The proposed date must be after the current due date, {action.due:%d %B %Y}."
    return None if _note(form, "reason") else "Say why more time is needed (required)."


# The forms of the action page: what each checks (a message, or None) and what it does (the result).
FORMS = {
    "complete": (_complete_problem, _complete),
    "progress": (_progress_problem, _progress),
    "extend": (_extend_problem, _extend),
}


async def renew(request: Request):
    """POST: email a fresh link to the address an expired one was for (rate-limited per address)."""
    web = request.app.state.web
    form = await request.form()
    if not csrf_ok(request, form):
        return message("Please try again", "The form had expired; open the link from your email again.", 400)
    claims = web.links.expired_claims(str(form.get("token", "")))
    if claims is None:
        return message("This link cannot be used", "Use the link in your most recent email.", 400)
    if not web.limiter.allow(claims["r"]):
        return message("Too many requests", "A fresh link was sent recently; please check your email.", 429)
    with web.app.session() as session:
        action = session.get(Action, int(claims["s"])) if str(claims["s"]).isdigit() else None
        if action is None or role_of(session, web.app.config, action, claims["r"]) is None:
            return message("This link no longer works for you", "The action has been reassigned or removed.", 403)
        mailer.fresh_link(web, action, claims["r"], dt.datetime.now(dt.UTC))
    return message("A fresh link is on its way", "Check your email: the new link was sent to the address this "
                   "one was for.")  # fmt: skip
