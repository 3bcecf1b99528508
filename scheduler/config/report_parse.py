"""Find the recommendations in a report's lines and draft a plan file from them.

Recommendations sit under timescale headings ("Within 3 months:", "Within six months",
"Immediately", "By March 2010"), often in sections by area (a heading naming safeguarding,
looked after children, ...), as a list or as a Recommendation / Response table. `parse(lines,
report_date)` returns the recommendations and warnings; `draft_yaml(...)` the plan file text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from scheduler.config.report_read import html_to_text

PLACEHOLDER_OWNER = "to-assign"
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24}  # fmt: skip
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
# (what a heading says, the area's name, its ref prefix); the first match wins.
AREAS = [
    ("looked after children", "Looked after children", "LAC"),
    ("care leavers", "Care leavers", "CL"),
    ("safeguarding", "Safeguarding", "SG"),
    ("adoption", "Adoption", "AD"),
    ("fostering", "Fostering", "FOS"),
    ("early help", "Early help", "EH"),
    ("leadership", "Leadership and management", "LM"),
    ("youth offending", "Youth offending", "YOT"),
]
TIMESCALE = re.compile(
    r"^(?:#+\s*)?(?:[-*•]\s*)?(?:(?P<within>within\s+(?P<n>\d+|[a-z-]+)\s+months?)|(?P<now>immediately)"
    r"|(?P<by>by\s+(?:the\s+end\s+of\s+)?(?P<month>[a-z]+)\s+(?P<year>\d{4})))\s*:?\s*$", re.I)  # fmt: skip
HEADING = re.compile(r"^(?:#+\s+(?P<md>.+)|\d+\.\d+(?:\.\d+)*\.?\s+(?P<num>.+))$")
ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+(?P<text>.+)$")
ADVISORY = re.compile(r"^(?:ensure|improve|develop|review|establish|strengthen|increase|reduce|implement|provide|"
                      r"embed|monitor|make)\b|^the\s[\w\s,'’-]{3,80}?\sshould\s", re.I)  # fmt: skip


@dataclass(frozen=True)
class Timescale:
    label: str
    months: int | None = None
    due: dt.date | None = None


@dataclass
class Recommendation:
    area: str | None
    prefix: str
    timescale: Timescale
    title: str
    line: int
    response: str = ""
    ref: str = ""


@dataclass
class Found:
    items: list[Recommendation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def timescale_of(line: str, report_date: dt.date) -> Timescale | None:
    """Return the timescale a heading line names, or None when it is not a timescale heading."""
    m = TIMESCALE.match(line.strip())
    if not m:
        return None
    if m["now"]:
        return Timescale("immediately", due=report_date)
    if m["by"]:
        month = MONTHS.get(m["month"].lower())
        if not month:
            return None
        year = int(m["year"])
        return Timescale(f"by {calendar.month_name[month]} {year}",
                         due=dt.date(year, month, calendar.monthrange(year, month)[1]))  # fmt: skip
    n = m["n"].lower()
    months = int(n) if n.isdigit() else NUMBERS.get(n)
    return Timescale(f"within {months} months", months=months) if months else None


def area_of(text: str) -> tuple[str, str] | None:
    """Return (area name, ref prefix) of the one known area a heading names, else None."""
    hits = [(name, prefix) for key, name, prefix in AREAS if key in text.lower()]
    unique = list(dict.fromkeys(hits))
    if len(unique) == 1 or (unique and "and" not in text.lower()):
        return unique[0]
    return None


class _Parser:
    def __init__(self, report_date: dt.date):
        self.report_date = report_date
        self.found = Found()
        self.area: tuple[str, str] | None = None
        self.timescale: Timescale | None = None
        self.last: Recommendation | None = None
        self.gap = True  # a blank line since the last text
        self.in_response = False

    def feed(self, number: int, raw: str) -> None:
        line = raw.rstrip(" \r\n")  # a trailing tab is an empty table cell: keep it
        if not line.strip():
            self.gap = True
            return
        ts = timescale_of(line, self.report_date)
        if ts is not None:
            self.timescale, self.last = ts, None
            return
        if "\t" not in line and self._heading(line):
            return
        if self.timescale is None:
            self._unplaced(number, line)
        elif "\t" in line:
            self._row(number, line)
        else:
            self._text(number, line.strip())
        self.gap = False

    def _heading(self, line: str) -> bool:
        """Handle a heading line; return False when `line` is not one.

        A top-level heading (`#`/`##`, `N.0 ...`, CAPITALS) closes the timescale block and sets
        the area (or none); a sub-heading sets the area only when it names one.
        """
        bare = line.strip().strip("*_ ")
        m = HEADING.match(bare)
        text = (m["md"] or m["num"]) if m else bare
        short = len(text.split()) <= 10 and not text.rstrip().endswith((".", ":", ";"))
        caps = text.upper() == text and re.search(r"[A-Z]{3}", text) and len(text) < 150
        area_line = not m and len(bare.split()) <= 6 and area_of(bare) is not None and not bare.endswith(".")
        if not ((m and (short or caps)) or caps or area_line):
            return False
        top = caps or area_line or bool(re.match(r"^(#{1,2}\s|\d+\.0\s)", bare))
        area = area_of(text)
        if top or area:
            self.timescale, self.last = None, None
            self.area = area if top else area or self.area
        return True

    def _new(self, number: int, title: str, response: str = "") -> None:
        name, prefix = self.area or (None, "R")
        self.last = Recommendation(name, prefix, self.timescale, title, number, response)
        self.found.items.append(self.last)
        self.in_response = False

    def _row(self, number: int, line: str) -> None:
        left, _, right = (c.strip() for c in line.partition("\t"))
        right = html_to_text(right)
        if re.match(r"^recommendations?$", left, re.I) or re.fullmatch(r"[-\s]*", left + right):
            return  # the header row, or a separator
        if not left:
            if self.last is not None and right:
                self.last.response = f"{self.last.response} {right}".strip()
        elif self.last is not None and left[0].islower():
            self.last.title = f"{self.last.title} {left}"  # a cell wrapped onto the next row
            self.last.response = f"{self.last.response} {right}".strip()
        else:
            self._new(number, left, right)

    def _text(self, number: int, text: str) -> None:
        item = ITEM.match(text)
        response = re.match(r"^(?:council'?s?\s+)?response\s*:\s*(?P<r>.*)$", text, re.I)
        if response and self.last is not None:
            self.last.response = html_to_text(response["r"])
            self.in_response = True
        elif item:
            self._new(number, item["text"].strip())
        elif self.last is not None and not self.gap:
            if self.in_response:
                self.last.response = f"{self.last.response} {html_to_text(text)}".strip()
            else:
                self.last.title = f"{self.last.title} {text}"
        elif ADVISORY.search(text) and re.match(r"^[A-Z]", text):
            self._new(number, text)

    def _unplaced(self, number: int, line: str) -> None:
        text = line.split("\t")[0].strip()
        item = ITEM.match(text)
        candidate = item["text"] if item else (text if "\t" in line else "")
        if candidate and ADVISORY.search(candidate) and not re.match(r"^recommendations?$", candidate, re.I):
            self.found.warnings.append(f"line {number}: looks like a recommendation but no timescale heading "
                                       f"comes before it: {candidate[:70]!r}")  # fmt: skip


def _clean(text: str) -> str:
    """Return `text` on one line, with bullet glyphs (which PDF and Word fonts mangle) as '-'."""
    return re.sub(r"\s+", " ", re.sub(r"[•◦▪\x7f\uf0b7]", "-", text)).strip()


def parse(lines: list[str], report_date: dt.date) -> Found:
    """Return the recommendations (refs numbered per area in order) and the warnings."""
    parser = _Parser(report_date)
    for number, line in enumerate(lines, start=1):
        parser.feed(number, line)
    counts: dict[str, int] = {}
    for rec in parser.found.items:
        rec.title = _clean(rec.title)
        rec.response = _clean(rec.response)
        counts[rec.prefix] = counts.get(rec.prefix, 0) + 1
        rec.ref = f"{rec.prefix}{counts[rec.prefix]}"
    return parser.found
