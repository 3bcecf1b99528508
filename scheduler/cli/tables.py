"""Printing rows as a table that fits the terminal (tabulate), as CSV or as JSON."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Iterable

import click


def emit(rows: Iterable[dict], fmt: str, fields, columns, wide: str | None = None) -> int:
    """Print `rows` as `fmt` (table: `columns` only; csv/json: `fields`); return how many."""
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
    return table(list(rows), columns, wide)


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


def table(rows: list[dict], columns, wide: str | None = None) -> int:
    """Print a table of `columns`; the `wide` column wraps so the table fits the terminal."""
    from tabulate import tabulate

    if not rows:
        click.echo("nothing to show")
        return 0
    width = shutil.get_terminal_size((120, 24)).columns
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    maxwidths = None
    if wide in columns:
        i = list(columns).index(wide)
        others = sum(max(len(str(c)), *(len(row[j]) for row in cells)) + 2 for j, c in enumerate(columns) if j != i)
        maxwidths = [None] * len(columns)
        maxwidths[i] = max(30, width - others - 2)
    headers = [c.replace("_", " ").upper() for c in columns]
    click.echo(tabulate(cells, headers=headers, tablefmt="simple", maxcolwidths=maxwidths, disable_numparse=True))
    return len(rows)
