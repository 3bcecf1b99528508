"""Ledger stage names as one value object: `StageName.parse("overdue:3")` and `.format()`.

Every notice row names its stage as a string (PRODUCT.md §3 and the shared vocabulary); this is
the one place that string is read or written, so a new kind is added here and nowhere else.

Forms (`N` a whole number from 1, `D` a date YYYY-MM-DD):
  owner track      `assigned`, `before:N` (days before due), `due`, `overdue:N` (the N-th)
  escalation       `escalation:N` (the level)
  verification     `verify:N` (the N-th request to the verifier); outcomes to the owner
                   `verified:N` / `returned:N` (the verifier's decision on the N-th completion)
  progress         `progress:D:N` (the N-th request before the review on D)
  plan documents   `report:D` (the progress report for the review on D), `summary:D` (weekly)
  web-triggered    `approval:N` (extension request N, to its approver), `decision:N` (its outcome,
                   to the owner), `confirmed:N` (completion recorded by event N), `link:N` (the
                   N-th fresh link sent for the action to one address)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# kind -> its parts after the kind: "" none, "n" a number, "d" a date, "dn" a date and a number.
SHAPES = {
    "assigned": "", "due": "", "before": "n", "overdue": "n", "escalation": "n", "verify": "n",
    "verified": "n", "returned": "n",
    "progress": "dn", "report": "d", "summary": "d",
    "approval": "n", "decision": "n", "confirmed": "n", "link": "n",
}  # fmt: skip
WEB_KINDS = ("approval", "decision", "confirmed", "link")


@dataclass(frozen=True, order=True)
class StageName:
    """A parsed stage name: its kind and, by kind, a number and/or a date."""

    kind: str
    number: int | None = None
    day: dt.date | None = None

    def __post_init__(self):
        shape = SHAPES.get(self.kind)
        if shape is None:
            raise ValueError(f"unknown stage kind {self.kind!r}; known: {', '.join(SHAPES)}")
        if ("n" in shape) != (self.number is not None) or ("d" in shape) != (self.day is not None):
            raise ValueError(f"stage {self.kind!r} takes {_describe(shape)}")
        if self.number is not None and self.number < 0:
            raise ValueError(f"stage {self.kind!r}: the number must not be negative")

    @classmethod
    def parse(cls, text: str) -> StageName:
        """Return the StageName written as `text`; ValueError names the forms when it is not one."""
        kind, *parts = str(text).strip().split(":")
        shape = SHAPES.get(kind)
        if shape is None or len(parts) != len(shape):
            raise ValueError(f"{text!r} is not a stage name; write e.g. assigned, before:14, due, overdue:2, "
                             "escalation:1, verify:1, progress:2010-01-12:1, report:2010-01-12")  # fmt: skip
        number = day = None
        try:
            for part, code in zip(parts, shape, strict=True):
                if code == "n":
                    if not part.isdigit():
                        raise ValueError(part)
                    number = int(part)
                else:
                    day = dt.date.fromisoformat(part)
        except ValueError:
            raise ValueError(f"{text!r}: {kind} takes {_describe(shape)}") from None
        return cls(kind, number, day)

    def format(self) -> str:
        """Return the stage as written in the ledger, e.g. 'overdue:3' or 'progress:2010-01-12:1'."""
        parts = [self.kind]
        if self.day is not None:
            parts.append(self.day.isoformat())
        if self.number is not None:
            parts.append(str(self.number))
        return ":".join(parts)

    __str__ = format

    @property
    def is_web(self) -> bool:
        """True for the notices the web app triggers (they follow a person's request, not the calendar)."""
        return self.kind in WEB_KINDS


def _describe(shape: str) -> str:
    return {"": "nothing after its name", "n": "a number (e.g. :2)", "d": "a date (e.g. :2010-01-12)",
            "dn": "a date and a number (e.g. :2010-01-12:1)"}[shape]  # fmt: skip
