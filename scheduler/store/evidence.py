"""Evidence files and links (PRODUCT.md §2): received with bounded memory, checked, stored in the
database in 1 MiB chunks, listed without their bytes, and read back a chunk at a time.

`receive(name, chunks, max_bytes)` spools an upload to a temporary file (a megabyte at most in
memory) while hashing it; `attach(session, action, uploads, links, ...)` checks every file and link
first (count, type, size) and only then writes, so a bad one changes nothing. Nothing here
commits: the caller's transaction holds the evidence and the change it came with together.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.config.text import unsafe_characters
from scheduler.store.evidence_models import Evidence, EvidenceChunk
from scheduler.store.models import Action
from scheduler.store.operations import InputError
from scheduler.store.sniff import Refused, safe_name, shown_name, sniff

CHUNK = 2**20  # bytes per stored chunk, and the most an upload keeps in memory
OPEN_FOR_EVIDENCE = ("open", "in_progress")
URL = re.compile(r"^https?://[^\s<>\"]+$")


class EvidenceProblem(InputError):
    """Evidence that cannot be accepted: `status` is the HTTP status the web answers with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    """A received file: its name as given, its spooled bytes, size and SHA-256 (hex)."""

    name: str
    spool: object
    size: int
    sha256: str

    def close(self) -> None:
        self.spool.close()


def receive(name: str, chunks: Iterable[bytes], max_bytes: int) -> Upload:
    """Return the upload of `chunks`, spooled to disk past 1 MiB; raise EvidenceProblem (413) as soon
    as it passes `max_bytes` (the rest is not read)."""
    spool = tempfile.SpooledTemporaryFile(max_size=CHUNK)
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            raise EvidenceProblem(f"{safe_name(name)}: the file is larger than the limit of "
                                  f"{max_bytes // 2**20} MB per file (EVIDENCE_MAX_MB)", 413)  # fmt: skip
        digest.update(chunk)
        spool.write(chunk)
    return Upload(name, spool, size, digest.hexdigest())


def read_path(path, max_bytes: int) -> Upload:
    """Return the upload of a local file (the CLI's `--evidence FILE`)."""
    from pathlib import Path

    p = Path(path)
    with p.open("rb") as f:
        return receive(p.name, iter(lambda: f.read(CHUNK), b""), max_bytes)


def check_links(links: Iterable[str]) -> list[str]:
    """Return the links stripped; raise EvidenceProblem naming the first that is not an http(s) address."""
    out = []
    for link in links:
        link = (link or "").strip()
        if not link:
            continue
        if hidden := unsafe_characters(link):  # a NUL breaks PostgreSQL; a bidi mark makes a link read reversed
            codes = ", ".join(f"U+{ord(c):04X}" for c in hidden)
            raise EvidenceProblem(f"evidence link {shown_name(link[:80])!r} holds invisible or control characters "
                                  f"({codes}); type or paste the address again")  # fmt: skip
        if len(link) > 2000 or not URL.match(link):
            raise EvidenceProblem(f"evidence link {shown_name(link[:80])!r}: a link must start with https:// or "
                                  "http://")  # fmt: skip
        out.append(link)
    return out


def check(action: Action, uploads: list[Upload], links: list[str], max_files: int) -> list[str]:
    """Return the sniffed content type of each upload; raise EvidenceProblem for the first problem."""
    if action.status not in OPEN_FOR_EVIDENCE:
        raise EvidenceProblem(f"{action.plan_id}/{action.ref} is {action.status.replace('_', ' ')}; evidence is "
                              "added to an open or in-progress action (with progress or the completion)", 409)  # fmt: skip
    if len(uploads) > max_files:
        raise EvidenceProblem(f"{len(uploads)} files: at most {max_files} per submission (EVIDENCE_MAX_FILES); "
                              "send the rest with a progress update", 413)  # fmt: skip
    types = []
    for upload in uploads:
        try:
            types.append(sniff(shown_name(safe_name(upload.name)), upload.spool))
        except Refused as exc:
            raise EvidenceProblem(str(exc), 415) from None
    return types


def attach(session: Session, action: Action, uploads: list[Upload], links: list[str], by: str, now,
           note: str | None, max_files: int) -> list[Evidence]:  # fmt: skip
    """Check then store every upload and link for `action`; return the Evidence rows, in order."""
    links = check_links(links)
    types = check(action, uploads, links, max_files)
    rows = [_store_file(session, action, u, t, by, now, note) for u, t in zip(uploads, types, strict=True)]
    for link in links:
        row = Evidence(action_id=action.id, kind="link", url=link, size=0, note=note, submitted_by=by,
                       submitted_at=now)  # fmt: skip
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def _store_file(session: Session, action: Action, upload: Upload, content_type: str, by: str, now, note):
    """Insert the Evidence row, then its bytes a chunk at a time (each chunk freed once written)."""
    name = safe_name(upload.name)
    row = Evidence(action_id=action.id, kind="file", file_name=name, given_name=shown_name(upload.name),
                   content_type=content_type, size=upload.size, sha256=upload.sha256, note=note,
                   submitted_by=by, submitted_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    conn, insert = session.connection(), sa.insert(EvidenceChunk)
    upload.spool.seek(0)
    for seq, data in enumerate(iter(lambda: upload.spool.read(CHUNK), b"")):
        conn.execute(insert, {"evidence_id": row.id, "seq": seq, "data": data})
    earlier = select(Evidence).where(Evidence.action_id == action.id, Evidence.file_name == name,
                                     Evidence.id != row.id, Evidence.superseded_by.is_(None))  # fmt: skip
    for old in session.exec(earlier):
        old.superseded_by = row.id
    return row


def listing(session: Session, action_id: int) -> list[Evidence]:
    """Return the action's evidence (files and links, superseded ones too), oldest first; no bytes."""
    return list(session.exec(select(Evidence).where(Evidence.action_id == action_id).order_by(Evidence.id)))


def chunks(session: Session, evidence_id: int) -> Iterator[bytes]:
    """Yield a file's bytes a chunk at a time (one row read per chunk)."""
    stmt = sa.select(EvidenceChunk.data).where(EvidenceChunk.evidence_id == evidence_id,
                                               EvidenceChunk.seq == sa.bindparam("seq"))  # fmt: skip
    seq = 0
    while True:
        data = session.execute(stmt, {"seq": seq}).scalar()
        if data is None:
            return
        yield bytes(data)
        seq += 1


def human_size(size: int) -> str:
    """Return e.g. '12 KB' or '3.4 MB'."""
    if size < 1024:
        return f"{size} bytes"
    if size < 2**20:
        return f"{size // 1024} KB"
    return f"{size / 2**20:.1f} MB"
