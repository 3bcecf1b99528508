"""Tables printed without borders, found from their header row.

A line whose words stand apart in columns and name a recommendation column ("Recommendation
Response", "Ref Action Lead officer Target date") starts a table; the lines below it are cut into
cells at the header's column starts until a line leaves the columns (a word across a column's
start, text left of the table, a bold line, a large gap). Rows are bands that start where the
first column starts again after a gap; a table still open at the foot of a page goes on at the
top of the next. `unruled_tables(lines, carry)` returns (other lines, tables, columns still open).
"""

from __future__ import annotations

from scheduler.importer.pdftables import PageTable
from scheduler.importer.vocab import header_columns


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
