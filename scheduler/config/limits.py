"""The sane ranges every date and number a person types must fall in (config files and the CLI
check against the same ones). No imports: the CLI reads these without loading anything heavy."""

import datetime as dt

EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2100, 12, 31)  # report, due, --now, --to ...
MAX_DAYS = 1095  # three years: the longest offset a reminder or escalation may have
MAX_MONTHS = 60  # the longest timescale_months
