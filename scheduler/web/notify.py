"""The emails one web request triggers: queued as ledger notices in the request's transaction,
sent through the pipeline once it commits, and what the page then says ("on its way", or "queued"
when the mail server did not answer: the daemon retries it)."""

from __future__ import annotations

import logging

from scheduler.engine.web_notices import new_run_id, queue, send_now
from scheduler.store.stages import StageName

log = logging.getLogger("scheduler.web")


class Outbox:
    """The notices of one request, with what to tell the person when they went and when they wait."""

    def __init__(self, web):
        self.web = web
        self.run_id = new_run_id()
        self.ids: list[int] = []
        self.sent_text: list[str] = []
        self.queued_text: list[str] = []

    def add(self, session, action, stage: StageName, recipient: str, sent: str, queued: str) -> None:
        """Queue `stage` to `recipient` about `action` (in `session`'s transaction)."""
        plan = self.web.config.plans.get(action.plan_id)
        tz = (plan.policy if plan else self.web.config.default_policy).tz
        row = queue(session, action, stage, recipient, self.web.now(), self.run_id, tz)
        self.ids.append(row.id)
        self.sent_text.append(sent)
        self.queued_text.append(queued)

    def send(self) -> str:
        """Send the queued notices now (call after the commit); return the sentence for the page."""
        if not self.ids:
            return ""
        app = self.web.app
        try:
            ok = send_now(app.engine, self.web.config, app.renderer, app.transport(), self.ids, self.web.now(),
                          self.run_id)  # fmt: skip
        except Exception:  # the change is saved and the notice is in the ledger; the daemon retries it
            log.exception("web notices of %s not sent now; they wait in the ledger for a retry", self.run_id)
            ok = False
        return " ".join(self.sent_text if ok else self.queued_text)
