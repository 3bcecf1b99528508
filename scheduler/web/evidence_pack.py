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
from scheduler.engine.links import Claims
from scheduler.web.access import checked, csrf_token, too_old
from scheduler.web.evidence_pages import attachment_headers
from scheduler.web.pages import message


def download(request: Request):
    """GET: the plan's evidence pack for the dashboard link's reader (runs in the thread pool)."""
    web = request.app.state.web
    claims = checked(web, request.path_params["token"], "dashboard", csrf_token(request))
    if not isinstance(claims, Claims):
        return claims
    plan = web.config.plans.get(claims.subject)
    if plan is None:
        return message("This link cannot be used", "The plan it names is no longer in the config.", 404)
    if too_old(web, claims, plan.id):
        return message("This link has expired", "Links work for a limited time; ask the plan administrator "
                       "for a new one (`reminders web-link`).", 410)  # fmt: skip
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
