"""Reading a form with evidence files, streamed: each file goes to a temporary file (a megabyte at
most in memory) as its bytes arrive, and the per-file and per-submission limits are checked while
they arrive, so an oversized file is refused as soon as it passes the limit, not after.

`read_upload(request, max_bytes, max_files)` returns the form's text fields and the files as
`store.evidence.Upload`s (named as given, SHA-256 computed), or raises `UploadProblem` with the
HTTP status to answer and a sentence naming the file and the limit.
"""

from __future__ import annotations

import hashlib

from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from scheduler.store.evidence import CHUNK, Upload
from scheduler.store.sniff import safe_name

FIELDS, FIELD_BYTES = 8, 8 * 1024  # a 2,000-character note in any script (up to 4 bytes a character)


class UploadProblem(Exception):
    """A submission that cannot be read: `status` is the HTTP status (413 for the limits)."""

    def __init__(self, message: str, status: int = 400, fields: dict | None = None):
        super().__init__(message)
        self.status, self.fields = status, fields or {}


class _Limit(MultiPartException):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class EvidenceParser(MultiPartParser):
    """Starlette's multipart parser with a byte limit per file and a limit on the number of files."""

    def __init__(self, headers, stream, max_bytes: int, max_files: int):
        super().__init__(headers, stream, max_files=max_files + 1, max_fields=FIELDS, max_part_size=FIELD_BYTES)
        self.max_bytes, self.limit_files, self.sizes = max_bytes, max_files, {}

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        if self._current_files > self.limit_files:
            raise _Limit(f"more than {self.limit_files} files: at most {self.limit_files} per submission "
                         "(EVIDENCE_MAX_FILES); send the rest with a progress update", 413)  # fmt: skip

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current_part
        if part.file is not None:
            size = self.sizes.get(id(part), 0) + (end - start)
            self.sizes[id(part)] = size
            if size > self.max_bytes:
                raise _Limit(f"{safe_name(part.file.filename or '')}: the file is larger than the limit of "
                             f"{self.max_bytes // 2**20} MB per file (EVIDENCE_MAX_MB)", 413)  # fmt: skip
        super().on_part_data(data, start, end)


def _digest(upload_file) -> Upload:
    """Return the Upload of a spooled file: its size and SHA-256, read a chunk at a time."""
    f = upload_file.file
    f.seek(0)
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: f.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    return Upload(upload_file.filename or "", f, size, digest.hexdigest())


def _typed(parser: EvidenceParser) -> dict[str, str]:
    """Return the text fields read before the parser stopped (the page shows them again)."""
    return {key: value for key, value in parser.items if isinstance(value, str)}


async def read_upload(request: Request, max_bytes: int, max_files: int) -> tuple[dict[str, str], list[Upload]]:
    """Return (text fields, uploads) of a multipart form; empty file inputs are skipped."""
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        raise UploadProblem("send the form as multipart/form-data (the page's form does)")
    parser = EvidenceParser(request.headers, request.stream(), max_bytes, max_files)
    try:
        form = await parser.parse()
    except _Limit as exc:
        raise UploadProblem(exc.args[0], exc.status, _typed(parser)) from None
    except MultiPartException as exc:
        raise UploadProblem(f"the form could not be read ({exc})", 400, _typed(parser)) from None
    except ClientDisconnect:  # cut off: it trickled in too slowly, or sent more than it announced
        raise UploadProblem("the upload arrived too slowly or was cut off; try again", 408, _typed(parser)) from None
    fields, files = {}, []
    for key, value in form.multi_items():
        if isinstance(value, str):
            if key == "files" and not value:  # a file input left empty, as some clients send it
                continue
            fields[key] = value if key not in fields else f"{fields[key]}\n{value}"
        elif value.filename or (value.size or 0) > 0:
            files.append(value)
        else:
            value.file.close()
    uploads = [await run_in_threadpool(_digest, f) for f in files]
    return fields, uploads
