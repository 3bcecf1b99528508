"""Find the ruled tables on a PDF page, with rows split over a page marked as such.

Browsers and word processors draw a table's borders as many small rectangles and leave out the
border where a row is cut by a page break, so pdfplumber's own line finder misses the cut rows.
Here every vertical border's two ends count as a horizontal line too, and a table whose top edge
has no drawn border is the rest of a row from the page before. `page_tables(page)` returns them.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.importer.blocks import one_line


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
