"""Heartbeats (one row per running instance) and the health verdict `reminders health` gives."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.store import db
from scheduler.store.gauges import BEAT_EVERY, DEAD_AFTER, STUCK_AFTER  # noqa: F401 - shared with web/metrics
from scheduler.store.models import Heartbeat

# host:pid plus a random part: two containers on the host network can both be pid 1 on one host
# name, and must not share (and vouch for each other through) one heartbeat row.
INSTANCE = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def instance_id() -> str:
    """Return this process's heartbeat id."""
    return INSTANCE


def beat(engine, role: str, now: dt.datetime, started_at: dt.datetime, **fields) -> None:
    """Insert or update this instance's heartbeat row."""
    with db.session(engine) as s:
        row = s.get(Heartbeat, instance_id())
        if row is None:
            row = Heartbeat(instance=instance_id(), host=socket.gethostname(), pid=os.getpid(), role=role,
                            started_at=started_at, beat_at=now)  # fmt: skip
            s.add(row)
        row.role, row.beat_at = role, now
        for key, value in fields.items():
            setattr(row, key, value)
        s.commit()


def remove(engine) -> None:
    with db.session(engine) as s:
        row = s.get(Heartbeat, instance_id())
        if row is not None:
            s.delete(row)
            s.commit()


def verdict(engine, now: dt.datetime, host: str | None) -> tuple[bool, str]:
    """Return (healthy, explanation) for the instances on `host` (None: any host)."""
    try:
        with Session(engine) as s:
            stmt = select(Heartbeat)
            if host:
                stmt = stmt.where(Heartbeat.host == host)
            rows = list(s.exec(stmt))
    except sa.exc.DBAPIError as exc:
        return False, f"unhealthy: database unreachable ({type(exc.orig).__name__})"
    if not rows:
        where = f"on host {host}" if host else "anywhere"
        return False, f"unhealthy: no scheduler heartbeat {where}; is `reminders run` running?"
    row = max(rows, key=lambda r: r.beat_at)
    age = now - row.beat_at
    if age > DEAD_AFTER:
        return (
            False,
            f"unhealthy: last heartbeat {int(age.total_seconds())}s ago ({row.instance}): scheduler dead or hung",
        )
    if row.run_started_at and now - row.run_started_at > STUCK_AFTER:
        mins = int((now - row.run_started_at).total_seconds() // 60)
        return False, f"unhealthy: stuck in a run for {mins} min ({row.instance})"
    last = f", last run {row.last_run_at.isoformat(timespec='minutes')}: {row.last_run_result}" if row.last_run_at else ""
    return True, f"healthy: {row.role} {row.instance}, heartbeat {int(age.total_seconds())}s ago{last}"
