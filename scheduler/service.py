"""`reminders run`: the long-running service (PRODUCT.md §6).

APScheduler's BlockingScheduler runs, in UTC with per-plan timezones on the triggers:
the daily job at each plan's send time on its working days, the weekly summary, a 10-second
tick (heartbeat, leadership, config reload) and a 5-minute retry check. Every job re-reads
the config; an invalid edit keeps the last valid config. SIGTERM/SIGINT only set a flag:
the message in flight finishes, the scheduler shuts down, the process exits 0.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import select

from scheduler import db, health
from scheduler.config_load import load_config
from scheduler.config_model import ConfigErrors
from scheduler.facts import calendar_for, sync_and_refresh
from scheduler.leadership import FileLock, make_lock
from scheduler.logsetup import configure
from scheduler.models import Notice, ServiceEvent
from scheduler.pipeline import run_once
from scheduler.summary_mail import send_summaries
from scheduler.triggers import daily_trigger, summary_trigger

log = logging.getLogger("scheduler.service")
JOB_DEFAULTS = {
    "coalesce": True,  # several missed fires (a suspended host) become one run
    "max_instances": 1,  # a slow run is never overlapped by the next
    "misfire_grace_time": 3600,  # a run late by under an hour still happens; later ones: catch-up
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Service:
    def __init__(self, app):
        self.app = app
        self.settings = app.settings
        self.config = app.config  # valid at start, or BadInput (exit 2) before anything runs
        self.engine = app.engine
        self.lock = make_lock(self.engine, self.settings.database_url)
        self.stop = threading.Event()
        self.run_lock = threading.Lock()
        self.leader = False
        self.bad_fingerprint: str | None = None
        self.started_at = utcnow()
        self.scheduler = BlockingScheduler(timezone=dt.UTC, job_defaults=JOB_DEFAULTS)
        self.schedule_key = None

    # --- config ---------------------------------------------------------------------------
    def reload_config(self) -> None:
        """Swap in an edited config if it is valid; otherwise log and record the errors once."""
        try:
            cfg = load_config(self.app.config_dir)
        except ConfigErrors as exc:
            text = str(exc)
            if text != self.bad_fingerprint:
                self.bad_fingerprint = text
                log.error("config edit rejected, still running the last valid config: %s", text)
                with db.session(self.engine) as s:
                    s.add(ServiceEvent(at=utcnow(), kind="config_error", detail=text))
                    s.commit()
            return
        self.bad_fingerprint = None
        if cfg.fingerprint != self.config.fingerprint:
            log.info("config reloaded (%s)", cfg.fingerprint)
            self.config = cfg
            self.schedule_jobs()

    def schedule_jobs(self) -> None:
        """(Re)create the daily and summary jobs from the current config's policies."""
        daily = {(p.policy.timezone, p.policy.send_time, p.policy.working_days, p.policy.holidays): p.policy
                 for p in self.config.plans.values()}  # fmt: skip
        weekly = {(p.policy.timezone, p.policy.summary_day, p.policy.summary_time): p.policy
                  for p in self.config.plans.values()}  # fmt: skip
        key = (tuple(sorted(map(str, daily))), tuple(sorted(map(str, weekly))))
        if key == self.schedule_key:
            return
        self.schedule_key = key
        for job in self.scheduler.get_jobs():
            if job.id.startswith(("daily", "summary")):
                job.remove()
        for i, policy in enumerate(daily.values()):
            self.scheduler.add_job(
                self.daily_run,
                daily_trigger(policy),
                id=f"daily-{i}",
                name=f"daily run {policy.send_time:%H:%M} {policy.timezone}",
            )
        for i, (k, policy) in enumerate(weekly.items()):
            plans = [
                p.id
                for p in self.config.plans.values()
                if (p.policy.timezone, p.policy.summary_day, p.policy.summary_time) == k
            ]
            self.scheduler.add_job(self.weekly_summary, summary_trigger(policy), args=[plans], id=f"summary-{i}",
                                   name=f"weekly summary {','.join(plans)}")  # fmt: skip
        for job in self.scheduler.get_jobs():
            log.info("scheduled %s (%s)", job.name, job.trigger)

    # --- jobs -----------------------------------------------------------------------------
    def tick(self) -> None:
        """Heartbeat, leadership and config reload; a new leader catches up at once."""
        try:
            self.reload_config()
            was = self.leader
            self.leader = self.lock.holds() or self.lock.try_acquire()
            health.beat(self.engine, "leader" if self.leader else "standby", utcnow(), self.started_at)
            if self.leader and not was:
                log.info("this instance (%s) is the leader", health.instance_id())
                self.scheduler.add_job(self.catch_up, id="catch-up", replace_existing=True)
            elif was and not self.leader:
                log.warning("leadership lost; standing by")
        except Exception:
            log.exception("tick failed; will try again")

    def catch_up(self) -> None:
        """Run now if some plan's send time has passed today on a working day (down at send time)."""
        now = utcnow()
        for plan in self.config.plans.values():
            local = now.astimezone(plan.policy.tz)
            if calendar_for(plan).is_working_day(local.date()) and local.time() >= plan.policy.send_time:
                log.info("catch-up: today's send time has passed; running now")
                self.daily_run()
                return

    def retry_check(self) -> None:
        if not self.leader:
            return
        with db.session(self.engine) as s:
            due = s.exec(
                select(Notice.id).where(Notice.state == "retry", Notice.next_attempt_at <= utcnow())
            ).first()
        if due is not None:
            self.daily_run()

    def daily_run(self) -> None:
        if self.stop.is_set():
            return
        if not self.leader:
            log.info("standby: the leader runs the daily job")
            return
        with self.run_lock:
            now = utcnow()
            self.reload_config()
            health.beat(self.engine, "leader", now, self.started_at, run_started_at=now)
            result = "error"
            try:
                with db.session(self.engine) as s:
                    sync_and_refresh(s, self.config, now)
                    s.commit()
                from scheduler.cli_run import renderer_for, transport_for

                report = run_once(self.engine, self.config, renderer_for(self.app), transport_for(self.app), now,
                                  stop=self.stop.is_set)  # fmt: skip
                result = (f"{report.count('sent')} sent, {report.superseded} superseded, {report.count('retry')} "
                          f"retry, {report.count('failed')} failed")  # fmt: skip
                log.info("run %s: %s", report.run_id, result)
            except Exception as exc:
                log.exception("run failed: %s", exc)
                result = f"error: {type(exc).__name__}"
            finally:
                with db.session(self.engine) as s:
                    s.add(ServiceEvent(at=utcnow(), kind="run", detail=result))
                    s.commit()
                health.beat(self.engine, "leader", utcnow(), self.started_at, run_started_at=None,
                            last_run_at=now, last_run_result=result)  # fmt: skip

    def weekly_summary(self, plan_ids: list[str]) -> None:
        if not self.leader or self.stop.is_set():
            return
        try:
            from scheduler.cli_run import renderer_for, transport_for

            send_summaries(
                self.engine, self.config, renderer_for(self.app), transport_for(self.app), utcnow(), plan_ids
            )
        except Exception:
            log.exception("weekly summary failed")

    # --- lifecycle ------------------------------------------------------------------------
    def _on_signal(self, signum, _frame) -> None:
        self.stop.set()  # only a flag: the watcher thread does the shutting down

    def _watch_stop(self) -> None:
        self.stop.wait()
        log.info("stopping: finishing the message in flight")
        self.scheduler.shutdown(wait=True)

    def serve(self) -> int:
        if isinstance(self.lock, FileLock) and not self.lock.try_acquire():
            log.error("another `reminders run` already uses this SQLite database (%s); only one instance may "
                      "run on SQLite. Stop the other one, or use PostgreSQL (DATABASE_URL) for several replicas.",
                      self.lock.path)  # fmt: skip
            return 1
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        threading.Thread(target=self._watch_stop, name="stop-watcher", daemon=True).start()
        self.schedule_jobs()
        self.scheduler.add_job(self.tick, IntervalTrigger(seconds=health.BEAT_EVERY.total_seconds()), id="tick",
                               next_run_time=utcnow(), misfire_grace_time=30)  # fmt: skip
        self.scheduler.add_job(
            self.retry_check, IntervalTrigger(minutes=5), id="retry", misfire_grace_time=300
        )
        log.info("service started (%s), %d plan(s)", health.instance_id(), len(self.config.plans))
        try:
            self.scheduler.start()
        finally:
            self.lock.release()
            try:
                health.remove(self.engine)
            except Exception:
                pass
        log.info("service stopped")
        return 0


def serve(app) -> int:
    """Run the service until SIGTERM/SIGINT; return the exit code."""
    configure(app.settings.log_format)
    return Service(app).serve()
