"""The two writes around each hand-over, in one transaction per message.

Before a message goes to the transport its rows must be committed `sending` (so a kill leaves
it in doubt, never resent); after the transport accepts it they become `sent`. Committing the
previous message's `sent` in the same transaction as the next message's `sending` halves the
commits of a run and keeps the crash window as it was: at any instant at most one message's
rows are `sending`. The last `sent` is written by `flush()`, which every other outcome write
and the end of delivery call first, so the ledger and the log stay in delivery order.
"""

from __future__ import annotations

import datetime as dt

from scheduler.engine import outcomes
from scheduler.store import queries
from scheduler.store.states import NoticeState, Outcome


class Handover:
    """Marks and records the rows of one run's messages; `sent` is written with the next mark."""

    def __init__(self, engine, now: dt.datetime, run_id: str, report):
        self.engine, self.now, self.run_id, self.report = engine, now, run_id, report
        self._sent: list[tuple[list, str, str | None]] = []  # (rows, message id, note), unwritten

    def mark(self, rows: list) -> list:
        """Commit the pending `sent` records and these rows `sending` (if still waiting: another run
        may have claimed a retry first; and if their action is still open: a completion since the
        claim supersedes its notice); return the rows this run won."""
        with self.engine.begin() as conn:  # a connection from the pool (pre-pinged) per message
            self._write_sent(conn)
            won, gone = queries.claim_for_sending(conn, [r.id for r in rows], self.now, self.run_id)
        self._log_sent()
        for row in (r for r in rows if r.id in set(gone)):
            row.state = NoticeState.SUPERSEDED
            label = self.report.labels.get(row.action_id, ("?", "?"))
            outcomes.log_outcome(self.report, label, row, Outcome.CANCELLED, None, queries.CLOSED_SINCE_CLAIM)
        won = set(won)
        kept = [r for r in rows if r.id in won]
        for r in kept:
            r.attempts += 1
            r.state = NoticeState.SENDING
        return kept

    def sent(self, rows: list, message_id: str, note: str | None) -> None:
        """Note that the transport accepted the message of `rows`; written with the next mark."""
        self._sent.append((rows, message_id, note))

    def flush(self) -> None:
        """Write the `sent` records not yet written."""
        if self._sent:
            with self.engine.begin() as conn:
                self._write_sent(conn)
            self._log_sent()

    def _write_sent(self, conn) -> None:
        for rows, message_id, note in self._sent:
            queries.record_sent(conn, [r.id for r in rows], self.now, message_id, note)

    def _log_sent(self) -> None:
        for rows, message_id, note in self._sent:
            for row in rows:
                row.state = NoticeState.SENT
                label = self.report.labels.get(row.action_id, ("?", "?"))
                outcomes.log_outcome(self.report, label, row, Outcome.SENT, message_id, note)
        self._sent = []
