"""Delivering a run's messages over SMTP_CONNECTIONS connections at the relay's pace.

Each connection is a worker with its own transport and its own `Handover`, so a crash leaves at most
one message in doubt per connection. Workers take a recipient's messages as one group, in order, so
a person's messages of a run keep their order. Every message is claimed and handed over exactly as
with one connection. What changes the whole run is decided here, once:
- an outcome in doubt (connection lost or stalled after DATA) trips the breaker: no more messages go
  to that relay in this run; the rest stay `pending` for the next run, which tries normally;
- the relay throttling: too many connections (432 4.3.2) drops one and the others go on; too fast
  (421 4.7.x, "rate limit") slows the shared pace; the daily quota (554 5.2.0) stops the run; none
  of them counts an attempt against the notice;
- a pace that cannot send the rest before RUN_DEADLINE leaves them `pending` and says how many.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from scheduler.engine import outcomes
from scheduler.engine.ahead import Ahead
from scheduler.engine.handover import Handover
from scheduler.engine.pacing import Pace
from scheduler.engine.ports import TemplateProblem, TransportError

log = logging.getLogger("scheduler.notices")
THROTTLED_TRIES = 5  # times one message is put back for "slow down" before it counts as a failure


class Run:
    """The state the workers share: the queue of recipient groups and why delivery stopped."""

    def __init__(self, ctx, st, groups: list[list[int]], pace: Pace):
        self.ctx, self.st, self.pace = ctx, st, pace
        self.queue = deque(groups)
        self.lock = threading.Lock()
        self.reason: str | None = None  # set once: why this run stopped delivering
        self.halted = False
        self.alive = 0  # connections working
        self.left = 0  # notices left `pending` for the next run

    def take(self) -> list[int] | None:
        with self.lock:
            return None if self.halted or not self.queue else self.queue.popleft()

    def give_back(self, group: list[int]) -> None:
        with self.lock:
            self.queue.appendleft(group)

    def halt(self, reason: str | None = None) -> None:
        """Stop every worker between messages; the first reason given is the one reported."""
        with self.lock:
            self.halted = True
            if reason and not self.reason:
                self.reason = reason
                log.warning("delivery stopped: %s", reason)

    def leave(self, indices: list[int]) -> None:
        with self.lock:
            self.left += sum(len(self.st.messages[i]) for i in indices)

    def drain(self) -> list[int]:
        """Return (and remove) every message index still queued."""
        with self.lock:
            out = [i for g in self.queue for i in g]
            self.queue.clear()
            return out

    def stopping(self) -> bool:
        return self.halted or self.ctx.stop() or time.monotonic() > self.ctx.deadline


def deliver(ctx, st) -> None:
    """Hand the run's messages to the transport over its connections; record each as answered."""
    if not st.messages:
        return
    groups: dict = {}
    for i, message in enumerate(st.messages):  # a recipient's messages stay together, in order
        groups.setdefault(message[0][0].recipient, []).append(i)
    n = max(1, min(getattr(ctx.transport, "connections", 1), len(groups)))
    fork = getattr(ctx.transport, "fork", None)
    transports = [ctx.transport] + [fork() for _ in range(n - 1)] if fork else [ctx.transport]
    pace = Pace(ctx.engine, getattr(ctx.transport, "relay", ctx.transport.name),
                getattr(ctx.transport, "max_per_minute", None), ctx.deadline)  # fmt: skip
    run = Run(ctx, st, list(groups.values()), pace)
    with Ahead(lambda message: _build(ctx, st, message), st.messages, depth=2 * len(transports)) as built:
        run.alive = len(transports)
        threads = [threading.Thread(target=_worker, args=(run, t, built), name=f"smtp-{k}", daemon=True)
                   for k, t in enumerate(transports[1:], 1)]  # fmt: skip
        for t in threads:
            t.start()
        _worker(run, transports[0], built)
        for t in threads:
            t.join()
        if run.queue and not run.halted:  # given back by a refused connection after the others had finished
            run.alive = 1
            _worker(run, transports[0], built)
    run.leave(run.drain())
    st.report.left += run.left
    st.report.stopped = st.report.stopped or run.reason
    if pace.slowed:
        log.info("the relay asked to slow down %d time(s); pace now %.0f a minute", pace.slowed, pace.per_minute())


def _worker(run: Run, transport, built) -> None:
    """Deliver groups from the queue over one connection until it is empty or the run halts."""
    ctx, st = run.ctx, run.st
    handover = Handover(ctx.engine, st.now, st.report.run_id, st.report)
    group, opened = None, False
    try:
        while (group := run.take()) is not None:
            if not opened:
                if not _open(run, transport, group):
                    return
                opened = True
            if not _send_group(run, transport, handover, built, group):
                return
    finally:
        handover.flush()
        if opened:
            transport.close()
        with run.lock:
            run.alive -= 1


def _open(run: Run, transport, group: list[int]) -> bool:
    """Open the connection; on failure hand the group back (too many connections) or record it."""
    try:
        transport.open()
        return True
    except TransportError as exc:
        with run.lock:
            others = run.alive > 1
        if exc.throttle == "connections" and others:
            run.give_back(group)
            log.info("the relay refused one more connection (%s); going on with the others", exc)
            return False
        run.halt(None if not exc.config else str(exc))
        _not_sent(run.ctx, run.st, group + run.drain(), exc)
        return False


def _send_group(run: Run, transport, handover: Handover, built, group: list[int]) -> bool:
    """Send one recipient's messages in order; return False when this connection must stop."""
    ctx, st = run.ctx, run.st
    pos, throttled, reopened = 0, 0, False
    while pos < len(group):
        i = group[pos]
        if run.stopping() or not _wait_for_slot(run):
            run.leave(group[pos:])
            return False
        exc = _deliver_one(ctx, st, transport, st.messages[i], handover, lambda i=i: built.result(i))
        if exc is None:
            pos, throttled = pos + 1, 0
            continue
        if exc.throttle == "rate" and throttled < THROTTLED_TRIES:
            run.pace.slow()
            throttled += 1
            continue  # the same message again, at the slower pace
        if exc.throttle == "connections":
            if not reopened and _reopen_alone(run, transport):
                reopened = True
                continue  # the others finished meanwhile: the same message again on a fresh connection
            with run.lock:
                last = run.alive == 1
            if not last:
                run.give_back(group[pos:])
                return False
            run.halt(f"the relay refused the run's last connection ({exc}); the rest wait for the next run")
            run.leave(group[pos:])
        elif exc.throttle:  # the daily quota, or still too fast after slowing down
            run.halt(f"the relay is not accepting more now ({exc}); the rest wait for the next run")
            run.leave(group[pos:])
        elif exc.unknown:
            run.halt(f"breaker: the relay {getattr(transport, 'relay', transport.name)} lost a message's "
                     f"answer after DATA ({exc}); no more messages to it this run, the rest wait for the next")  # fmt: skip
            run.leave(group[pos + 1 :])
        else:  # misconfigured, or the connection is gone: the rest are recorded as not sent
            run.halt(str(exc) if exc.config else None)
            _not_sent(ctx, st, group[pos + 1 :] + run.drain(), exc)
        return False
    return True


def _reopen_alone(run: Run, transport) -> bool:
    """After a 432 (too many connections) on what is now the run's only connection, the refusal was
    counting connections that have since closed: open this one afresh. Return True when it opened."""
    with run.lock:
        if run.alive != 1:
            return False
    transport.close()
    try:
        transport.open()
        return True
    except TransportError:
        return False


def _wait_for_slot(run: Run) -> bool:
    """Wait for this message's slot in the relay's pace; False when it comes after the deadline."""
    wait = run.pace.reserve()
    if wait is None:
        limit = getattr(run.ctx.transport, "max_per_minute", None)
        run.halt(f"at {run.pace.per_minute():.0f} a minute (SMTP_MAX_PER_MINUTE={f'{limit:g}' if limit else 'unset'}) the rest "
                 "cannot go before RUN_DEADLINE; they wait for the next run")  # fmt: skip
        return False
    end = time.monotonic() + wait
    while (left := end - time.monotonic()) > 0:
        if run.ctx.stop():
            return False
        time.sleep(min(left, 0.5))
    return True


def _not_sent(ctx, st, indices: list[int], exc: TransportError) -> None:
    rows = [r for i in indices for r, _ in st.messages[i]]
    if not rows:
        return
    if exc.config:
        st.report.config_error = st.report.config_error or str(exc)
        outcomes.record_config_error(ctx.engine, rows, st.now, str(exc), st.report)
    else:
        outcomes.record_failure(ctx.engine, rows, st.now, str(exc), exc.permanent, st.report)


def _build(ctx, st, message: list):
    """Return the message rendered and prepared for the transport (run ahead, in another thread)."""
    return ctx.transport.prepare(ctx.renderer.render([v for _, v in message], st.now))


def _deliver_one(ctx, st, transport, message: list, handover: Handover, built) -> TransportError | None:
    """Mark, hand over and record one message (`built()` returns it rendered, or raises
    TemplateProblem). Return the TransportError that must change the run (throttled, in doubt,
    misconfigured, connection gone), else None."""
    won = {r.id for r in handover.mark([r for r, _ in message])}
    whole = len(won) == len(message)
    message = [(r, v) for r, v in message if r.id in won]
    if not message:
        return None  # another run claimed these retries first, or their actions closed
    rows = [r for r, _ in message]
    try:
        msg = built() if whole else _build(ctx, st, message)  # built ahead for all of its rows
    except TemplateProblem as exc:
        handover.flush()
        outcomes.record_failure(ctx.engine, rows, st.now, str(exc), True, st.report)
        return None
    try:
        refused = transport.send(msg)
    except TransportError as exc:
        handover.flush()
        if exc.throttle:  # the relay is pacing us: not an attempt, the rows wait again
            outcomes.unmark(ctx.engine, rows, st.now, str(exc))
        elif exc.config:
            _not_sent_rows(ctx, st, rows, exc)
        elif exc.unknown:
            outcomes.record_unknown(ctx.engine, rows, st.now, str(exc), st.report)
        else:
            outcomes.record_failure(ctx.engine, rows, st.now, str(exc), exc.permanent, st.report)
        return exc if (exc.throttle or exc.config or exc.unknown or exc.broken) else None
    outcomes.count_message(st.report)
    to = rows[0].recipient
    if to in refused:
        handover.flush()
        code, text = refused[to]
        outcomes.record_failure(ctx.engine, rows, st.now, f"recipient refused: {code} {text}", code >= 500,
                                st.report)  # fmt: skip
        return None
    note = "; ".join(f"cc {a} refused: {c} {t}" for a, (c, t) in refused.items()) or None
    handover.sent(rows, msg["Message-ID"], note)
    return None


def _not_sent_rows(ctx, st, rows: list, exc: TransportError) -> None:
    st.report.config_error = st.report.config_error or str(exc)
    outcomes.record_config_error(ctx.engine, rows, st.now, str(exc), st.report)
