"""The management summary for the shipped plan as of 2010-03-15 (some overdue, some due soon)."""

from __future__ import annotations

import csv
import io

import pytest
from freezegun import freeze_time


@pytest.fixture
def worked_plan(cli):
    """The shipped plan worked as of mid-March 2010: notices sent, one completion, one extension."""
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0

    def run(day):
        with freeze_time(f"{day}T09:00:00Z"):
            assert cli("run", "--once", "--now", f"{day}T09:00").exit_code == 0

    for day in ("2010-03-08", "2010-03-09", "2010-03-10"):
        run(day)
    assert (
        cli(
            "set-status", "SG1", "complete", "--note", "audit: all allocated", "--now", "2010-03-10T11:00"
        ).exit_code
        == 0
    )
    run("2010-03-11")
    assert cli("extend", "SG2", "--to", "2010-03-26", "--reason", "exemplars launched late",
               "--approved-by", "head-of-safeguarding", "--now", "2010-03-11T10:00").exit_code == 0  # fmt: skip
    run("2010-03-12")
    return cli


def test_summary_text(worked_plan):
    out = worked_plan("summary", "--now", "2010-03-15T08:00", "--since", "2010-03-08").output
    assert (
        "Ofsted inspection of safeguarding and looked after children 2009 (ofsted-2009) as of Monday 15 March 2010"
        in out
    )
    assert "Actions: 3 overdue, 1 due soon, 7 on track, 1 complete" in out
    assert "  - LAC1: Ensure that the initial case planning" in out
    assert "(Independent Reviewing Officer Service Manager), due 24 Feb 2010, 19d overdue" in out
    assert "SG2: Improve the timeliness and quality of initial assessments" in out and "due 26 Mar 2010" in out
    assert "  - SG1: Ensure that new referrals are allocated" in out
    assert (
        "SG2: due 24 Feb 2010 -> 26 Mar 2010 (original 24 Feb 2010); exemplars launched late; approved by Head of Safeguarding"
        in out
    )
    # 8 Mar (first run): escalation:1 for the five 3-month actions, `assigned` for the seven 6-month
    # ones; 11 Mar: overdue:3 for four (SG1 is complete); 12 Mar: SG2's before:14 for its new date.
    line = [x for x in out.splitlines() if x.startswith("Notices sent")][0]
    assert (
        line
        == "Notices sent since Mon 8 Mar 2010 00:00 GMT: 22 (7 new-action notices, 1 reminder, 4 overdue notices, "
        "10 escalations)"
    )


def test_summary_markdown_is_clean(worked_plan):
    out = worked_plan(
        "summary", "--now", "2010-03-15T08:00", "--since", "2010-03-08", "--format", "md"
    ).output
    lines = out.splitlines()
    assert lines[0] == "# Improvement plan summary"
    assert "| Ref | Action | Owner | Due | Overdue |" in lines
    header = lines.index("| Ref | Action | Owner | Due | Overdue |")
    assert lines[header - 1] == "" and lines[header + 1] == "| --- | --- | --- | --- | --- |"
    rows = [x for x in lines[header + 2 :] if x.startswith("|")]
    assert [r.split(" | ")[0] for r in rows] == ["| LAC1", "| LAC2", "| SG3"]
    assert all(r.endswith("| 19 days |") for r in rows)
    for heading in ("### Overdue", "### Due in the next 14 days"):
        i = lines.index(heading)
        assert lines[i - 1] == "" and lines[i + 1] == ""


def test_summary_html_and_csv(worked_plan):
    html = worked_plan("summary", "--now", "2010-03-15T08:00", "--format", "html").output
    assert html.startswith("<!DOCTYPE html>")
    assert "<strong>LAC1</strong>" in html and 'color:#b00020;">19 days</td>' in html and "UTC" not in html
    rows = list(
        csv.DictReader(
            io.StringIO(worked_plan("summary", "--now", "2010-03-15T08:00", "--format", "csv").output)
        )
    )
    assert len(rows) == 12
    by_ref = {r["ref"]: r for r in rows}
    assert by_ref["SG1"]["rag"] == "complete"
    assert by_ref["SG2"]["rag"] == "due soon" and by_ref["SG2"]["due"] == "2010-03-26"
    assert by_ref["SG2"]["original_due"] == "2010-02-24"
    assert by_ref["LAC1"]["rag"] == "overdue" and by_ref["LAC1"]["days_left"] == "-19"


def test_summary_bad_plan(worked_plan):
    r = worked_plan("summary", "--plan", "nope")
    assert r.exit_code == 2 and "--plan 'nope': no such plan; known: ofsted-2009" in r.output


def test_weekly_summary_email_goes_to_the_recipients(worked_plan, smtp_env, db_url, config_dir):
    """The service's weekly job: one email per recipient of each plan's summary_recipients, each
    recorded in the plan-level ledger, and the next summary counts from then."""
    import datetime as dt

    from scheduler.config.load import load_config
    from scheduler.engine.summary import build_summaries
    from scheduler.mail.render import Renderer
    from scheduler.mail.summary_mail import send_summaries
    from scheduler.mail.transport import SmtpTransport
    from scheduler.store import db

    engine = db.make_engine(db_url)
    config = load_config(config_dir)
    at = dt.datetime(2010, 3, 15, 8, 0, tzinfo=dt.UTC)
    transport = SmtpTransport("127.0.0.1", smtp_env.controller.port, "none", timeout=5)
    with freeze_time(at):
        results = send_summaries(engine, config, Renderer(), transport, at, ["ofsted-2009"])
    assert [(r.plan, r.stage, r.recipient, r.outcome) for r in results] == [
        ("ofsted-2009", "summary:2010-03-15", "executive-director@example.org", "sent"),
        ("ofsted-2009", "summary:2010-03-15", "pqa-manager@example.org", "sent")]  # fmt: skip
    ((rcpts, msg), (rcpts2, msg2)) = smtp_env.parsed()
    assert [rcpts, rcpts2] == [["executive-director@example.org"], ["pqa-manager@example.org"]]
    assert msg["To"] == "\"Executive Director, Children's Services\" <executive-director@example.org>"
    assert msg2["Subject"] == msg["Subject"]
    assert msg["Subject"] == ("Improvement plan summary: Ofsted inspection of safeguarding and looked after "
                              "children 2009 (15 Mar 2010)")  # fmt: skip
    assert msg["Auto-Submitted"] == "auto-generated"
    assert "Actions: 3 overdue, 1 due soon, 7 on track, 1 complete" in msg.get_body(("plain",)).get_content()
    assert "<strong>LAC1</strong>" in msg.get_body(("html",)).get_content()
    with db.session(engine) as s:
        (later,) = build_summaries(s, config, at + dt.timedelta(days=7))
    assert later.since == at  # changes are counted from the last summary sent
    assert later.completed == [] and later.extensions == []
    engine.dispose()


def test_a_summary_refused_for_one_recipient_is_reported_and_retried_not_lost(worked_plan, smtp_env, db_url,
                                                                             config_dir):  # fmt: skip
    """The summary is one message per recipient: the first refused 451 while the second is accepted is
    reported as such (exit 1), waits in the ledger, and is sent to that recipient alone by the retry;
    the one already sent is never sent again."""
    import datetime as dt

    import sqlalchemy as sa

    from scheduler.config.load import load_config
    from scheduler.mail.render import Renderer
    from scheduler.mail.summary_mail import retry_summaries
    from scheduler.mail.transport import SmtpTransport
    from scheduler.store import db

    smtp_env.refuse["executive-director@example.org"] = [451]
    first = worked_plan("summary", "--send", "--now", "2010-03-15T08:00")
    assert first.exit_code == 1, first.output
    assert "summary ofsted-2009 to pqa-manager@example.org: sent (<" in first.output
    assert "summary ofsted-2009 to executive-director@example.org: retry: all recipients refused" in first.output
    assert [r for r, _ in smtp_env.parsed()] == [["pqa-manager@example.org"]]
    engine = db.make_engine(db_url)
    states = "SELECT recipient, state, attempts FROM plan_notice ORDER BY recipient"
    with engine.connect() as conn:
        assert conn.execute(sa.text(states)).all() == [("executive-director@example.org", "retry", 1),
                                                        ("pqa-manager@example.org", "sent", 1)]  # fmt: skip
    transport = SmtpTransport("127.0.0.1", smtp_env.controller.port, "none", timeout=5)
    early = dt.datetime(2010, 3, 15, 8, 5, tzinfo=dt.UTC)
    assert retry_summaries(engine, load_config(config_dir), Renderer(), transport, early) == []  # backoff
    later = dt.datetime(2010, 3, 15, 9, 0, tzinfo=dt.UTC)
    (again,) = retry_summaries(engine, load_config(config_dir), Renderer(), transport, later)
    assert (again.recipient, again.outcome) == ("executive-director@example.org", "sent")
    assert [r for r, _ in smtp_env.parsed()] == [["pqa-manager@example.org"], ["executive-director@example.org"]]
    twice = worked_plan("summary", "--send", "--now", "2010-03-15T10:00")  # the same day: nothing new
    assert twice.exit_code == 0 and twice.output.count(": already sent") == 2 and len(smtp_env.messages) == 2
    engine.dispose()
