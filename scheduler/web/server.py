"""The Starlette app of `reminders web`: routes, request limits, security headers, error pages.

No handler blocks the event loop: GET handlers are plain functions (Starlette runs them in its
thread pool), POST handlers read their small bounded form and then hand the database and mail
work to the thread pool. Bodies are capped by `guard.BodyLimit` before anything parses them.
"""

from __future__ import annotations

import logging

import anyio
import anyio.to_thread
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from scheduler.web import actions, approvals, dashboard, evidence_pack, evidence_pages, review
from scheduler.web.guard import BodyLimit, SecurityHeaders, body_limit
from scheduler.web.metrics import Metrics
from scheduler.web.pages import SECURITY_HEADERS, WEB_TEMPLATES, message
from scheduler.web.state import CONFIG_CHECK_SECONDS, Web

log = logging.getLogger("scheduler.web")


# healthz has threads of its own: with every worker of the shared pool waiting on a slow mail
# server, the container's HEALTHCHECK must still get its answer.
_HEALTH_THREADS = anyio.CapacityLimiter(2)


async def healthz(request: Request):
    """GET: 200 when the database answers (checked in a thread of its own, off the event loop)."""
    web = request.app.state.web

    def ping():
        with web.app.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    try:
        await anyio.to_thread.run_sync(ping, limiter=_HEALTH_THREADS)
    except Exception as exc:  # the reason, never a stack
        return JSONResponse({"ok": False, "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"ok": True, "database": "reachable"})


async def metrics_endpoint(request: Request):
    text = await run_in_threadpool(request.app.state.metrics.render)
    return Response(text, media_type="text/plain; version=0.0.4")


async def not_found(request: Request, exc: HTTPException):
    return message("Not found", "There is nothing at this address.", exc.status_code)


async def server_error(request: Request, exc: Exception):
    log.exception("web request failed: %s /%s", request.method, request.url.path.split("/")[1])
    return message("Something went wrong", "The change was not saved. Please try again later.", 500)


def create(app, config_check_seconds: float = CONFIG_CHECK_SECONDS, metrics_cache_seconds: float = 5.0) -> Starlette:
    """Return the ASGI app over `app` (which must have BASE_URL and SECRET_KEY set)."""
    if app.links is None:
        raise ValueError("reminders web needs BASE_URL and SECRET_KEY")
    routes = [
        Route("/healthz", healthz), Route("/metrics", metrics_endpoint),
        Route("/favicon.ico", lambda request: Response(status_code=204, headers=SECURITY_HEADERS)),
        Route("/a/{token}", actions.action_page, methods=["GET"]),
        Route("/a/{token}", actions.action_post, methods=["POST"]),
        Route("/renew", actions.renew, methods=["POST"]),
        Route("/x/{token}", approvals.approval_page, methods=["GET"]),
        Route("/x/{token}", approvals.approval_post, methods=["POST"]),
        Route("/d/{token}", dashboard.dashboard, methods=["GET"]),
        Route("/d/{token}/evidence-pack.zip", evidence_pack.download, methods=["GET"]),
        Route("/d/{token}/report", review.report_page, methods=["GET"]),
        Route("/d/{token}/report/{name}.png", review.report_chart, methods=["GET"]),
        Route("/d/{token}/report.{fmt}", review.report_file, methods=["GET"]),
        Route("/report.css", review.stylesheet, methods=["GET"]),
        Route("/e/{token}", evidence_pages.evidence_post, methods=["POST"]),
        Route("/e/{token}/{evidence_id:int}", evidence_pages.download, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(WEB_TEMPLATES / "static")), name="static"),
    ]  # fmt: skip
    starlette = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, 500: server_error},
                          middleware=[Middleware(SecurityHeaders), Middleware(BodyLimit)])  # fmt: skip
    body_limit("/e/", evidence_pages.upload_cap(app.settings), streamed=True)
    web = Web(app, config_check_seconds)
    starlette.state.web = web
    starlette.state.metrics = Metrics(web, metrics_cache_seconds)
    return starlette
