"""APScheduler triggers for the service: a daily time on working days, in a timezone (DST-correct)."""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from scheduler.config.dates import WorkingCalendar
from scheduler.config.model import Policy


class WorkingDayTrigger(BaseTrigger):
    """Fires at `at` local time on the calendar's working days (weekends and bank holidays skipped)."""

    def __init__(self, at: dt.time, timezone, calendar: WorkingCalendar):
        self.calendar = calendar
        self.cron = CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=timezone)

    def get_next_fire_time(self, previous_fire_time, now):
        fire = self.cron.get_next_fire_time(previous_fire_time, now)
        for _ in range(400):  # a year of non-working days would be a config mistake
            if fire is None or self.calendar.is_working_day(fire.date()):
                return fire
            fire = self.cron.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
        return None

    def __str__(self) -> str:
        return f"working days at {self.cron}"


def daily_trigger(policy: Policy) -> WorkingDayTrigger:
    return WorkingDayTrigger(
        policy.send_time, policy.tz, WorkingCalendar(policy.working_days, policy.holidays)
    )


def summary_trigger(policy: Policy) -> CronTrigger:
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[policy.summary_day]
    t = policy.summary_time
    return CronTrigger(day_of_week=day, hour=t.hour, minute=t.minute, second=t.second, timezone=policy.tz)
