"""Read an inspection report (.txt/.md, .html, .docx, .pdf) into plain lines for the parser.

Every format becomes the same line model: headings as `# heading` (where the format marks them),
paragraphs as lines, list items as `- item`, table rows as cells joined by a tab. `read_report(path)` returns (lines, sha256) or
raises `ReportError` (unreadable, unknown format, a scanned PDF with no text layer).
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

FORMATS = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")


class ReportError(Exception):
    """The report cannot be read; the message says why and what would work."""


def html_to_text(fragment: str) -> str:
    """Return the text of an HTML fragment (tags dropped, entities decoded, spaces collapsed)."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


class _Lines(HTMLParser):
    """HTML -> lines: blocks become lines, <li> `- item`, <tr> cells joined by tabs."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "br", "table", "ul", "ol", "section"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.cells: list[str] | None = None
        self.skip = 0

    def _flush(self):
        text = re.sub(r"\s+", " ", "".join(self.buf)).strip()
        self.buf = []
        return text

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag == "tr":
            self.cells = []
        elif tag in ("td", "th"):
            self._flush()
        elif self.cells is None and tag in self.BLOCKS:
            self._line()
        elif self.cells is not None:
            self.buf.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("td", "th") and self.cells is not None:
            self.cells.append(self._flush())
        elif tag == "tr" and self.cells is not None:
            self.lines.append("\t".join(self.cells))
            self.cells = None
        elif self.cells is None and tag in self.BLOCKS:
            self._line(prefix="- " if tag == "li" else "#" * int(tag[1]) + " " if re.fullmatch(r"h[1-6]", tag) else "")

    def _line(self, prefix=""):
        text = self._flush()
        if text:
            self.lines.append(prefix + text)

    def handle_data(self, data):
        if not self.skip:
            self.buf.append(data)


def _html(path: Path) -> list[str]:
    parser = _Lines()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    parser._line()
    return parser.lines


def _docx(path: Path) -> list[str]:
    import docx
    from docx.table import Table

    lines = []
    for block in docx.Document(str(path)).iter_inner_content():
        if isinstance(block, Table):
            lines += ["\t".join(c.text.strip() for c in row.cells) for row in block.rows]
            continue
        style = (block.style.name or "").lower() if block.style is not None else ""
        text = block.text.strip()
        if text:
            level = int(style[-1]) if style.startswith("heading") and style[-1].isdigit() else 1
            heading = style.startswith(("heading", "title"))
            lines.append(("- " if style.startswith("list") else "#" * level + " " if heading else "") + text)
    return lines


def _pdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    text = "\n".join((page.extract_text() or "") for page in PdfReader(str(path)).pages)
    if not text.strip():
        raise ReportError(f"{path.name}: the PDF has no text layer (a scan?); run OCR on it first, or "
                          "save the report as Word, HTML or text")  # fmt: skip
    return text.splitlines()


def read_report(path: Path) -> tuple[list[str], str]:
    """Return (lines, SHA-256 of the file) of the report at `path`."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ReportError(f"{path.name}: unknown format {suffix or '(none)'}; use one of {', '.join(FORMATS)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        if suffix in (".html", ".htm"):
            lines = _html(path)
        elif suffix == ".docx":
            lines = _docx(path)
        elif suffix == ".pdf":
            lines = _pdf(path)
        else:
            lines = data.decode("utf-8", errors="replace").splitlines()
    except ReportError:
        raise
    except Exception as exc:  # a damaged .docx or .pdf: say so, not a traceback
        raise ReportError(f"{path.name}: cannot read it as {suffix}: {type(exc).__name__}: {exc}") from None
    return lines, hashlib.sha256(data).hexdigest()
