"""smtplib clients that know when an outcome is in doubt, and give up at a deadline.

`in_doubt` is set once the end of DATA (`CRLF.CRLF`) has been sent and stays set until the
server's reply is read: a connection lost in between means the server may have accepted the
message, so it must not be sent again automatically. `deadline(seconds)` bounds a whole message:
a server that trickles bytes (each read inside the socket timeout) is cut off when it passes.
"""

from __future__ import annotations

import email.generator
import email.utils
import io
import smtplib
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

END_OF_DATA = b"\r\n.\r\n"


@dataclass(frozen=True)
class Flattened:
    """A message flattened for the wire as `smtplib.send_message` would, ahead of the send."""

    msg: EmailMessage
    sender: str
    recipients: list[str]
    data: bytes

    def __getitem__(self, name: str):
        return self.msg[name]


def flatten(msg: EmailMessage) -> Flattened | EmailMessage:
    """Return `msg` flattened as `send_message` does (envelope from From, To and Cc; no Bcc is
    ever set); a message with a non-ASCII address is returned as is, for `send_message` to
    negotiate SMTPUTF8 with the server."""
    sender = email.utils.getaddresses([msg["From"]])[0][1]
    recipients = [a for _, a in email.utils.getaddresses([v for v in (msg["To"], msg["Cc"]) if v is not None])]
    if not "".join([sender, *recipients]).isascii():
        return msg
    with io.BytesIO() as out:
        email.generator.BytesGenerator(out).flatten(msg, linesep="\r\n")
        return Flattened(msg, sender, recipients, out.getvalue())


class Watchdog:
    """One thread per connection that calls `cut()` when an armed deadline passes.

    A timer thread per message cost more than sending the message. Here arming only sets a
    number: the thread sleeps until the deadline it last saw, and on waking re-reads the current
    one, so it is woken early only when a deadline is armed while it waits with none.
    """

    def __init__(self, cut):
        self._cut, self._cond = cut, threading.Condition()
        self._until: float | None = None  # monotonic deadline of the block in progress
        self._sleeping_until = float("inf")  # when the thread will next look
        self._thread: threading.Thread | None = None
        self._stopped = False

    def arm(self, seconds: float) -> None:
        with self._cond:
            self._until = time.monotonic() + seconds
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="smtp-deadline", daemon=True)
                self._thread.start()
            elif self._until < self._sleeping_until:
                self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._until = None

    def stop(self) -> None:
        """End the thread (the connection is closed)."""
        with self._cond:
            self._stopped, self._until = True, None
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                if self._until is not None and now >= self._until:
                    self._until = None
                    self._cut()
                self._sleeping_until = self._until if self._until is not None else float("inf")
                self._cond.wait(None if self._until is None else self._until - now)


class _Tracking:
    in_doubt = False
    deadline_hit = False
    _watchdog: Watchdog | None = None

    def send(self, s):
        data = s.encode("ascii") if isinstance(s, str) else s
        super().send(s)
        if data.endswith(END_OF_DATA):
            self.in_doubt = True  # from here until the reply, the outcome is unknown

    def getreply(self):
        reply = super().getreply()
        self.in_doubt = False
        return reply

    @contextmanager
    def deadline(self, seconds: float):
        """Cut the connection if the block takes longer than `seconds` in all."""
        self.in_doubt = self.deadline_hit = False
        if self._watchdog is None:
            self._watchdog = Watchdog(self._cut)
        self._watchdog.arm(seconds)
        try:
            yield
        finally:
            self._watchdog.disarm()

    def close(self) -> None:
        super().close()
        if self._watchdog is not None:
            self._watchdog.stop()

    def _cut(self) -> None:
        self.deadline_hit = True
        sock = getattr(self, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class TrackingSMTP(_Tracking, smtplib.SMTP):
    pass


class TrackingSMTP_SSL(_Tracking, smtplib.SMTP_SSL):  # noqa: N801 - after smtplib's name
    pass
