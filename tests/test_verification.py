"""Verification (PRODUCT.md §2, §3): an owner's completion waits for the administrator, who is asked
with the runs (verify:N), verifies it or returns it with a reason the owner is told."""

from __future__ import annotations

import email
import json
from email import policy

import pytest

from tests.conftest import both_databases, snapshot
from tests.test_end_to_end import outbox_entries

ADMIN = "pqa-manager@example.org"
OWNER = "contact-centre-manager@example.org"  # owns SG1, due Wednesday 24 February 2010
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def synced(cli, tmp_path):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    assert cli("run", "--once", "--now", "2009-11-24T09:00").exit_code == 0  # the `assigned` notices
    (tmp_path / "audit.pdf").write_bytes(PDF)
    return cli


def complete(cli, tmp_path, ref="SG1", by="contact-centre-manager", now="2010-01-05T10:00"):
    return cli("set-status", ref, "awaiting_verification", "--by", by, "--note", "all referrals allocated",
               "--evidence", str(tmp_path / "audit.pdf"), "--now", now)  # fmt: skip


def status_of(cli, ref: str, now: str) -> dict:
    return next(r for r in json.loads(cli("status", "--json", "--now", now).output) if r["ref"] == ref)


def sent(tmp_path, since: str, ref: str | None = None) -> list[tuple[str, str, str]]:
    """Return (date, ref=stage, to) of every notice in the outbox on or after `since` (about `ref`)."""
    return sorted((e["date"], f"{e['ref']}={e['stage']}", e["to"]) for e in outbox_entries(tmp_path / "outbox")
                  if e["date"] >= since and ref in (None, e["ref"]))  # fmt: skip


def last_message(tmp_path, to: str):
    for path in sorted((tmp_path / "outbox").glob("*.eml"), reverse=True):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if to in msg["To"]:
            return msg
    raise AssertionError(f"no message to {to}")


@both_databases
def test_a_completion_waits_for_the_administrator_who_is_asked_at_the_next_run_then_every_5_working_days(
    synced, tmp_path
):
    cli = synced
    result = complete(cli, tmp_path)
    assert result.exit_code == 0, result.output
    assert status_of(cli, "SG1", "2010-01-05T10:00")["rag"] == "awaiting verification"
    assert cli("run", "--once", "--now", "2010-01-05T11:00").exit_code == 0  # not at the moment of completion
    assert sent(tmp_path, "2010-01-05") == []
    for day in ("2010-01-06", "2010-01-07", "2010-01-13", "2010-01-14", "2010-01-20"):
        assert cli("run", "--once", "--now", f"{day}T09:00").exit_code == 0
    assert sent(tmp_path, "2010-01-05") == [("2010-01-06", "SG1=verify:1", ADMIN), ("2010-01-13", "SG1=verify:2", ADMIN),
                                            ("2010-01-20", "SG1=verify:3", ADMIN)]  # fmt: skip
    text = " ".join(last_message(tmp_path, ADMIN).get_body(("plain",)).get_content().split())
    assert "all referrals allocated" in text and "audit.pdf (application/pdf, 45 bytes)" in text
    assert "Waiting: 15 days" in text


def test_while_it_waits_neither_the_owner_nor_the_escalation_track_sends(synced, tmp_path):
    cli = synced
    assert complete(cli, tmp_path, now="2010-02-20T10:00").exit_code == 0  # a Saturday, before the due date
    for day in ("2010-02-22", "2010-02-23", "2010-02-24", "2010-02-25", "2010-03-01", "2010-03-03"):
        assert cli("run", "--once", "--now", f"{day}T09:00").exit_code == 0
    mine = [s for s in sent(tmp_path, "2010-02-20") if s[1].startswith("SG1=")]
    assert mine == [("2010-02-22", "SG1=verify:1", ADMIN), ("2010-03-01", "SG1=verify:2", ADMIN)]


def test_verify_completes_the_action_and_the_owner_is_told_at_the_next_run(synced, tmp_path):
    cli = synced
    complete(cli, tmp_path)
    result = cli("verify", "SG1", "--now", "2010-01-06T10:00")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ofsted-2009/SG1: verified, complete; contact-centre-manager is told at the next run"
    assert status_of(cli, "SG1", "2010-01-06T10:00")["status"] == "complete"
    cli("run", "--once", "--now", "2010-01-07T09:00")
    assert ("2010-01-07", "SG1=verified:1", OWNER) in sent(tmp_path, "2010-01-07")
    msg = last_message(tmp_path, OWNER)
    assert "verified complete" in msg["Subject"]
    body = " ".join(msg.get_body(("plain",)).get_content().split())
    assert "Performance and Quality Assurance Manager checked the evidence on 06 January 2010" in body
    cli("run", "--once", "--now", "2010-01-27T09:00")  # before:28 of a complete action: nothing
    later = sent(tmp_path, "2010-01-08")
    assert ("2010-01-27", "LAC1=before:28", "iro-service-manager@example.org") in later  # the run did send
    assert [s for s in later if s[1].startswith("SG1=")] == []


def test_return_sends_the_reason_and_the_owner_track_resumes_without_repeats_and_n_keeps_counting(synced, tmp_path):
    cli = synced
    complete(cli, tmp_path)
    cli("run", "--once", "--now", "2010-01-06T09:00")
    result = cli("verify", "SG1", "--return", "--reason", "the audit covers one team only", "--now", "2010-01-26T10:00")
    assert result.exit_code == 0, result.output
    cli("run", "--once", "--now", "2010-01-27T09:00")  # the reason, with the owner track resumed
    assert sent(tmp_path, "2010-01-27", "SG1") == [("2010-01-27", "SG1=before:28", OWNER),
                                                   ("2010-01-27", "SG1=returned:1", OWNER)]  # fmt: skip
    msg = last_message(tmp_path, OWNER)  # one email: the owner's digest of the run
    assert msg["X-Reminder-Notices"] == "ofsted-2009/SG1=before:28, ofsted-2009/SG1=returned:1"
    body = msg.get_body(("plain",)).get_content()
    assert "  Reason:  the audit covers one team only" in body
    complete(cli, tmp_path, now="2010-01-28T10:00")
    cli("run", "--once", "--now", "2010-01-29T09:00")
    assert sent(tmp_path, "2010-01-29", "SG1") == [("2010-01-29", "SG1=verify:2", ADMIN)]
    history = " ".join(cli("history", "SG1").output.split())  # lines wrap to the terminal
    assert "awaiting_verification -> in_progress by pqa-manager (returned: the audit covers one team only)" in history
    assert "returned:1 to contact-centre-manager@example.org: sent" in history


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--return"], "Error: a reason is required to return a completion: say what is missing, so the owner can "
         "put it right (--reason TEXT)"),
        (["--return", "--reason", "   "],
         "Error: a reason is required to return a completion: say what is missing, so the owner can put it right "
         "(--reason TEXT)"),
        (["--reason", "x"], "Error: --reason goes with --return; to verify, leave --reason out"),
        (["--by", "head-of-safeguarding"],
         "Error: 'head-of-safeguarding' is not the plan's administrator (pqa-manager, Performance and Quality "
         "Assurance Manager); only they verify completions (an admin can use `reminders set-status REF complete`)"),
    ],
)  # fmt: skip
def test_bad_verify_input_exits_2_with_the_fix_and_changes_nothing(synced, tmp_path, env, args, message):
    cli = synced
    complete(cli, tmp_path)
    before = snapshot(env["DATABASE_URL"])
    result = cli("verify", "SG1", *args, "--now", "2010-01-06T10:00")
    assert result.exit_code == 2
    assert result.output.strip() == message
    assert snapshot(env["DATABASE_URL"]) == before


def test_verify_twice_and_verify_an_action_nobody_completed_are_refused(synced, tmp_path):
    cli = synced
    complete(cli, tmp_path)
    assert cli("verify", "SG1", "--now", "2010-01-06T10:00").exit_code == 0
    again = cli("verify", "SG1", "--now", "2010-01-06T11:00")
    assert again.exit_code == 2
    assert again.output.strip() == ("Error: ofsted-2009/SG1 is already complete by pqa-manager on 2010-01-06; "
                                    "nothing to verify")  # fmt: skip
    open_one = cli("verify", "SG2", "--return", "--reason", "x", "--now", "2010-01-06T11:00")
    assert open_one.exit_code == 2
    assert "ofsted-2009/SG2 is open, not awaiting verification" in open_one.output


def test_a_completion_needs_a_note_and_a_second_one_while_waiting_is_refused(synced, tmp_path):
    cli = synced
    no_note = cli("set-status", "SG1", "awaiting_verification", "--by", "x", "--now", "2010-01-05T10:00")
    assert no_note.exit_code == 2
    assert no_note.output.strip() == "Error: the note is required to complete ofsted-2009/SG1; say what was done"
    assert complete(cli, tmp_path).exit_code == 0
    twice = complete(cli, tmp_path)
    assert twice.exit_code == 2
    assert "already awaiting verification" in twice.output
    extend = cli("extend", "SG1", "--to", "2010-06-01", "--reason", "r", "--approved-by", "executive-director")
    assert extend.exit_code == 2 and "awaiting verification; only open or in-progress" in extend.output


def test_with_verification_none_a_completion_counts_at_once(cli, config_dir, tmp_path):
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    plan.write_text(plan.read_text().replace("administrator: pqa-manager", "administrator: pqa-manager\nverification: none"))
    cli("sync", "--now", "2009-11-24T08:00")
    refused = cli("set-status", "SG1", "awaiting_verification", "--by", "x", "--note", "done")
    assert refused.exit_code == 2
    assert "has `verification: none`: use `set-status REF complete`" in refused.output
    assert cli("set-status", "SG1", "complete", "--note", "done", "--now", "2010-01-05T10:00").exit_code == 0
    assert status_of(cli, "SG1", "2010-01-05")["status"] == "complete"


def test_config_checks_verification_and_its_repeat_days(cli, config_dir):
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    text = plan.read_text().replace("administrator: pqa-manager", "verification: sometimes")
    plan.write_text(text + "policy:\n  verification_repeat_days: 0\n")
    result = cli("validate")
    assert result.exit_code == 2
    assert "verification: unknown value 'sometimes'; use administrator" in result.output
    assert "policy.verification_repeat_days: expected a whole number of days from 1 to 366, got 0" in result.output


def verify_days(first: str, until: str) -> list[str]:
    """Every 5th working day from `first` (no bank holidays fall in January to March 2010)."""
    import datetime as dt

    day, out = dt.date.fromisoformat(first), []
    while day.isoformat() <= until:
        out.append(day.isoformat())
        for _ in range(5):
            day += dt.timedelta(days=1)
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
    return out


def test_forecast_and_simulate_show_the_verification_requests_and_agree(synced, tmp_path):
    cli = synced
    complete(cli, tmp_path)  # SG1, Tuesday 5 January 2010 10:00
    complete(cli, tmp_path, ref="SG2", by="area-services-manager", now="2010-01-04T10:00")
    cli("verify", "SG2", "--return", "--reason", "missing the audit", "--now", "2010-01-05T11:00")
    result = cli("forecast", "--from", "2010-01-05", "--to", "2010-03-31", "--json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    sg1 = [(e["date"], e["stage"], e["to"]) for e in got if e["ref"] == "SG1"]
    # Reference timeline: while SG1 waits, only verify:N to the administrator, every 5 working days;
    # its before:28 .. escalation:2 (27 January .. 17 March) never go.
    assert sg1 == [(d, f"verify:{i}", ADMIN) for i, d in enumerate(verify_days("2010-01-06", "2010-03-31"), 1)]
    assert len(sg1) == 13
    sg2 = [(e["date"], e["stage"]) for e in got if e["ref"] == "SG2"]
    assert sg2[0] == ("2010-01-06", "returned:1")  # queued by the return, sent by the next run
    assert ("2010-01-27", "before:28") in sg2 and not any(s.startswith("verify") for _, s in sg2)
    outbox = tmp_path / "sim"
    sim = cli("simulate", "--from", "2010-01-05", "--to", "2010-03-31", "--outbox", str(outbox))
    assert sim.exit_code == 0, sim.output
    simulated = sorted((e["date"], e["ref"], e["stage"], e["to"]) for e in outbox_entries(outbox))
    assert simulated == sorted((e["date"], e["ref"], e["stage"], e["to"]) for e in got)


def test_summary_history_and_metrics_show_what_waits_and_for_how_long(synced, tmp_path, env):
    cli = synced
    complete(cli, tmp_path)
    summary = cli("summary", "--plan", "ofsted-2009", "--now", "2010-01-13T08:00")
    assert summary.exit_code == 0, summary.output
    assert ", 1 awaiting verification" in summary.output
    assert ("Awaiting verification by the administrator\n  - SG1: Ensure that new referrals are allocated when a "
            "decision… (Contact Centre Manager), completed 5 Jan 2010, waiting 8 days") in summary.output  # fmt: skip
    html = cli("summary", "--plan", "ofsted-2009", "--format", "html", "--now", "2010-01-13T08:00").output
    assert "completed 5 Jan 2010, waiting 8 days</li>" in html
    history = " ".join(cli("history", "SG1").output.split())  # lines wrap to the terminal
    assert "open -> awaiting_verification by contact-centre-manager (all referrals allocated)" in history
    assert ("evidence file audit.pdf (application/pdf, 45 bytes, SHA-256 "
            "5a838678058f6de375e8635b5f2fea47a4e5f07cb1a882a44b10f39abc6f34ff) by contact-centre-manager") in history
    import datetime as dt
    from types import SimpleNamespace

    from scheduler.app import App
    from scheduler.web.metrics import Metrics

    app = App.from_env(env["REMINDERS_CONFIG_DIR"])
    web = SimpleNamespace(now=lambda: dt.datetime(2010, 1, 13, 8, tzinfo=dt.UTC), session=app.session, config=app.config)
    text = Metrics(web).render().decode()
    assert 'reminders_actions{plan="ofsted-2009",rag="awaiting verification"} 1.0' in text


def test_the_request_goes_in_the_administrators_one_email_of_the_run(synced, tmp_path):
    cli = synced
    complete(cli, tmp_path, now="2010-01-26T10:00")
    cli("run", "--once", "--now", "2010-01-27T09:00")  # pqa-manager owns SG3 and SG4 (before:28 today)
    msg = last_message(tmp_path, ADMIN)
    assert msg["X-Reminder-Notices"] == "ofsted-2009/SG1=verify:1, ofsted-2009/SG3=before:28"
    assert msg["Subject"].startswith("[ofsted-2009] 2 actions for you: 1 to verify, 1 due in 28 days")
    to = [email.message_from_bytes(m.read_bytes(), policy=policy.default)["To"]
          for m in (tmp_path / "outbox").glob("20100127*.eml")]  # fmt: skip
    assert len([t for t in to if ADMIN in t]) == 1


def test_verify_and_evidence_pack_have_help_with_an_example(cli):
    for command in ("verify", "evidence-pack", "set-status"):
        result = cli(command, "--help")
        assert result.exit_code == 0 and "Example" in result.output, command
    assert "reminders verify SG2 --return --reason" in cli("verify", "--help").output
