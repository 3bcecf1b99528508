"""How `reminders web` is served: uvicorn's config with a request-header deadline and a cap on the
number of open connections (PRODUCT.md §6), so slow or idle sockets cannot hold the server.

uvicorn waits for ever for a request line and headers that arrive a byte at a time (its keep-alive
timer stops at the first byte, and a fresh connection has none), and it accepts every connection
(`limit_concurrency` only answers a *complete* request with 503, so it bounds no sockets). The
protocol here is uvicorn's own h11 protocol with both added: a connection must deliver a complete
request line and headers within `header_seconds` of opening, or of the end of the previous
response when kept alive, else it is closed (with a 408 when part of a request had arrived); a
connection over `max_connections` is answered 503 and closed at once. The request body has its
own deadline (`guard.BodyLimit`); h11 refuses (400) a header block still incomplete after 16 KB.
"""

from __future__ import annotations

import asyncio
import logging

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("scheduler.web")

# A browser sends its request line and headers in one write as soon as it has connected: 10 s is
# generous on a bad mobile link, and short enough that a trickling client holds a socket briefly.
HEADER_SECONDS = 10.0
# Well under the usual 1,024 open files per process (the database, threads and logs need some);
# a council's owners and managers never come near it.
MAX_CONNECTIONS = 500


def _plain(status: str, text: str, *headers: str) -> bytes:
    """Return a whole HTTP/1.1 response that closes the connection, with `text` as its body."""
    body = text.encode()
    head = [f"HTTP/1.1 {status}", "content-type: text/plain; charset=utf-8", *headers, "connection: close",
            f"content-length: {len(body)}"]  # fmt: skip
    return "\r\n".join(head).encode() + b"\r\n\r\n" + body


_TIMED_OUT = _plain("408 Request Timeout", "The request headers arrived too slowly.\n")
_BUSY = _plain("503 Service Unavailable", "Too many connections; try again shortly.\n", "retry-after: 10")


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, plus the header deadline and the connection cap (class attributes,
    set on a subclass by `protocol`)."""

    header_seconds = HEADER_SECONDS
    max_connections = MAX_CONNECTIONS
    _warned_at = float("-inf")  # when the cap was last logged (once a minute at most)

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:  # this one counts itself
            self._refuse()
            return
        self._arm()

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a request line and its headers are in: the app takes over
            self._disarm()

    def on_response_complete(self) -> None:
        self._arm()  # before uvicorn reads a pipelined request, which disarms it again
        super().on_response_complete()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_seconds, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return
        if self.conn.trailing_data[0]:  # part of a request came: say why it is cut off
            self.transport.write(_TIMED_OUT)
        self.transport.close()

    def _refuse(self) -> None:
        now = self.loop.time()
        if now - HeaderDeadlineProtocol._warned_at >= 60:
            HeaderDeadlineProtocol._warned_at = now
            log.warning(
                "refusing connections: %d are open (the most `reminders web` keeps)", self.max_connections
            )
        self.transport.write(_BUSY)
        self.transport.close()


def protocol(header_seconds: float = HEADER_SECONDS, max_connections: int = MAX_CONNECTIONS) -> type:
    """Return the protocol class uvicorn serves with, for these limits."""
    attrs = {"header_seconds": header_seconds, "max_connections": max_connections}
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), attrs)


def uvicorn_config(asgi, host: str, port: int, header_seconds: float = HEADER_SECONDS,
                   max_connections: int = MAX_CONNECTIONS) -> uvicorn.Config:  # fmt: skip
    """Return the uvicorn Config that serves `asgi` on host:port with these limits. The protocol
    is pinned (never uvicorn's `auto`, which would pick httptools if it were installed and lose the
    deadline); the app has no websockets."""
    return uvicorn.Config(asgi, host=host, port=port, log_level="warning", server_header=False, proxy_headers=True,
                          http=protocol(header_seconds, max_connections), ws="none")  # fmt: skip
