"""The owner's progress for a review: a RAG self-assessment with a note, one event on the action.

`record_review_progress(session, action, rag, note, by, now)` records it in the caller's session and
returns the event; an open action becomes in progress (the status event carries the note and the
RAG). It raises `InputError` (nothing written) for a closed action, an unknown RAG or an empty note.
The progress report quotes the latest note and RAG; a later progress request skips the action.
"""

from __future__ import annotations

from scheduler.store.models import ActionEvent
from scheduler.store.operations import InputError

RAG_VALUES = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track"}
MAX_NOTE = 5000


def parse_rag(value: str | None) -> str:
    """Return the stored RAG value for 'on_track' / 'on track' / 'On track' (and so on), or raise."""
    key = (value or "").strip().lower().replace(" ", "_").replace("-", "_")
    if key not in RAG_VALUES:
        raise InputError(f"self-assessment {value!r}: choose one of: {', '.join(RAG_VALUES.values())}")
    return key


def record_review_progress(session, action, rag: str, note: str | None, by: str, now) -> ActionEvent:
    """Record the owner's RAG and note on an open or in-progress action; return the event."""
    if action.status not in ("open", "in_progress"):
        raise InputError(f"{action.plan_id}/{action.ref} is {action.status.replace('_', ' ')}; progress is "
                         "recorded on open or in-progress actions only")  # fmt: skip
    rag = parse_rag(rag)
    note = (note or "").strip()
    if not note:
        raise InputError("say what has been done and what is left (the note is required)")
    if len(note) > MAX_NOTE:
        raise InputError(f"the note is {len(note)} characters; keep it to {MAX_NOTE}")
    if action.status == "open":
        event = ActionEvent(action_id=action.id, at=now, by=by, kind="status", from_value="open",
                            to_value="in_progress", note=note, rag=rag)  # fmt: skip
        action.status = "in_progress"
    else:
        event = ActionEvent(action_id=action.id, at=now, by=by, kind="progress", note=note, rag=rag)
    session.add(event)
    action.updated_at = now
    return event
