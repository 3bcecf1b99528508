"""End to end: the real CLI in a subprocess, on a real SQLite file, as a new user would run it."""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import subprocess
import sys
from email import policy
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import REPO

LONDON = ZoneInfo("Europe/London")


def outbox_entries(outbox: Path) -> list[dict]:
    out = []
    for path in sorted(outbox.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        day = parsedate_to_datetime(msg["Date"]).astimezone(LONDON).date().isoformat()
        to = [a for _, a in getaddresses([msg["To"]])]
        cc = sorted(a for _, a in getaddresses([msg["Cc"]])) if msg["Cc"] else []
        for item in msg["X-Reminder-Notices"].split(","):
            key, stage = item.strip().split("=")
            plan, ref = key.split("/")
            out.append({"date": day, "plan": plan, "ref": ref, "stage": stage, "to": to[0], "cc": cc})
    return out


def canon(entries):
    return sorted(json.dumps({**e, "cc": sorted(e["cc"])}, sort_keys=True) for e in entries)


@pytest.mark.slow
def test_forecast_equals_what_simulate_sends(cli_subprocess, tmp_path, db_url):
    assert cli_subprocess("sync", "--now", "2009-11-24T08:00").returncode == 0
    fc = cli_subprocess("forecast", "--from", "2009-11-24", "--to", "2010-08-31", "--json")
    assert fc.returncode == 0, fc.stderr
    outbox = tmp_path / "sim-outbox"
    sim = cli_subprocess("simulate", "--from", "2009-11-24", "--to", "2010-08-31", "--outbox", str(outbox))
    assert sim.returncode == 0, sim.stderr
    assert "149 notice(s) sent from Tue 24 Nov 2009 to Tue 31 Aug 2010; 128 message file(s)" in sim.stdout
    forecast = json.loads(fc.stdout)
    assert len(forecast) == 149
    assert canon(outbox_entries(outbox)) == canon(forecast)
    # simulate worked on a throwaway copy: the real database has no ledger rows
    status = cli_subprocess("status", "--json", "--now", "2010-08-31")
    assert all(r["status"] == "open" for r in json.loads(status.stdout))
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM notice")).scalar() == 0
    engine.dispose()


def test_cli_exit_codes_and_help_examples(cli_subprocess):
    for command in ("validate", "sync", "status", "set-status", "extend", "history", "run", "forecast",
                    "simulate", "preview", "send-test", "db"):  # fmt: skip
        result = cli_subprocess(command, "--help")
        assert result.returncode == 0, command
        assert "Example" in result.stdout or command == "db", command
    bad = cli_subprocess("forecast", "--from", "2010-02-01", "--to", "2010-01-01")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "Error: --to 2010-01-01 is before --from 2010-02-01"
    unknown = cli_subprocess("preview", "XYZ")
    assert unknown.returncode == 2
    assert (
        "Error: no action 'XYZ'; the database has no actions yet: run `reminders sync` first"
        in unknown.stderr
    )


def test_run_once_file_backend_and_log_lines(cli_subprocess, tmp_path):
    cli_subprocess("sync", "--now", "2009-11-24T08:00")
    result = cli_subprocess("run", "--once", "--now", "2010-01-27T09:05", extra_env={"LOG_FORMAT": "json"})
    assert result.returncode == 0, result.stderr
    # Catch-up on the first run: 3-month actions get before:28 (their `assigned` is superseded),
    # 6-month actions their `assigned` notice; pqa-manager, area-services-manager and
    # sixteen-plus-manager own one of each and get one digest.
    assert "12 notice(s) sent in 9 message(s), 5 superseded" in result.stdout
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 12
    three = ("SG1", "SG2", "SG3", "LAC1", "LAC2")
    assert {(x["ref"], x["stage"], x["outcome"]) for x in lines} == {(r, "before:28", "sent") for r in three} | {
        (r, "assigned", "sent") for r in ("SG4", "SG5", "SG6", "SG7", "LAC3", "LAC4", "LAC5")}  # fmt: skip
    assert all(re.match(r"^<.+@example\.org>$", x["message_id"]) for x in lines)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 9


def test_preview_renders_without_sending(cli_subprocess, tmp_path):
    cli_subprocess("sync", "--now", "2009-11-24T08:00")
    html = tmp_path / "p.html"
    result = cli_subprocess(
        "preview", "SG1", "--stage", "escalation:2", "--now", "2010-03-17", "--html", str(html)
    )
    assert result.returncode == 0, result.stderr
    assert 'To: "Executive Director, Children\'s Services" <executive-director@example.org>' in result.stdout
    assert "X-Reminder-Notices: ofsted-2009/SG1=escalation:2" in result.stdout
    assert "is 21 days overdue" in " ".join(result.stdout.split())
    assert "<html" in html.read_text()
    assert not (tmp_path / "outbox").exists()


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    return re.findall(r"```sh\n(.+?)\n```", text, re.S)


@pytest.mark.slow
def test_readme_demo_command_from_a_clean_copy(tmp_path):
    """README's first command, in a copy of the tracked files, with the test's own environment
    standing in for the `python3 -m venv .venv && pip install` step (CI runs that step for real)."""
    demo = readme_commands()[0]
    setup = "python3 -m venv .venv && .venv/bin/pip install -q -e . && "
    assert demo.startswith(setup)
    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    copy = tmp_path / "clean"
    for name in files:
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    (copy / ".venv").symlink_to(Path(sys.prefix))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REMINDERS_", "SMTP_", "OUTBOX"))
    }
    env.pop("EMAIL_BACKEND", None)
    env.pop("TEMPLATES_DIR", None)
    result = subprocess.run(["bash", "-c", demo[len(setup):]], cwd=copy, env=env, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "config OK: 11 owners, 1 plan(s), 12 actions" in result.stdout
    assert (
        "Wed 3 Mar 2010  ofsted-2009/SG1    escalation:1  -> head-of-safeguarding@example.org  sent"
        in result.stdout
    )
    assert re.search(r"SG4 .* 24 May 2010\s+70d left\s+open\s+on track", result.stdout)
    assert re.search(r"SG1 .* 24 Feb 2010\s+19d overdue\s+open\s+overdue", result.stdout)
    assert (copy / "data" / "reminders.db").exists()
    assert len(list((copy / "outbox").glob("*.eml"))) == 128  # README says so
