"""Pick the reader for a document by its suffix and read it into blocks.

`read_document(path)` returns (blocks, SHA-256 of the file), their text cleaned of invisible and
control characters (`blocks.clean`), or raises `ReportError` (unreadable, unknown format, a scanned
PDF, an empty spreadsheet). Spreadsheets (.xlsx, .csv) become table rows like a report's tables, a
one-cell row (a sheet's title) a paragraph.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

from scheduler.config.text import strip_unsafe
from scheduler.importer.blocks import (
    ROW,
    Block,
    ReportError,
    clean_blocks,
    item_or_para,
    one_line,
    text_blocks,
)

FORMATS = (".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".xlsx", ".csv")


def read_document(path: Path) -> tuple[list[Block], str]:
    """Return (blocks, SHA-256 of the file) of the report or action plan at `path`."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        hint = (" (save it from Word or LibreOffice as .docx or PDF)" if suffix in (".doc", ".odt", ".rtf", ".pages")
                else " (save it as .xlsx or .csv)" if suffix in (".xls", ".ods", ".numbers") else "")
        raise ReportError(f"{path.name}: unknown format {suffix or '(none)'}; use one of {', '.join(FORMATS)}{hint}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        blocks = clean_blocks(_read(path, suffix, data))  # every reader's text, cleaned in one place
    except ReportError:
        raise
    except Exception as exc:  # a damaged .docx, .xlsx or .pdf: say so, not a traceback
        raise ReportError(f"{path.name}: cannot read it as {suffix}: {type(exc).__name__}: {exc}") from None
    return blocks, hashlib.sha256(data).hexdigest()


def _read(path: Path, suffix: str, data: bytes) -> list[Block]:
    if suffix in (".html", ".htm"):
        from scheduler.importer.markup import html_blocks

        return html_blocks(path)
    if suffix == ".docx":
        from scheduler.importer.markup import docx_blocks

        return docx_blocks(path)
    if suffix == ".pdf":
        from scheduler.importer.pdfread import pdf_blocks

        return pdf_blocks(path)
    if suffix == ".xlsx":
        return sheet_blocks(_xlsx_rows(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # Excel on Windows saves CSV in the Windows code page
        text = data.decode("cp1252", errors="replace")
    if suffix == ".csv":
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
        return sheet_blocks(list(csv.reader(io.StringIO(text), dialect)))
    # invisible characters go before the structure is read: a zero-width space in front of "2." or
    # "#" would otherwise hide a list item or a heading, and two recommendations would merge
    return text_blocks([strip_unsafe(line) for line in text.splitlines()])


def _xlsx_rows(path: Path) -> list[list]:
    """Return the rows of the workbook's first sheet that has any values (dates as dates)."""
    import openpyxl

    book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            if any(any(v not in (None, "") for v in r) for r in rows):
                return rows
        return []
    finally:
        book.close()


def sheet_blocks(rows: list[list]) -> list[Block]:
    """Return a spreadsheet's rows as blocks: rows of cells, a lone cell a paragraph, empty rows left out."""
    blocks = []
    for number, row in enumerate(rows, start=1):
        cells = tuple(_cell(v) for v in row)
        while cells and not cells[-1]:
            cells = cells[:-1]
        filled = [c for c in cells if c]
        if len(filled) == 1 and not cells[0] == "":
            blocks.append(item_or_para(filled[0], f"row {number}"))
        elif filled:
            blocks.append(Block(ROW, cells=cells, where=f"row {number}"))
    if not blocks:
        raise ReportError("the spreadsheet is empty; put the action plan in the first sheet with a header row")
    return blocks


def _cell(value) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return one_line("" if value is None else str(value))
