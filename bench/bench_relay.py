"""Relays slower and stricter than a local sink, for bench/run.py: a sink that takes LATENCY seconds
per message (as Exchange Online or a council's relay do, 50-300 ms), and one that allows PER_MINUTE
messages a minute (refusing the excess with `421 4.7.0 rate limit`), logging when it accepted each.

    bench_relay.py sink PORT LATENCY [PER_MINUTE LOG]   serve until killed

`relay_figures(db, messages)` measures the product at 1 and 4 connections against the 20 ms and
100 ms sinks beside a raw 4-connection smtplib loop, and a short run against a 30/min relay.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import smtplib
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
ROUNDS = 3  # medians of this many rounds


class Slow:
    """aiosmtpd handler: waits `latency` per message (without blocking other connections)."""

    def __init__(self, latency: float, per_minute: int | None, log: str | None):
        self.latency, self.per_minute, self.log = latency, per_minute, log
        self.times: list[float] = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.latency)
        now = time.time()
        if self.per_minute and sum(1 for t in self.times if t > now - 60) >= self.per_minute:
            self._write("refused", now)
            return "421 4.7.0 Too many messages, rate limit exceeded"
        self.times.append(now)
        self._write("accepted", now)
        return "250 accepted"

    def _write(self, what: str, at: float) -> None:
        if self.log:
            with open(self.log, "a") as f:
                f.write(f"{what} {at:.3f}\n")


def serve(port: int, latency: float, per_minute: int | None, log: str | None) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(Slow(latency, per_minute, log), hostname="127.0.0.1", port=port)
    controller.start()
    threading.Event().wait()


def serve_on_free_port(args_for, what: str) -> tuple[subprocess.Popen, int]:
    """Start `args_for(port)` (an SMTP server's command line) on a free port and wait until it
    listens; return (process, port). bench/run.py's plain sink starts the same way."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(args_for(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


def start(latency: float, per_minute: int | None = None, log: Path | None = None) -> tuple[subprocess.Popen, int]:
    """Start a relay in another process; return (process, port)."""
    extra = [str(per_minute), str(log)] if per_minute else []
    return serve_on_free_port(lambda port: [PY, __file__, "sink", str(port), str(latency), *extra], "the relay")


def raw_parallel(port: int, saved: Path, connections: int) -> float:
    """Messages per second of bare smtplib loops over `connections` connections sending the
    product's own prebuilt messages (a share each): the wire's limit at that parallelism."""
    import email
    import email.policy

    msgs = [email.message_from_bytes(b, policy=email.policy.default) for b in pickle.loads(saved.read_bytes())]

    def loop(share):
        with smtplib.SMTP("127.0.0.1", port) as conn:
            for m in share:
                conn.send_message(m)

    threads = [threading.Thread(target=loop, args=(msgs[k::connections],)) for k in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(msgs) / (time.perf_counter() - started)


def product(db: Path, port: int, connections: int, per_minute: int | None = None, deadline: float = 1800) -> dict:
    """Run the product's `run_once` in its own process against the relay on `port`."""
    env = {**os.environ, "BENCH_CONNECTIONS": str(connections), "BENCH_DEADLINE": str(deadline),
           "BENCH_PER_MINUTE": str(per_minute or "")}  # fmt: skip
    out = subprocess.run([PY, str(REPO / "bench" / "build.py"), "--run", str(db), "smtp", str(port)],
                         capture_output=True, text=True, env=env, cwd=REPO, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def relay_figures(db: Path, saved: Path, due: int) -> dict:
    """Return {measure: figure}: product at 1 and 4 connections and a raw 4-connection loop against
    the 20 ms and 100 ms sinks, and a short run against a 30/min relay."""
    out = {}
    for latency in (0.02, 0.1):
        proc, port = start(latency)
        raws, ones, fours = [], [], []
        try:
            for _ in range(ROUNDS):  # alternating, so a busy moment of the machine hits each alike
                raws.append(raw_parallel(port, saved, 4))
                ones.append(product(db, port, 1)["per_s"])
                fours.append(product(db, port, 4)["per_s"])
        finally:
            proc.terminate()
        raw4, one, four = (statistics.median(x) for x in (raws, ones, fours))
        ms = f"{latency * 1000:.0f} ms sink"
        out[f"{ms}: raw smtplib, 4 connections: messages/s"] = f"{raw4:.0f}"
        out[f"{ms}: product, 1 connection: messages/s"] = f"{one:.0f}"
        out[f"{ms}: product, 4 connections: messages/s"] = (
            f"{four:.0f} ({four / one:.1f}x one connection, {four / raw4:.0%} of raw 4-connection smtplib)")
    log = db.parent / "relay30.log"
    proc, port = start(0.02, 30, log)
    try:
        run = product(db, port, 4, per_minute=30, deadline=45)
    finally:
        proc.terminate()
    lines = log.read_text().split() if log.exists() else []
    accepted = [float(t) for what, t in zip(lines[::2], lines[1::2], strict=True) if what == "accepted"]
    refused = sum(1 for what in lines[::2] if what == "refused")
    window = max((sum(1 for u in accepted if t <= u < t + 60) for t in accepted), default=0)
    out["30/min relay, 4 connections, RUN_DEADLINE 45 s"] = (
        f"{len(accepted)} accepted in {run['seconds']:.0f} s, most in any 60 s: {window}, refused: {refused}; "
        f"{run['left']} left pending of {due} (sent + left = {run['sent'] + run['left']})")  # fmt: skip
    return out


if __name__ == "__main__":
    if sys.argv[1] == "sink":
        a = sys.argv[2:]
        serve(int(a[0]), float(a[1]), int(a[2]) if len(a) > 2 else None, a[3] if len(a) > 3 else None)
