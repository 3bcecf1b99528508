"""Plan-level notices (the weekly summary, the progress report) in the admin's view and in cron use
(issue 21): `notices` lists them with their state and error, and `run --once` sends the ones whose
retry has come, once, without sending a summary that is not due."""

from __future__ import annotations

import json

A, B = "executive-director@example.org", "pqa-manager@example.org"
STAGE = "summary:2010-03-15"


def summaries_to(sink, address: str) -> int:
    """Return how many summary emails the SMTP server received for `address`."""
    return sum(1 for rcpts, msg in sink.parsed()
               if address in rcpts and msg["Subject"].startswith("Improvement plan summary"))  # fmt: skip


def plan_rows(cli, *args) -> dict:
    """Return {recipient: row} of the plan-level rows `notices --format json` lists."""
    rows = json.loads(cli("notices", "--format", "json", *args).output)
    return {r["recipient"]: r for r in rows if r["kind"] == "plan"}


def test_a_refused_summary_is_listed_then_sent_once_by_run_once(cli, smtp_env, monkeypatch):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    smtp_env.refuse[A] = [451]  # refused once, then accepted
    sent = cli("summary", "--send", "--now", "2010-03-15T08:00")
    assert sent.exit_code == 1 and f"summary ofsted-2009 to {A}: retry: " in sent.output, sent.output
    assert (summaries_to(smtp_env, A), summaries_to(smtp_env, B)) == (0, 1)

    rows = plan_rows(cli)
    assert {r: (rows[r]["stage"], rows[r]["state"], rows[r]["attempts"]) for r in rows} == {
        A: (STAGE, "retry", 1), B: (STAGE, "sent", 1)}  # fmt: skip
    assert "451" in rows[A]["error"] and rows[B]["error"] is None
    assert rows[B]["sent_at"] == "2010-03-15T08:00:00+00:00" and rows[A]["next_attempt_at"] > "2010-03-15T08:00"
    assert set(plan_rows(cli, "--plan", "ofsted-2009")) == {A, B}
    assert set(plan_rows(cli, "--state", "retry")) == {A} and set(plan_rows(cli, "--owner", "pqa-manager")) == {B}
    assert plan_rows(cli, "--since", "2010-03-16") == {}

    monkeypatch.setenv("COLUMNS", "80")
    table = cli("notices").output
    assert max(len(line) for line in table.splitlines()) <= 80, table
    # ID (what `resend --kind plan` takes), STAGE, ... ; at 80 columns the names are shortened
    rows = [line for line in table.splitlines() if line.split()[1:2] == [STAGE] and line.endswith("08:00 GMT")]
    assert len(rows) == 2 and any("Executive" in r and " retry " in r for r in rows), table
    assert any("Performance" in r and " sent " in r for r in rows), table
    words = " ".join(table.split())  # the error line is wrapped to the terminal
    assert f"{STAGE} to {A}: retry; next try Mon 15 Mar 2010 08:15 GMT; last error: " in words, table
    assert "(executive-director@example.org: 451)" in words, table

    again = cli("run", "--once", "--now", "2010-03-15T09:30")  # past the retry's backoff
    assert again.exit_code == 0, again.output
    assert f"summary ofsted-2009 {STAGE} to {A}: sent" in again.output
    assert (summaries_to(smtp_env, A), summaries_to(smtp_env, B)) == (1, 1)
    rows = plan_rows(cli)
    assert (rows[A]["state"], rows[A]["attempts"], rows[B]["state"]) == ("sent", 2, "sent")

    before = len(smtp_env.messages)
    last = cli("run", "--once", "--now", "2010-03-15T09:45")
    assert last.exit_code == 0 and "summary ofsted-2009" not in last.output, last.output
    assert len(smtp_env.messages) == before


def test_run_once_sends_no_summary_that_is_not_due(cli, smtp_env):
    """A summary is sent by its weekly job or `summary --send`; `run --once` only retries rows
    already claimed."""
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    assert cli("run", "--once", "--now", "2010-03-15T09:30").exit_code == 0
    assert (summaries_to(smtp_env, A), summaries_to(smtp_env, B)) == (0, 0)
    assert plan_rows(cli) == {}
