"""Helpers to run the real daemon in a subprocess and wait for what it does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path


def service_config(config_dir: Path, send_time: str = "00:00") -> str:
    """Make the config send at `send_time` UTC every day with no holidays; return that time.

    The default 00:00 has always passed today, so a starting daemon's catch-up sends at once,
    whatever the time of day the test runs at.
    """
    path = config_dir / "policy.yaml"
    text = path.read_text()
    for old, new in (
        ('send_time: "09:00"', f'send_time: "{send_time}"'),
        ("timezone: Europe/London", "timezone: UTC"),
        ("working_days: [mon, tue, wed, thu, fri]", "working_days: [mon, tue, wed, thu, fri, sat, sun]"),
        ("holidays: GB-ENG", "holidays: none"),
    ):
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    return send_time


class Daemon:
    def __init__(self, cwd: Path, env: dict, name: str = "d"):
        self.out = cwd / f"{name}.out"
        self.err = cwd / f"{name}.err"
        full_env = {**os.environ, **env}
        self.proc = subprocess.Popen([sys.executable, "-m", "scheduler", "run"], cwd=cwd, env=full_env,
                                     stdout=self.out.open("w"), stderr=self.err.open("w"))  # fmt: skip

    def log(self) -> str:
        return self.err.read_text() if self.err.exists() else ""

    def wait_log(self, pattern: str, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.log())
            if m:
                return m
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} in the daemon log within {timeout}s:\n{self.log()}")

    def stop(self, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def wait_for(predicate, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
