"""The action page reached from the link in an owner's or a manager's email: GET shows it (and
changes nothing), POST applies one form (web/forms.py) once; and `/renew`, which emails a fresh
link for an expired one. Handlers parse, call one operation, render: the link is checked before
the body is parsed, and the database and mail work runs in Starlette's thread pool."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from scheduler.config.approvers import approver_of
from scheduler.engine.facts import refresh_next_notice
from scheduler.engine.links import Claims
from scheduler.engine.plainwords import names_of, owner_history
from scheduler.engine.status import rag
from scheduler.engine.web_notices import next_link_number
from scheduler.store import extensions, operations, throttle
from scheduler.store.models import Action
from scheduler.store.operations import InputError
from scheduler.store.stages import StageName
from scheduler.store.states import CLOSED, ActionStatus
from scheduler.web import evidence_pages, forms, viewer
from scheduler.web.access import (
    MANAGER,
    OWNER,
    checked,
    csrf_ok,
    csrf_token,
    expired_page,
    number,
    role_of,
    set_csrf,
    too_old,
)
from scheduler.web.guard import read_form
from scheduler.web.kept import NOTHING, Kept
from scheduler.web.notify import Outbox
from scheduler.web.pages import message, page
from scheduler.web.review import next_review

EVIDENCE = re.compile(r"Evidence: (https?://\S+)")
NO_FILES = ("Nothing was saved: the files did not arrive (the form was sent without them). Choose them again "
            "and resend the form from the action page; what you typed is kept.")
UNREADABLE = ("This form could not be read", "Go back, reload the page from your email's link and try again.")


def _load(web, s, claims: Claims, token: str, csrf: str, lock: bool = False):
    """Return (action, role) for a checked link, or the page saying why it cannot be used now; with
    `lock` (a change), the action's row is locked first so concurrent changes run one at a time."""
    action_id = number(claims.subject)
    if action_id is None:
        action = None
    else:
        action = operations.lock_action(s, action_id) if lock else s.get(Action, action_id)
    if action is None:
        return message("This link cannot be used", "The action it names no longer exists.", 404)
    if too_old(web, claims, action.plan_id):
        return expired_page(web, token, csrf)
    role = role_of(s, web.config, action, claims.recipient)
    if role is None:
        return message("This link no longer works for you", "The action has been reassigned since this email "
                       "was sent; the current owner has their own link.", 403)  # fmt: skip
    return action, role


def action_page(request: Request):
    """GET: show the action and the forms this person may use; changes nothing."""
    web, token, csrf = request.app.state.web, request.path_params["token"], csrf_token(request)
    claims = checked(web, token, "action", csrf)
    if not isinstance(claims, Claims):
        return claims
    with web.session() as s:
        loaded = _load(web, s, claims, token, csrf)
        if not isinstance(loaded, tuple):
            return loaded
        return _render(web, s, csrf, *loaded, claims.recipient, token=token)


async def action_post(request: Request):
    """POST: check the link, then read the (small, bounded) form, then apply it in the thread pool."""
    web, token, csrf = request.app.state.web, request.path_params["token"], csrf_token(request)
    claims = checked(web, token, "action", csrf)
    if not isinstance(claims, Claims):
        return claims
    form = await read_form(request)
    if form is None:
        return message(*UNREADABLE, 400)
    return await run_in_threadpool(_apply, web, claims, token, csrf, request, form)


def _apply(web, claims: Claims, token: str, csrf: str, request: Request, form: dict):
    with web.session() as s:
        loaded = _load(web, s, claims, token, csrf, lock=True)
        if not isinstance(loaded, tuple):
            return loaded
        action, role = loaded
        show = lambda text, kind="", status=200: _render(web, s, csrf, action, role, claims.recipient, text,  # noqa: E731
                                                         kind, status, token=token,
                                                         kept=Kept(form) if kind == "error" else NOTHING)  # fmt: skip
        if not csrf_ok(request, form) or not web.form_key_ok(form.get("form_key", ""), action.id):
            return show("The form had expired; please try again.", "error", 400)
        if form.get("files", "").strip():  # a file input sent without multipart: only its name arrived
            return show(NO_FILES, "error", 400)
        handler = (forms.OWNER_FORMS if role == OWNER else forms.MANAGER_FORMS).get(form.get("do", ""))
        if role == MANAGER and form.get("do") == "note" and not viewer.follows_up(s, web.config, action, claims.recipient):
            return show("Only the owner's manager or someone this action escalates to can record a follow-up; "
                        "nothing was saved.", "error", 403)  # fmt: skip
        if handler is None:
            return show("Only the action's owner can do that." if role == MANAGER else "Unknown request.", "error", 403)
        now = web.now()
        if not throttle.first_use(s, form["form_key"], now):
            return show("Already recorded; nothing more was changed.")
        if not throttle.allow(s, "change", claims.recipient, now):
            s.rollback()
            return show("Too many changes from this address in the last hour; nothing was saved. "
                        "Please try again later.", "error", 429)  # fmt: skip
        outbox = Outbox(web)
        try:
            said = handler(web, s, action, claims.recipient, form, now, outbox)
        except InputError as exc:
            if isinstance(exc, extensions.Lapsed):
                s.commit()  # the lapsed request stays withdrawn; nothing else was changed
            else:
                s.rollback()
            return show(_sentence(str(exc)), "error", 409 if isinstance(exc, extensions.Lapsed) else 400)
        refresh_next_notice(s, web.config, now, [action])
        s.commit()
        return show(f"{said} {outbox.send()}".strip())


def _sentence(text: str) -> str:
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _render(web, s, csrf, action, role, recipient, notice=None, kind="", status=200, token="", kept=NOTHING):
    """Return the action page; `kept`: what was typed into a refused form, shown in it again."""
    cfg = web.config
    plan = cfg.plans.get(action.plan_id)
    tz = (plan.policy if plan else cfg.default_policy).tz
    today = web.now().astimezone(tz).date()
    pending = extensions.pending_for(s, action.id)
    if pending is not None and extensions.lapsed(cfg, action, pending, web.now()):
        pending = None  # lapsed: asking again withdraws it (a GET changes nothing)
    owner = cfg.owners.get(action.owner_id)
    approver = approver_of(cfg, action.plan_id, action.owner_id, owner.email if owner else None)
    is_open = action.status not in CLOSED and action.status != ActionStatus.AWAITING_VERIFICATION
    lines = owner_history(s, action, tz, names_of(cfg))  # plain words, newest first, no Message-IDs
    note_link = next((m.group(1) for _, t in lines if (m := EVIDENCE.search(t))), None)  # from before issue 17
    standing = viewer.standing(s, cfg, action, recipient, is_open) if role == MANAGER else ""
    follow = role == MANAGER and viewer.follows_up(s, cfg, action, recipient)
    response = page("action.html", status, a=action, plan_title=plan.title if plan else action.plan_id,
                    owner_name=owner.name if owner else action.owner_id, standing=standing,
                    time_line=viewer.time_line(action, today, viewer.completed_on(s, action, tz)),
                    returned=viewer.returned(s, action, tz, lambda who: forms.name_of(cfg, who)),
                    rag=rag(action.status, (action.due - today).days), pending=pending,
                    history=lines[:12], note_link=note_link, notice=notice,
                    notice_kind=kind, can_change=role == OWNER and is_open, can_note=follow and is_open,
                    can_decide=role == MANAGER and pending is not None and pending.approver == recipient,
                    pending_approver=forms.name_of(cfg, pending.approver) if pending else "",
                    approver_name=approver.name if approver else "the plan administrator",
                    csrf=csrf, form_key=web.form_key(action.id), kept=kept,
                    next_review=next_review(plan, today) if plan and action.status in ("open", "in_progress") else None,
                    **evidence_pages.context(web, s, action, recipient, token))  # fmt: skip
    set_csrf(response, csrf, web.secure)
    return response


async def renew(request: Request):
    """POST: email a fresh link to the address an expired one was for (rate-limited per address, in
    the database)."""
    web = request.app.state.web
    form = await read_form(request)
    if form is None:
        return message(*UNREADABLE, 400)
    if not csrf_ok(request, form):
        return message("Please try again", "The form had expired; open the link from your email again.", 400)
    claims = web.links.expired_claims(form.get("token", ""))
    if claims is None:
        return message("This link cannot be used", "Use the link in your most recent email.", 400)
    return await run_in_threadpool(_renew, web, str(claims.get("s", "")), str(claims.get("r", "")))


def _renew(web, subject: str, recipient: str):
    with web.session() as s:
        action_id = number(subject)
        action = s.get(Action, action_id) if action_id is not None else None
        if action is None or role_of(s, web.config, action, recipient) is None:
            return message("This link no longer works for you", "The action has been reassigned or removed.", 403)
        now = web.now()
        if not throttle.allow(s, "link", recipient, now):
            return message("Too many requests", "A fresh link was sent recently; please check your email.", 429)
        outbox = Outbox(web)
        outbox.add(s, action, StageName("link", next_link_number(s, action.id, recipient)), recipient,
                   "Check your email: the new link was sent to the address this one was for.",
                   f"The new link goes to the address this one was for, but {forms.QUEUED}")  # fmt: skip
        s.commit()
        said = outbox.send()
    return message("A fresh link is on its way", said)
