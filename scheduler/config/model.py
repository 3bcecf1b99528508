"""The validated configuration: owners, plans, actions and notice policy.

These are plain frozen dataclasses built by `config_load.load_config`; nothing
here touches files or the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from scheduler.config.dates import add_months

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DEFAULT_POLICY: dict = {
    "timezone": "Europe/London",
    "send_time": "09:00",
    "working_days": ["mon", "tue", "wed", "thu", "fri"],
    "holidays": "GB-ENG",
    "reminders_before_days": [28, 14, 7, 1],
    "on_due_date": True,
    "overdue_repeat_days": [7],
    "escalations": [
        {"after_days_overdue": 7, "to": "manager"},
        {"after_days_overdue": 21, "to": "escalation_contact"},
    ],
    "overdue_repeat_until": "final_escalation",
    "digest": True,
    "summary": {"day": "mon", "time": "08:00"},
    "link_valid_days": 60,
    "progress_request_days": [10, 3],
    "verification_repeat_days": 5,
}
REPEAT_UNTIL = ("final_escalation", "closed")


@dataclass(frozen=True)
class Escalation:
    after_days_overdue: int
    to: str  # "manager", "escalation_contact" or an owner id


@dataclass(frozen=True)
class Policy:
    timezone: str
    send_time: dt.time
    working_days: tuple[int, ...]  # 0 = Monday
    holidays: str  # e.g. "GB-ENG", or "none"
    reminders_before_days: tuple[int, ...]  # largest first
    on_due_date: bool
    overdue_repeat_days: tuple[int, ...]
    escalations: tuple[Escalation, ...]
    digest: bool
    summary_day: int
    summary_time: dt.time
    overdue_repeat_until: str = "final_escalation"  # or "closed"
    link_valid_days: int = 60
    progress_request_days: tuple[int, ...] = (10, 3)  # working days before a review, largest first
    verification_repeat_days: int = 5  # working days between verify:N requests while one waits

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def last_overdue_offset(self) -> int | None:
        """Return the latest days-after-due an owner-track overdue notice may be nominally sent
        (the last escalation level's), or None when overdue notices repeat until closed."""
        if self.overdue_repeat_until == "closed" or not self.escalations:
            return None
        return self.escalations[-1].after_days_overdue


# slots: a config of 100,000 owners and a million actions is mostly these two
@dataclass(frozen=True, slots=True)
class Owner:
    id: str
    name: str
    email: str
    manager: str | None = None


@dataclass(frozen=True, slots=True)
class ActionConfig:
    ref: str
    title: str
    owner: str
    response: str | None = None
    area: str | None = None
    timescale_months: int | None = None
    explicit_due: dt.date | None = None
    line: int | None = None

    def config_due(self, report_date: dt.date) -> dt.date:
        """Return the due date the config gives: explicit `due`, else report date + months."""
        if self.explicit_due is not None:
            return self.explicit_due
        assert self.timescale_months is not None
        return add_months(report_date, self.timescale_months)


@dataclass(frozen=True)
class PlanConfig:
    id: str
    title: str
    report_date: dt.date
    policy: Policy
    actions: tuple[ActionConfig, ...]
    escalation_contact: str | None = None
    summary_recipients: tuple[str, ...] = ()
    source: str = ""
    administrator: str | None = None  # owner id: named in every email, its Reply-To
    reviews: tuple = ()  # of config.reviews.Review, date order: the monitoring body's meetings
    verification: str = "administrator"  # or "none": a completion counts at once

    def action(self, ref: str) -> ActionConfig | None:
        return next((a for a in self.actions if a.ref == ref), None)


@dataclass(frozen=True)
class Config:
    owners: dict[str, Owner]
    plans: dict[str, PlanConfig]
    default_policy: Policy
    directory: str = ""
    fingerprint: str = ""  # hash of the files, to tell when config changed


@dataclass
class Problem:
    """One config error: where it is, what is wrong, and how to fix it."""

    file: str
    path: str
    message: str
    line: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file + (f" line {self.line}" if self.line else "")
        text = f"{where}, {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text


@dataclass
class ConfigErrors(Exception):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"config has {n} error{'s' if n != 1 else ''}:"
        return "\n".join([head] + [f"  - {p}" for p in self.problems])
