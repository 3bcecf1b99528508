"""Hints that end an error about an unknown id or a bad action: "did you mean", the known ids,
and the action's ref in the path of every error about it (PRODUCT.md §1, §5: errors name the fix).

Used by the config loader, the store's REF lookup and the CLI's options, so every "no such ..."
reads the same way.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from scheduler.config.limits import MAX_ID

LISTED = 12  # known ids listed when none is close


def close_to(value, known) -> list[str]:
    """Return up to three of `known` that look like `value` (difflib's ratio 0.75 or more)."""
    if not isinstance(value, str):
        return []
    names = sorted(str(k) for k in known)
    exact = [n for n in names if n.lower() == value.lower()]  # a case slip is the likeliest typo
    return exact or difflib.get_close_matches(value, names, n=3, cutoff=0.75)


def known(ids, value=None) -> str:
    """Return "did you mean 'x'? known: a, b, …" (the suggestion only when one is close to
    `value`), for the hint of an error about an unknown id."""
    ids = sorted(str(i) for i in ids)
    listed = "known: " + (", ".join(ids[:LISTED]) + (", ..." if len(ids) > LISTED else "") if ids else "none")
    close = close_to(value, ids)
    return f"did you mean {' or '.join(repr(c) for c in close)}? {listed}" if close else listed


def suggest(value, ids) -> str:
    """Return '; did you mean 'x'?' or '; known: a, b, …' to end a one-line error about `value`."""
    close = close_to(value, ids)
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    ids = sorted(str(i) for i in ids)
    return ("; known: " + ", ".join(ids[:LISTED]) + (", ..." if len(ids) > LISTED else "")) if ids else ""


def name_the_ref(problems: list, since: int, path: str, item) -> None:
    """Put the action's ref into the path of every problem about it found since index `since`:
    'actions[2].owner' becomes 'actions[2] (SG3).owner', so a missing `owner:` says whose."""
    ref = item.get("ref") if isinstance(item, dict) else None
    if not isinstance(ref, str | int) or isinstance(ref, bool) or not str(ref).strip():
        return
    if len(str(ref).strip()) > MAX_ID:  # a ref that is itself the error is quoted by its own problem
        return
    tag = f"{path} ({str(ref).strip()})"
    for k in range(since, len(problems)):
        p = problems[k]
        if p.path == path or p.path.startswith(path + "."):
            problems[k] = replace(p, path=tag + p.path[len(path) :])
