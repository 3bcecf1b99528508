"""The Starlette app of `reminders web`: routes, security headers, error pages, and its state
(the App, signed links, the fresh-link rate limit)."""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from scheduler.web import actions, approvals, dashboard, metrics
from scheduler.web.pages import SECURITY_HEADERS, WEB_TEMPLATES, message

log = logging.getLogger("scheduler.web")


class RateLimit:
    """At most `limit` events per key in `window` seconds (per process; enough for one replica)."""

    def __init__(self, limit: int = 3, window: float = 3600, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.events: dict[str, deque] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        """Record an event for `key`; return False when it is over the limit."""
        now, q = self.clock(), self.events[key.lower()]
        while q and now - q[0] > self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True


class Web:
    """What the handlers share."""

    def __init__(self, app):
        self.app = app
        self.links = app.links
        self.secure = str(app.settings.base_url or "").startswith("https://")
        self.limiter = RateLimit()
        self.registry = metrics.registry_for(app)

    def max_link_days(self) -> int:
        """The longest `link_valid_days` of any plan (each plan's own limit is checked after)."""
        return max((p.policy.link_valid_days for p in self.app.config.plans.values()), default=60)


async def healthz(request: Request):
    web = request.app.state.web
    try:
        with web.app.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # the reason, never a stack
        return JSONResponse({"ok": False, "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"ok": True, "database": "reachable"})


async def metrics_endpoint(request: Request):
    return Response(metrics.render(request.app.state.web.registry), media_type="text/plain; version=0.0.4")


async def not_found(request: Request, exc: HTTPException):
    return message("Not found", "There is nothing at this address.", exc.status_code)


async def server_error(request: Request, exc: Exception):
    log.exception("web request failed: %s %s", request.method, request.url.path.split("/")[1:2])
    return message("Something went wrong", "The change was not saved. Please try again later.", 500)


def create(app) -> Starlette:
    """Return the ASGI app over `app` (which must have BASE_URL and SECRET_KEY set)."""
    if app.links is None:
        raise ValueError("reminders web needs BASE_URL and SECRET_KEY")
    routes = [
        Route("/healthz", healthz), Route("/metrics", metrics_endpoint),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/a/{token}", actions.action_page, methods=["GET"]),
        Route("/a/{token}", actions.action_post, methods=["POST"]),
        Route("/renew", actions.renew, methods=["POST"]),
        Route("/x/{token}", approvals.approval_page, methods=["GET"]),
        Route("/x/{token}", approvals.approval_post, methods=["POST"]),
        Route("/d/{token}", dashboard.dashboard, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(WEB_TEMPLATES / "static")), name="static"),
    ]  # fmt: skip
    starlette = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, 500: server_error},
                          middleware=[Middleware(SecurityHeaders)])  # fmt: skip
    starlette.state.web = Web(app)
    return starlette


class SecurityHeaders:
    """ASGI middleware: add the security headers to every response (error pages included)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(event):
            if event["type"] == "http.response.start":
                headers = MutableHeaders(scope=event)
                for key, value in SECURITY_HEADERS.items():
                    if key not in headers:
                        headers[key] = value
            await send(event)

        await self.app(scope, receive, send_with_headers)
