"""Read HTML and Word (.docx) reports into blocks.

HTML: h1-h6 are headings, li items, tr rows (a cell's paragraphs and lists joined into its text),
other block elements paragraphs. DOCX: Title and Heading styles are headings, List styles items,
tables rows. Each returns a list of `Block`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from scheduler.importer.blocks import HEADING, ITEM, ROW, Block, item_or_para, one_line

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "br", "table", "ul", "ol", "section",
           "article", "blockquote", "dt", "dd", "header", "footer", "title"}  # fmt: skip


class _Blocks(HTMLParser):
    """HTML -> blocks: block elements become blocks; inside a table row, cells collect their text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.buf: list[str] = []
        self.cells: list[str] | None = None
        self.skip = 0
        self.bold = 0
        self.bold_chars = 0
        self.tables = self.rows = self.paras = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in ("b", "strong"):
            self.bold += 1
        elif tag == "table" and self.cells is None:
            self._end()
            self.tables, self.rows = self.tables + 1, 0
        elif tag == "tr":
            self._end()
            self.cells = []
        elif tag in ("td", "th") and self.cells is not None:
            self.buf = []
        elif self.cells is None and tag in _BLOCKS:
            self._end()
        else:
            self.buf.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("b", "strong"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("td", "th") and self.cells is not None:
            self.cells.append(one_line("".join(self.buf)))
            self.buf = []
        elif tag == "tr" and self.cells is not None:
            self.rows += 1
            if any(self.cells):
                where = f"table {self.tables}, row {self.rows}"
                self.blocks.append(Block(ROW, cells=tuple(self.cells), where=where))
            self.cells = None
        elif self.cells is None and tag in _BLOCKS:
            self._end(tag)

    def handle_data(self, data):
        if not self.skip:
            self.buf.append(data)
            if self.bold:
                self.bold_chars += len(data.strip())

    def _end(self, tag: str = "") -> None:
        text = one_line("".join(self.buf))
        bold = bool(text) and self.bold_chars >= len(text.replace(" ", "")) * 0.8
        self.buf, self.bold_chars = [], 0
        if not text:
            return
        self.paras += 1
        where = f"paragraph {self.paras}"
        if re.fullmatch(r"h[1-6]", tag):
            self.blocks.append(Block(HEADING, text, level=int(tag[1]), where=where))
        elif tag == "li":
            self.blocks.append(Block(ITEM, text, marker="-", where=where))
        else:
            self.blocks.append(item_or_para(text, where, bold))


def html_blocks(path: Path) -> list[Block]:
    """Return the blocks of an HTML report."""
    parser = _Blocks()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    parser._end()
    return parser.blocks


def docx_blocks(path: Path) -> list[Block]:
    """Return the blocks of a Word report (paragraphs and tables in document order)."""
    import docx
    from docx.table import Table

    blocks: list[Block] = []
    paras = tables = 0
    for block in docx.Document(str(path)).iter_inner_content():
        if isinstance(block, Table):
            tables += 1
            for number, row in enumerate(block.rows, start=1):
                cells = _unique_cells(row)
                if any(cells):
                    blocks.append(Block(ROW, cells=cells, where=f"table {tables}, row {number}"))
            continue
        paras += 1
        where = f"paragraph {paras}"
        style = (block.style.name or "").lower() if block.style is not None else ""
        text = one_line(block.text)
        if not text:
            continue
        if style.startswith(("heading", "title")):
            level = int(style[-1]) if style[-1].isdigit() else 1
            blocks.append(Block(HEADING, text, level=level, where=where))
        elif style.startswith("list"):
            blocks.append(Block(ITEM, text, marker="-", where=where))
        else:
            bold = all(r.bold for r in block.runs if r.text.strip()) and any(r.text.strip() for r in block.runs)
            blocks.append(item_or_para(text, where, bold))
    return blocks


def _unique_cells(row) -> tuple[str, ...]:
    """Return a row's cell texts, a merged cell (python-docx repeats it) once."""
    seen, cells = set(), []
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(one_line("\n".join(p.text for p in cell.paragraphs)))
    return tuple(cells)
