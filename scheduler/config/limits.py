"""The sane ranges every date and number a person types must fall in (config files and the CLI
check against the same ones). No imports: the CLI reads these without loading anything heavy."""

import datetime as dt

EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2100, 12, 31)  # report, due, --now, --to ...
MAX_DAYS = 1095  # three years: the longest offset a reminder or escalation may have
MAX_MONTHS = 60  # the longest timescale_months

# How long free text people write may be (config fields and CLI flags alike): a name or an id fits
# on a header line, a title in a subject, a note in an email; none can make a line over RFC 5322's
# 998 octets.
MAX_NAME = 200  # owner names, --by, --approved-by, area
MAX_ID = 100  # owner ids, plan ids, refs (they appear unfolded in X-Reminder-Notices and List-Id)
MAX_TITLE = 500  # plan and action titles
MAX_NOTE = 5000  # notes, reasons, an action's response


def text_problem(value: str, most: int, single_line: bool = False) -> str | None:
    """Return what is wrong with free text `value` (too long, a line break or control character where
    one line is wanted), or None when it is fine."""
    if len(value) > most:
        return f"is {len(value)} characters long; at most {most} are allowed"
    controls = {c for c in value if ord(c) < 32 or ord(c) == 127} - ({"\t"} if single_line else {"\t", "\n", "\r"})
    if controls:
        return "contains a line break or control character; write it on one line" if single_line else (
            "contains a control character; remove it")  # fmt: skip
    return None
