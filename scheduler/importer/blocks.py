"""The one model every reader produces: a document as a list of blocks.

A block is a heading (with its level: 1 is the document's title or top section), a paragraph, a
list item (its marker kept apart) or a table row (its cells). Wrapped lines are already joined; a
table row split over a page says so (`continued`). `where` names the place for messages
("line 14", "page 3").
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from scheduler.config.text import strip_unsafe

HEADING, PARA, ITEM, ROW = "heading", "para", "item", "row"
# A list marker at the start of a line: "1.", "2)", "a)", "-", "*", "•" (and the glyphs PDF fonts use).
MARKER = re.compile(r"^\s*(?P<marker>\d{1,2}[.)]|[a-z][.)]|[-*•◦▪\uf0b7])\s+(?P<text>\S.*)$")


class ReportError(Exception):
    """The document cannot be read; the message says why and what would work."""


@dataclass
class Block:
    kind: str
    text: str = ""
    cells: tuple[str, ...] = ()
    level: int = 0  # headings: 1 = title / top section, 2, 3, ...
    marker: str = ""  # items: "1.", "-", ...
    where: str = ""
    continued: bool = False  # rows: the rest of the row above, split over a page
    bold: bool = False

    @property
    def label(self) -> str:
        """Return the block's text as one line (a row's cells joined by ' | ')."""
        return " | ".join(self.cells) if self.kind == ROW else self.text


def one_line(text: str) -> str:
    """Return `text` with its whitespace (NBSP too) collapsed, the bullet glyphs fonts mangle as '-',
    and the invisible and control characters config refuses removed (soft hyphens stay for `clean`)."""
    # whitespace first: a form feed or a lone carriage return between two words is a space, not nothing
    spaced = re.sub(r"\s+", " ", re.sub(r"\(cid:127\)|[•◦▪\x7f\uf0b7]", "-", text or ""))
    return re.sub(r"\s+", " ", strip_unsafe(spaced)).strip()


def clean(text: str) -> str:
    """Return extracted text as a plan file may hold it: `one_line`, and each soft hyphen gone, the
    one that ended a line (a word hyphenated there) joining the two halves of its word."""
    return re.sub("\u00ad ?", "", one_line(text)).strip()


def clean_blocks(blocks: list[Block]) -> list[Block]:
    """Return the blocks with their text and cells `clean`, leaving out text blocks nothing is left of."""
    for block in blocks:
        block.text, block.cells = clean(block.text), tuple(clean(c) for c in block.cells)
    return [b for b in blocks if b.kind == ROW or b.text]


def item_or_para(text: str, where: str, bold: bool = False) -> Block:
    """Return an item block when `text` starts with a list marker, else a paragraph block."""
    text = one_line(text)
    m = MARKER.match(text)
    if m:
        return Block(ITEM, m["text"], marker=m["marker"], where=where, bold=bold)
    return Block(PARA, text, where=where, bold=bold)


def text_blocks(lines: list[str]) -> list[Block]:
    """Return the blocks of a plain-text or Markdown report.

    `#` lines are headings, tab-separated lines table rows, marker lines items; other lines join the
    block above until a blank line (wrapped text), so a paragraph is one block.
    """
    blocks: list[Block] = []
    open_block: Block | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip(" \r\n")
        where = f"line {number}"
        heading = re.match(r"^(#{1,6})\s+(.+)$", line.strip())
        if not line.strip():
            open_block = None
        elif "\t" in line:
            blocks.append(Block(ROW, cells=tuple(_detag(c) for c in line.split("\t")), where=where))
            open_block = None
        elif heading:
            blocks.append(Block(HEADING, one_line(heading[2]).strip("*_ "), level=len(heading[1]), where=where))
            open_block = None
        elif open_block is not None and not MARKER.match(line) and not _stands_alone(line):
            open_block.text = f"{open_block.text} {one_line(line)}"
        else:
            bold = line.strip().startswith("**")
            open_block = item_or_para(line.replace("**", ""), where, bold)
            blocks.append(open_block)
    for block in blocks:
        block.text = block.text.replace("**", "").strip()
    return blocks


def _detag(cell: str) -> str:
    """Return a table cell's text without the HTML some reports paste into cells (tags dropped, entities decoded)."""
    if "<" in cell and ">" in cell:
        cell = html.unescape(re.sub(r"<[^>]*>", " ", cell))
    return one_line(cell)


def _stands_alone(line: str) -> bool:
    """Return True for a line that is never the rest of the line above (a timescale, a numbered heading)."""
    text = line.strip().strip("*_ ")
    return bool(re.match(r"^(within|immediately|by\s+\w+\s+\d{4})\b", text, re.I)
                or re.match(r"^\d+(\.\d+)+\.?\s", text))  # fmt: skip
