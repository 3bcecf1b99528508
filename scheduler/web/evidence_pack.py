"""The evidence pack as a download from the managers' dashboard (GET /d/<token>/evidence-pack.zip):
the same zip as `reminders evidence-pack`, built in the thread pool into a temporary file, streamed,
and removed once sent."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse

from scheduler.documents.evidence_pack import write_pack
from scheduler.web.access import dashboard_plan
from scheduler.web.evidence_pages import attachment_headers


def download(request: Request):
    """GET: the plan's evidence pack for the dashboard link's reader (runs in the thread pool)."""
    found = dashboard_plan(request)
    if not isinstance(found, tuple):
        return found
    web, plan = found
    fd, name = tempfile.mkstemp(prefix="evidence-pack-", suffix=".zip")
    os.close(fd)
    path = Path(name)
    try:
        with web.session() as s:
            write_pack(s, web.config, plan.id, path, web.now())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    filename = f"{plan.id}-evidence-pack.zip"
    headers = attachment_headers(filename)
    return FileResponse(path, media_type="application/zip", headers=headers,
                        background=BackgroundTask(path.unlink, missing_ok=True))  # fmt: skip
