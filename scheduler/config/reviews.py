"""The plan's reviews (the monitoring body's meetings) and the `progress_request_days` policy key.

`check_reviews(f, doc, report_date)` returns the plan's `Review`s, date order, recording a Problem for
each bad entry (not a date, not after the report date, a duplicate, an unknown key). `review_warnings`
returns what is allowed but probably a slip (a meeting on a non-working day). `progress_days` is the
policy checker of `progress_request_days`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduler.config.dates import WorkingCalendar
from scheduler.config.fields import Fields
from scheduler.config.limits import MAX_DAYS

REVIEW_KEYS = {"date", "body"}
DEFAULT_PROGRESS_DAYS = (10, 3)


@dataclass(frozen=True, slots=True)
class Review:
    date: dt.date
    body: str | None = None
    line: int | None = None


def check_reviews(f: Fields, doc, report_date: dt.date | None) -> tuple[Review, ...]:
    """Return the plan's reviews sorted by date; every bad entry is reported on `f`."""
    items = f.seq(doc, "reviews", "reviews") or []
    reviews: list[Review] = []
    seen: dict[dt.date, int | None] = {}
    for i, item in enumerate(items):
        p = f"reviews[{i}]"
        if not f.mapping(item, p, REVIEW_KEYS, required={"date"}, line=items.line_of(i)):
            continue
        day = f.date(item, "date", p)
        body = f.text(item, "body", p, required=False, single_line=True)
        if day is None:
            continue
        line = item.line_of("date")
        if report_date is not None and day <= report_date:
            f.error(item, "date", p, f"review date {day} is not after the plan's report_date {report_date}",
                    "a review monitors the plan after its report; check the year")  # fmt: skip
            continue
        if day in seen:
            f.error(item, "date", p, f"duplicate review date {day} (first on line {seen[day]})",
                    "list each meeting once; put both bodies in one `body:` if two meet that day")  # fmt: skip
            continue
        seen[day] = line
        reviews.append(Review(day, body, line))
    return tuple(sorted(reviews, key=lambda r: r.date))


def review_warnings(rel: str, reviews: tuple[Review, ...], calendar: WorkingCalendar) -> list[str]:
    """Return one warning per review on a non-working day (its report goes out the next working day)."""
    out = []
    for r in reviews:
        if calendar.is_working_day(r.date):
            continue
        why = calendar.holiday_name(r.date) or f"a {r.date:%A}"
        where = rel + (f" line {r.line}" if r.line else "")
        out.append(f"{where}, reviews: {r.date} is not a working day ({why}); the progress report goes out on "
                   f"{calendar.on_or_after(r.date)}; check the date")  # fmt: skip
    return out


def progress_days(fx: Fields, obj, key, prefix, owners):
    """Policy checker: a list of distinct whole numbers of working days, returned largest first."""
    value = obj[key]
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_DAYS for v in value
    ):
        fx.error(obj, key, prefix, f"expected a list of whole numbers of working days from 1 to {MAX_DAYS}, "
                 f"got {value!r}", "e.g. [10, 3] (an empty list [] sends no progress requests)")  # fmt: skip
        return None
    if len(set(value)) != len(value):
        fx.error(obj, key, prefix, f"a number appears twice in {value!r}", "list each number of days once")
        return None
    return tuple(sorted(value, reverse=True))


def config_warnings(config) -> list[str]:
    """Return the warnings of every plan in a loaded Config (printed by `validate`, never fatal)."""
    out = []
    for plan in config.plans.values():
        cal = WorkingCalendar(plan.policy.working_days, plan.policy.holidays)
        out += review_warnings(plan.source, plan.reviews, cal)
    return out
