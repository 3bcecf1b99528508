"""bench/run.py --quick as a smoke test: it runs end to end and writes its table (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_benchmark_quick_mode_writes_every_figure(tmp_path):
    out = tmp_path / "benchmarks.md"
    result = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--out", str(out)],
                            capture_output=True, text=True, timeout=600, cwd=REPO)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    text = out.read_text()
    for measure in ("raw indexed query", "product selection", "run_once to the SMTP sink: messages/s",
                    "run_once to a null transport", "peak RSS, run_once", "validate (config)", "first sync",
                    "sync, config unchanged", "run --once, config unchanged", "status --json (CLI)",
                    "status --json, every action (streamed)", "forecast of the run day", "raw smtplib loop, same messages",
                    "idle daemon", "from the cache", "`reminders --help`"):  # fmt: skip
        assert measure in text, measure
    assert "| 10,000 actions |" in text
