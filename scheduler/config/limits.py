"""The sane ranges every date and number a person types must fall in (config files and the CLI
check against the same ones). Light imports only: the CLI reads these without loading anything heavy."""

import datetime as dt

from scheduler.config.text import unsafe_characters

EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2100, 12, 31)  # report, due, --now, --to ...
MAX_DAYS = 1095  # three years: the longest offset a reminder or escalation may have
MAX_MONTHS = 60  # the longest timescale_months
MAX_LINK_DAYS = 366  # the longest link_valid_days: no link in an email works for longer

# How long free text people write may be (config fields and CLI flags alike): a name or an id fits
# on a header line, a title in a subject, a note in an email; none can make a line over RFC 5322's
# 998 octets.
MAX_NAME = 200  # owner names, --by, --approved-by, area
MAX_ID = 100  # owner ids, plan ids, refs (they appear unfolded in X-Reminder-Notices and List-Id)
MAX_TITLE = 500  # plan and action titles
MAX_NOTE = 5000  # notes, reasons, an action's response


def text_problem(value: str, most: int, single_line: bool = False) -> str | None:
    """Return what is wrong with free text `value` (too long, a line break or control character where
    one line is wanted, invisible formatting), or None when it is fine."""
    if len(value) > most:
        return f"is {len(value)} characters long; at most {most} are allowed"
    controls = {c for c in value if ord(c) < 32 or ord(c) == 127} - ({"\t"} if single_line else {"\t", "\n", "\r"})
    if controls:
        return "contains a line break or control character; write it on one line" if single_line else (
            "contains a control character; remove it")  # fmt: skip
    hidden = hidden_characters(value, single_line)
    return f"contains invisible or control characters ({hidden}); remove them" if hidden else None


def hidden_characters(value: str, single_line: bool = False) -> str | None:
    """Return the invisible formatting and control characters in `value` as code points ("U+202E,
    U+FEFF"), or None when there are none; line breaks are allowed unless `single_line`."""
    found = [c for c in unsafe_characters(value) if single_line or c != "\r"]
    return ", ".join(f"U+{ord(c):04X}" for c in found) or None
