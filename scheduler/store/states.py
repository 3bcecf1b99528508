"""The state machines of the store, as enums (values are what the database holds).

`ActionStatus`: open -> in_progress -> (awaiting_verification ->) complete, or withdrawn. `ExtensionState`: an
owner's request for more time is `pending` until its approver decides it (`approved`, `declined`) or it lapses
(`withdrawn`: the action closed, was reassigned, or its approver changed). `NoticeState`: a ledger row is
claimed `pending`, marked `sending` just before the transport gets it, then `sent`, `retry`
(undeliverable now), `failed` (permanent) or `superseded` (a later stage went instead).
`unknown`: a connection lost after the end of DATA or a run killed mid-hand-over (never resent
automatically; `reminders resend`). `Outcome`: what a run reports per notice. `Track`: the two notice tracks of PRODUCT.md §3.
"""

from __future__ import annotations

from enum import StrEnum


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    AWAITING_VERIFICATION = "awaiting_verification"  # the owner says done; the verifier (config/approvers.py) checks
    COMPLETE = "complete"
    WITHDRAWN = "withdrawn"


CLOSED = (ActionStatus.COMPLETE, ActionStatus.WITHDRAWN)


class ExtensionState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # lapsed: the action closed or was reassigned, or the approver changed


class NoticeState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    UNKNOWN = "unknown"  # handed over, outcome unknown: reported, never resent automatically


WAITING = (NoticeState.PENDING, NoticeState.RETRY)  # claimed and still to be handed over


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class Track(StrEnum):
    OWNER = "owner"
    ESCALATION = "escalation"
    WEB = "web"  # what the web app triggers: approval requests, decisions, confirmations, fresh links
    PROGRESS = "progress"  # progress requests before a review (engine/progress.py)
    VERIFICATION = "verification"  # verify:N requests to the verifier (the administrator unless they own the action)
    OUTCOME = "outcome"  # verified:N / returned:N notices to the owner


class EventKind(StrEnum):
    """What an ActionEvent records (the `kind` column, plain text). A new kind is one line here: a
    value the database holds that is not listed fails loudly when read (models.EnumText)."""

    CREATED = "created"
    STATUS = "status"
    OWNER = "owner"
    EXTENSION = "extension"
    CHANGED = "changed"
    WITHDRAWN = "withdrawn"
    RESTORED = "restored"
    PROGRESS = "progress"
    NOTE = "note"  # a manager's follow-up ("chased on ...")
    EXTENSION_REQUEST = "extension_request"
    EXTENSION_DECIDED = "extension_decided"
    RESEND = "resend"  # an admin put a notice back in line (`reminders resend`)


class ServiceEventKind(StrEnum):
    RUN = "run"
    CONFIG_ERROR = "config_error"
    CONFIG_APPLIED = "config_applied"
    SUMMARY = "summary"
    RESEND = "resend"  # an admin put a summary or progress report back in line (`reminders resend --kind plan`)
