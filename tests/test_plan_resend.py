"""`reminders resend ID --kind plan`: an admin who has checked that a weekly summary (or progress
report) in doubt or failed did not arrive puts it back in line; the next `run --once` sends it once.
A row that is not unknown or failed, or an id that is not there, is exit 2 and changes nothing."""

from __future__ import annotations

import email
import json
from email import policy

import pytest
import sqlalchemy as sa

from tests.conftest import snapshot

A, B = "executive-director@example.org", "pqa-manager@example.org"
STAGE = "summary:2010-03-15"


def received(sink, address: str, subject: str = "Improvement plan summary") -> int:
    """Return how many emails whose subject holds `subject` the SMTP server received for `address`."""
    return sum(1 for rcpts, msg in sink.parsed() if address in rcpts and subject in msg["Subject"])


def summaries_to(sink, address: str) -> int:
    """Return how many summary emails the SMTP server received for `address`."""
    return received(sink, address)


def plan_rows(cli) -> dict:
    """Return {recipient: row} of the plan-level rows `notices --format json` lists."""
    rows = json.loads(cli("notices", "--format", "json").output)
    return {r["recipient"]: r for r in rows if r["kind"] == "plan"}


def lose_next_message_to(sink, address: str, subject: str = "Improvement plan summary") -> None:
    """Make the server take the next message to `address` whose subject holds `subject` and drop the
    connection before answering, without keeping it: the sender cannot know, and it did not arrive."""
    accept, lost = sink.handle_DATA, []

    async def handle_DATA(server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        if address in envelope.rcpt_tos and subject in msg["Subject"] and not lost:
            lost.append(envelope.content)
            server.transport.close()
            return "250 accepted"
        return await accept(server, session, envelope)

    sink.handle_DATA = handle_DATA  # aiosmtpd reads the hooks per connection


@pytest.mark.parametrize("fault", ["unknown", "failed"])
def test_a_summary_not_delivered_is_sent_once_after_resend(cli, smtp_env, env, fault):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    if fault == "unknown":
        lose_next_message_to(smtp_env, A)
    else:
        smtp_env.refuse[A] = [550]
    assert cli("summary", "--send", "--now", "2010-03-15T08:00").exit_code == 1
    rows = plan_rows(cli)
    assert (rows[A]["state"], rows[B]["state"]) == (fault, "sent")
    assert (summaries_to(smtp_env, A), summaries_to(smtp_env, B)) == (0, 1)
    assert cli("run", "--once", "--now", "2010-03-15T09:30").exit_code == 0
    assert summaries_to(smtp_env, A) == 0, "never resent by itself"

    listed = cli("notices").output  # the id the admin needs, and how to use it
    line = next(x for x in listed.splitlines() if x.split()[:2] == [str(rows[A]["id"]), STAGE])
    assert "Executive" in line and f" {fault} " in line, listed
    assert "after checking one did not arrive: reminders resend ID --kind plan" in listed
    flagged = {"unknown": "! 1 summary or report email(s) in doubt (may have arrived): check, then "
                          "`reminders resend ID --kind plan`",
               "failed": "! 1 summary or report email(s) failed: see `reminders notices` and the summary"}
    assert flagged[fault] in cli("status").output, "status flags it, as it flags an action notice"

    asked = cli("resend", str(rows[A]["id"]), "--kind", "plan", "--by", "pqa", "--now", "2010-03-15T10:00")
    assert asked.exit_code == 0, asked.output
    assert asked.output == f"summary notice {rows[A]['id']} ({STAGE} to {A}) will be sent by the next run\n"
    waiting = plan_rows(cli)[A]
    assert (waiting["state"], waiting["next_attempt_at"]) == ("retry", "2010-03-15T10:00:00+00:00")
    assert waiting["error"].startswith(f"resend requested by pqa (was {rows[A]['error'] or fault}")
    with sa.create_engine(env["DATABASE_URL"]).connect() as conn:
        events = conn.execute(sa.text("SELECT at, plan_id, detail FROM service_event WHERE kind = 'resend'")).all()
    assert [(str(at)[:16], plan, detail) for at, plan, detail in events] == [
        ("2010-03-15 10:00", "ofsted-2009", f"summary notice {rows[A]['id']} ({STAGE} to {A}): {fault} -> retry, by pqa")]  # fmt: skip

    run = cli("run", "--once", "--now", "2010-03-15T10:05")
    assert run.exit_code == 0, run.output
    assert f"summary ofsted-2009 {STAGE} to {A}: sent" in run.output
    assert (summaries_to(smtp_env, A), summaries_to(smtp_env, B)) == (1, 1)
    done = plan_rows(cli)
    assert (done[A]["state"], done[A]["sent_at"], done[B]["state"]) == ("sent", "2010-03-15T10:05:00+00:00", "sent")
    assert cli("run", "--once", "--now", "2010-03-15T10:30").exit_code == 0
    assert (summaries_to(smtp_env, A), summaries_to(smtp_env, B)) == (1, 1), "sent once"
    assert "summary or report email" not in cli("status").output


def test_resend_of_a_sent_summary_is_refused_and_changes_nothing(cli, smtp_env, env):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    assert cli("summary", "--send", "--now", "2010-03-15T08:00").exit_code == 0
    sent = plan_rows(cli)[B]
    assert sent["state"] == "sent"
    before = snapshot(env["DATABASE_URL"])
    refused = cli("resend", str(sent["id"]), "--kind", "plan", "--now", "2010-03-15T10:00")
    assert refused.exit_code == 2
    assert refused.output == (f"Error: summary notice {sent['id']} ({STAGE} to {B}) is sent; "
                              "only an unknown or failed notice can be resent\n")  # fmt: skip
    assert snapshot(env["DATABASE_URL"]) == before
    assert summaries_to(smtp_env, B) == 1


def test_resend_of_no_such_plan_notice_is_refused_with_the_fix(cli, env):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    before = snapshot(env["DATABASE_URL"])
    refused = cli("resend", "99999", "--kind", "plan")
    assert refused.exit_code == 2
    assert refused.output == ("Error: no summary or progress report notice 99999; find its id with "
                              "`reminders notices --format csv` (the rows of kind plan)\n")  # fmt: skip
    assert snapshot(env["DATABASE_URL"]) == before


def test_a_progress_report_in_doubt_is_sent_once_after_resend(cli, smtp_env, config_dir):
    from tests.test_reviews_progress import uncomment_reviews

    uncomment_reviews(config_dir)
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    lose_next_message_to(smtp_env, A, "Progress report for")
    first = cli("run", "--once", "--now", "2010-01-12T09:05")
    assert first.exit_code == 1 and f"progress report ofsted-2009 report:2010-01-12 to {A}: unknown" in first.output
    row = plan_rows(cli)[A]
    assert (row["stage"], row["state"], received(smtp_env, A, "Progress report for")) == ("report:2010-01-12",
                                                                                        "unknown", 0)  # fmt: skip
    asked = cli("resend", str(row["id"]), "--kind", "plan", "--by", "pqa", "--now", "2010-01-12T11:00")
    assert asked.output == f"progress report notice {row['id']} (report:2010-01-12 to {A}) will be sent by the next run\n"
    again = cli("run", "--once", "--now", "2010-01-12T11:05")
    assert again.exit_code == 0 and f"progress report ofsted-2009 report:2010-01-12 to {A}: sent" in again.output
    assert (received(smtp_env, A, "Progress report for"), received(smtp_env, B, "Progress report for")) == (1, 1)
    assert plan_rows(cli)[A]["state"] == "sent"
    assert cli("run", "--once", "--now", "2010-01-13T09:05").exit_code == 0
    assert received(smtp_env, A, "Progress report for") == 1, "sent once"


def test_a_bare_id_that_a_summary_in_doubt_also_has_is_refused_until_the_kind_is_said(cli, smtp_env, env):
    """The two ledgers number their rows separately: `resend 1` must not re-queue action notice 1
    when the admin may have meant the summary in doubt that is also number 1."""
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    assert cli("run", "--once", "--now", "2009-11-24T09:30").exit_code == 0
    assert cli("summary", "--send", "--now", "2010-03-15T08:00").exit_code == 0
    with sa.create_engine(env["DATABASE_URL"]).begin() as conn:
        conn.execute(sa.text("UPDATE notice SET state = 'unknown' WHERE id = 1"))
        stage, to = conn.execute(sa.text("SELECT stage, recipient FROM notice WHERE id = 1")).one()
        conn.execute(sa.text("UPDATE plan_notice SET state = 'unknown' WHERE id = 1"))
        plan_to = conn.execute(sa.text("SELECT recipient FROM plan_notice WHERE id = 1")).scalar()
    before = snapshot(env["DATABASE_URL"])
    bare = cli("resend", "1", "--by", "pqa", "--now", "2010-03-15T10:00")
    assert bare.exit_code == 2
    assert bare.output == (f"Error: ID 1 could mean summary notice 1 ({STAGE} to {plan_to}) (unknown) or action "
                           f"notice 1 ({stage} to {to}, unknown): say which with --kind plan or --kind action\n")
    assert snapshot(env["DATABASE_URL"]) == before, "nothing changed"
    said = cli("resend", "1", "--kind", "action", "--by", "pqa", "--now", "2010-03-15T10:00")
    assert said.exit_code == 0 and said.output == f"notice 1 ({stage} to {to}) will be sent by the next run\n"
    assert plan_rows(cli)[plan_to]["state"] == "unknown", "the summary is left as it was"
