"""smtplib clients that know when an outcome is in doubt, and give up at a deadline.

`in_doubt` is set once the end of DATA (`CRLF.CRLF`) has been sent and stays set until the
server's reply is read: a connection lost in between means the server may have accepted the
message, so it must not be sent again automatically. `deadline(seconds)` bounds a whole message:
a server that trickles bytes (each read inside the socket timeout) is cut off when it passes.
"""

from __future__ import annotations

import smtplib
import socket
import threading
from contextlib import contextmanager

END_OF_DATA = b"\r\n.\r\n"


class _Tracking:
    in_doubt = False
    deadline_hit = False

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
        timer = threading.Timer(seconds, self._cut)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

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
