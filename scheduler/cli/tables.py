"""Printing rows as a table that fits the terminal (tabulate), as CSV or as JSON.

A table is as wide as `COLUMNS` (or the terminal; 120 when there is none, e.g. in a pipe). When
its natural width is more, the shrinkable columns (titles, names) are shortened at a word
boundary with "…", the widest first, down to a minimum each; if even that is too wide, the
droppable columns go (e.g. RAG, which the days column already says). `--wide` prints every
column in full.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Iterable

import click

from scheduler.config.text import shorten

GAP = 2  # tabulate's "simple" format puts two spaces between columns


def emit(rows: Iterable[dict], fmt: str, fields, columns, wide: str | None = None) -> int:
    """Print `rows` as `fmt` (table: `columns` only; csv/json: `fields`); return how many.

    `wide`: the column that gives way first when the table is too wide for the terminal."""
    if fmt == "json":
        return write_json(rows)
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
        return count
    return table(list(rows), columns, shrink={wide: 20} if wide else None)


def write_json(items: Iterable[dict]) -> int:
    """Print `items` as one JSON array, an item at a time (the same text as json.dumps(list,
    indent=2), without holding the list); return how many."""
    out, count = sys.stdout, 0
    for item in items:
        out.write(("[\n" if count == 0 else ",\n") + _indent(json.dumps(item, indent=2, default=str)))
        count += 1
    out.write("\n]\n" if count else "[]\n")
    out.flush()
    return count


def _indent(text: str) -> str:
    return "  " + text.replace("\n", "\n  ")


def terminal_width() -> int:
    """Return the width to fit: $COLUMNS, else the terminal's, else 120."""
    return shutil.get_terminal_size((120, 24)).columns


def fit(columns, cells: list[list[str]], width: int, shrink: dict[str, int] | None = None,
        drop: tuple[str, ...] = ()) -> tuple[list[str], list[list[str]]]:  # fmt: skip
    """Return (columns, cells) made to fit `width`: `shrink` maps a column to its minimum width
    (its cells are shortened, widest column first); `drop` lists columns to leave out, in order,
    when the minimums still do not fit. A table that fits is returned as it is."""
    columns, shrink = list(columns), dict(shrink or {})
    for gone in (None, *drop):
        if gone in columns:
            j = columns.index(gone)
            columns, cells = columns[:j] + columns[j + 1 :], [row[:j] + row[j + 1 :] for row in cells]
        natural = [max([len(_header(c))] + [len(row[j]) for row in cells]) for j, c in enumerate(columns)]
        if sum(natural) + GAP * (len(columns) - 1) <= width:
            return columns, cells
        flexible = [j for j, c in enumerate(columns) if c in shrink]
        fixed = sum(w for j, w in enumerate(natural) if j not in flexible) + GAP * (len(columns) - 1)
        floor = sum(min(natural[j], max(shrink[columns[j]], len(_header(columns[j])))) for j in flexible)
        if width - fixed >= floor or gone == (drop[-1] if drop else None):
            break
    widths = _allot(natural, flexible, columns, shrink, width - fixed)
    for j in flexible:
        for row in cells:
            row[j] = clip(row[j], widths[j])
    return columns, cells


def _allot(natural: list[int], flexible: list[int], columns, shrink, room: int) -> list[int]:
    """Return column widths: each flexible column gets its floor, then what is left of `room` goes
    a character at a time to the narrowest column still short of its natural width, the first
    flexible column (the title) counting double, so it keeps about two characters for a name's one."""
    widths = list(natural)
    for j in flexible:
        widths[j] = min(natural[j], max(shrink[columns[j]], len(_header(columns[j]))))
    weight = {j: (2 if k == 0 else 1) for k, j in enumerate(flexible)}
    spare = room - sum(widths[j] for j in flexible)
    while spare > 0:
        short = [j for j in flexible if widths[j] < natural[j]]
        if not short:
            break
        j = min(short, key=lambda k: widths[k] / weight[k])
        widths[j] += 1
        spare -= 1
    return widths


def clip(text: str, width: int) -> str:
    """Return `text` on one line in `width` characters: cut at a word boundary when that keeps most
    of the room, else mid-word, with "…"."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = shorten(text, width)
    return cut if len(cut) >= width * 2 // 3 else text[: width - 1].rstrip() + "…"


def _header(column: str) -> str:
    return column.replace("_", " ").upper()


def table(rows: list[dict], columns, shrink: dict[str, int] | None = None, drop: tuple[str, ...] = (),
          wide: bool = False) -> int:  # fmt: skip
    """Print a table of `columns` that fits the terminal (see `fit`; `wide`: in full); return how many rows."""
    if not rows:
        click.echo("nothing to show")
        return 0
    cells = [[("" if r.get(c) is None else " ".join(str(r.get(c)).split())) for c in columns] for r in rows]
    columns = list(columns)
    if not wide:
        columns, cells = fit(columns, cells, terminal_width(), shrink, drop)
    for line in render(columns, cells):
        click.echo(line)
    return len(rows)


def render(columns: list[str], cells: list[list[str]]) -> Iterable[str]:
    """Yield the lines of a plain table: headers, dashes, rows; columns two spaces apart, no
    trailing spaces (so a fitted table is exactly as wide as its widest row)."""
    headers = [_header(c) for c in columns]
    widths = [max([len(h)] + [len(row[j]) for row in cells]) for j, h in enumerate(headers)]
    for row in [headers, ["-" * w for w in widths], *cells]:
        yield (" " * GAP).join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
