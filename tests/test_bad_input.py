"""Bad CLI input: every case is exit 2 with a message naming the flag and the fix, no traceback,
and a byte-identical database (the config catalogue is in test_config_errors.py)."""

from __future__ import annotations

import pytest

from tests.conftest import snapshot

CASES = [
    (("extend", "SG1", "--to", "9999-12-31", "--reason", "x", "--approved-by", "head-of-safeguarding"),
     "--to 9999-12-31: out of range; use a date between 1990-01-01 and 2100-12-31"),
    (("extend", "SG1", "--to", "2010-01-01", "--reason", "x", "--approved-by", "head-of-safeguarding"),
     "--to 2010-01-01 is before the original due date 2010-02-24"),
    (("extend", "SG1", "--to", "2010-03-31", "--reason", " ", "--approved-by", "head-of-safeguarding"),
     "--reason is empty; say why the new date was agreed"),
    (("extend", "SG1", "--to", "2010-03-31", "--reason", "x", "--approved-by", "hos"),
     "--approved-by 'hos': no such owner; known: area-services-manager"),
    (("status", "--now", "9999-12-31T23:59"), "--now '9999-12-31T23:59': out of range"),
    (("status", "--now", "yesterday"), "Error: --now 'yesterday': not a date-time; write e.g. 2010-03-15T09:30"),
    (("status", "--plan", "nope"), "Error: --plan 'nope': no such plan in the database"),
    (("set-status", "SG9", "complete"), "Error: no action 'SG9'; known: LAC1, LAC2"),
    (("set-status", "nope/SG1", "complete"), "Error: no action 'nope/SG1'"),
    (("extend", "SG1", "--to", "2010-13-01", "--reason", "x", "--approved-by", "executive-director"),
     "Error: --to '2010-13-01': not a date; write it as YYYY-MM-DD"),
    (("set-status", "SG1", "done"), "Invalid value for 'STATUS': 'done' is not one of"),
    (("history", "ofsted-2009/XX"), "no action 'ofsted-2009/XX'"),
    (("forecast", "--from", "2010-03-01", "--to", "2010-02-01"), "--to 2010-02-01 is before --from 2010-03-01"),
    (("forecast", "--from", "2000-01-01", "--to", "2020-01-01"), "--from/--to span more than 10 years"),
    (("forecast", "--from", "2010-02-30", "--to", "2010-03-01"), "--from '2010-02-30': not a date"),
    (("simulate", "--from", "1980-01-01", "--to", "2010-03-01"), "--from 1980-01-01: out of range"),
    (("preview", "SG1", "--stage", "overdue:99"), "--stage 'overdue:99': not a stage of this action; use one of"),
    (("notices", "--format", "xml"), "Invalid value for '--format': 'xml' is not one of"),
    (("notices", "--until", "2010-13-01"), "--until '2010-13-01': not a date"),
    (("resend", "99999"), "no notice 99999; find its id with `reminders notices --format csv`"),
    (("resend", "abc"), "Invalid value for 'ID': 'abc' is not a valid integer"),
    (("summary", "--plan", "nope"), "--plan 'nope': no such plan; known: ofsted-2009"),
    (("summary", "--since", "last week"), "--since 'last week': not a date"),
    (("send-test", "not-an-address"), "EMAIL 'not-an-address': An email address must have an @-sign."),
    (("web-link", "--plan", "ofsted-2009", "--for", "x@example.org"), "BASE_URL is not set"),
    (("import", "missing.txt", "--plan-id", "p", "--report-date", "2009-11-24"), "cannot read"),
    (("run", "--once", "--now", "2010-02-30T09:00"), "--now '2010-02-30T09:00': not a date-time"),
]


@pytest.fixture
def synced(cli, env):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    return snapshot(env["DATABASE_URL"])


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(a)[:40] for a, _ in CASES])
def test_bad_cli_input_is_exit_2_with_the_fix_and_changes_nothing(cli, env, synced, args, message):
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert snapshot(env["DATABASE_URL"]) == synced


def test_a_truncated_plan_file_does_not_withdraw_its_actions(cli, env, config_dir, synced):
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    text = plan.read_text()
    plan.write_text(text[: text.index("  - ref: SG4")])  # only SG1-3 left: 9 of 12 would go
    result = cli("sync", "--now", "2010-01-04T10:00")
    assert result.exit_code == 2
    assert "sync would withdraw 9 of the 12 actions of plan 'ofsted-2009' (they are not in its plan file)" in (
        result.output)  # fmt: skip
    assert "run `reminders sync --allow-withdraw`; otherwise restore the plan file; nothing was changed" in result.output
    assert snapshot(env["DATABASE_URL"]) == synced
    assert cli("run", "--once", "--now", "2010-01-04T10:00").exit_code == 2
    allowed = cli("sync", "--allow-withdraw", "--now", "2010-01-04T10:00")
    assert allowed.exit_code == 0 and "withdrawn: ofsted-2009/SG4 (removed from the plan file)" in allowed.output


def test_an_unexpected_error_is_one_line_not_a_traceback(cli_subprocess, env, monkeypatch, tmp_path):
    bad = tmp_path / "db-is-a-directory"
    bad.mkdir()
    result = cli_subprocess("status", extra_env={"DATABASE_URL": f"sqlite:///{bad}"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
