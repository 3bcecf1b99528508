"""Find the tables on a PDF page: ruled ones from their borders, borderless ones from their header.

Ruled: browsers and word processors draw a table's borders as many small rectangles and leave out
the border where a row is cut by a page break, so pdfplumber's own line finder misses the cut rows.
Here every vertical border's two ends count as a horizontal line too, and a table whose top edge
has no drawn border is the rest of a row from the page before. `page_tables(page)` returns them.

Borderless: a line whose words stand apart in columns and name a recommendation column
("Recommendation  Response", "Ref  Action  Lead officer  Target date") starts a table; the lines
below it are cut into cells at the header's column starts until a line leaves the columns (a word
across a column's start, text left of the table, a bold line, a large gap). Rows are bands that
start where the first column starts again after a gap; a table still open at the foot of a page
goes on at the top of the next. `unruled_tables(lines, carry)` returns them.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.importer.blocks import one_line
from scheduler.importer.vocab import header_columns


@dataclass
class PageTable:
    top: float
    bottom: float
    x0: float
    x1: float
    rows: list[tuple[str, ...]]
    open_top: bool  # no border drawn along the top: the first row goes on from the page before

    def contains(self, obj: dict) -> bool:
        """Return True when the middle of `obj` (a char or word) lies inside the table."""
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return self.x0 <= x <= self.x1 and self.top <= y <= self.bottom


def page_tables(page) -> list[PageTable]:
    """Return the ruled tables on `page`, top to bottom, their empty rows left out."""
    verticals = [e for e in page.edges if e["orientation"] == "v" and e["bottom"] - e["top"] > 2]
    if not verticals:
        return []
    ys = sorted({round(e["top"], 1) for e in verticals} | {round(e["bottom"], 1) for e in verticals})
    settings = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "explicit_horizontal_lines": ys,
                "snap_tolerance": 2, "join_tolerance": 2, "intersection_tolerance": 3}  # fmt: skip
    out = []
    for table in page.find_tables(settings):
        x0, top, x1, bottom = table.bbox
        if x1 - x0 < 40 or bottom - top < 8:
            continue
        rows = [tuple(one_line(c or "") for c in row) for row in table.extract(x_tolerance=1.5)]
        rows = [r for r in rows if any(r)]
        if not rows or max(len(r) for r in rows) < 2 and len(rows) < 2:
            continue  # a box drawn round a paragraph, not a table
        out.append(PageTable(top, bottom, x0, x1, rows, not _ruled(page, top, x0, x1)))
    return sorted(out, key=lambda t: t.top)


def _ruled(page, y: float, x0: float, x1: float) -> bool:
    """Return True when drawn horizontal borders cover most of the width [x0, x1] at height `y`."""
    covered = 0.0
    for e in page.edges:
        if e["orientation"] == "h" and abs(e["top"] - y) <= 2:
            covered += max(0.0, min(e["x1"], x1) - max(e["x0"], x0))
    return covered >= 0.5 * (x1 - x0)


def unruled_tables(lines: list[dict], carry: list[float] | None = None):
    """Return (the lines outside tables, the tables found, the column starts of a table open at the end)."""
    rest: list[dict] = []
    tables: list[PageTable] = []
    cols, head, region, prev = carry, None, [], None
    for line in lines:
        starts = unruled_header(line)
        if starts is not None or not (cols is not None and _fits(line, cols, prev)):
            if cols is not None and (head or region):
                tables.append(_build(head, region, cols))
            cols, head, region = (starts, line, []) if starts is not None else (None, None, [])
            if starts is None:
                rest.append(line)
        else:
            region.append(line)
        prev = line
    if cols is not None and (head or region):
        tables.append(_build(head, region, cols))
        return rest, tables, cols  # open at the foot of the page: it may go on at the top of the next
    return rest, tables, None


def _build(head: dict | None, region: list[dict], cols: list[float]) -> PageTable:
    """Return the table of a header line and the lines below it, cut into columns and rows.

    Cells are set on their own baselines, so a row is a band: it starts at a first-column line that
    follows a gap in the first column, and holds every line of every column down to the next one.
    Lines above the first such start (the top of a page) are the rest of a row from the page before.
    """
    size = (region or [head])[0]["size"]
    starts, last = [], None
    for line in region:
        first = _cells(line, cols)[0]
        if first and (last is None or line["top"] - last["bottom"] > 0.45 * size):
            starts.append(line["top"])
        last = line if first else last
    bands: dict[int, list[list[str]]] = {}
    for line in region:
        band = sum(1 for top in starts if top <= line["top"] + 0.5 * size) - 1
        for i, text in enumerate(_cells(line, cols)):
            bands.setdefault(band, [[] for _ in cols])[i] += [text] if text else []
    rows = [tuple(" ".join(cell) for cell in bands[b]) for b in sorted(bands)]
    top_line = head or region[0]
    table = PageTable(top_line["top"], (region or [head])[-1]["bottom"], min(cols) - 1,
                      max(line["x1"] for line in region + [top_line]), rows, -1 in bands)  # fmt: skip
    if head is not None:
        table.rows.insert(0, _cells(head, cols))
    return table


def _gaps(line: dict) -> list[list[dict]]:
    """Return the line's words in groups split where the space between two words is wide (a column gap)."""
    groups: list[list[dict]] = []
    for word in line["words"]:
        if groups and word["x0"] - groups[-1][-1]["x1"] < 1.2 * line["size"]:
            groups[-1].append(word)
        else:
            groups.append([word])
    return groups


def unruled_header(line: dict) -> list[float] | None:
    """Return the column starts when `line` is a table's header row, else None."""
    groups = _gaps(line)
    if len(groups) < 2:
        return None
    cells = tuple(" ".join(w["text"] for w in g) for g in groups)
    return [g[0]["x0"] for g in groups] if header_columns(cells) is not None else None


def _fits(line: dict, cols: list[float], prev: dict | None) -> bool:
    """Return True when `line` stays inside the table's columns (so is part of it)."""
    if line["bold"] or line["x0"] < cols[0] - 3:
        return False
    if prev is not None and (line["size"] > prev["size"] + 0.4 or line["top"] - prev["bottom"] > 3 * line["size"]):
        return False
    return not any(w["x0"] < c - 2 and w["x1"] > c + 2 for w in line["words"] for c in cols[1:])


def _cells(line: dict, cols: list[float]) -> tuple[str, ...]:
    """Return the line's text cut into the table's columns."""
    cells: list[list[str]] = [[] for _ in cols]
    for word in line["words"]:
        column = max(i for i, c in enumerate(cols) if c <= word["x0"] + 3) if word["x0"] + 3 >= cols[0] else 0
        cells[column].append(word["text"])
    return tuple(" ".join(c) for c in cells)
