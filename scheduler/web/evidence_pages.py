"""Evidence on the web (PRODUCT.md §2): the owner's completion and progress forms with files and
links (POST /e/<token>, its own larger body cap, the files streamed to the database), downloads
through the action's signed link (GET /e/<token>/<evidence id>: owner, administrator, verifier, managers),
and what the action page shows of it (the evidence, and the verifier's verify / return forms).

Handlers parse, call one store operation (which checks who may do what), and render the action
page; the database work runs in the thread pool.
"""

from __future__ import annotations

from sqlmodel import select
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from scheduler.config.approvers import verifier_of
from scheduler.engine.facts import refresh_next_notice
from scheduler.engine.links import Claims
from scheduler.store import evidence, operations, throttle, verification
from scheduler.store.evidence_models import Evidence
from scheduler.store.operations import InputError
from scheduler.store.states import ActionStatus
from scheduler.web import forms
from scheduler.web.access import OWNER, checked, csrf_ok, csrf_token
from scheduler.web.kept import NOTHING, Kept
from scheduler.web.notify import Outbox
from scheduler.web.pages import SECURITY_HEADERS, message
from scheduler.web.review import review_progress
from scheduler.web.uploads import UploadProblem, read_upload

CHOOSE_AGAIN = "The files were not saved: choose them again before you resend (what you typed is kept)."


def upload_cap(settings) -> int:
    """Return the body cap of the upload route: every file at its limit, plus the form's text."""
    return settings.evidence_max_files * settings.evidence_max_mb * 2**20 + 64 * 1024


def context(web, s, action, recipient: str, token: str) -> dict:
    """Return what the action page shows of evidence and verification for `recipient`."""
    plan = web.config.plans.get(action.plan_id)
    checker = verifier_of(web.config, action.plan_id, action.owner_id)  # never the owner (config/approvers.py)
    is_verifier = checker is not None and checker.email.lower() == recipient.lower()
    sent = verification.submissions(s, action.id)
    settings = web.app.settings
    return {"evidence": evidence.listing(s, action.id), "token": token, "human_size": evidence.human_size,
            "is_verifier": is_verifier, "can_verify": is_verifier and action.status == ActionStatus.AWAITING_VERIFICATION,
            "submission": sent[-1] if sent else None,
            "submitted_by": forms.name_of(web.config, sent[-1].by.replace(" (via web)", "")) if sent else "", "verification_on": bool(plan and plan.verification != "none"),
            "max_mb": settings.evidence_max_mb, "max_files": settings.evidence_max_files,
            "verifier_name": checker.name if checker else "the plan administrator",
            "who": lambda by: forms.name_of(web.config, by.replace(" (via web)", "")),
            "local": lambda at: at.astimezone((plan.policy if plan else web.config.default_policy).tz)}  # fmt: skip


async def evidence_post(request: Request):
    """POST: the link is checked first, then the multipart body is streamed (limits checked as it
    arrives), then the form is applied in the thread pool."""
    web, token, csrf = request.app.state.web, request.path_params["token"], csrf_token(request)
    claims = checked(web, token, "action", csrf)
    if not isinstance(claims, Claims):
        return claims
    settings = web.app.settings
    try:
        fields, uploads = await read_upload(request, settings.evidence_max_mb * 2**20, settings.evidence_max_files)
    except UploadProblem as exc:  # the text fields read before the problem are kept on the page
        text = _sentence(str(exc)) + " " + CHOOSE_AGAIN
        return await run_in_threadpool(_show, web, claims, token, csrf, text, exc.status, Kept(exc.fields))
    try:
        return await run_in_threadpool(_apply, web, claims, token, csrf, request, fields, uploads)
    finally:
        for upload in uploads:
            upload.close()


def _sentence(text: str) -> str:
    return "Nothing was saved: " + text.rstrip(".") + "."


def _show(web, claims, token, csrf, text, status, kept):
    from scheduler.web import actions  # it imports this module for the page's context

    with web.session() as s:
        loaded = actions._load(web, s, claims, token, csrf)
        if not isinstance(loaded, tuple):
            return loaded
        return actions._render(web, s, csrf, *loaded, claims.recipient, text, "error", status, token=token,
                               kept=kept)  # fmt: skip


def _links(fields: dict) -> list[str]:
    return forms.links_of(fields.get("links", ""))


def _apply(web, claims, token, csrf, request, fields: dict, uploads: list):
    from scheduler.web import actions  # it imports this module for the page's context

    with web.session() as s:
        loaded = actions._load(web, s, claims, token, csrf, lock=True)
        if not isinstance(loaded, tuple):
            return loaded
        action, role = loaded

        def show(text, kind="", status=200):
            if kind == "error" and uploads:  # a browser cannot refill a file input
                text = f"{text} {CHOOSE_AGAIN}"
            return actions._render(web, s, csrf, action, role, claims.recipient, text, kind, status, token=token,
                                   kept=Kept(fields) if kind == "error" else NOTHING)  # fmt: skip

        if not csrf_ok(request, fields) or not web.form_key_ok(fields.get("form_key", ""), action.id):
            return show("The form had expired; please try again.", "error", 400)
        if role != OWNER or fields.get("do") not in ("complete", "progress", "review"):
            return show("Only the action's owner can add evidence.", "error", 403)
        now = web.now()
        if not throttle.first_use(s, fields["form_key"], now):
            return show("Already recorded; nothing more was changed.")
        outbox = Outbox(web)
        try:
            said = _record(web, s, action, claims.recipient, fields, uploads, now, outbox)
        except InputError as exc:
            s.rollback()
            return show(_sentence(str(exc)), "error", getattr(exc, "status", 400))
        refresh_next_notice(s, web.config, now, [action])
        s.commit()
        return show(f"{said} {outbox.send()}".strip())


def _record(web, s, action, recipient, fields, uploads, now, outbox) -> str:
    """Apply the completion or progress form with its evidence; return what the page says."""
    plan = web.config.plans.get(action.plan_id)
    note, by, limit = forms.text(fields), forms.by(recipient), web.app.settings.evidence_max_files
    n = len(uploads) + len(_links(fields))
    if fields["do"] == "review":  # issue 18's form: its links in the note, files and links kept as evidence
        said = review_progress(web, s, action, recipient, fields, now, outbox)
        links = forms.links_of(fields.get("evidence", ""))
        evidence.attach(s, action, uploads, links, by, now, note, limit)
        given = len(uploads) + len(links)
        return f"Progress for the review recorded with {pieces(given)}: thank you." if given else said
    if fields["do"] == "progress":
        operations.record_progress(s, action, note, by, now)
        evidence.attach(s, action, uploads, _links(fields), by, now, note, limit)
        return "Progress recorded" + (f" with {pieces(n)}." if n else ".")
    status = verification.complete(s, action, note, by, now, plan.verification if plan else "administrator",
                                   uploads, _links(fields), limit)  # fmt: skip
    s.flush()
    forms.confirm(s, action, recipient, outbox)
    if status == ActionStatus.AWAITING_VERIFICATION:
        return (f"Sent for verification with {pieces(n)}: it counts as complete once "
                f"{forms.verifier_name(web.config, action)} has checked it.")  # fmt: skip
    return "Recorded as complete."


def pieces(n: int) -> str:
    """Return "1 piece of evidence" / "2 pieces of evidence"."""
    return f"{n} piece{'' if n == 1 else 's'} of evidence"


def download(request: Request):
    """GET: one evidence file of the link's action, as an attachment (never rendered in the browser)."""
    from scheduler.web import actions  # it imports this module for the page's context

    web, token = request.app.state.web, request.path_params["token"]
    csrf = csrf_token(request)
    claims = checked(web, token, "action", csrf)
    if not isinstance(claims, Claims):
        return claims
    with web.session() as s:
        loaded = actions._load(web, s, claims, token, csrf)
        if not isinstance(loaded, tuple):
            return loaded
        action, _ = loaded
        row = s.exec(select(Evidence).where(Evidence.id == request.path_params["evidence_id"])).first()
        if row is None or row.action_id != action.id or row.kind != "file":
            return message("Not found", "This link does not lead to a file of this action.", 404)
    return StreamingResponse(iterate_in_threadpool(_bytes(web, row.id)), media_type=row.content_type,
                             headers=attachment_headers(row.file_name, row.size))  # fmt: skip


def _bytes(web, evidence_id: int):
    with web.session() as s:
        yield from evidence.chunks(s, evidence_id)


def attachment_headers(name: str, size: int | None = None) -> dict:
    """Return the headers of a download: an attachment (RFC 6266 name), never sniffed."""
    from urllib.parse import quote

    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    headers = {**SECURITY_HEADERS, "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
               f"filename*=UTF-8''{quote(name, safe='')}", "X-Content-Type-Options": "nosniff"}  # fmt: skip
    if size is not None:
        headers["Content-Length"] = str(size)
    return headers
