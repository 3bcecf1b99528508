"""The notice policy's validation: one small checker per key, run from a table.

`check_policy(raw, f, prefix, source, owners)` returns a `Policy` from the merged `raw` dict
(defaults <- policy.yaml <- a plan's `policy:`), or None when any key is wrong. `source` is the
mapping the values were written in, for line numbers; a key it does not set was checked (and
reported) with policy.yaml already, so its problems are not repeated for every plan.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.config.dates import check_holiday_code
from scheduler.config.fields import Fields, _join, _line, weekday_index
from scheduler.config.limits import MAX_DAYS, MAX_LINK_DAYS
from scheduler.config.model import REPEAT_UNTIL, WEEKDAYS, Escalation, Policy
from scheduler.config.reviews import progress_days


def _timezone(fx: Fields, obj, key, prefix, owners):
    try:
        ZoneInfo(str(obj[key]))
        return str(obj[key])
    except (ZoneInfoNotFoundError, ValueError):
        fx.error(obj, key, prefix, f"unknown timezone {obj[key]!r}", "use an IANA name such as Europe/London")


def _time(fx: Fields, obj, key, prefix, owners):
    return fx.hhmm(obj, key, prefix)


def _boolean(fx: Fields, obj, key, prefix, owners):
    if not isinstance(obj[key], bool):
        fx.error(obj, key, prefix, f"expected true or false, got {obj[key]!r}", "write true or false")
        return None
    return obj[key]


def _days_list(fx: Fields, obj, key, prefix, owners):
    value = obj[key]
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_DAYS for v in value
    ):
        fx.error(obj, key, prefix, f"expected a list of whole numbers of days from 1 to {MAX_DAYS}, got {value!r}",
                 "e.g. [28, 14, 7, 1]")  # fmt: skip
        return None
    return tuple(value)


def _working_days(fx: Fields, obj, key, prefix, owners):
    value = obj[key]
    days = [weekday_index(v) for v in value] if isinstance(value, list) else []
    if not days or None in days:
        fx.error(obj, key, prefix, f"expected a list of weekdays, got {value!r}",
                 "e.g. [mon, tue, wed, thu, fri]")  # fmt: skip
        return None
    return tuple(sorted(set(days)))


def _holidays(fx: Fields, obj, key, prefix, owners):
    reason = check_holiday_code(str(obj[key])) if isinstance(obj[key], str) else "not text"
    if reason:
        fx.error(obj, key, prefix, f"unknown holiday calendar {obj[key]!r} ({reason})",
                 "use GB-ENG (England & Wales), GB-SCT, GB-NIR, another country code, or none")  # fmt: skip
        return None
    return obj[key]


def _escalation_level(fx: Fields, item, p, last, owners, line) -> Escalation | None:
    if not fx.mapping(item, p, {"after_days_overdue", "to"}, {"after_days_overdue", "to"}, line=line):
        return None
    days = fx.positive_int(item, "after_days_overdue", p, "whole number of days")
    to = item["to"]
    ok = days is not None
    if not isinstance(to, str) or (to not in ("manager", "escalation_contact") and to not in owners):
        fx.error(item, "to", p, f"unknown escalation target {to!r}", "use manager, escalation_contact or an owner id")
        ok = False
    if days is not None and days <= last:
        fx.error(item, "after_days_overdue", p, f"{days} is not after the previous level ({last})",
                 "list escalation levels in increasing after_days_overdue")  # fmt: skip
        ok = False
    return Escalation(days, to) if ok else None


def _escalations(fx: Fields, obj, key, prefix, owners):
    value = obj[key]
    if not isinstance(value, list):
        fx.error(obj, key, prefix, f"expected a list, got {value!r}", "e.g. [{after_days_overdue: 7, to: manager}]")
        return None
    levels, ok, last = [], True, 0
    for i, item in enumerate(value):
        level = _escalation_level(fx, item, f"{_join(prefix, key)}[{i}]", last, owners, _line(value, i))
        if level is None:
            ok = False
            days = item.get("after_days_overdue") if isinstance(item, dict) else None
            last = days if isinstance(days, int) and not isinstance(days, bool) and days > last else last
            continue
        last = level.after_days_overdue
        levels.append(level)
    return tuple(levels) if ok else None


def _repeat_until(fx: Fields, obj, key, prefix, owners):
    if obj[key] not in REPEAT_UNTIL:
        fx.error(obj, key, prefix, f"unknown value {obj[key]!r}",
                 "use final_escalation (stop owner overdue notices after the last escalation) or closed")  # fmt: skip
        return None
    return obj[key]


def _link_days(fx: Fields, obj, key, prefix, owners):
    return fx.positive_int(obj, key, prefix, "whole number of days", most=MAX_LINK_DAYS)


def _summary(fx: Fields, obj, key, prefix, owners):
    value = obj[key]
    path = _join(prefix, key)
    if not fx.mapping(value, path, {"day", "time"}, line=_line(obj, key)):
        return None
    merged = {"day": "mon", "time": "08:00", **value}
    day = fx.weekday(merged if "day" not in value else value, "day", path)
    time = fx.hhmm(merged if "time" not in value else value, "time", path)
    return None if day is None or time is None else (day, time)


CHECKERS = {
    "timezone": _timezone,
    "send_time": _time,
    "working_days": _working_days,
    "holidays": _holidays,
    "reminders_before_days": _days_list,
    "on_due_date": _boolean,
    "overdue_repeat_days": _days_list,
    "escalations": _escalations,
    "digest": _boolean,
    "summary": _summary,
    "overdue_repeat_until": _repeat_until,
    "link_valid_days": _link_days,
    "progress_request_days": progress_days,
    "verification_repeat_days": _link_days,
}


def check_policy(raw: dict, f: Fields, prefix: str, source, owners) -> Policy | None:
    """Return a Policy from the merged `raw` dict, or None if it has errors (each reported once)."""
    values, failed = {}, False
    for key, checker in CHECKERS.items():
        fx = f if source is None or key in source else Fields(f.file, [])
        holder = source if isinstance(source, dict) and key in source else raw
        before = len(fx.problems)
        values[key] = checker(fx, holder, key, prefix, owners)
        failed = failed or values[key] is None or len(fx.problems) > before
    if failed:
        return None
    day, time = values["summary"]
    return Policy(values["timezone"], values["send_time"], values["working_days"], values["holidays"],
                  tuple(sorted(set(values["reminders_before_days"]), reverse=True)), values["on_due_date"],
                  values["overdue_repeat_days"], values["escalations"], values["digest"], day, time,
                  values["overdue_repeat_until"], values["link_valid_days"],
                  values["progress_request_days"], values["verification_repeat_days"])  # fmt: skip


__all__ = ["check_policy", "CHECKERS", "WEEKDAYS"]
