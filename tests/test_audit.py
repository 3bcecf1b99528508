"""The audit trail and reports: `notices` (CSV and JSON read back against the ledger), `history`
with notices in local time, `status --format csv` with names, `summary --send`."""

from __future__ import annotations

import csv
import io
import json
import re

import sqlalchemy as sa

from tests.conftest import both_databases


def run_at(cli, when):
    return cli("run", "--once", "--now", when)


def ledger(db_url) -> list[tuple]:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT a.plan_id, a.ref, n.stage, n.recipient, n.state, n.message_id FROM notice n "
            "JOIN action a ON a.id = n.action_id ORDER BY n.id")).all()  # fmt: skip
    engine.dispose()
    return [tuple(r) for r in rows]


@both_databases
def test_notices_csv_and_json_read_back_equal_the_ledger(cli, db_url):
    cli("sync", "--now", "2009-11-24T08:00")
    for when in ("2009-11-24T09:00", "2010-01-27T09:00", "2010-03-03T09:00"):
        assert run_at(cli, when).exit_code == 0
    want = ledger(db_url)
    assert len(want) > 30
    as_json = json.loads(cli("notices", "--format", "json").output)
    as_csv = list(csv.DictReader(io.StringIO(cli("notices", "--format", "csv").output)))
    for rows in (as_json, as_csv):
        got = [(r["plan"], r["ref"], r["stage"], r["recipient"], r["state"], r["message_id"] or None) for r in rows]
        assert got == want
    sent = [r for r in as_json if r["state"] == "sent"]
    assert sent[0]["claimed_at"] == "2009-11-24T09:00:00+00:00" and sent[0]["sent_at"].startswith("2009-11-24")


def test_notices_filters_by_plan_owner_and_dates_and_rejects_bad_input(cli):
    cli("sync", "--now", "2009-11-24T08:00")
    run_at(cli, "2009-11-24T09:00")
    run_at(cli, "2010-03-03T09:00")
    rows = json.loads(cli("notices", "--owner", "contact-centre-manager", "--since", "2010-03-01",
                          "--format", "json").output)  # fmt: skip
    assert {r["recipient"] for r in rows} == {"contact-centre-manager@example.org"}
    assert {r["stage"] for r in rows if r["state"] == "sent"} == {"escalation:1"}
    assert json.loads(cli("notices", "--until", "2009-11-23", "--format", "json").output) == []
    table = cli("notices", "--plan", "ofsted-2009").output
    assert table.splitlines()[1].split() == ["ID", "REF", "STAGE", "TO", "STATE", "WHEN"]
    assert "Tue 24 Nov 2009 09:00 GMT" in table and "UTC" not in table
    for args, error in (
        (("--plan", "nope"), "Error: --plan 'nope': no such plan; known: ofsted-2009"),
        (("--owner", "hos"), "Error: --owner 'hos': no such owner; known: area-services-manager"),
        (("--owner", "head-of-safegarding"), "no such owner; did you mean 'head-of-safeguarding'?"),
        (("--since", "2010-13-01"), "Error: --since '2010-13-01': not a date; write it as YYYY-MM-DD"),
        (("--since", "2010-03-02", "--until", "2010-03-01"), "Error: --until 2010-03-01 is before --since"),
    ):
        result = cli("notices", *args)
        assert result.exit_code == 2 and error in result.output, result.output


def test_history_shows_events_and_notices_in_local_time(cli):
    cli("sync", "--now", "2009-11-24T08:00")
    run_at(cli, "2009-11-24T09:00")
    run_at(cli, "2010-06-01T09:00")  # British Summer Time: 09:00 local is 08:00 UTC
    cli("set-status", "SG5", "complete", "--note", "done", "--by", "pqa", "--now", "2010-06-02T10:15")
    lines = cli("history", "SG5", "--wide").output.splitlines()
    assert "times are Europe/London (GMT/BST)" in lines[1]
    assert "24 Nov 2009 09:00  notice     assigned to head-of-safeguarding@example.org: sent (due 24 May 2010)" in (
        "\n".join(lines))  # fmt: skip
    assert any(x.startswith(" 1 Jun 2010 09:00  notice     escalation:1 to executive-director@example.org: sent")
               for x in lines)  # fmt: skip
    assert " 2 Jun 2010 10:15  status     open -> complete  by pqa  (done)" in lines
    kinds = [x[19:29].strip() for x in lines[2:]]
    assert kinds[0] == "created" and "notice" in kinds and kinds[-1] == "status"


def test_status_csv_and_table_show_owner_names(cli):
    cli("sync", "--now", "2009-11-24T08:00")
    rows = list(csv.DictReader(io.StringIO(cli("status", "--format", "csv", "--now", "2010-03-15").output)))
    sg1 = next(r for r in rows if r["ref"] == "SG1")
    assert sg1["owner_name"] == "Contact Centre Manager" and sg1["rag"] == "overdue" and sg1["days_left"] == "-19"
    table = cli("status", "--now", "2010-03-15").output
    assert "Contact Centre Manager" in table and "contact-centre-manager " not in table
    assert json.loads(cli("status", "--json").output) == json.loads(cli("status", "--format", "json").output)


def test_summary_send_emails_the_recipients_now(cli, smtp_env):
    cli("sync", "--now", "2009-11-24T08:00")
    cli("set-status", "SG4", "in_progress", "--now", "2010-03-01T10:00")
    result = cli("summary", "--send", "--now", "2010-03-15T10:00")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()  # one message per recipient, each reported
    assert lines[0].startswith("summary ofsted-2009 to executive-director@example.org: sent (<")
    assert lines[1].startswith("summary ofsted-2009 to pqa-manager@example.org: sent (<")
    (rcpts, msg), (rcpts2, _) = smtp_env.parsed()
    assert [rcpts, rcpts2] == [["executive-director@example.org"], ["pqa-manager@example.org"]]
    text = msg.get_body(("plain",)).get_content()
    assert re.search(r"^  - SG4 \(in progress, ", text, re.M), "every action's status, as in the HTML part"
    html = msg.get_body(("html",)).get_content()
    assert "background:#f8d7da;\">overdue</span>" in html and "in progress" in html
    assert re.search(r"white-space:nowrap;\">(Wed )?24 Feb 2010</span><br>", html), "the due date never wraps"


def test_summary_send_without_recipients_is_exit_2(cli, config_dir):
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    plan.write_text(plan.read_text().replace("summary_recipients: [pqa-manager, executive-director]\n", ""))
    result = cli("summary", "--send")
    assert result.exit_code == 2
    assert "--send: no summary_recipients in plan(s) ofsted-2009; add `summary_recipients:" in result.output
