"""Extension approval: the approver's signed link shows the request (GET) and decides it (POST).

The decision is the store's `decide_extension` (approval records the revised date like `reminders
extend`), which re-checks on the current database and config that the request still holds and
that this person is still its approver; the owner is told through a `decision:<id>` notice.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from scheduler.engine.facts import refresh_next_notice
from scheduler.engine.links import Claims
from scheduler.store import extensions, operations, throttle
from scheduler.store.models import Action, ExtensionRequest
from scheduler.store.operations import InputError
from scheduler.store.states import ExtensionState
from scheduler.web import forms
from scheduler.web.access import checked, csrf_ok, csrf_token, number, set_csrf, too_old
from scheduler.web.guard import read_form
from scheduler.web.kept import NOTHING, Kept
from scheduler.web.notify import Outbox
from scheduler.web.pages import message, page


def _load(web, s, claims: Claims, lock: bool = False):
    """Return (request, action) for a checked approval link, or the page saying why not; with `lock`
    (a decision), the action's row is locked and the request re-read, so two decisions run one at a time."""
    req_id = number(claims.subject)
    req = s.get(ExtensionRequest, req_id) if req_id is not None else None
    if req is None or req.approver.lower() != claims.recipient:
        return message("This link cannot be used", "It is not for an extension request you can decide.", 403)
    action = operations.lock_action(s, req.action_id) if lock else s.get(Action, req.action_id)
    if lock:
        s.refresh(req)  # another decision may have landed while this one waited for the lock
    if too_old(web, claims, action.plan_id):
        return message("This link has expired", "Links in emails work for a limited time, and a request not "
                       "decided by then lapses: the owner can ask again from their own page.", 410)  # fmt: skip
    return req, action


def approval_page(request: Request):
    """GET: show the request; changes nothing."""
    web, csrf = request.app.state.web, csrf_token(request)
    claims = checked(web, request.path_params["token"], "approve", csrf)
    if not isinstance(claims, Claims):
        return claims
    with web.session() as s:
        loaded = _load(web, s, claims)
        if not isinstance(loaded, tuple):
            return loaded
        return _render(web, csrf, *loaded)


async def approval_post(request: Request):
    """POST: check the link, read the bounded form, then decide once in the thread pool."""
    web, csrf = request.app.state.web, csrf_token(request)
    claims = checked(web, request.path_params["token"], "approve", csrf)
    if not isinstance(claims, Claims):
        return claims
    form = await read_form(request)
    if form is None:
        return message("This form could not be read", "Reload the page from your email's link and try again.", 400)
    return await run_in_threadpool(_apply, web, claims, csrf, request, form)


def _apply(web, claims: Claims, csrf: str, request: Request, form: dict):
    with web.session() as s:
        loaded = _load(web, s, claims, lock=True)
        if not isinstance(loaded, tuple):
            return loaded
        req, action = loaded
        decision = form.get("decision")
        if (not csrf_ok(request, form) or decision not in ("approve", "decline")
                or not web.form_key_ok(form.get("form_key", ""), f"request:{req.id}")):  # fmt: skip
            return _render(web, csrf, req, action, "The form had expired; please try again.", "error", 400,
                           Kept(form, "decide"))  # fmt: skip
        now = web.now()
        if req.state != ExtensionState.PENDING or not throttle.first_use(s, form["form_key"], now):
            return _render(web, csrf, req, action, f"Already decided ({req.state}); nothing changed.")
        outbox = Outbox(web)
        try:
            said = forms.decide(web, s, req, claims.recipient, decision == "approve", forms.text(form), now, outbox)
        except InputError as exc:
            if isinstance(exc, extensions.Lapsed):
                s.commit()  # the lapsed request stays withdrawn; nothing else was changed
            else:
                s.rollback()
            return _render(web, csrf, req, action, str(exc)[:1].upper() + str(exc)[1:], "error", 409,
                           Kept(form, "decide"))  # fmt: skip
        refresh_next_notice(s, web.config, now, [action])
        s.commit()
        text = f"{said} {outbox.send()}".strip()
        return _render(web, csrf, req, action, text, "" if req.state == ExtensionState.APPROVED else "error")


def _render(web, csrf, req, action, notice=None, kind="", status=200, kept=NOTHING):
    """Return the approval page; `kept`: what was typed into the refused decision, shown again."""
    cfg = web.config
    plan = cfg.plans.get(action.plan_id)
    owner = cfg.owners.get(action.owner_id)
    response = page("approve.html", status, a=action, r=req, plan_title=plan.title if plan else action.plan_id,
                    owner_name=owner.name if owner else action.owner_id, notice=notice, notice_kind=kind,
                    requester=forms.name_of(cfg, req.requested_by), csrf=csrf,
                    tz=(plan.policy if plan else cfg.default_policy).tz,
                    form_key=web.form_key(f"request:{req.id}"), kept=kept)  # fmt: skip
    set_csrf(response, csrf, web.secure)
    return response
