"""Field checkers for config validation; each records a `Problem` instead of raising.

`Fields` checks one file's values (type, shape, allowed keys, ranges) and knows how to find
the line of a key. The notice policy's checkers are in `policy.py`.
"""

from __future__ import annotations

import datetime as dt
import re

from email_validator import EmailNotValidError, validate_email

from scheduler.config.hints import known
from scheduler.config.limits import (  # noqa: F401 - re-exported
    EARLIEST,
    LATEST,
    MAX_DAYS,
    MAX_ID,
    MAX_MONTHS,
    MAX_NOTE,
    hidden_characters,
)
from scheduler.config.model import WEEKDAYS, Problem
from scheduler.config.yamlload import LineDict, LineList

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def weekday_index(value) -> int | None:
    """Return 0-6 for mon..sun or monday..sunday (any case), else None (so `monkey` is no day)."""
    if not isinstance(value, str):
        return None
    v = value.strip().lower()
    for names in (WEEKDAYS, WEEKDAY_NAMES):
        if v in names:
            return names.index(v)
    return None


def _clip(value: str, width: int = 60) -> str:
    """Return the start of a long value, enough to recognise it in an error message."""
    return value if len(value) <= width else value[:width] + "..."


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

    def text(self, obj, key, prefix, required=True, single_line=False, most=MAX_NOTE):
        """Return the stripped text at `key` (at most `most` characters), or None after an error."""
        if key not in obj:
            return None
        value = obj[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.error(obj, key, prefix, f"expected non-empty text, got {value!r}", "write some text")
            return None
        if single_line and ("\n" in value.strip() or "\r" in value):
            self.error(obj, key, prefix, f"must be one line, got {_clip(value)!r}", "remove the line breaks")
            return None
        if len(value.strip()) > most:
            self.error(obj, key, prefix, f"too long: {len(value.strip())} characters ({_clip(value)!r})",
                       f"shorten it to at most {most} characters")  # fmt: skip
            return None
        hidden = hidden_characters(value.strip(), single_line)
        if hidden:  # a reversed or hidden word would reach every email, page and terminal that shows it
            self.error(obj, key, prefix, f"contains invisible or control characters ({hidden}): {_clip(value.strip())!r}",
                       "remove them (retype the text, or delete the characters in an editor that shows them)")  # fmt: skip
            return None
        return value.strip()

    def slug(self, obj, key, prefix, required=True):
        if key not in obj:
            return None
        value = obj[key]
        if not isinstance(value, str) or not SLUG.match(value) or len(value) > MAX_ID:
            self.error(obj, key, prefix, f"not a valid id: {value!r}",
                       f"use letters, digits, '-', '_' or '.', starting with a letter or digit, at most {MAX_ID}")  # fmt: skip
            return None
        return value

    def ref(self, obj, key, prefix):
        value = obj.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not REF.match(value) or len(value) > MAX_ID:
            self.error(obj, key, prefix, f"not a valid ref: {value!r}",
                       f"use letters, digits, '-', '_' or '.', e.g. SG1 (no '/'), at most {MAX_ID}")  # fmt: skip
            return None
        return value

    def check_email(self, value, container, key, prefix="") -> bool:
        path = _join(prefix, key) if isinstance(key, str) else f"{prefix or 'summary_recipients'}[{key}]"
        try:
            validate_email(str(value), check_deliverability=False, allow_smtputf8=False)
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
        try:  # only YYYY-MM-DD: fromisoformat would also read 20091124 (YAML's number) as a date
            if not isinstance(value, dt.date) and not ISO_DATE.match(str(value).strip()):
                raise ValueError(value)
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.error(
                obj, key, prefix, f"not a valid date: {value!r}", "write it as YYYY-MM-DD, e.g. 2009-11-24"
            )
            return None
        if not EARLIEST <= day <= LATEST:
            self.error(obj, key, prefix, f"date {day} is out of range",
                       f"use a date between {EARLIEST} and {LATEST}")  # fmt: skip
            return None
        return day

    def positive_int(self, obj, key, prefix, what="positive whole number", most=MAX_DAYS):
        value = obj.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
            self.error(obj, key, prefix, f"expected a {what} from 1 to {most}, got {value!r}",
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
        index = weekday_index(obj.get(key))
        if index is None:
            self.error(obj, key, prefix, f"not a day of the week: {obj.get(key)!r}",
                       "use one of: " + ", ".join(WEEKDAYS))  # fmt: skip
        return index

    def verification(self, doc, administrator) -> str:
        """Return a plan's `verification`: administrator (the default: it needs one) or none."""
        value = doc.get("verification", "administrator")
        if value not in ("administrator", "none"):
            self.error(doc, "verification", "", f"unknown value {value!r}",
                       "use administrator (completions count once the administrator verifies them) or none")  # fmt: skip
        elif value == "administrator" and administrator is None:
            self.error_at(doc.line if isinstance(doc, LineDict) else None, "verification",
                          "completions are verified by the administrator, but the plan names none",
                          "add `administrator: OWNER_ID` (or escalation_contact), or write `verification: none`")  # fmt: skip
        return value

    def summary_recipients(self, doc, owners) -> list[str]:
        """Return a plan's `summary_recipients` as email addresses (an owner id gives its email)."""
        recipients = []
        for i, r in enumerate(self.seq(doc, "summary_recipients", "summary_recipients") or []):
            if isinstance(r, str) and "@" in r:
                recipients.append(r) if self.check_email(r, doc["summary_recipients"], i) else None
            elif isinstance(r, str) and r in owners:
                recipients.append(owners[r].email)
            else:
                self.error_at(doc["summary_recipients"].line_of(i), f"summary_recipients[{i}]",
                              f"{r!r} is neither an owner id nor an email address", known(owners, r))  # fmt: skip
        return recipients
