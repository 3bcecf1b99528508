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
    (("resend", "99999", "--kind", "plan"), "no summary or progress report notice 99999; find its id with"),
    (("resend", "1", "--kind", "summary"), "Invalid value for '--kind': 'summary' is not one of 'action', 'plan'"),
    (("summary", "--plan", "nope"), "--plan 'nope': no such plan; known: ofsted-2009"),
    (("summary", "--since", "last week"), "--since 'last week': not a date"),
    (("send-test", "not-an-address"), "EMAIL 'not-an-address': An email address must have an @-sign."),
    (("web-link", "--plan", "ofsted-2009", "--for", "x@example.org"), "BASE_URL is not set"),
    (("import", "missing.txt", "--plan-id", "p", "--report-date", "2009-11-24"), "cannot read"),
    (("run", "--once", "--now", "2010-02-30T09:00"), "--now '2010-02-30T09:00': not a date-time"),
    (("set-status", "SG1", "in_progress", "--by", "pqa\r\nX-Injected: yes"),
     "--by contains a line break or control character; write it on one line"),
    (("set-status", "SG1", "in_progress", "--note", "n" * 100_000),
     "--note is 100000 characters long; at most 5000 are allowed"),
    (("set-status", "SG1", "in_progress", "--note", "done \u202eevil"),
     "--note contains invisible or control characters (U+202E); remove them"),
    (("extend", "SG1", "--to", "2010-03-31", "--reason", "r\x1b[2J", "--approved-by", "executive-director"),
     "--reason contains a control character; remove it"),
    (("set-status", "SG1", "in_progress", "--by", "pqa\u200b"),
     "--by contains invisible or control characters (U+200B); remove them"),
    (("set-status", "SG1", "in_progress", "--by", "b" * 201), "--by is 201 characters long; at most 200"),
    (("extend", "SG1", "--to", "2010-03-31", "--reason", "r" * 5001, "--approved-by", "executive-director"),
     "--reason is 5001 characters long; at most 5000 are allowed"),
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


@pytest.mark.parametrize(("env_values", "line"), [
    ({"SMTP_HOST": "relay.example.org\r\nRCPT TO:<x@example.org>", "EMAIL_BACKEND": "smtp"},
     "SMTP_HOST='relay.example.org\\r\\nRCPT TO:<x@example.org>': contains a control character"),
    ({"SMTP_USERNAME": "me\nAUTH"}, "SMTP_USERNAME='me\\nAUTH': contains a control character"),
    ({"DATABASE_URL": "garbage"}, "DATABASE_URL='garbage': is not a database URL; use sqlite:///path/to/file.db"),
    ({"DATABASE_URL": "mysql://u@db/reminders"}, "DATABASE_URL='mysql://u@db/reminders': 'mysql' is not a "
     "supported database; use sqlite:///path/to/file.db (e.g. sqlite:///data/reminders.db) or "
     "postgresql+psycopg://user:password@host:5432/dbname"),
    ({"TEMPLATES_DIR": "/nowhere/templates"}, "TEMPLATES_DIR='/nowhere/templates': no such folder"),
    ({"SMTP_CONNECTIONS": "0"}, "SMTP_CONNECTIONS='0': out of range; parallel connections to the relay"),
    ({"SMTP_MAX_PER_MINUTE": "-5"}, "SMTP_MAX_PER_MINUTE='-5': out of range; the relay's limit"),
], ids=["smtp-host-crlf", "username-lf", "db-garbage", "db-mysql", "templates-missing", "connections-0",
        "per-minute-negative"])  # fmt: skip
def test_a_bad_setting_is_exit_2_before_anything_is_claimed(cli, env, synced, monkeypatch, env_values, line):
    for key, value in env_values.items():
        monkeypatch.setenv(key, value)
    result = cli("run", "--once", "--now", "2009-11-24T09:00")
    assert result.exit_code == 2, result.output
    assert line in result.output and "Traceback" not in result.output
    assert snapshot(env["DATABASE_URL"]) == synced, "nothing claimed, no attempt counted"


def test_an_unwritable_outbox_is_exit_2_before_anything_is_claimed(cli, env, synced, monkeypatch, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("OUTBOX_DIR", str(blocked / "outbox"))
    result = cli("run", "--once", "--now", "2009-11-24T09:00")
    assert result.exit_code == 2, result.output
    assert f"OUTBOX_DIR='{blocked / 'outbox'}': cannot write there" in result.output
    assert snapshot(env["DATABASE_URL"]) == synced, "nothing claimed, no attempt counted"


def test_postgres_scheme_urls_are_read_as_postgresql_with_psycopg(monkeypatch):
    from scheduler.config.settings import Settings

    for given in ("postgres://app:s3cret@db:5432/reminders", "postgresql://app:s3cret@db:5432/reminders"):
        monkeypatch.setenv("DATABASE_URL", given)
        assert Settings().database_url == "postgresql+psycopg://app:s3cret@db:5432/reminders"


def test_the_longest_names_and_titles_allowed_never_make_a_header_line_over_998_octets(cli, env, config_dir):
    import re
    from pathlib import Path

    owners = config_dir / "owners.yaml"
    text = owners.read_text()
    text = re.sub(r"name: .*", "name: " + "Ñ" * 200, text, count=1)  # one word of 200 non-ASCII characters
    owners.write_text(text)
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    text = plan.read_text()
    plan.write_text(re.sub(r"\n    title: >-\n(      .*\n)+", "\n    title: " + "x" * 500 + "\n", text, count=1))
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0, "both at their bound are valid"
    assert cli("run", "--once", "--now", "2009-11-24T09:00").exit_code == 0
    files = list(Path(env["OUTBOX_DIR"]).glob("*.eml"))
    assert files
    longest = max(len(line) for f in files for line in f.read_bytes().split(b"\r\n" if b"\r\n" in
                                                                               f.read_bytes() else b"\n"))  # fmt: skip
    assert longest <= 998
