"""The admin CLI as a person reads it (PRODUCT.md §5): tables that fit an 80- and a 120-column
terminal, times in the plan's local time (never UTC or "Z"), "did you mean" for a typo, the ref in
every per-action config error, and read-only commands that create nothing."""

from __future__ import annotations

import re

import pytest

LONG_TITLE = "Ensure that the initial case planning processes within contact referral and assessment teams"


@pytest.fixture
def worked(cli):
    """The shipped plan synced, run on a few days, with one extension (so every output has content)."""
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    for day in ("2009-11-24T09:00", "2010-03-03T09:30", "2010-06-01T09:00"):  # the last in BST
        assert cli("run", "--once", "--now", day).exit_code == 0
    assert cli("extend", "SG2", "--to", "2010-07-30", "--reason", "survey delayed", "--approved-by",
               "head-of-safeguarding", "--now", "2010-06-01T10:00").exit_code == 0  # fmt: skip
    return cli


@pytest.mark.parametrize("columns", [80, 120])
def test_status_fits_the_terminal_and_wide_prints_it_in_full(worked, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    out = worked("status", "--now", "2010-06-02").output
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns, "\n".join(x for x in lines if len(x) > columns)
    rows = [line for line in lines if re.match(r"^(SG|LAC)\d ", line)]
    assert len(rows) == 12, "one line per action: nothing wraps"
    assert LONG_TITLE not in out and "…" in out
    assert "Contact Centr" in out and "30 Jul 2010*" in out
    if columns >= 120:
        assert " RAG" in lines[1] and "overdue" in out
    wide = worked("status", "--now", "2010-06-02", "--wide").output
    assert LONG_TITLE in wide and "Independent Reviewing Officer Service Manager" in wide


@pytest.mark.parametrize("columns", [80, 120])
def test_notices_and_history_fit_the_terminal(worked, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    for args in (("notices",), ("history", "SG2"), ("history", "SG5")):
        out = worked(*args).output
        assert max(len(line) for line in out.splitlines()) <= columns, (args, out)
    assert "notice     escalation:1 to executive-director@example.org" in worked("history", "SG5", "--wide").output


UTC_TIME = re.compile(r"\bUTC\b|\d\d:\d\d(:\d\d)?(\.\d+)?Z\b|\+00:00|[+-]\d\d:\d\d\b")


def test_no_utc_or_z_times_in_what_people_read(worked, tmp_path):
    outputs = {
        "run": worked("run", "--once", "--now", "2010-06-02T09:30"),
        "status": worked("status", "--now", "2010-06-02"),
        "history": worked("history", "SG5"),
        "notices": worked("notices"),
        "summary": worked("summary", "--now", "2010-06-07T08:00"),
        "summary md": worked("summary", "--now", "2010-06-07T08:00", "--format", "md"),
        "summary html": worked("summary", "--now", "2010-06-07T08:00", "--format", "html"),
        "forecast": worked("forecast", "--from", "2010-06-02", "--to", "2010-06-20"),
        "simulate": worked("simulate", "--from", "2010-06-02", "--to", "2010-06-20", "--outbox", str(tmp_path / "o")),
        "preview": worked("preview", "SG5", "--stage", "escalation:2", "--now", "2010-06-02"),
    }
    for name, result in outputs.items():
        assert result.exit_code == 0, (name, result.output)
        body = result.output.replace("(UTC)", "")
        found = UTC_TIME.search(body)
        assert not found, f"{name}: {found.group(0)!r} in {body[max(0, found.start() - 80):found.end() + 20]!r}"
    assert " at Wed 2 Jun 2010 09:30 BST: " in outputs["run"].output
    names = sorted(p.name for p in (tmp_path / "o").glob("*.eml"))
    assert names and all(n[8:13] == "T0900" for n in names), f"outbox files named in local time (BST): {names}"
    assert "Tue 1 Jun 2010 09:00 BST" in outputs["notices"].output
    # machine formats keep ISO 8601 with the offset
    assert "2010-06-01T09:00:00+01:00" in worked("notices", "--format", "csv").output


def test_unknown_ids_get_a_did_you_mean(worked):
    for args, hint in (
        (("history", "SG11"), "no action 'SG11'; did you mean 'SG1'?"),
        (("history", "ofsted-2009/sg5"), "did you mean 'ofsted-2009/SG5'?"),
        (("notices", "--owner", "head-of-safegarding"), "did you mean 'head-of-safeguarding'?"),
        (("notices", "--plan", "ofsted-2090"), "did you mean 'ofsted-2009'?"),
        (("extend", "SG3", "--to", "2010-08-30", "--reason", "x", "--approved-by", "executive-directr"),
         "did you mean 'executive-director'?"),
    ):
        result = worked(*args)
        assert result.exit_code == 2 and hint in result.output, (args, result.output)


def test_every_per_action_config_error_names_the_ref(cli, config_dir):
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    text = plan.read_text()
    text = text.replace("    owner: contact-centre-manager\n", "", 1)  # SG1 loses its owner
    text = text.replace("owner: area-services-manager", "owner: area-service-manager", 1)  # SG2: a typo
    plan.write_text(text)
    result = cli("validate")
    assert result.exit_code == 2
    assert "actions[0] (SG1).owner: required key is missing; add `owner:`" in result.output
    assert ("actions[1] (SG2).owner: no such owner 'area-service-manager'; did you mean 'area-services-manager'"
            in result.output)  # fmt: skip


def test_read_only_commands_create_no_database(cli, env, tmp_path, monkeypatch):
    db_file = tmp_path / "data" / "reminders.db"
    for args in (("status",), ("notices",), ("summary",)):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert "no database yet at" in result.output and "run `reminders sync`" in result.output
    for args in (("history", "SG1"), ("preview", "SG1")):  # about an action: bad input, as for an unknown REF
        result = cli(*args)
        assert result.exit_code == 2 and "the database has no actions yet: run `reminders sync`" in result.output
    assert not db_file.exists() and not db_file.parent.exists()
    forecast = cli("forecast", "--from", "2009-11-24", "--to", "2009-11-24", "--json")
    assert forecast.exit_code == 0 and '"stage": "assigned"' in forecast.output, "from the config alone"
    assert not db_file.exists()
    monkeypatch.setenv("REMINDERS_CONFIG_DIR", str(tmp_path / "nowhere"))
    result = cli("status")
    assert "there is no config folder at" in result.output and not db_file.exists()
    result = cli("sync")
    assert result.exit_code == 2
    assert "config folder not found" in result.output and "Fix the config in" not in result.output


def test_web_says_where_it_listens_and_what_links_it_signs(cli, env, tmp_path):
    import os
    import subprocess
    import sys
    import time

    from tests.conftest import free_port

    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    port = free_port()
    extra = {"BASE_URL": "https://reminders.example.org", "SECRET_KEY": "cli-output-test-secret-0123456789"}
    log = tmp_path / "web.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "scheduler", "web", "--port", str(port)], cwd=tmp_path,
                                env={**os.environ, **env, **extra}, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            for _ in range(200):
                if "listening on" in log.read_text() or proc.poll() is not None:
                    break
                time.sleep(0.05)
        finally:
            proc.terminate()
            proc.wait(10)
    text = log.read_text()
    assert f"listening on http://127.0.0.1:{port}; links in emails are signed for BASE_URL=https://reminders.example.org" in text
