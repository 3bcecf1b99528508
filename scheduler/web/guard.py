"""Request limits and response headers, applied before any handler runs (PRODUCT.md §6).

`BodyLimit` refuses a body over its route's cap with 413 before anything parses it: at once when
Content-Length says so, else as soon as the bytes read pass the cap (so memory stays bounded
whatever is sent), and with 408 when the body does not arrive within its deadline (a client that
trickles bytes must not hold a connection for ever; slow *headers* are cut off by the protocol,
see `connections.py`). Form routes take `FORM_BODY_BYTES`; a route that takes files registers its own
larger cap with `body_limit(prefix, bytes, streamed=True)`: its body is passed on as it arrives (the
handler spools files to disk), never buffered here, under the same deadline. `read_form` then parses at most a few bounded fields.
`SecurityHeaders` adds the headers every response carries (pages set them too, so the 500 page,
which Starlette renders outside the middleware, has them).
"""

from __future__ import annotations

import anyio
from starlette.datastructures import MutableHeaders
from starlette.requests import Request

from scheduler.web.pages import SECURITY_HEADERS, message

# A note is at most 2,000 characters of any script: up to 4 bytes each in UTF-8 (FIELD_BYTES), and
# three bytes more for each of those when a browser percent-encodes the form (a full note in Chinese
# or Greek is 18-24 KB on the wire); the largest form must fit whatever language it is written in.
FORM_BODY_BYTES = 64 * 1024
FORM_FIELDS = 8
FIELD_BYTES = 8 * 1024
BODY_SECONDS = 30.0  # a form's whole body arrives within this; a larger cap gets longer (BODY_BYTES_PER_S)
BODY_BYTES_PER_S = 50_000
_ROUTE_LIMITS: dict[str, int] = {}  # path prefix -> bytes, for routes that take more (file uploads)


_STREAMED: set[str] = set()  # upload routes: their bodies are passed on as they arrive, never buffered


def body_limit(prefix: str, max_bytes: int, streamed: bool = False) -> None:
    """Let requests under `prefix` (e.g. "/e/") carry up to `max_bytes` (an upload route); `streamed`:
    hand the body on as it arrives (the handler spools it) instead of buffering it here."""
    _ROUTE_LIMITS[prefix] = max_bytes
    if streamed:
        _STREAMED.add(prefix)


def limit_for(path: str) -> int:
    """Return the body cap of `path`: the longest registered prefix's, else FORM_BODY_BYTES."""
    found = [p for p in _ROUTE_LIMITS if path.startswith(p)]
    return _ROUTE_LIMITS[max(found, key=len)] if found else FORM_BODY_BYTES


class BodyLimit:
    """ASGI middleware: buffer a body up to its cap and hand it on; refuse more with 413."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        cap = limit_for(scope["path"])
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > cap:
            return await _too_large(cap)(scope, receive, send)
        if any(scope["path"].startswith(p) for p in _STREAMED):
            return await self.app(scope, _counted(receive, int(length)), send)
        chunks, total, complete = [], 0, False
        with anyio.move_on_after(BODY_SECONDS + cap / BODY_BYTES_PER_S):
            while not complete:
                event = await receive()
                if event["type"] == "http.disconnect":
                    return
                chunks.append(event.get("body", b""))
                total += len(chunks[-1])
                if total > cap:
                    return await _too_large(cap)(scope, receive, send)
                complete = not event.get("more_body")
        if not complete:
            return await message("This took too long", "The form arrived too slowly and was not saved. Check "
                                 "your connection, go back and try again.", 408)(scope, receive, send)  # fmt: skip
        body, given = b"".join(chunks), False

        async def replay():
            nonlocal given
            if given:
                return await receive()
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _counted(receive, declared: int):
    """Return `receive` passing the body on as it arrives, cut at the declared Content-Length (which
    was checked against the cap), so a client cannot send more than it announced, and cut off when it
    trickles in slower than the deadline a form of that size gets (the handler answers 408)."""
    seen, deadline = 0, anyio.current_time() + BODY_SECONDS + declared / BODY_BYTES_PER_S

    async def wrapped():
        nonlocal seen
        with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
            event = await receive()
            if event["type"] == "http.request":
                body = event.get("body", b"")
                if seen + len(body) > declared:
                    return {"type": "http.disconnect"}
                seen += len(body)
            return event
        return {"type": "http.disconnect"}  # too slow

    return wrapped


def _too_large(cap: int):
    if cap >= 2**20:  # an upload route
        return message("Too much was sent", f"A submission here takes at most {cap // 2**20} MB in all. Nothing "
                       "was saved; go back and send fewer or smaller files.", 413)  # fmt: skip
    return message("Too much was sent", f"A form here takes at most {cap // 1024} KB. Nothing was saved; go back, "
                   "shorten what you typed and try again.", 413)  # fmt: skip


async def read_form(request: Request) -> dict[str, str] | None:
    """Return the form's fields (at most FORM_FIELDS of FIELD_BYTES each, no files), or None."""
    try:
        # the parser counts a field's bytes as sent (percent-encoded: up to 3 per byte); the decoded
        # value is held to FIELD_BYTES below
        form = await request.form(max_files=0, max_fields=FORM_FIELDS, max_part_size=3 * FIELD_BYTES)
    except Exception:  # too many fields, a file, a malformed body: all the sender's problem
        return None
    fields = {}
    for key, value in form.multi_items():
        if not isinstance(value, str) or len(value.encode()) > FIELD_BYTES:
            return None
        fields[key] = value
    return fields


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
