"""The emails the web app triggers, as ledger notices (PRODUCT.md §4): queued, then sent at once.

A person's request (an extension, a decision, a completion, a fresh link) writes its notice row
in the same transaction as the change, claimed `pending` by a one-off run id (track `web`;
stages `approval:<request id>`, `decision:<request id>`, `confirmed:<event id>`, `link:<n>`).
After the commit, `send_now` hands it over through the pipeline's own prepare, group and
deliver stages: rendered from templates/emails/ inside the usual layout, with Reply-To and
threading, recorded in the ledger. When the mail server does not answer the row is left
`retry`, and the daemon's retry check sends it later like any other notice.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.engine import outcomes, pipeline
from scheduler.store import queries
from scheduler.store.models import Action, Notice
from scheduler.store.stages import StageName
from scheduler.store.states import NoticeState, Outcome, Track

LEASE_SECONDS = 600.0


def new_run_id() -> str:
    """Return the run id that claims one request's notices."""
    return f"web-{uuid.uuid4().hex[:12]}"


def queue(session: Session, action: Action, stage: StageName, recipient: str, now: dt.datetime,
          run_id: str, tz=dt.UTC) -> Notice:  # fmt: skip
    """Add the notice row for `stage` to `recipient` about `action`, claimed by `run_id` (its send day
    is today in `tz`, the plan's timezone); return it."""
    row = Notice(action_id=action.id, due_date=action.due, stage=stage.format(), track=Track.WEB,
                 recipient=recipient.lower(), send_day=now.astimezone(tz).date(), state=NoticeState.PENDING, attempts=0,
                 claimed_by=run_id, created_at=now, updated_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def next_link_number(session: Session, action_id: int, recipient: str) -> int:
    """Return N for the next `link:N` notice of this action to `recipient`."""
    stmt = select(sa.func.count()).select_from(Notice).where(
        Notice.action_id == action_id, Notice.recipient == recipient.lower(), Notice.stage.like("link:%")
    )
    return session.exec(stmt).one() + 1


def send_now(engine, config, renderer, transport, notice_ids: list[int], now: dt.datetime, run_id: str) -> bool:
    """Hand the claimed notices over now, through the pipeline's stages; return True when every one
    was sent (False: queued for a retry, or failed; the ledger says which)."""
    if not notice_ids:
        return True
    ctx = pipeline.RunContext(engine, config, renderer, transport, ledger=None)
    st = pipeline.RunState(now, pipeline.RunReport(run_id), notice_ids=list(notice_ids))
    queries.start_lease(engine, run_id, outcomes.HOST, os.getpid(), time.time(), LEASE_SECONDS)
    try:
        for stage in (pipeline.prepare, pipeline.group, pipeline.deliver):
            stage(ctx, st)
    finally:
        queries.finish_lease(engine, run_id, time.time())
    return bool(st.report.outcomes) and all(o["outcome"] == Outcome.SENT for o in st.report.outcomes)
