"""Evidence tables (PRODUCT.md §2): a file or link per row, a file's bytes in chunk rows, so listing
evidence never reads the bytes and neither writing nor reading holds a whole file. Their own module
beside `models` (which holds the rest of the schema) to keep each small."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from scheduler.store.models import utc_field


class Evidence(SQLModel, table=True):
    """A file or link an owner gave as evidence for an action (never deleted, only superseded).

    A file's bytes are in `evidence_chunk` rows, so listing evidence never reads them.
    """

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    kind: str  # file | link
    file_name: str | None = None  # safe to show and to save as (no path parts, no control characters)
    given_name: str | None = None  # the name as given, control characters written as \xNN escapes
    url: str | None = None  # for a link
    content_type: str | None = None  # sniffed from the bytes
    size: int = 0
    sha256: str | None = None
    note: str | None = None  # what the submission it came with said
    submitted_by: str
    submitted_at: dt.datetime = utc_field()
    superseded_by: int | None = None  # a later file of the same name for the same action


class EvidenceChunk(SQLModel, table=True):
    """One piece (at most 1 MiB) of an evidence file's bytes, so neither write nor read holds it all."""

    __tablename__ = "evidence_chunk"

    evidence_id: int = Field(foreign_key="evidence.id", primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=sa.LargeBinary)
