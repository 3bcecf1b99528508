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


# C0 and C1 controls except tab and line feed (ESC starts terminal sequences, NUL truncates), DEL,
# the bidirectional marks, embeddings, overrides and isolates that make text read reversed, and the
# zero-width characters (spaces, joiners, the word joiner and invisible operators) and byte order
# mark that hide inside a word. The one list: config and CLI checks refuse these
# (`limits.text_problem`), what the web takes in and what the importer reads are cleaned of them.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def unsafe_characters(text: str) -> list[str]:
    """Return the distinct unsafe characters in `text` (those `strip_unsafe` removes), sorted."""
    return sorted(set(_UNSAFE.findall(text)))


def strip_unsafe(text: str | None) -> str:
    """Return `text` without control or bidirectional-override characters (what people type is
    cleaned at the boundary, so it cannot rewrite a terminal, an email or a page)."""
    return _UNSAFE.sub("", text or "")
