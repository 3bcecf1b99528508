"""Signed links in emails (itsdangerous): what a link is for, for whom, about what, until when.

A token names its purpose (`action`, `approve`, `dashboard`), the subject (an action id, an
extension request id, a plan id) and the recipient's address; it is signed with SECRET_KEY and
carries its time, so the web app can refuse it once `link_valid_days` have passed. Anyone who
changes a character gets "tampered"; a link for one purpose never works for another.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

PURPOSES = ("action", "approve", "dashboard")
PATHS = {"action": "a", "approve": "x", "dashboard": "d"}


class LinkProblem(Exception):
    """A link that cannot be used: `expired` (with its claims, so a fresh one can be sent) or not."""

    def __init__(self, message: str, expired: bool = False, claims: dict | None = None):
        super().__init__(message)
        self.expired, self.claims = expired, claims


@dataclass(frozen=True)
class Claims:
    purpose: str
    subject: str
    recipient: str
    issued: dt.datetime


class Links:
    """Makes and checks the signed links of one deployment (BASE_URL + SECRET_KEY)."""

    def __init__(self, base_url: str, secret: str, clock=None):
        self.base_url = base_url.rstrip("/")
        signer = signer_on(clock) if clock else TimestampSigner
        self.serializer = URLSafeTimedSerializer(secret, salt="improvement-plan-reminders/links", signer=signer)

    def token(self, purpose: str, subject, recipient: str) -> str:
        """Return a signed token for `purpose` about `subject`, for `recipient`."""
        assert purpose in PURPOSES
        return self.serializer.dumps({"p": purpose, "s": str(subject), "r": recipient.lower()})

    def url(self, purpose: str, subject, recipient: str) -> str:
        """Return the full link for `purpose` about `subject`, for `recipient`."""
        return f"{self.base_url}/{PATHS[purpose]}/{self.token(purpose, subject, recipient)}"

    def check(self, token: str, purpose: str, max_age_days: int) -> Claims:
        """Return the claims of a valid, unexpired token for `purpose`; raise LinkProblem."""
        try:
            data, issued = self.serializer.loads(token, max_age=max_age_days * 86400, return_timestamp=True)
        except SignatureExpired as exc:
            payload = self.serializer.load_payload(exc.payload) if exc.payload else None
            raise LinkProblem("this link has expired", expired=True, claims=payload) from None
        except BadSignature:
            raise LinkProblem("this link is not valid (it may have been cut short or changed)") from None
        if not isinstance(data, dict) or data.get("p") != purpose:
            raise LinkProblem("this link is for something else")
        return Claims(purpose, data["s"], data["r"], issued)

    def expired_claims(self, token: str) -> dict | None:
        """Return the payload of a genuine action link however old it is (for a fresh link), else None."""
        try:
            data = self.serializer.loads(token)
        except BadSignature:
            return None
        return data if isinstance(data, dict) and data.get("p") == "action" else None


def signer_on(clock):
    """Return a signer class that stamps and ages tokens by `clock()` (an aware datetime), so the
    web app's links follow its App clock (tests drive it by hand)."""

    class ClockSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock().timestamp())

    return ClockSigner
