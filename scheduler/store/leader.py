"""Who may send: one leader per database.

PostgreSQL: a session-level advisory lock held on a dedicated connection. When the leader dies
(even by SIGKILL) its connection closes and the server frees the lock, so a standby that polls
takes over within its poll interval. SQLite: an exclusive file lock next to the database file;
a second instance cannot get it and refuses to start.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import sqlalchemy as sa
from sqlalchemy.engine import make_url

log = logging.getLogger("scheduler.service.daemon")
ADVISORY_KEY = 0x52454D49  # "REMI"


@runtime_checkable
class LeaderLock(Protocol):
    """Who may send. `exclusive`: a second instance must refuse to start (it can never lead)."""

    exclusive: bool

    def try_acquire(self) -> bool:
        """Take the lock if it is free; return True when this process holds it."""
        ...

    def holds(self) -> bool:
        """Return True while this process still holds the lock (checks the connection)."""
        ...

    def release(self) -> None:
        """Give the lock up; never raises."""
        ...


class FileLock:
    """SQLite: an exclusive flock next to the database file."""

    exclusive = True

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        if self.fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def holds(self) -> bool:
        return self.fd is not None

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class AdvisoryLock:
    """PostgreSQL: a session-level advisory lock on a dedicated connection."""

    exclusive = False

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.conn = None
        self.held = False

    def try_acquire(self) -> bool:
        if self.holds():
            return True
        try:
            if self.conn is None:
                self.conn = self.engine.connect()
            self.held = bool(
                self.conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
            )
            self.conn.commit()  # the lock is per session: it outlives the transaction
        except sa.exc.DBAPIError as exc:
            log.warning("leader lock: database unreachable: %s", exc.orig)
            self._drop()
        return self.held

    def holds(self) -> bool:
        if not self.held or self.conn is None:
            return False
        try:
            self.conn.execute(sa.text("SELECT 1"))
            self.conn.commit()
            return True
        except sa.exc.DBAPIError:
            log.error("leader lock lost: the database connection dropped")
            self._drop()
            return False

    def _drop(self) -> None:
        self.held = False
        if self.conn is not None:
            try:
                self.conn.invalidate()
                self.conn.close()
            except Exception:
                pass
        self.conn = None

    def release(self) -> None:
        if self.conn is not None and self.held:
            try:
                self.conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self.conn.commit()
            except sa.exc.DBAPIError:
                pass
        self._drop()


def make_lock(engine: sa.Engine, url: str) -> LeaderLock:
    """Return the leader lock for this database."""
    if engine.dialect.name == "sqlite":
        database = make_url(url).database or "reminders.db"
        return FileLock(Path(database + ".lock"))
    return AdvisoryLock(engine)
