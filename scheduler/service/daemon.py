"""`reminders run`: the long-running service (PRODUCT.md §6).

APScheduler's BlockingScheduler runs, in UTC with per-plan timezones on the triggers: the daily
job at each plan's send time on its working days, the weekly summary, a 10-second tick
(heartbeat, leadership, config reload) and a 5-minute retry check. Every job is a method that
takes its time from `app.clock`, so tests call the jobs directly with a `ManualClock`. An invalid
config edit keeps the last valid config. SIGTERM/SIGINT only set a flag: the message in flight
finishes, the scheduler shuts down, the process exits 0.
"""

from __future__ import annotations

import logging
import threading

from scheduler.config.files import file_signature
from scheduler.engine.facts import calendar_for, sync_and_refresh
from scheduler.engine.pipeline import run_once
from scheduler.engine.rules import send_time_passed
from scheduler.mail.summary_mail import send_summaries
from scheduler.service import health
from scheduler.service.jobs import JobPlan, plan_jobs
from scheduler.store import db, queries
from scheduler.store.leader import make_lock
from scheduler.store.models import ServiceEvent
from scheduler.store.states import ServiceEventKind

log = logging.getLogger("scheduler.service")


class Service:
    """The daemon's state and jobs; `serve()` (in `service.runner`) drives them with APScheduler."""

    def __init__(self, app):
        self.app = app
        self.config = app.config  # valid at start, or BadSetup (exit 2) before anything runs
        self.engine = app.engine
        self.lock = make_lock(self.engine, app.settings.database_url)
        self.stop = threading.Event()
        self.run_lock = threading.Lock()
        self.leader = False
        self.bad_config: str | None = None
        self.config_signature = file_signature(app.config_dir)
        self.started_at = self.now()
        self.jobs: JobPlan = plan_jobs(self.config)
        self.on_jobs_changed = lambda jobs: None  # the runner re-schedules
        self.on_leader = lambda: None  # the runner queues a catch-up

    def now(self):
        """Return the app clock's current instant."""
        return self.app.clock.now()

    # --- config ---------------------------------------------------------------------------------
    def reload_config(self) -> None:
        """Swap in an edited config if it is valid; otherwise log and record the errors once."""
        from scheduler.config.model import ConfigErrors
        from scheduler.store.sync import SyncRefused, check_withdrawals

        signature = file_signature(self.app.config_dir)
        if signature == self.config_signature:
            return  # no file changed: nothing to read (an idle daemon costs almost nothing)
        self.config_signature = signature
        try:
            cfg = self.app.load_config(cached=True)
            if cfg.fingerprint != self.config.fingerprint:
                with db.session(self.engine) as s:
                    check_withdrawals(s, cfg)  # a truncated plan file must not withdraw its actions
        except (ConfigErrors, SyncRefused) as exc:
            text = str(exc)
            if text != self.bad_config:
                self.bad_config = text
                log.error("config edit rejected, still running the last valid config: %s", text)
                with db.session(self.engine) as s:
                    s.add(ServiceEvent(at=self.now(), kind=ServiceEventKind.CONFIG_ERROR, detail=text))
                    s.commit()
            return
        self.bad_config = None
        if cfg.fingerprint != self.config.fingerprint:
            log.info("config reloaded (%s)", cfg.fingerprint)
            self.config = self.app.config = cfg
            jobs = plan_jobs(cfg)
            if jobs != self.jobs:
                self.jobs = jobs
                self.on_jobs_changed(jobs)

    # --- jobs -----------------------------------------------------------------------------------
    def tick(self) -> None:
        """Heartbeat, leadership and config reload; a new leader catches up at once."""
        try:
            self.reload_config()
            was = self.leader
            self.leader = self.lock.holds() or self.lock.try_acquire()
            health.beat(self.engine, "leader" if self.leader else "standby", self.now(), self.started_at)
            if self.leader and not was:
                log.info("this instance (%s) is the leader", health.INSTANCE)
                self.on_leader()
            elif was and not self.leader:
                log.warning("leadership lost; standing by")
        except Exception:
            log.exception("tick failed; will try again")

    def missed_today(self) -> bool:
        """Return True when some plan's send time has passed today on a working day."""
        now = self.now()
        for plan in self.config.plans.values():
            local = now.astimezone(plan.policy.tz)
            if send_time_passed(calendar_for(plan).is_working_day(local.date()), plan.policy.send_time, local):
                return True
        return False

    def catch_up(self) -> None:
        """Run now if today's send time has passed (the service was down at send time)."""
        if self.missed_today():
            log.info("catch-up: today's send time has passed; running now")
            self.daily_run()

    def retry_check(self) -> None:
        """Run when a notice waiting for a retry has come due (leader only)."""
        if self.leader and queries.has_due_retry(self.engine, self.now()):
            self.daily_run()

    def daily_run(self) -> str | None:
        """Sync and run the pipeline once (leader only); return the run's one-line result."""
        if self.stop.is_set():
            return None
        if not self.leader:
            log.info("standby: the leader runs the daily job")
            return None
        with self.run_lock:
            now = self.now()
            self.reload_config()
            health.beat(self.engine, "leader", now, self.started_at, run_started_at=now)
            result = "error"
            try:
                with db.session(self.engine) as s:
                    sync_and_refresh(s, self.config, now)
                    s.commit()
                report = run_once(self.engine, self.config, self.app.renderer, self.app.transport(), now,
                                  stop=self.stop.is_set, deadline_seconds=self.app.settings.run_deadline)  # fmt: skip
                result = report.describe()
                log.info("run %s: %s", report.run_id, result)
                from scheduler.documents.plan_delivery import send_plan_notices  # charts, PDF: when used

                send_plan_notices(self.engine, self.config, self.app.renderer, self.app.transport(), now)
            except Exception as exc:
                log.exception("run failed: %s", exc)
                result = f"error: {type(exc).__name__}"
            finally:
                self._finish_run(now, result)
            return result

    def _finish_run(self, started, result: str) -> None:
        with db.session(self.engine) as s:
            s.add(ServiceEvent(at=self.now(), kind=ServiceEventKind.RUN, detail=result))
            s.commit()
        health.beat(self.engine, "leader", self.now(), self.started_at, run_started_at=None,
                    last_run_at=started, last_run_result=result)  # fmt: skip

    def weekly_summary(self, plan_ids: list[str]) -> int:
        """Email the summary of `plan_ids` to their recipients (leader only); return messages sent."""
        if not self.leader or self.stop.is_set():
            return 0
        try:
            results = send_summaries(self.engine, self.config, self.app.renderer, self.app.transport(),
                                     self.now(), plan_ids)  # fmt: skip
            return sum(1 for r in results if r.outcome == "sent")
        except Exception:
            log.exception("weekly summary failed")
            return 0
