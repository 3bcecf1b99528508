"""Drive the daemon's jobs with APScheduler 3.11 (real time): `serve(app)` until SIGTERM/SIGINT.

Only this module touches APScheduler and signals; the jobs themselves are `Service` methods.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.service import health
from scheduler.service.daemon import Service
from scheduler.service.jobs import JobPlan
from scheduler.service.logsetup import configure
from scheduler.service.triggers import daily_trigger, summary_trigger

log = logging.getLogger("scheduler.service")
JOB_DEFAULTS = {
    "coalesce": True,  # several missed fires (a suspended host) become one run
    "max_instances": 1,  # a slow run is never overlapped by the next
    "misfire_grace_time": 3600,  # a run late by under an hour still happens; later ones: catch-up
}


def schedule(scheduler: BlockingScheduler, service: Service, jobs: JobPlan) -> None:
    """(Re)create the daily and summary jobs of `jobs`."""
    for job in scheduler.get_jobs():
        if job.id.startswith(("daily", "summary")):
            job.remove()
    for i, d in enumerate(jobs.daily):
        scheduler.add_job(service.daily_run, daily_trigger(d.policy), id=f"daily-{i}", name=d.name)
    for i, w in enumerate(jobs.summaries):
        scheduler.add_job(service.weekly_summary, summary_trigger(w.policy), args=[list(w.plan_ids)],
                          id=f"summary-{i}", name=w.name)  # fmt: skip
    for job in scheduler.get_jobs():
        log.info("scheduled %s (%s)", job.name, job.trigger)


def serve(app) -> int:
    """Run the service until SIGTERM/SIGINT; return the exit code."""
    configure(app.settings.log_format)
    service = Service(app)
    if service.lock.exclusive and not service.lock.try_acquire():
        log.error("another `reminders run` already uses this SQLite database; only one instance may "
                  "run on SQLite. Stop the other one, or use PostgreSQL (DATABASE_URL) for several replicas.")  # fmt: skip
        return 1
    scheduler = BlockingScheduler(timezone=dt.UTC, job_defaults=JOB_DEFAULTS)
    service.on_jobs_changed = lambda jobs: schedule(scheduler, service, jobs)
    service.on_leader = lambda: scheduler.add_job(service.catch_up, id="catch-up", replace_existing=True)

    def on_signal(signum, _frame) -> None:
        service.stop.set()  # only a flag: the watcher thread does the shutting down

    def watch_stop() -> None:
        service.stop.wait()
        log.info("stopping: finishing the message in flight")
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=watch_stop, name="stop-watcher", daemon=True).start()
    schedule(scheduler, service, service.jobs)
    scheduler.add_job(service.tick, IntervalTrigger(seconds=health.BEAT_EVERY.total_seconds()), id="tick",
                      next_run_time=service.now(), misfire_grace_time=30)  # fmt: skip
    scheduler.add_job(service.retry_check, IntervalTrigger(minutes=5), id="retry", misfire_grace_time=300)
    log.info("service started (%s), %d plan(s)", health.INSTANCE, len(service.config.plans))
    try:
        scheduler.start()
    finally:
        service.lock.release()
        try:
            health.remove(service.engine)
        except Exception:
            pass
    log.info("service stopped")
    return 0
