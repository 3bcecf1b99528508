"""The shared pace of sending to one relay (SMTP_MAX_PER_MINUTE, and a relay that says "slow down").

A hosted relay limits messages a minute (Exchange Online: 30) over all of a mailbox's connections.
Every connection of a run, and every replica, reserves its slot in one database row (`send_pace`):
the next slot is `max(now, next_at)` and the row moves on by `interval`, with a compare-and-set so
two reservers never take the same slot. Slots are at least `interval` apart, so no window of a
minute ever holds more than the limit. Without a limit (and until a relay throttles) nothing is
read or written: the pace costs nothing. Times are wall-clock seconds: the pace is real time,
whatever `--now` a run simulates.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from scheduler.store.models import SendPace

SLOWEST = 60.0  # seconds between messages at most, however often the relay says "rate limit"
FIRST_GAP = 1.0  # seconds between messages after the first "slow down" when no limit was set


class Pace:
    """Reserves sending slots for one relay until the run's deadline (monotonic seconds)."""

    def __init__(self, engine, relay: str, per_minute: float | None, deadline: float):
        self.engine, self.relay, self.deadline = engine, relay, deadline
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.slowed = 0  # how many times a relay asked this run to slow down
        self._lock = threading.Lock()

    def reserve(self) -> float | None:
        """Return the seconds to wait before the next message may go (0: now), or None when its slot
        would come after the run's deadline (the caller leaves the rest for the next run)."""
        if not self.interval:
            return 0.0
        with self._lock:  # one reservation at a time from this process; the row orders replicas
            for _ in range(20):
                slot = self._take()
                if slot is not None:
                    break
            else:
                raise RuntimeError("send_pace: could not reserve a slot (too much contention)")
        wait = max(0.0, slot - time.time())
        if time.monotonic() + wait > self.deadline:
            return None
        return wait

    def slow(self) -> None:
        """The relay said it is throttling: double the gap between messages (at least 1 s)."""
        with self._lock:
            self.interval = min(max(self.interval * 2, FIRST_GAP), SLOWEST)
            self.slowed += 1

    def per_minute(self) -> float:
        """Return the current pace in messages a minute (0: unlimited)."""
        return 60.0 / self.interval if self.interval else 0.0

    def _take(self) -> float | None:
        """Reserve the next slot with a compare-and-set on the row; return it, or None to try again."""
        now = time.time()
        with self.engine.begin() as conn:
            found = conn.execute(sa.select(SendPace.next_at).where(SendPace.relay == self.relay)).scalar()
            if found is None:
                try:
                    with conn.begin_nested():
                        conn.execute(sa.insert(SendPace).values(relay=self.relay, next_at=now + self.interval,
                                                                interval=self.interval))  # fmt: skip
                    return now
                except sa.exc.IntegrityError:
                    return None
            slot = max(now, found)
            moved = conn.execute(sa.update(SendPace).where(SendPace.relay == self.relay, SendPace.next_at == found)
                                 .values(next_at=slot + self.interval, interval=self.interval)).rowcount  # fmt: skip
        return slot if moved == 1 else None
