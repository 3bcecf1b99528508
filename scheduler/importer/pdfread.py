"""Read a PDF's layout into blocks with pdfplumber: tables, columns, paragraphs, headings.

Text outside tables is set into lines (words at the same height), a page in two columns is read
column by column, lines join into paragraphs unless a gap, a change of font, a bullet or a list
number separates them; bold or larger lines are headings (level by size). Tables come from
`pdftables`. `pdf_blocks(path)` returns the blocks, or raises `ReportError` for a scan.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from scheduler.importer.blocks import HEADING, ITEM, PARA, ROW, Block, ReportError, item_or_para, one_line
from scheduler.importer.pdftables import PageTable, page_tables, unruled_header, unruled_tables

# A line that starts a paragraph even without a gap: a list number, a bullet, a "Response:" label.
_STARTS = re.compile(r"^(?:\d{1,2}[.)]|[•◦▪\uf0b7-])\s|^(?:(?:the\s+)?council'?s?\s+)?response\s*:", re.I)
_FOOTER = re.compile(r"^(?:page\s+)?\d{1,3}(?:\s+of\s+\d{1,3})?$", re.I)


def pdf_blocks(path: Path) -> list[Block]:
    """Return the blocks of a PDF report, page by page, tables and text in reading order."""
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        letters = sum(1 for page in pdf.pages for c in page.chars if c["text"].strip())
        if letters < 40 * len(pdf.pages):  # a scan with at most a page number or a stamp as text
            raise ReportError(f"{path.name}: the PDF has no text layer (a scan?): {letters} characters on "
                              f"{len(pdf.pages)} page(s); run OCR on it first, or save the report as Word, HTML "
                              "or text")  # fmt: skip
        sizes = Counter(round(c["size"] * 2) / 2 for page in pdf.pages for c in page.chars if c["text"].strip())
        body = sizes.most_common(1)[0][0]
        larger = sorted((s for s in sizes if s > body + 0.4), reverse=True)
        pages = []
        for page in pdf.pages:
            tables = page_tables(page)
            words = [w for w in page.extract_words(extra_attrs=["size", "fontname"], x_tolerance=1.5)
                     if not any(t.contains(w) for t in tables)]  # fmt: skip
            bullets = [o for o in page.curves + page.rects if o["x1"] - o["x0"] <= 7 and o["bottom"] - o["top"] <= 7]
            pages.append((tables, _rows(words), bullets, page.width, page.height))
    running = _running(pages)
    pieces: list[tuple[int, tuple, object]] = []
    carry = None  # the columns of a borderless table running over the foot of the page before
    for number, (tables, rows, bullets, width, height) in enumerate(pages, start=1):
        rows = [ws for ws in rows if not (_in_margin(ws, height) and _shape(ws) in running)]
        lines, key = _lines(rows, bullets, width, one_column=carry is not None)
        lines, unruled, carry = unruled_tables(lines, carry)
        pieces += [(number, key(t.top, t.x0, t.x1), t) for t in tables + unruled]
        pieces += [(number, para[0]["key"], para) for para in _paragraphs(lines)]
    return _assemble(pieces, body, larger)


def _shape(words: list[dict]) -> str:
    return re.sub(r"\d+", "#", " ".join(w["text"] for w in words).lower())


def _in_margin(words: list[dict], height: float) -> bool:
    return words[-1]["bottom"] < height * 0.1 or words[0]["top"] > height * 0.9


def _running(pages) -> set[str]:
    """Return the shapes (digits as #) of lines in the top or bottom margin of at least half the pages:
    a running header or footer ("Cabinet, 24 November 2009", "Page 3 of 9"), which is not the report's text."""
    seen: Counter = Counter()
    for _, rows, _, _, height in pages:
        seen.update({_shape(ws) for ws in rows if _in_margin(ws, height)})
    return {shape for shape, n in seen.items() if n >= 2 and n >= len(pages) / 2}


def _assemble(pieces, body: float, larger: list[float]) -> list[Block]:
    """Return blocks from (page, top, table or paragraph) pieces: tables as rows, paragraphs as blocks."""
    blocks: list[Block] = []
    page_seen = 0
    for number, _, piece in sorted(pieces, key=lambda p: (p[0], p[1])):
        where, first_on_page = f"page {number}", number != page_seen
        page_seen = number
        if isinstance(piece, PageTable):
            for i, cells in enumerate(piece.rows):
                cont = i == 0 and piece.open_top and first_on_page and bool(blocks) and blocks[-1].kind == ROW
                blocks.append(Block(ROW, cells=cells, where=where, continued=cont))
            continue
        text = one_line(" ".join(line["text"] for line in piece))
        if _FOOTER.match(text):
            continue
        size, bold = piece[0]["size"], all(line["bold"] for line in piece)
        if (bold or size > body + 0.4) and len(text) < 250 and not piece[0]["bullet"]:
            level = larger.index(size) + 1 if size in larger else len(larger) + 1
            blocks.append(Block(HEADING, text, level=min(level, 6), where=where, bold=bold))
        elif blocks and blocks[-1].kind in (PARA, ITEM) and text[:1].islower() and not piece[0]["bullet"] \
                and not blocks[-1].text.endswith((".", ":", ";")):
            blocks[-1].text = f"{blocks[-1].text} {text}"  # a paragraph going on in the next column or page
        else:
            blocks.append(item_or_para(("- " if piece[0]["bullet"] else "") + text, where, bold))
    return blocks


def _lines(rows: list[list[dict]], bullets: list[dict], width: float, one_column: bool):
    """Return the text lines in reading order, and the page's order key for a box (a table).

    On a page in two columns a line is read with its column, the left one before the right one,
    between two lines that span the page (a title, a heading set across both columns). A page with
    a borderless table's header row, or going on with one, is read as one column.
    """
    flat = [_line(ws, bullets) for ws in rows]
    words = [w for ws in rows for w in ws]
    gutter = None if one_column or any(unruled_header(line) for line in flat) else _gutter(words, width)
    if gutter is None:
        return [dict(line, key=(0, 0, line["top"])) for line in flat], lambda top, x0, x1: (0, 0, top)
    parts, full_tops = [], []
    for ws in rows:
        left = [w for w in ws if w["x0"] < gutter]
        right = [w for w in ws if w["x0"] >= gutter]
        if left and right and right[0]["x0"] - max(w["x1"] for w in left) < ws[0]["size"]:
            parts.append((0, ws))  # words run across the gutter: a line as wide as the page
            full_tops.append(ws[0]["top"])
        else:
            parts += [(1, left)] * bool(left) + [(2, right)] * bool(right)

    def key(top: float, x0: float, x1: float, column: int | None = None):
        column = column if column is not None else 1 if x1 <= gutter + 2 else 2 if x0 >= gutter - 2 else 0
        return (sum(1 for t in full_tops if t < top - 0.5), column, top)

    lines = [dict(line, key=key(line["top"], 0, 0, column)) for column, ws in parts
             for line in [_line(ws, bullets)]]  # fmt: skip
    return sorted(lines, key=lambda line: line["key"]), key


def _gutter(words: list[dict], width: float) -> float | None:
    """Return the x of the gap between two columns of text, or None for a page in one column."""
    if len(words) < 60:
        return None
    best, best_x = None, None
    for x in range(int(width * 0.3), int(width * 0.7), 2):
        crossing = sum(1 for w in words if w["x0"] < x < w["x1"])
        if best is None or crossing < best:
            best, best_x = crossing, x
    left = sum(1 for w in words if w["x1"] <= best_x)
    right = sum(1 for w in words if w["x0"] >= best_x)
    if best <= len(words) * 0.02 and min(left, right) >= len(words) * 0.25:
        return float(best_x)
    return None


def _rows(words: list[dict]) -> list[list[dict]]:
    """Return the words grouped by height (left to right within a group)."""
    rows: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if rows and abs(rows[-1][0]["top"] - word["top"]) <= 2:
            rows[-1].append(word)
        else:
            rows.append([word])
    for ws in rows:
        ws.sort(key=lambda w: w["x0"])
    return rows


def _line(ws: list[dict], bullets: list[dict]) -> dict:
    """Return a line ({text, top, bottom, x0, size, bold, bullet}) of the words `ws`."""
    top, bottom, x0 = min(w["top"] for w in ws), max(w["bottom"] for w in ws), ws[0]["x0"]
    bullet = any(b["x1"] <= x0 + 1 and x0 - b["x0"] < 30 and top - 2 <= (b["top"] + b["bottom"]) / 2 <= bottom + 2
                 for b in bullets)  # fmt: skip
    return {"text": " ".join(w["text"] for w in ws), "top": top, "bottom": bottom, "x0": x0, "x1": ws[-1]["x1"],
            "words": ws,
            "size": round(Counter(w["size"] for w in ws).most_common(1)[0][0] * 2) / 2,
            "bold": all(re.search(r"bold|black|heavy", w["fontname"], re.I) for w in ws), "bullet": bullet}  # fmt: skip


def _paragraphs(lines: list[dict]) -> list[list[dict]]:
    """Return the lines grouped into paragraphs (a gap, a font change, a bullet or a number starts one)."""
    paras: list[list[dict]] = []
    for line in lines:
        prev = paras[-1][-1] if paras else None
        starts = (prev is None or line["key"][1] != prev["key"][1] or line["top"] < prev["top"] or line["top"] - prev["bottom"] > 0.45 * line["size"]
                  or (line["size"], line["bold"]) != (prev["size"], prev["bold"]) or line["bullet"]
                  or _STARTS.match(line["text"]) is not None)  # fmt: skip
        if starts:
            paras.append([line])
        else:
            paras[-1].append(line)
    return paras
