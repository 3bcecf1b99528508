"""Text helpers shared by every layer that shows text to a person (emails, reports, tables)."""

from __future__ import annotations

import re


def one_line(text: str) -> str:
    """Return `text` with all whitespace, CR/LF included, collapsed to single spaces."""
    return re.sub(r"\s+", " ", text or "").strip()


def shorten(text: str, width: int = 60) -> str:
    """Return `text` on one line, cut at a word boundary to at most `width` characters (with …)."""
    text = one_line(text)
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return (cut or text[: width - 1]) + "…"
