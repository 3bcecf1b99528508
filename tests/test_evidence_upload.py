"""The streamed evidence upload reader (web/uploads.py) on a real Starlette app: limits are checked while
the bytes arrive, each file is spooled and hashed, empty file inputs are skipped."""

from __future__ import annotations

import hashlib

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from scheduler.web.uploads import UploadProblem, read_upload

PDF = b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n"


async def endpoint(request):
    try:
        fields, uploads = await read_upload(request, max_bytes=2**20, max_files=2)
    except UploadProblem as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    out = {"fields": fields, "files": [(u.name, u.size, u.sha256) for u in uploads]}
    for u in uploads:
        u.close()
    return JSONResponse(out)


client = TestClient(Starlette(routes=[Route("/up", endpoint, methods=["POST"])]))


def test_fields_and_files_are_read_with_their_sha256_and_an_empty_file_input_is_skipped():
    files = [("files", ("audit.pdf", PDF, "application/pdf")), ("files", ("", b"", "application/octet-stream"))]
    r = client.post("/up", data={"note": "done", "links": "https://a.example.org"}, files=files)
    assert r.status_code == 200
    assert r.json() == {"fields": {"note": "done", "links": "https://a.example.org"},
                        "files": [["audit.pdf", len(PDF), hashlib.sha256(PDF).hexdigest()]]}  # fmt: skip


def test_an_oversized_file_is_refused_with_413_naming_the_file_and_the_limit():
    r = client.post("/up", data={"note": "n"}, files=[("files", ("../big.pdf", b"%PDF" + b"0" * 2**20, "x/y"))])
    assert r.status_code == 413
    assert r.json() == {"error": "big.pdf: the file is larger than the limit of 1 MB per file (EVIDENCE_MAX_MB)"}


def test_too_many_files_are_refused_with_413():
    files = [("files", (f"f{i}.pdf", PDF, "application/pdf")) for i in range(3)]
    r = client.post("/up", data={"note": "n"}, files=files)
    assert r.status_code == 413
    assert r.json()["error"] == ("more than 2 files: at most 2 per submission (EVIDENCE_MAX_FILES); send the rest "
                                 "with a progress update")  # fmt: skip


def test_a_body_that_is_not_multipart_is_refused():
    r = client.post("/up", data={"note": "n"})
    assert r.status_code == 400
    assert r.json() == {"error": "send the form as multipart/form-data (the page's form does)"}
