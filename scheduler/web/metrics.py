"""Prometheus `/metrics`: a few aggregate queries (store/gauges.py), read at most once every
`CACHE_SECONDS` however often it is scraped, and always in the thread pool (never on the event
loop). Every replica reads the same database, so every replica reports the same numbers."""

from __future__ import annotations

import threading
import time

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from scheduler.store import gauges

CACHE_SECONDS = 5.0


class StoreCollector:
    """Notices by state, actions by RAG per plan, last run, leader, retries, pending extensions."""

    def __init__(self, web):
        self.web = web

    def collect(self):
        now = self.web.now()
        with self.web.session() as s:
            states = gauges.notice_states(s)
            beats = gauges.heartbeats(s)
            pending = gauges.pending_extensions(s, self.web.config, now)
            by_day: dict = {}  # plans grouped by their local today: usually one group
            for plan in self.web.config.plans.values():
                by_day.setdefault(now.astimezone(plan.policy.tz).date(), []).append(plan.id)
            rag = {}
            for today, plan_ids in by_day.items():
                rag.update(gauges.rag_counts(s, plan_ids, today))
        notices = GaugeMetricFamily("reminders_notices", "Notices in the send ledger, by state", labels=["state"])
        for state, n in sorted(states.items()):
            notices.add_metric([state], n)
        yield notices
        actions = GaugeMetricFamily("reminders_actions", "Actions by plan and RAG", labels=["plan", "rag"])
        for (plan, r), n in sorted(rag.items()):
            actions.add_metric([plan, r], n)
        yield actions
        yield GaugeMetricFamily("reminders_retries_pending", "Notices waiting for a retry", value=states.get("retry", 0))
        yield GaugeMetricFamily("reminders_extension_requests_pending", "Extension requests awaiting approval",
                                value=pending)  # fmt: skip
        yield from self._runs(beats, now)

    def _runs(self, beats, now):
        last = max((b for b in beats if b.last_run_at), key=lambda b: b.last_run_at, default=None)
        yield GaugeMetricFamily("reminders_leader_alive", "1 when a scheduler leads with a fresh heartbeat",
                                value=1 if gauges.leader_alive(beats, now) else 0)  # fmt: skip
        yield GaugeMetricFamily("reminders_last_run_timestamp_seconds", "When the last run started",
                                value=last.last_run_at.timestamp() if last else 0)  # fmt: skip
        ok = 1 if last and last.last_run_result and not last.last_run_result.startswith("error") else 0
        yield GaugeMetricFamily("reminders_last_run_ok", "1 when the last run ended without an error", value=ok)


class Metrics:
    """The exposition text, cached for CACHE_SECONDS (one scrape's queries serve every scrape meanwhile)."""

    def __init__(self, web, cache_seconds: float = CACHE_SECONDS, clock=time.monotonic):
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(StoreCollector(web))
        self.cache_seconds, self.clock = cache_seconds, clock
        self.lock = threading.Lock()
        self.text, self.at = b"", float("-inf")
        self.reads = 0  # how many times the database was read (tests count them)

    def render(self) -> bytes:
        """Return the exposition text, read afresh when the cached one is older than CACHE_SECONDS."""
        with self.lock:  # concurrent scrapes wait for one read rather than each reading
            if self.clock() - self.at >= self.cache_seconds:
                self.text, self.at = generate_latest(self.registry), self.clock()
                self.reads += 1
            return self.text
