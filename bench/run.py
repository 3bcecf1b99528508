"""The benchmark: one command measures, side by side, the limits and the product.

    .venv/bin/python bench/run.py            # 10k and 100k actions (about 5 minutes here)
    .venv/bin/python bench/run.py --sizes 10000,100000,1000000
    .venv/bin/python bench/run.py --quick    # 10k only, a smoke test (CI); no timing is asserted

For each size it builds a SQLite database with bulk inserts (many plans and owners, 1,000 actions
due on the run day), then measures: the raw indexed query and the product's selection; a raw
smtplib loop sending 1,000 prebuilt messages to an aiosmtpd sink in another process against the
product's `run_once` to the same sink and to a null transport; `validate`, first `sync`, a second
(unchanged) `sync` and `status --json` of a generated config; peak RSS of each in its own process;
and `reminders --help` against `python -c pass`. Writes docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PY = sys.executable
DUE = 1000
ROUNDS = 3  # delivery is measured this many times, raw and product alternately; medians reported
RUN_DAY = dt.date(2010, 3, 1)  # a Monday


def measured(*args, env=None) -> tuple[dict, float, float]:
    """Run `python args...`; return (its last line as JSON or {}, wall seconds, its peak RSS in MB;
    NaN without GNU time at /usr/bin/time)."""
    timer = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as f:
        prefix = [str(timer), "-f", "%M", "-o", f.name] if timer.exists() else []
        started = time.perf_counter()
        proc = subprocess.run([*prefix, PY, *args], capture_output=True, text=True,
                              env={**os.environ, **(env or {})}, cwd=REPO)  # fmt: skip
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"{args} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        rss = int(f.read().strip().splitlines()[-1]) / 1024 if prefix else float("nan")
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    except (json.JSONDecodeError, IndexError):
        data = {}
    return data, wall, rss


def start_sink() -> tuple[subprocess.Popen, int]:
    """An aiosmtpd sink (discards messages) in another process; returns (process, port)."""
    from bench_relay import serve_on_free_port

    return serve_on_free_port(lambda port: [PY, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l",
                                            f"127.0.0.1:{port}"], "the aiosmtpd sink")  # fmt: skip


def raw_smtp(port: int, saved: Path) -> float:
    """Messages per second of a bare smtplib loop sending the product's own messages (prebuilt,
    saved by build.py --messages) over one connection: the wire's limit for these messages."""
    import email
    import email.policy
    import pickle

    msgs = [email.message_from_bytes(b, policy=email.policy.default) for b in pickle.loads(saved.read_bytes())]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for m in msgs:
            conn.send_message(m)
    return len(msgs) / (time.perf_counter() - started)


def row(name: str, *cells) -> str:
    return "| " + " | ".join([name, *map(str, cells)]) + " |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of actions")
    ap.add_argument("--quick", action="store_true", help="10k only; a smoke test")
    ap.add_argument("--out", default=str(REPO / "docs" / "benchmarks.md"))
    a = ap.parse_args()
    sizes = [10000] if a.quick else [int(x) for x in a.sizes.split(",")]
    sink, port = start_sink()
    lines, notes = [], []
    try:
        _, help_s, help_rss = measured("-m", "scheduler", "--help")
        _, pass_s, _ = measured("-c", "pass")
        lines += ["| measure | " + " | ".join(f"{n:,} actions" for n in sizes) + " |",
                  "| --- | " + " | ".join("---" for _ in sizes) + " |"]  # fmt: skip
        rounds = 1 if a.quick else ROUNDS
        relays = [] if a.quick else ["", *relay_table()]  # first, while nothing else has warmed the machine
        results = {n: size_figures(n, port, a.quick) for n in sizes}
        keys = list(results[sizes[0]])
        lines += [row(k, *(results[n][k] for n in sizes)) for k in keys]
        notes.append("Raw smtplib: `send_message` of the same messages the product sends (built beforehand by a run "
                     "into memory) in a loop over one connection to the same sink. Delivery figures are medians of "
                     f"{rounds} round(s), raw and product alternately.")  # fmt: skip
        notes.append(f"`reminders --help`: {help_s:.2f} s wall, {help_rss:.0f} MB; `python -c pass`: {pass_s:.2f} s.")
        if not a.quick:
            lines += relays
            notes.append(f"Relays: a database of 10,000 actions with {RELAY_DUE} due (one message per owner), sent "
                         "to an aiosmtpd sink in another process that waits 20 ms or 100 ms per message (asyncio: "
                         "connections do not wait for each other), by the product at SMTP_CONNECTIONS 1 and 4 and "
                         "by raw smtplib `send_message` loops over 4 connections (a quarter of the prebuilt "
                         "messages each, in threads), medians of 3 alternating rounds; then at 4 connections with SMTP_MAX_PER_MINUTE=30 against a "
                         "relay that refuses a 31st message in any 60 s, the run's deadline 45 s.")  # fmt: skip
    finally:
        sink.terminate()
    write(a.out, lines, notes, sizes, a)


RELAY_DUE = 200


def relay_table() -> list[str]:
    """Return the table of delivery against slow and rate-limited relays (bench/relay.py)."""
    from bench_relay import relay_figures

    tmp = Path(tempfile.mkdtemp(prefix="bench-relay-"))
    try:
        measured(str(REPO / "bench" / "build.py"), str(tmp / "relay.db"), "10000", str(RELAY_DUE))
        measured(str(REPO / "bench" / "build.py"), "--messages", str(tmp / "relay.db"), str(tmp / "messages.pickle"))
        figures = relay_figures(tmp / "relay.db", tmp / "messages.pickle", RELAY_DUE)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ["| relay | figure |", "| --- | --- |", *[row(k, v) for k, v in figures.items()]]


def size_figures(n: int, port: int, quick: bool) -> dict:
    """Build the data for `n` actions and return {measure: figure} for the table."""
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{n}-"))
    try:
        return _figures(n, port, quick, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _figures(n: int, port: int, quick: bool, tmp: Path) -> dict:
    rounds = 1 if quick else ROUNDS
    db_path = tmp / "bench.db"
    built, build_s, _ = measured(str(REPO / "bench" / "build.py"), str(db_path), str(n), str(DUE))
    sel, _, _ = measured(str(REPO / "bench" / "build.py"), "--select", str(db_path))
    measured(str(REPO / "bench" / "build.py"), "--messages", str(db_path), str(tmp / "messages.pickle"))
    wires, runs = [], []
    for _ in range(rounds):  # alternate, so a busy moment of the machine hits both sides alike
        wires.append(raw_smtp(port, tmp / "messages.pickle"))
        runs.append(measured(str(REPO / "bench" / "build.py"), "--run", str(db_path), "smtp", str(port)))
    wire = statistics.median(wires)
    smtp, run_s, run_rss = sorted(runs, key=lambda r: r[0]["per_s"])[len(runs) // 2]
    null, _, null_rss = measured(str(REPO / "bench" / "build.py"), "--run", str(db_path), "null", "0")
    st, _, st_rss = measured(str(REPO / "bench" / "build.py"), "--status", str(db_path))
    fc, _, fc_rss = measured(str(REPO / "bench" / "build.py"), "--forecast", str(db_path))
    out = {
        "build the database (bulk inserts)": f"{build_s:.1f} s",
        "raw indexed query: actions due": f"{sel['raw_ms']:.1f} ms",
        "product selection (SqlLedger.select)": f"{sel['select_ms']:.1f} ms",
        "raw smtplib loop, same messages: messages/s": f"{wire:.0f}",
        "run_once to the SMTP sink: messages/s": f"{smtp['per_s']:.0f} ({smtp['per_s'] / wire:.0%} of raw smtplib)",
        "run_once to the SMTP sink: seconds": f"{smtp['seconds']:.1f} s",
        "run_once to a null transport: seconds": f"{null['seconds']:.1f} s",
        "peak RSS, run_once": f"{max(run_rss, null_rss):.0f} MB",
        "status --json, every action (streamed)": f"{st['seconds']:.1f} s, {st_rss:.0f} MB",
        "forecast of the run day (1,000 due)": f"{fc['seconds']:.1f} s, {fc_rss:.0f} MB ({fc['notices']:,} notices)",
    }
    measured(str(REPO / "bench" / "build.py"), "--config", str(tmp / "config"), str(n))
    first, _, first_rss = measured(str(REPO / "bench" / "build.py"), "--cached-run", str(db_path), str(tmp / "config"))
    again, _, again_rss = measured(str(REPO / "bench" / "build.py"), "--cached-run", str(db_path), str(tmp / "config"))
    out["config of every action: first parse, then from the cache"] = (
        f"{first['load']:.1f} s ({first_rss:.0f} MB), then {again['load'] * 1000:.0f} ms")
    out["run_once with that config from the cache: seconds, peak RSS"] = f"{again['run']:.1f} s, {again_rss:.0f} MB"
    out.update(config_figures(n, tmp, quick) if n <= 100_000 else big_config_figures(tmp))
    return out


CONFIG_MEASURES = ("validate (config)", "first sync", "sync, config unchanged",
                   "run --once, config unchanged (nothing due)", "status --json (CLI)",
                   "idle daemon (`reminders run`), CPU over 30 s", "summary (CLI, text, every plan)")  # fmt: skip


def _env(tmp: Path) -> dict:
    return {"REMINDERS_CONFIG_DIR": str(tmp / "config"), "DATABASE_URL": f"sqlite:///{tmp / 'cfg.db'}",
            "EMAIL_BACKEND": "file", "OUTBOX_DIR": str(tmp / "outbox"), "REMINDERS_CACHE_DIR": str(tmp / "cache")}  # fmt: skip


def big_config_figures(tmp: Path) -> dict:
    """At a million actions only what the memory target is about: validate, a first sync (a parse
    into the cache, then every action inserted) and the summary, each with its peak RSS."""
    env = _env(tmp)
    _, v_s, v_rss = measured("-m", "scheduler", "validate", env=env)
    _, s1, s_rss = measured("-m", "scheduler", "sync", "--now", "2009-11-20T08:00", env=env)
    _, su_s, su_rss = measured("-m", "scheduler", "summary", "--now", "2010-03-01T08:00", env=env)
    figures = {k: "not measured at this size" for k in CONFIG_MEASURES}
    figures.update({"validate (config)": f"{v_s:.1f} s, {v_rss:.0f} MB", "first sync": f"{s1:.1f} s, {s_rss:.0f} MB",
                    "summary (CLI, text, every plan)": f"{su_s:.1f} s, {su_rss:.0f} MB"})  # fmt: skip
    return figures
IDLE_SETTLE, IDLE_WINDOW = 10, 30  # seconds: let the daemon start, then measure


def config_figures(n: int, tmp: Path, quick: bool) -> dict:
    """Measure the CLI on a generated config folder of `n` actions (YAML parsed, synced, cached)."""
    env = _env(tmp)  # the config folder is written by _figures
    _, v_s, v_rss = measured("-m", "scheduler", "validate", env=env)
    # Before the report date (24 Nov): synced, nothing due yet, so a run costs only its overheads.
    _, s1, s_rss = measured("-m", "scheduler", "sync", "--now", "2009-11-20T08:00", env=env)
    _, s2, _ = measured("-m", "scheduler", "sync", "--now", "2009-11-21T08:00", env=env)
    _, r_s, r_rss = measured("-m", "scheduler", "run", "--once", "--now", "2009-11-21T09:00", env=env)
    _, st_s, st_rss = measured("-m", "scheduler", "status", "--json", env=env)
    _, su_s, su_rss = measured("-m", "scheduler", "summary", "--now", "2010-03-01T08:00", env=env)
    idle = "not measured (--quick)" if quick else idle_daemon(env)
    return dict(zip(CONFIG_MEASURES, (f"{v_s:.1f} s, {v_rss:.0f} MB", f"{s1:.1f} s, {s_rss:.0f} MB", f"{s2:.1f} s",
                                      f"{r_s:.2f} s, {r_rss:.0f} MB", f"{st_s:.1f} s, {st_rss:.0f} MB", idle,
                                      f"{su_s:.1f} s, {su_rss:.0f} MB"), strict=True))  # fmt: skip


def idle_daemon(env: dict) -> str:
    """Start `reminders run` (send time 23:59, so no catch-up), let it settle, and return the CPU
    share and memory it used over IDLE_WINDOW seconds of ticks (heartbeat, config check)."""
    proc = subprocess.Popen([PY, "-m", "scheduler", "run"], env={**os.environ, **env}, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    stat = Path(f"/proc/{proc.pid}/stat")
    try:
        time.sleep(IDLE_SETTLE)
        ticks = os.sysconf("SC_CLK_TCK")
        before = sum(int(x) for x in stat.read_text().split()[13:15])
        time.sleep(IDLE_WINDOW)
        used = (sum(int(x) for x in stat.read_text().split()[13:15]) - before) / ticks
        rss = next(int(x.split()[1]) for x in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                   if x.startswith("VmRSS")) / 1024  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return f"{used / IDLE_WINDOW:.2%} of a core, {rss:.0f} MB"


def write(path: str, lines: list[str], notes: list[str], sizes, args) -> None:
    cpu = next((x.split(":", 1)[1].strip() for x in Path("/proc/cpuinfo").read_text().splitlines()
                if x.startswith("model name")), platform.processor())  # fmt: skip
    text = ["# Benchmarks", "", f"Made by `{' '.join(['bench/run.py', *sys.argv[1:]])}` on "
            f"{dt.date.today()}: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, SQLite "
            f"{__import__('sqlite3').sqlite_version}. {DUE:,} actions are due on the run day whatever the size.",
            "", *lines, "", *[f"- {n}" for n in notes], ""]  # fmt: skip
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
