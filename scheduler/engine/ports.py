"""The ports the engine delivers through: a message renderer and a transport.

The engine declares these `typing.Protocol`s; `scheduler.mail` implements them (SMTP, file
outbox, in memory) and the `app` hands the pipeline one of each. `TransportError` is how every
transport reports a failure: `permanent=True` (5xx, misconfiguration) is not retried.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from typing import Protocol, runtime_checkable


class TransportError(Exception):
    """Delivery failed. permanent=True: do not retry (5xx); False: retry later (4xx, network).

    unknown=True: the server may have accepted the message (the connection was lost after the
    end of DATA): never resent automatically. config=True: a misconfiguration (no STARTTLS, login
    refused, certificate not trusted): nothing can be sent until an admin fixes it, so the run
    stops at once and no attempt is counted against the notices.
    """

    def __init__(self, message: str, permanent: bool, unknown: bool = False, config: bool = False,
                 broken: bool = False, throttle: str | None = None):  # fmt: skip
        super().__init__(message)
        self.permanent, self.unknown, self.config = permanent, unknown, config
        self.broken = broken  # the connection is gone: the run's other messages wait for a later run
        # the relay is pacing us, not refusing the message: "connections" (too many at once: drop
        # one), "rate" (too fast: slow down) or "daily" (today's quota is used up: stop until tomorrow)
        self.throttle = throttle


@runtime_checkable
class Transport(Protocol):
    """Hands messages over: `open()` once per run, `send()` per message, `close()` at the end."""

    name: str

    def open(self) -> None:
        """Connect (or prepare); raise TransportError."""
        ...

    def prepare(self, msg: EmailMessage):
        """Return `msg` in the form `send` takes fastest (e.g. already flattened to bytes); pure
        work, safe to run in another thread while an earlier message is being sent."""
        ...

    def send(self, msg) -> dict[str, tuple[int, str]]:
        """Hand over `msg` (as built, or as `prepare` returned it); return {address: (code, text)}
        for recipients refused while others were accepted; raise TransportError when nothing was
        accepted."""
        ...

    def close(self) -> None:
        """Disconnect; never raises."""
        ...


@runtime_checkable
class MessageRenderer(Protocol):
    """Turns the views of one message's notices into a complete email."""

    def render(self, notices: list, now: dt.datetime) -> EmailMessage:
        """Return the message for `notices` (all to one recipient); raise TemplateProblem."""
        ...


class TemplateProblem(Exception):
    """A template is missing or broken; the message names the file."""
