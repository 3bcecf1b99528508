"""Field checkers for config validation; each records a `Problem` instead of raising.

`Fields` checks one file's values (type, shape, allowed keys) and knows how to find
the line of a key. `check_policy` validates the notice policy and returns a `Policy`,
or None when anything in it is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from scheduler.config.dates import check_holiday_code
from scheduler.config.model import WEEKDAYS, Escalation, Policy, Problem
from scheduler.config.yamlload import LineDict, LineList

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def _join(prefix: str, key) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _line(container, key):
    if isinstance(container, LineDict | LineList):
        return container.line_of(key)
    return None


class Fields:
    """Checks values in one config file, appending a Problem for each bad one."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def error_at(self, line, path, message, hint=None):
        self.problems.append(Problem(self.file, path, message, line, hint))

    def error(self, container, key, prefix, message, hint=None):
        self.error_at(_line(container, key), _join(prefix, key), message, hint)

    def mapping(self, obj, path, allowed, required=frozenset(), line=None) -> bool:
        """Check `obj` is a mapping with only `allowed` keys and all `required` ones."""
        if not isinstance(obj, dict):
            kind = "empty" if obj is None else type(obj).__name__
            self.error_at(line or _line(obj, 0), path or "(top level)",
                          f"expected a mapping of keys, got {kind}",
                          f"allowed keys: {', '.join(sorted(allowed))}")  # fmt: skip
            return False
        ok = True
        for key in obj:
            if key not in allowed:
                ok = False
                self.error(obj, key, path, f"unknown key {key!r}",
                           f"allowed keys: {', '.join(sorted(allowed))}")  # fmt: skip
        for key in sorted(required - set(obj)):
            ok = False
            self.error_at(obj.line if isinstance(obj, LineDict) else line, _join(path, key),
                          "required key is missing", f"add `{key}:`")  # fmt: skip
        return ok

    def seq(self, obj, key, path, non_empty=False):
        if key not in obj:
            return None
        value = obj[key]
        if not isinstance(value, list):
            self.error(obj, key, "", f"expected a list, got {value!r}", f"write `{key}:` then `- item` lines")
            return None
        if non_empty and not value:
            self.error(obj, key, "", "the list is empty", "add at least one item")
            return None
        return value if isinstance(value, LineList) else LineList(value)

    def text(self, obj, key, prefix, required=True, single_line=False):
        if key not in obj:
            return None
        value = obj[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.error(obj, key, prefix, f"expected non-empty text, got {value!r}", "write some text")
            return None
        if single_line and ("\n" in value.strip() or "\r" in value):
            self.error(obj, key, prefix, f"must be one line, got {value!r}", "remove the line breaks")
            return None
        return value.strip()

    def slug(self, obj, key, prefix, required=True):
        if key not in obj:
            return None
        value = obj[key]
        if not isinstance(value, str) or not SLUG.match(value):
            self.error(obj, key, prefix, f"not a valid id: {value!r}",
                       "use letters, digits, '-', '_' or '.', starting with a letter or digit")  # fmt: skip
            return None
        return value

    def ref(self, obj, key, prefix):
        value = obj.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not REF.match(value):
            self.error(obj, key, prefix, f"not a valid ref: {value!r}",
                       "use letters, digits, '-', '_' or '.', e.g. SG1 (no '/')")  # fmt: skip
            return None
        return value

    def check_email(self, value, container, key, prefix="") -> bool:
        path = _join(prefix, key) if isinstance(key, str) else f"{prefix or 'summary_recipients'}[{key}]"
        try:
            validate_email(str(value), check_deliverability=False)
        except EmailNotValidError as exc:
            self.error_at(_line(container, key), path, f"invalid email address {value!r}: {exc}",
                          "write it as name@example.org")  # fmt: skip
            return False
        return True

    def email(self, obj, key, prefix):
        value = obj.get(key)
        if not isinstance(value, str) or not self.check_email(value, obj, key, prefix):
            if not isinstance(value, str):
                self.error(
                    obj, key, prefix, f"invalid email address {value!r}", "write it as name@example.org"
                )
            return None
        return value.strip()

    def date(self, obj, key, prefix):
        value = obj.get(key)
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.error(
                obj, key, prefix, f"not a valid date: {value!r}", "write it as YYYY-MM-DD, e.g. 2009-11-24"
            )
            return None

    def positive_int(self, obj, key, prefix, what="positive whole number"):
        value = obj.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.error(obj, key, prefix, f"expected a {what} (1 or more), got {value!r}",
                       "write a whole number such as 3 or 6")  # fmt: skip
            return None
        return value

    def hhmm(self, obj, key, prefix):
        value = obj.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            self.error(obj, key, prefix, f"YAML read this time as the number {value}",
                       'quote it: "09:00"')  # fmt: skip
            return None
        if not isinstance(value, str) or not HHMM.match(value):
            self.error(obj, key, prefix, f"not a time of day: {value!r}", 'write it as "HH:MM", e.g. "09:00"')
            return None
        return dt.time.fromisoformat(value)

    def weekday(self, obj, key, prefix):
        value = obj.get(key)
        if not isinstance(value, str) or value.lower()[:3] not in WEEKDAYS:
            self.error(
                obj, key, prefix, f"not a day of the week: {value!r}", "use one of: " + ", ".join(WEEKDAYS)
            )
            return None
        return WEEKDAYS.index(value.lower()[:3])


def check_policy(raw: dict, f: Fields, prefix: str, source, owners) -> Policy | None:
    """Return a Policy from the merged `raw` dict, or None if it has errors.

    `source` is the mapping the values were written in (for line numbers); errors in keys
    it does not set were reported already for policy.yaml, so they are not repeated.
    """
    quiet = Fields(f.file, [])
    failed = False

    def ff(key) -> Fields:
        return f if source is None or key in source else quiet

    def holder(key):
        return source if isinstance(source, dict) and key in source else raw

    def get(key, check):
        nonlocal failed
        before = len(ff(key).problems)
        value = check(ff(key), holder(key), key)
        failed = failed or len(ff(key).problems) > before or value is None
        return value

    def timezone(fx, obj, key):
        try:
            ZoneInfo(str(obj[key]))
            return str(obj[key])
        except (ZoneInfoNotFoundError, ValueError):
            fx.error(
                obj, key, prefix, f"unknown timezone {obj[key]!r}", "use an IANA name such as Europe/London"
            )

    def boolean(fx, obj, key):
        if not isinstance(obj[key], bool):
            fx.error(obj, key, prefix, f"expected true or false, got {obj[key]!r}", "write true or false")
            return None
        return obj[key]

    def days_list(allow_empty):
        def check(fx, obj, key):
            value = obj[key]
            if (
                not isinstance(value, list)
                or (not value and not allow_empty)
                or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value)
            ):
                fx.error(obj, key, prefix, f"expected a list of whole numbers of days (1 or more), got {value!r}",
                         "e.g. [28, 14, 7, 1]")  # fmt: skip
                return None
            return tuple(value)

        return check

    def working_days(fx, obj, key):
        value = obj[key]
        if (
            not isinstance(value, list)
            or not value
            or any(not isinstance(v, str) or v.lower()[:3] not in WEEKDAYS for v in value)
        ):
            fx.error(
                obj,
                key,
                prefix,
                f"expected a list of weekdays, got {value!r}",
                "e.g. [mon, tue, wed, thu, fri]",
            )
            return None
        return tuple(sorted({WEEKDAYS.index(v.lower()[:3]) for v in value}))

    def holiday(fx, obj, key):
        reason = check_holiday_code(str(obj[key])) if isinstance(obj[key], str) else "not text"
        if reason:
            fx.error(obj, key, prefix, f"unknown holiday calendar {obj[key]!r} ({reason})",
                     "use GB-ENG (England & Wales), GB-SCT, GB-NIR, another country code, or none")  # fmt: skip
            return None
        return obj[key]

    def escalations(fx, obj, key):
        value = obj[key]
        path = _join(prefix, key)
        if not isinstance(value, list):
            fx.error(obj, key, prefix, f"expected a list, got {value!r}",
                     "e.g. [{after_days_overdue: 7, to: manager}]")  # fmt: skip
            return None
        levels, ok, last = [], True, 0
        for i, item in enumerate(value):
            p = f"{path}[{i}]"
            if not fx.mapping(item, p, {"after_days_overdue", "to"}, {"after_days_overdue", "to"},
                              line=_line(value, i)):  # fmt: skip
                ok = False
                continue
            days = fx.positive_int(item, "after_days_overdue", p, "whole number of days")
            to = item["to"]
            if not isinstance(to, str) or (to not in ("manager", "escalation_contact") and to not in owners):
                fx.error(item, "to", p, f"unknown escalation target {to!r}",
                         "use manager, escalation_contact or an owner id")  # fmt: skip
                ok = False
            if days is not None and days <= last:
                fx.error(item, "after_days_overdue", p, f"{days} is not after the previous level ({last})",
                         "list escalation levels in increasing after_days_overdue")  # fmt: skip
                ok = False
            if days is None:
                ok = False
                continue
            last = days
            levels.append(Escalation(days, to))
        return tuple(levels) if ok else None

    def summary(fx, obj, key):
        value = obj[key]
        path = _join(prefix, key)
        if not fx.mapping(value, path, {"day", "time"}, line=_line(obj, key)):
            return None
        merged = {"day": "mon", "time": "08:00", **value}
        day = fx.weekday(merged if "day" not in value else value, "day", path)
        time = fx.hhmm(merged if "time" not in value else value, "time", path)
        return None if day is None or time is None else (day, time)

    tz = get("timezone", timezone)
    send_time = get("send_time", lambda fx, o, k: fx.hhmm(o, k, prefix))
    wd = get("working_days", working_days)
    hol = get("holidays", holiday)
    before = get("reminders_before_days", days_list(True))
    on_due = get("on_due_date", boolean)
    repeat = get("overdue_repeat_days", days_list(True))
    esc = get("escalations", escalations)
    digest = get("digest", boolean)
    summ = get("summary", summary)
    if failed:
        return None
    return Policy(tz, send_time, wd, hol, tuple(sorted(set(before), reverse=True)), on_due,
                  repeat, esc, digest, summ[0], summ[1])  # fmt: skip
