"""The emails the web app sends: a fresh link, an extension request to its approver, the
decision to the owner, and the confirmation of a completion (with the calendar entry cancelled)."""

from __future__ import annotations

import logging

from scheduler.engine.ports import TransportError
from scheduler.mail.ics import cancel_event

log = logging.getLogger("scheduler.web")


def send(web, to: str, subject: str, lines: list[str], now, attachment: bytes | None = None) -> bool:
    """Send a short plain-text + HTML email; return True when it was handed over."""
    renderer = web.app.renderer
    msg = renderer.new_message("web", subject, to, now)
    text = "\n\n".join(lines) + "\n\n--\nSent automatically by the improvement plan reminder service.\n"
    msg.set_content(text)
    html = "".join(f"<p>{_escape(x)}</p>" for x in lines)
    msg.add_alternative(f"<!DOCTYPE html><html><body style=\"font-family:Arial,sans-serif\">{html}</body></html>",
                        subtype="html")  # fmt: skip
    if attachment:
        msg.add_attachment(attachment, maintype="text", subtype="calendar", filename="cancel.ics",
                           params={"method": "CANCEL"})  # fmt: skip
    transport = web.app.transport()
    try:
        transport.open()
        transport.send(msg)
        outcome = True
    except TransportError as exc:
        log.error("web email to %s not sent: %s", to, exc)
        outcome = False
    finally:
        transport.close()
    log.info("web email to=%s subject=%r outcome=%s message_id=%s", to, subject, "sent" if outcome else "failed",
             msg["Message-ID"])  # fmt: skip
    return outcome


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def confirm_completion(web, action, plan_title: str, owner_email: str, now, revisions: int) -> bool:
    """Tell the owner the completion is recorded, and cancel the due-date calendar entry."""
    ics = cancel_event(action.plan_id, action.ref, action.title, action.due, web.app.renderer.domain, now, revisions + 1)
    return send(web, owner_email, f"[{action.plan_id}] {action.ref} recorded as complete",
                [f"{action.plan_id}/{action.ref} ({action.title}) is recorded as complete. No more reminders will "
                 f"be sent for it.", f"Plan: {plan_title}.", "The attached calendar update removes its due date."],
                now, ics)  # fmt: skip


def ask_approver(web, action, request, approver: str, now) -> bool:
    """Email the approver the extension request with a signed link to approve or decline it."""
    link = web.links.url("approve", request.id, approver)
    return send(web, approver, f"[{action.plan_id}] {action.ref}: extension requested to {request.proposed_due}",
                [f"{request.requested_by} asks to move the due date of {action.plan_id}/{action.ref} ({action.title}) "
                 f"from {request.due_date} to {request.proposed_due}.", f"Reason: {request.reason}",
                 f"Approve or decline: {link}"], now)  # fmt: skip


def tell_owner_decision(web, action, request, now) -> bool:
    """Tell the owner whether the extension was approved."""
    verdict = "approved" if request.state == "approved" else "declined"
    lines = [f"Your request to move {action.plan_id}/{action.ref} to {request.proposed_due} was {verdict} by "
             f"{request.decided_by}."]  # fmt: skip
    if request.decided_note:
        lines.append(f"Note: {request.decided_note}")
    lines.append(f"The action is due on {action.due}.")
    return send(web, request.requested_by, f"[{action.plan_id}] {action.ref}: extension {verdict}", lines, now)


def fresh_link(web, action, recipient: str, now) -> bool:
    """Email a fresh action link to the address the expired one was for."""
    link = web.links.url("action", action.id, recipient)
    return send(web, recipient, f"[{action.plan_id}] {action.ref}: your new link",
                [f"Here is a fresh link to update {action.plan_id}/{action.ref} ({action.title}):", link], now)
