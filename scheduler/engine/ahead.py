"""Work done a few items ahead, in one background thread.

Delivery renders and flattens each message while the previous one is on the wire: the SMTP
round trips leave the process waiting on the server, and that wait is where the next message
is built. A single worker keeps the order; `depth` bounds how far ahead it runs (and so how
much is thrown away when a run stops early).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor


class Ahead:
    """`result(i)` returns `fn(items[i])`, computed in the background up to `depth` items ahead.

    Use as a context manager: leaving it cancels what was not started and waits for the rest.
    An exception raised by `fn` is raised by `result` for that item.
    """

    def __init__(self, fn: Callable, items: Sequence, depth: int = 2):
        self._fn, self._items, self._depth = fn, items, depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="build-ahead")
        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()  # several connections take results at once
        self._done: set[int] = set()  # taken: not built ahead again (a message sent again is rebuilt)

    def result(self, i: int):
        """Return fn(items[i]), waiting for it if it is not done; queue the next `depth` items."""
        with self._lock:
            for j in range(i, min(i + self._depth + 1, len(self._items))):
                if j not in self._futures and j not in self._done:
                    self._futures[j] = self._pool.submit(self._fn, self._items[j])
            self._done.add(i)
            future = self._futures.pop(i, None) or self._pool.submit(self._fn, self._items[i])
        return future.result()

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
