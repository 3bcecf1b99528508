"""What the web app remembers to refuse repeats: one-time form keys and rate limits.

Both live in the database (not in a process), so every replica and every restart sees the
same counts: a restart does not reset a rate limit, and a form applied once on one replica is
refused on another. Each function works in the caller's session (the caller commits).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.config.limits import MAX_LINK_DAYS
from scheduler.store.models import RateEvent, WebSubmission

# What each kind of event may do per key (an address) in a window.
LIMITS = {
    "link": (3, dt.timedelta(hours=1)),  # fresh links asked for
    "extend": (3, dt.timedelta(days=1)),  # extension requests made
    "change": (20, dt.timedelta(hours=1)),  # changes made from action pages (a script with a leaked link)
}

# A used form key is kept to refuse a repeat of its form. Form keys live two days and the links that
# carry them at most MAX_LINK_DAYS, so an older key's own signature has expired and refuses the
# repeat: its row can go. Each write deletes at most a batch (one statement), so a backlog (a first
# run after an upgrade) is cleared over a few writes instead of in one slow request.
KEEP_FORM_KEYS = dt.timedelta(days=MAX_LINK_DAYS)
PRUNE_BATCH = 100

RATE_LOCKS = 0x52454D03  # PostgreSQL advisory lock class of the rate keys (db.LOCKS has the others)


def allow(session: Session, kind: str, key: str, now: dt.datetime) -> bool:
    """Record one `kind` event for `key`; return False (recording nothing) when the limit is reached.

    Count and record happen under a transaction lock on the key (PostgreSQL; SQLite's writers are
    serialised by BEGIN IMMEDIATE), so requests at the same moment cannot all pass one count."""
    limit, window = LIMITS[kind]
    name = f"{kind}:{key.lower()}"
    if session.get_bind().dialect.name != "sqlite":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(:key))"),
                        {"space": RATE_LOCKS, "key": name})  # fmt: skip
    since = now - window
    session.exec(sa.delete(RateEvent).where(RateEvent.key == name, RateEvent.at < since))
    used = session.exec(select(sa.func.count()).select_from(RateEvent)
                        .where(RateEvent.key == name, RateEvent.at >= since)).one()  # fmt: skip
    if used >= limit:
        return False
    session.add(RateEvent(key=name, at=now))
    return True


def first_use(session: Session, key: str, now: dt.datetime) -> bool:
    """Record a form's one-time key; return False when it was already used (a repeated POST). A
    new key deletes up to PRUNE_BATCH keys older than KEEP_FORM_KEYS."""
    if session.get(WebSubmission, key) is not None:
        return False
    # SKIP LOCKED (PostgreSQL; SQLite ignores it): two writes at once prune different rows, and
    # never wait for, or deadlock on, each other's
    stale = (sa.select(WebSubmission.key).where(WebSubmission.at < now - KEEP_FORM_KEYS)
             .limit(PRUNE_BATCH).with_for_update(skip_locked=True))  # fmt: skip
    session.exec(sa.delete(WebSubmission).where(WebSubmission.key.in_(stale.scalar_subquery())))
    session.add(WebSubmission(key=key, at=now))
    return True
