"""One run of the notice pipeline (PRODUCT.md §3): select -> claim -> prepare -> group -> deliver,
each message recorded as soon as the transport answers.

Every stage has one shape, `stage(ctx, state) -> None`, over a `RunState`. Claiming writes the
ledger row (unique per action, due date, stage, recipient) in the transaction that re-reads the
action's status, so a completion recorded before the claim stops the email and a second claimer
fails on the unique key. Each message's rows are committed `sending` just before the transport
gets it, together with the previous message's `sent` (handover.py): a kill leaves at most one
message in doubt.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from scheduler.config.model import Config
from scheduler.engine import delivery, outcomes
from scheduler.engine.facts import calendar_for
from scheduler.engine.ledger import Ledger, SqlLedger
from scheduler.engine.ports import MessageRenderer, Transport
from scheduler.engine.rules import group_messages
from scheduler.store import queries
from scheduler.store.states import Outcome

log = logging.getLogger("scheduler.notices")


@dataclass
class RunReport:
    """What a run did: one outcome dict per notice (plan, ref, stage, recipient, outcome, ...)."""

    run_id: str
    outcomes: list[dict] = field(default_factory=list)
    superseded: int = 0
    messages: int = 0
    recovered: int = 0  # rows a dead run left pending, sent again by this run
    held: int = 0  # rows another run, still alive, is sending: left to it (normal with replicas)
    left: int = 0  # not handed over this run (shutdown, deadline): the next run sends them
    config_error: str | None = None
    stopped: str | None = None  # why delivery stopped early (breaker, relay's limit, pace): the rest wait
    labels: dict = field(default_factory=dict, repr=False)  # action id -> (plan, ref), for log lines

    def count(self, outcome: str) -> int:
        """Return how many notices ended with `outcome`."""
        return sum(1 for o in self.outcomes if o["outcome"] == outcome)

    @property
    def undelivered(self) -> int:
        """Return the notices that need attention: not delivered (retry, failed), in doubt, or left over."""
        return self.count(Outcome.RETRY) + self.count(Outcome.FAILED) + self.count(Outcome.UNKNOWN) + self.left

    def describe(self) -> str:
        """Return the one-line account of the run printed by the CLI and logged by the daemon."""
        text = (f"{self.count(Outcome.SENT)} notice(s) sent in {self.messages} message(s), {self.superseded} "
                f"superseded, {self.count(Outcome.RETRY)} to retry, {self.count(Outcome.FAILED)} failed")  # fmt: skip
        extra = [(self.count(Outcome.UNKNOWN), "in doubt (unknown: check, then `reminders resend`)"),
                 (self.recovered, "recovered from an interrupted run"), (self.held, "being sent by another run"),
                 (self.left, "left for the next run")]  # fmt: skip
        text += "".join(f", {n} {what}" for n, what in extra if n)
        stopped = self.config_error or self.stopped
        return text + (f"; delivery stopped: {stopped}" if stopped else "")


@dataclass
class RunContext:
    """The collaborators of one run."""

    engine: object
    config: Config
    renderer: MessageRenderer
    transport: Transport
    ledger: Ledger
    stop: Callable[[], bool] = lambda: False
    deadline: float = float("inf")  # time.monotonic() by which delivery stops


@dataclass
class RunState:
    """What flows through the stages."""

    now: dt.datetime
    report: RunReport
    action_ids: list[int] = field(default_factory=list)
    notice_ids: list[int] = field(default_factory=list)
    ready: list = field(default_factory=list)  # (notice row, NoticeView)
    messages: list[list] = field(default_factory=list)


def select(ctx: RunContext, st: RunState) -> None:
    """Recover a dead run's rows, then pick the actions due and the retries whose time has come."""
    outcomes.recover_orphans(ctx.engine, st.now, st.report.run_id, st.report)
    st.action_ids = ctx.ledger.select(st.now)
    st.notice_ids = outcomes.retries_due(ctx.engine, st.now, lambda plan_id: _working_today(ctx, plan_id, st.now))


def _working_today(ctx: RunContext, plan_id: str, now: dt.datetime) -> bool:
    plan = ctx.config.plans.get(plan_id)
    return bool(plan) and calendar_for(plan).is_working_day(now.astimezone(plan.policy.tz).date())


def claim(ctx: RunContext, st: RunState) -> None:
    """Decide for each selected action and write its ledger rows (a transaction per batch)."""
    claimed = []
    for result in ctx.ledger.claim_many(st.action_ids, st.now, st.report.run_id):
        st.report.superseded += len(result.superseded)
        claimed += [nid for nid, _ in result.send]
    st.notice_ids = claimed + st.notice_ids


def prepare(ctx: RunContext, st: RunState) -> None:
    """Re-check each claimed notice against its action and build its template view."""
    st.ready = outcomes.prepare(ctx.engine, ctx.config, st.notice_ids, st.now, st.report)


def group(ctx: RunContext, st: RunState) -> None:
    """Group the notices into messages: one per recipient when the plan digests."""
    st.messages = group_messages(
        st.ready,
        key=lambda rv: rv[1].to.email,
        digest=lambda rv: ctx.config.plans[rv[1].plan].policy.digest,
    )


def deliver(ctx: RunContext, st: RunState) -> None:
    """Hand each message to the transport over SMTP_CONNECTIONS connections, recording each as soon
    as it is answered (engine/delivery.py).

    A shutdown request or the run's deadline stops between messages: the rest stay waiting and
    the next run sends them. A misconfiguration stops the run at once, counting no attempts; an
    outcome in doubt, the relay's daily limit or a pace that cannot finish in time stop it too,
    leaving the rest `pending` for the next run.
    """
    delivery.deliver(ctx, st)


STAGES = (select, claim, prepare, group, deliver)


def run_once(engine, config: Config, renderer: MessageRenderer, transport: Transport, now: dt.datetime,
             run_id: str | None = None, stop: Callable[[], bool] = lambda: False,
             deadline_seconds: float = 1800.0) -> RunReport:  # fmt: skip
    """Run the pipeline once at instant `now` (aware) and return what happened to each notice.

    `stop()` is checked between messages: a shutdown request finishes the message in flight. The
    run holds a lease on the rows it claims until it finishes (or its process dies).
    """
    deadline = time.monotonic() + deadline_seconds
    ctx = RunContext(engine, config, renderer, transport, SqlLedger(engine, config), stop, deadline)
    st = RunState(now, RunReport(run_id or uuid.uuid4().hex[:12]))
    queries.start_lease(engine, st.report.run_id, outcomes.HOST, os.getpid(), time.time(), deadline_seconds + 300)
    try:
        for stage in STAGES:
            stage(ctx, st)
    finally:
        queries.finish_lease(engine, st.report.run_id, time.time())
    return st.report


def deliver_now(engine, config: Config, renderer: MessageRenderer, transport: Transport, notice_ids: list[int],
                now: dt.datetime) -> RunReport:  # fmt: skip
    """Send already-claimed notices now (e.g. one a web page just queued): re-check, render, mark,
    hand over and record them exactly as a run does, under a lease of their own; return the report.
    A notice that cannot go now stays in the ledger for the next run's retry."""
    ctx = RunContext(engine, config, renderer, transport, SqlLedger(engine, config), deadline=time.monotonic() + 300)
    st = RunState(now, RunReport(uuid.uuid4().hex[:12]), notice_ids=list(notice_ids))
    queries.start_lease(engine, st.report.run_id, outcomes.HOST, os.getpid(), time.time(), 600)
    try:
        for stage in (prepare, group, deliver):
            stage(ctx, st)
    finally:
        queries.finish_lease(engine, st.report.run_id, time.time())
    return st.report
