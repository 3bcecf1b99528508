"""The words reports and action plans use: timescales, areas, table headers, section headings.

`timescale_of(text, report_date)` reads a timescale heading ("Within 3 months:", "Immediately",
"By March 2010"); `timescale_cell(text, report_date)` also a date or "6 months" in a table cell;
`area_of(text)` the area a heading names; `header_columns(cells)` the columns of a header row.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24}  # fmt: skip
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
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
_WITHIN = r"(?:within\s+)?(?:the\s+)?(?:next\s+)?(?P<n>\d+|[a-z]+(?:-[a-z]+)?)\s+(?P<unit>months?|weeks?)"
_BY = r"(?:by\s+)?(?:the\s+)?(?:end\s+of\s+)?(?P<month>[a-z]+)\.?\s+(?P<year>\d{4})"
# A timescale heading: "Within 3 months:", "Within the next six months", "Within 12 weeks", "Immediately",
# "By March 2010", "By the end of March 2010", "By 31 March 2010", "Before 31/03/2010".
TIMESCALE = re.compile(r"^(?:[-*•]\s*)?(?P<body>immediately|within\s+\S+(?:\s+\S+){0,2}?\s+(?:months?|weeks?)"
                       r"|(?:by|before|no later than)\s+.{4,30}?)\s*:?\s*$", re.I)  # fmt: skip
ADVISORY = re.compile(r"^(?:ensure|improve|develop|review|establish|strengthen|increase|reduce|implement|provide|"
                      r"embed|monitor|make)\b|^the\s[\w\s,'’-]{3,80}?\sshould\s", re.I)  # fmt: skip
MENTION = re.compile(r"\b(?P<n>\d{1,2}|" + "|".join(NUMBERS) + r")\s+(?:formal\s+|new\s+|key\s+|main\s+)?"
                     r"recommendations\b", re.I)  # fmt: skip
SECTION_WORDS = re.compile(r"\b(implications?|recommendations?|background|purpose|introduction|conclusions?|"
                           r"appendi(?:x|ces)|consultation|risks?|equalit(?:y|ies)|legal|financial|resources|"
                           r"options|reasons|next steps|summary|contacts?|monitoring|decisions?|glossary)\b", re.I)  # fmt: skip
SIGNATURE = re.compile(r"^(?:signed|signature|contact officers?|report authors?|author|background papers|"
                       r"source documents|appendi(?:x|ces)|name\s*:|tel(?:ephone)?\s*:)\b", re.I)  # fmt: skip
# A committee report's own section names, however they are marked (a Word list number is not in the text).
SECTION_TITLE = re.compile(r"^(?:(?:financial|legal|risk|resource|staffing|equalit(?:y|ies)|equality and diversity|"
                           r"climate change|significant|other)\s+implications?|implications|recommendations?|"
                           r"background(?: papers)?|conclusions?|appendi(?:x|ces)|consultation|next steps|"
                           r"reasons? for (?:the )?recommendations?|alternative options(?: considered)?)\s*:?$", re.I)  # fmt: skip
HEADERS = {  # column -> what its header says (normalised: lower case, no punctuation)
    "ref": r"ref|reference|ref no|no|number|item|id",
    "title": r"recommendations?|area for improvement|areas for improvement|what needs to improve|issue|finding",
    "action": r"actions?|actions? required|improvement actions?",
    "response": r"response|council s response|our response|what we will do|actions? to be taken|planned actions?"
                r"|progress|comments?",
    "lead": r"owner|lead|lead officer|responsible|responsible officer|who|accountable officer|lead person",
    "timescale": r"timescales?|target|target date|due|due date|deadline|by when|when|completion date|date",
    "area": r"area|theme|priority|judgement area|section|service area",
}


@dataclass(frozen=True)
class Timescale:
    label: str
    months: int | None = None
    due: dt.date | None = None


def timescale_of(text: str, report_date: dt.date) -> Timescale | None:
    """Return the timescale a heading line names, or None when it is not a timescale heading."""
    m = TIMESCALE.match(text.strip().strip("*_ "))
    return timescale_cell(m["body"], report_date) if m else None


def timescale_cell(text: str, report_date: dt.date) -> Timescale | None:
    """Return the timescale in a table cell: a heading's words, "6 months", or a date; None if none."""
    text = re.sub(r"\s+", " ", text.strip().lower()).rstrip(".")
    if not text:
        return None
    if re.match(r"^(immediately|immediate|now|with immediate effect)\b", text):
        return Timescale("immediately", due=report_date)
    if m := re.match(r"^" + _WITHIN + r"\b", text):
        return _months(m["n"]) if m["unit"].startswith("month") else _weeks(m["n"], report_date)
    text = re.sub(r"^(?:by|before|no later than)\s+", "", text)
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        return _date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})", text):  # UK order: day/month/year
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        return _date(year, int(m[2]), int(m[1]))
    if m := re.fullmatch(r"(?:by\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})", text):
        month = MONTHS.get(m[2])
        return _date(int(m[3]), month, int(m[1])) if month else None
    if m := re.fullmatch(_BY, text):
        return _month_end(m["month"], m["year"])
    return None


def _months(word: str) -> Timescale | None:
    n = word.lower()
    months = int(n) if n.isdigit() else NUMBERS.get(n)
    return Timescale(f"within {months} months", months=months) if months else None


def _weeks(word: str, report_date: dt.date) -> Timescale | None:
    n = int(word) if word.isdigit() else NUMBERS.get(word.lower())
    return Timescale(f"within {n} weeks", due=report_date + dt.timedelta(weeks=n)) if n else None


def _month_end(month_name: str, year_text: str) -> Timescale | None:
    month, year = MONTHS.get(month_name.lower()), int(year_text)
    if not month:
        return None
    return Timescale(f"by {calendar.month_name[month]} {year}",
                     due=dt.date(year, month, calendar.monthrange(year, month)[1]))  # fmt: skip


def _date(year: int, month: int, day: int) -> Timescale | None:
    try:
        due = dt.date(year, month, day)
    except ValueError:
        return None
    return Timescale("by a set date", due=due)


def area_of(text: str) -> tuple[str, str] | None:
    """Return (area name, ref prefix) of the one known area a heading names, else None."""
    hits = [(name, prefix) for key, name, prefix in AREAS if key in text.lower()]
    unique = list(dict.fromkeys(hits))
    if len(unique) == 1 or (unique and "and" not in text.lower()):
        return unique[0]
    return None


def named_area(text: str) -> tuple[str, str]:
    """Return (area, ref prefix) for an area column's value: a known area, else its initials."""
    known = area_of(text)
    if known:
        return known
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z][A-Za-z']*", text) if w.lower() not in ("and", "of", "the"))
    return text, (initials.upper()[:4] or "R")


def header_columns(cells: tuple[str, ...]) -> dict[str, int] | None:
    """Return {column: index} when `cells` is a header row naming a recommendation or action column."""
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        norm = re.sub(r"[^a-z0-9]+", " ", cell.lower()).strip()
        for column, pattern in HEADERS.items():
            if column not in found and re.fullmatch(pattern, norm):
                found[column] = i
                break
    if "title" not in found and "action" in found:
        found["title"] = found.pop("action")
    elif "action" in found and "response" not in found:
        found["response"] = found.pop("action")
    found.pop("action", None)
    return found if "title" in found and len(found) >= 2 else None
