"""Which scheduled jobs a config asks for: one daily run per distinct (timezone, send time,
working days, holidays), and one weekly summary per distinct (timezone, day, time) with its plans.
Pure: `plan_jobs(config)` returns a value that compares equal when nothing needs re-scheduling."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.config.model import Config, Policy


@dataclass(frozen=True)
class DailyJob:
    policy: Policy

    @property
    def name(self) -> str:
        return f"daily run {self.policy.send_time:%H:%M} {self.policy.timezone}"


@dataclass(frozen=True)
class SummaryJob:
    policy: Policy
    plan_ids: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"weekly summary {','.join(self.plan_ids)}"


@dataclass(frozen=True)
class JobPlan:
    daily: tuple[DailyJob, ...]
    summaries: tuple[SummaryJob, ...]

    def key(self) -> tuple:
        """Return what decides the triggers (two plans with the same times share one job)."""
        return (tuple(_daily_key(j.policy) for j in self.daily),
                tuple((_summary_key(j.policy), j.plan_ids) for j in self.summaries))  # fmt: skip

    def __eq__(self, other) -> bool:
        return isinstance(other, JobPlan) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


def _daily_key(p: Policy) -> tuple:
    return (p.timezone, p.send_time, p.working_days, p.holidays)


def _summary_key(p: Policy) -> tuple:
    return (p.timezone, p.summary_day, p.summary_time)


def plan_jobs(config: Config) -> JobPlan:
    """Return the daily and weekly jobs `config` needs, in a stable order."""
    daily: dict = {}
    weekly: dict = {}
    for plan in sorted(config.plans.values(), key=lambda p: p.id):
        daily.setdefault(_daily_key(plan.policy), plan.policy)
        weekly.setdefault(_summary_key(plan.policy), (plan.policy, []))[1].append(plan.id)
    return JobPlan(
        tuple(DailyJob(p) for _, p in sorted(daily.items(), key=lambda kv: str(kv[0]))),
        tuple(SummaryJob(p, tuple(ids)) for _, (p, ids) in sorted(weekly.items(), key=lambda kv: str(kv[0]))),
    )
