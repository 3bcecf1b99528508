"""Find the recommendations in a document's blocks: the one parser for every format.

Recommendations sit under timescale headings ("Within 3 months:", "Immediately", "By March 2010"),
in sections by area, as a list, as paragraphs or as a Recommendation / Response table; or in a
table whose header row names a timescale column (an action plan). A group ends where the document
says so: the next heading, a numbered section ("4. Financial implications"), a signature block,
or text of another kind than the group's recommendations. `parse(blocks, report_date)` returns
a `Found`: the recommendations, what was skipped, and how many recommendations the text mentions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from scheduler.importer.blocks import HEADING, ITEM, PARA, ROW, Block, one_line
from scheduler.importer.vocab import (
    ADVISORY,
    MENTION,
    NUMBERS,
    SECTION_TITLE,
    SECTION_WORDS,
    SIGNATURE,
    Timescale,
    area_of,
    header_columns,
    named_area,
    timescale_cell,
    timescale_of,
)

_NUMBERED = re.compile(r"^(?P<n>\d+)\.(?P<sub>\d+)(?:\.\d+)*\.?\s+(?P<text>.+)$")
_RESPONSE = re.compile(r"^(?:(?:the\s+)?council'?s?\s+)?response\s*:\s*(?P<r>.*)$", re.I)
_LEAD = re.compile(r"^(?:lead(?:\s+officer)?|owner|responsible(?:\s+officer)?)\s*:\s*(?P<v>.+)$", re.I)


@dataclass
class Recommendation:
    area: str | None
    prefix: str
    timescale: Timescale
    title: str
    where: str
    response: str = ""
    ref: str = ""
    lead: str = ""


@dataclass
class Found:
    items: list[Recommendation] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (where, text, why)
    mentions: list[tuple[str | None, int, str]] = field(default_factory=list)  # (area, how many, where)
    title: str = ""


class _Parser:
    def __init__(self, report_date: dt.date):
        self.report_date = report_date
        self.found = Found()
        self.area: tuple[str, str] | None = None
        self.timescale: Timescale | None = None
        self.last: Recommendation | None = None
        self.style = ""  # the kind of block the group's recommendations are: item, para or row
        self.columns: dict[str, int] | None = None
        self.in_response = False
        self.section = 0  # the last top-level section number seen ("3. Recommendations")
        self.area_level = 0  # the level of the heading that named the area

    def feed(self, block: Block) -> None:
        if block.kind == ROW:
            return self._row(block)
        text = block.text
        ts = timescale_of(text, self.report_date)
        if ts is not None:
            self.timescale, self.last, self.style, self.columns = ts, None, "", None
            return
        self._mentions(block)
        if block.kind == HEADING and block.bold and self.timescale is not None and ADVISORY.search(text):
            block = Block(PARA, text, where=block.where, bold=True)  # a recommendation printed in bold
        if block.kind != HEADING and self.timescale is not None and self._labelled(block):
            return self._text(block)  # "Lead officer: Head of Safeguarding" is not a heading naming an area
        if block.kind == HEADING or self._heading_like(block):
            return self._heading(block)
        if self.timescale is None or (self.style and self.style != block.kind and not self._labelled(block)):
            self._close()
            return self._unplaced(block)
        self._text(block)

    def _close(self) -> None:
        self.timescale, self.last, self.style, self.columns, self.in_response = None, None, "", None, False

    def _heading_like(self, block: Block) -> bool:
        """Return True for a paragraph or item that is a heading: numbered, in capitals, an area, a section."""
        text = block.text
        words = len(text.split())
        ends = text.rstrip().endswith((".", ";", ","))
        if SIGNATURE.match(text) or SECTION_TITLE.match(text):
            return True
        if m := _NUMBERED.match(text):
            return (len(m["text"].split()) <= 10 and not ends and not ADVISORY.search(m["text"])) or _caps(m["text"])
        if _caps(text) and not ADVISORY.search(text):
            return True
        if block.kind == ITEM and block.marker[:1].isdigit() and words <= 6 and not ends and not ADVISORY.search(text):
            n = int(block.marker.rstrip(".)"))
            return bool(SECTION_WORDS.search(text)) or n == self.section + 1
        return (block.kind != ITEM and words <= 6 and not ends and area_of(text) is not None
                and not ADVISORY.search(text))  # fmt: skip

    def _heading(self, block: Block) -> None:
        """A heading ends the group. One naming an area sets it; one as high as the area's heading, or
        higher, that names none ends it ("6.0 MONITORING" after "5.0 ... LOOKED AFTER CHILDREN")."""
        level = self._level(block)
        self._close()
        area = area_of(block.text) if not SIGNATURE.match(block.text) else None
        if area is not None:
            self.area, self.area_level = area, level
        elif level <= self.area_level:
            self.area = None

    def _level(self, block: Block) -> int:
        """Return a heading's level: its number's depth ("4.2" is 2, "4.0" and "4." are 1), else its style's."""
        text = block.text
        numbered = _NUMBERED.match(text)
        top_number = re.match(r"^(\d+)(?:\.0)?\.?\s", text) if not numbered or numbered["sub"] == "0" else None
        if block.kind == ITEM and block.marker[:1].isdigit():
            top_number = re.match(r"(\d+)", block.marker)
        if top_number:
            self.section = int(top_number[1])
            return 1
        if numbered:
            return text.split()[0].rstrip(".").count(".") + 1
        if block.kind == HEADING:
            return block.level
        return 1 if _caps(text) or SIGNATURE.match(text) or SECTION_TITLE.match(text) else 2

    def _mentions(self, block: Block) -> None:
        for m in MENTION.finditer(block.text):
            n = m["n"].lower()
            count = int(n) if n.isdigit() else NUMBERS[n]
            if count >= 2:
                self.found.mentions.append((self.area[0] if self.area else None, count, block.where))

    def _labelled(self, block: Block) -> bool:
        """Return True for a "Response: ..." or "Lead officer: ..." paragraph about the last recommendation."""
        return self.last is not None and bool(_RESPONSE.match(block.text) or _LEAD.match(block.text))

    def _text(self, block: Block) -> None:
        text = block.text
        bare = _NUMBERED.sub(r"\g<text>", text)  # "3.2 Ensure that ..." is a recommendation too
        response, lead = _RESPONSE.match(text), _LEAD.match(text)
        if response and self.last is not None:
            self.last.response = f"{self.last.response} {response['r']}".strip()
            self.in_response = True
        elif lead and self.last is not None:
            self.last.lead = lead["v"].strip()
        elif block.kind == ITEM or ADVISORY.search(bare):
            self.style = self.style or block.kind
            self._new(block.where, bare)
        elif self.last is not None and (self.in_response or self.style == PARA) and not _NUMBERED.match(text):
            self.last.response = f"{self.last.response} {text}".strip()  # the response, with or without a label
            self.in_response = True
        else:
            self._close()
            self._unplaced(block)

    def _new(self, where: str, title: str, response: str = "", timescale: Timescale | None = None,
             area: tuple[str, str] | None = None, ref: str = "", lead: str = "") -> None:  # fmt: skip
        name, prefix = area or self.area or (None, "R")
        self.last = Recommendation(name, prefix, timescale or self.timescale, title, where, response, ref, lead)
        self.found.items.append(self.last)
        self.in_response = False

    def _row(self, block: Block) -> None:
        cells = block.cells
        header = header_columns(cells)
        if header is not None:
            if header != self.columns:  # a header repeated at the top of a page keeps the row it cut
                self.columns, self.last = header, None
            self.style = self.style or ROW
            return
        if re.fullmatch(r"[-\s]*", "".join(cells)):
            return  # a separator
        cols = self.columns or {"title": 0, "response": 1}
        cell = {name: cells[i] if i < len(cells) else "" for name, i in cols.items()}
        title = cell["title"]
        own = cell.get("ref") or timescale_cell(cell.get("timescale", ""), self.report_date)
        cut = block.continued or (not own and (not title or title[0].islower()))
        if self.last is not None and self.style == ROW and cut:
            self.last.title = f"{self.last.title} {title}".strip()  # the rest of a row cut by a page break
            self.last.response = f"{self.last.response} {cell.get('response', '')}".strip()
            return
        ts = timescale_cell(cell.get("timescale", ""), self.report_date) or self.timescale
        if ts is None or (self.timescale is None and self.columns is None) or not title:
            self.last, said = None, cell.get("timescale", "")
            why = f"its timescale {said!r} is neither a date nor 'within N months'" if said else ""
            return self._unplaced(block, title or cells[0], why or "no timescale heading or column for it")
        self.style = ROW
        area = named_area(cell["area"]) if cell.get("area") else None
        self._new(block.where, title, cell.get("response", ""), ts, area, cell.get("ref", ""), cell.get("lead", ""))

    def _unplaced(self, block: Block, text: str = "", why: str = "no timescale heading comes before it") -> None:
        text = text or block.text
        bare = _NUMBERED.sub(r"\g<text>", text)
        if ADVISORY.search(bare) and not re.match(r"^recommendations?$", bare, re.I):
            self.found.skipped.append((block.where, one_line(bare), why))


def document_title(blocks: list[Block]) -> str:
    """Return the document's title: its first top heading when one opens it, else its first text."""
    head = next((b.text for b in blocks[:6] if b.kind == HEADING and b.level <= 1), "")
    return head or next((b.text for b in blocks if b.kind != ROW), "")


def _caps(text: str) -> bool:
    return text.upper() == text and bool(re.search(r"[A-Z]{3}", text)) and len(text) < 150


def parse(blocks: list[Block], report_date: dt.date) -> Found:
    """Return the recommendations (refs given, or numbered per area in order), skipped text and mentions."""
    parser = _Parser(report_date)
    for block in blocks:
        parser.feed(block)
    found = parser.found
    found.title = document_title(blocks)
    kept: set[str] = set()
    for rec in found.items:
        rec.title, rec.response = one_line(rec.title), one_line(rec.response)
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", rec.ref) and rec.ref not in kept:
            kept.add(rec.ref)  # a ref the action plan gives is kept
        else:
            rec.ref = ""
    counts: dict[str, int] = {}
    for rec in (r for r in found.items if not r.ref):
        while not rec.ref or rec.ref in kept:
            counts[rec.prefix] = counts.get(rec.prefix, 0) + 1
            rec.ref = f"{rec.prefix}{counts[rec.prefix]}"
        kept.add(rec.ref)
    return found
