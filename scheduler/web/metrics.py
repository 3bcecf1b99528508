"""Prometheus `/metrics`: read from the database at each scrape (a custom collector), so every
replica of the web app reports the same numbers."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlmodel import select

from scheduler.engine.status import status_rows
from scheduler.service.health import DEAD_AFTER
from scheduler.store.models import ExtensionRequest, Heartbeat, Notice


class StoreCollector:
    """Notices by state, actions by RAG per plan, last run, leader, retries, pending extensions."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        now = dt.datetime.now(dt.UTC)
        with self.app.session() as s:
            states = dict(s.exec(select(Notice.state, sa.func.count()).group_by(Notice.state)).all())
            beats = list(s.exec(select(Heartbeat)))
            pending = s.exec(select(sa.func.count()).select_from(ExtensionRequest)
                             .where(ExtensionRequest.state == "pending")).one()  # fmt: skip
            rag = Counter()
            for plan in self.app.config.plans.values():
                today = now.astimezone(plan.policy.tz).date()
                rag.update((plan.id, r.rag) for r in status_rows(s, lambda _p, t=today: t, plan.id))
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
        leader = any(b.role == "leader" and now - b.beat_at <= DEAD_AFTER for b in beats)
        yield GaugeMetricFamily("reminders_leader_alive", "1 when a scheduler leads with a fresh heartbeat",
                                value=1 if leader else 0)  # fmt: skip
        yield GaugeMetricFamily("reminders_last_run_timestamp_seconds", "When the last run started",
                                value=last.last_run_at.timestamp() if last else 0)  # fmt: skip
        ok = 1 if last and last.last_run_result and not last.last_run_result.startswith("error") else 0
        yield GaugeMetricFamily("reminders_last_run_ok", "1 when the last run ended without an error", value=ok)


def registry_for(app) -> CollectorRegistry:
    """Return a registry holding the store collector for `app`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(app))
    return registry


def render(registry) -> bytes:
    """Return the exposition text."""
    return generate_latest(registry)
