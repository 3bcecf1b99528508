"""The shipped campaign's emails as owners and managers receive them: subjects that need no
opening, Reply-To the named administrator, List-Id, the next escalation, lines that fit."""

from __future__ import annotations

import email
import json
import re
from collections import Counter
from email import policy

import pytest

ADMIN = "Performance and Quality Assurance Manager <pqa-manager@example.org>"


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """Every message of the simulated shipped campaign (24 Nov 2009 - 31 Jul 2010), parsed."""
    import os

    from click.testing import CliRunner

    from scheduler.cli import main
    from tests.conftest import SHIPPED_CONFIG

    tmp = tmp_path_factory.mktemp("campaign")
    env = {"DATABASE_URL": f"sqlite:///{tmp / 'r.db'}", "REMINDERS_CONFIG_DIR": str(SHIPPED_CONFIG),
           "EMAIL_BACKEND": "file", "OUTBOX_DIR": str(tmp / "outbox")}  # fmt: skip
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        runner = CliRunner()
        assert runner.invoke(main, ["sync", "--now", "2009-11-24T08:00"]).exit_code == 0
        result = runner.invoke(main, ["simulate", "--from", "2009-11-24", "--to", "2010-07-31", "--outbox",
                                      str(tmp / "sim")])  # fmt: skip
        assert result.exit_code == 0, result.output
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    files = sorted((tmp / "sim").glob("*.eml"))
    return [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def notices(msg) -> list[str]:
    return [n.strip() for n in msg["X-Reminder-Notices"].split(",")]


def test_campaign_sends_under_half_the_old_271_emails_one_per_person_per_run(campaign):
    assert len(campaign) == 128
    per_run = Counter((m["Date"], m["To"]) for m in campaign)
    assert max(per_run.values()) == 1
    # The executive director hears of each 3-month action's final escalation once, in one email.
    director = [m for m in campaign if "executive-director@example.org" in m["To"]]
    assert [m["Subject"] for m in director if m["Date"].startswith("Wed, 17 Mar 2010")] == [
        "[ofsted-2009] 5 overdue actions escalated to you"
    ]


def test_every_subject_names_the_plan_ref_and_title(campaign):
    single = [m for m in campaign if len(notices(m)) == 1]
    assert single
    for m in single:
        ref = notices(m)[0].split("=")[0].split("/")[1]
        assert m["Subject"].startswith("[ofsted-2009] ") and ref in m["Subject"], m["Subject"]
        assert len(m["Subject"]) <= 140, m["Subject"]
    sg1 = next(m for m in single if notices(m) == ["ofsted-2009/SG1=before:28"])
    assert sg1["Subject"] == (
        "[ofsted-2009] SG1 due in 28 days: Ensure that new referrals are allocated when a decision…"
    )
    digests = [m["Subject"] for m in campaign if len(notices(m)) > 1]
    assert "[ofsted-2009] 2 new actions for you" in digests
    assert "[ofsted-2009] 3 actions for you: 2 escalated to you, 1 of yours escalated" in digests


DIRECTOR = '"Executive Director, Children\'s Services" <executive-director@example.org>'
OWN = ("ofsted-2009/SG3=", "ofsted-2009/SG4=")  # the administrator's own actions: the director verifies them


def test_reply_to_list_id_and_the_administrator_is_named(campaign):
    """Replies go to the administrator; about the administrator's own actions, to their verifier
    (never back to the owner); the verifier's own request to verify has no Reply-To."""
    own_seen = 0
    for m in campaign:
        assert m["List-Id"] == "Ofsted inspection of safeguarding and looked after children 2009 <ofsted-2009.example.org>"
        text = " ".join(m.get_body(("plain",)).get_content().split())
        assert "please do not reply" not in text
        own = [n.startswith(OWN) for n in notices(m)]
        if not any(own):
            assert m["Reply-To"] == ADMIN
            assert "Performance and Quality Assurance Manager, the plan administrator" in text
            continue
        own_seen += 1
        if "executive-director@example.org" in m["To"]:  # the verifier themself: replies never loop back
            assert "executive-director@example.org" not in (m["Reply-To"] or "")
            assert "Executive Director, Children's Services, who verifies" not in text
        elif all(own):
            assert m["Reply-To"] == DIRECTOR, m["Subject"]
            assert "it goes to Performance and Quality Assurance Manager" not in text
        else:
            got = {a.addr_spec for a in m["Reply-To"].addresses}
            assert got == {"executive-director@example.org", "pqa-manager@example.org"}, m["Subject"]
    assert own_seen


def test_plain_text_lines_fit_and_html_escapes(campaign):
    for m in campaign:
        text = m.get_body(("plain",)).get_content()
        assert max(len(line) for line in text.splitlines()) <= 78, m["Subject"]


def test_overdue_notice_says_when_and_to_whom_it_is_escalated_next(campaign):
    first = next(m for m in campaign if notices(m) == ["ofsted-2009/SG1=overdue:1"])
    text = " ".join(first.get_body(("plain",)).get_content().split())
    assert "If it is still open on Wednesday 3 March 2010, it will be escalated to Head of Safeguarding." in text
    html = first.get_body(("html",)).get_content()
    assert "Head of Safeguarding" in html and "Wednesday 3 March 2010" in html


def test_no_owner_overdue_notice_after_the_final_escalation(campaign):
    last_escalation = {}
    for m in campaign:
        for n in notices(m):
            if n.endswith("=escalation:2"):
                last_escalation[n.split("=")[0]] = email.utils.parsedate_to_datetime(m["Date"])
    for m in campaign:
        for n in notices(m):
            if "=overdue:" in n:
                assert email.utils.parsedate_to_datetime(m["Date"]) < last_escalation[n.split("=")[0]], n


def test_a_digest_starts_with_a_list_of_what_is_inside_and_does_not_repeat_its_advice(campaign):
    mixed = next(m for m in campaign if m["Subject"].endswith("2 escalated to you, 1 of yours escalated"))
    text = mixed.get_body(("plain",)).get_content()
    head = text.split("[1 of 3]")[0]
    assert "This email is about 3 actions in Ofsted inspection" in " ".join(head.split())
    items = [line for line in head.splitlines() if line.startswith("  - ")]
    assert [i.split(":")[0].strip(" -") for i in items] == ["SG4", "SG5", "SG6"]
    assert "escalated to you" in items[0] and "escalated to Executive Director" in items[1]
    flat = " ".join(text.split())
    # SG4 and SG6 have different owners: each gets its own advice, never "as for SG4 above".
    assert flat.count("please follow this up with") == 2 and "as for SG4 above" not in flat
    assert "evidence sent to Executive Director, Children's Services, who verifies it" in flat
    html = mixed.get_body(("html",)).get_content()
    assert html.count("please follow this up with") == 2 and "as for SG4 above" not in html
    # "as for X above" only where the advice would be word for word the same: in this campaign the
    # owners' new-action digests are for actions due on different dates, so every section has its own
    # (tests/test_email_verifier_words.py has the cases where it is the same).
    for m in campaign:
        text = " ".join(m.get_body(("plain",)).get_content().split())
        if "as for" in text and "new action" in m["Subject"]:
            raise AssertionError(m["Subject"])


def test_escalation_wording_never_contradicts_itself(campaign):
    """SG5's owner's manager is also the escalation contact: the first escalation's copy must not
    say it was escalated to the Executive Director today and 'will be escalated' to them later."""
    for m in campaign:
        text, html = m.get_body(("plain",)).get_content(), m.get_body(("html",)).get_content()
        sections = re.split(r"\[\d+ of \d+\]", text) + html.split("<h2")  # one action each
        for section in sections:
            flat = " ".join(section.split()).replace("&#39;", "'")
            for name in ("Executive Director, Children's Services", "Head of Safeguarding"):
                now = f"escalated to {name} today"
                later = f"it will be escalated to {name}."
                assert not (now in flat and later in flat), m["Subject"]
    sg5 = next(m for m in campaign if notices(m) == ["ofsted-2009/SG5=escalation:1"] or
               "ofsted-2009/SG5=escalation:1" in notices(m) and "head-of-safeguarding" in m["To"])  # fmt: skip
    flat = " ".join(sg5.get_body(("plain",)).get_content().split())
    assert "it will be escalated to Executive Director, Children's Services again, at the next level." in flat


def test_every_email_names_its_recipient_and_is_dated_in_the_plans_zone(campaign):
    for m in campaign:
        assert m["To"].addresses[0].display_name, m["To"]
        assert m["Date"].endswith(("+0000", "+0100")), m["Date"]  # GMT or BST, as the plan's zone
    assert any(m["Date"].endswith("+0100") for m in campaign)
    text = " ".join(m.get_body(("plain",)).get_content() for m in campaign)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), "dates in emails are for people, not ISO"


def test_preview_renders_as_of_the_stage_send_day_and_lists_every_stage(cli):
    cli("sync", "--now", "2009-11-24T08:00")
    result = cli("preview", "SG1", "--stage", "overdue:2", "--now", "2009-12-01")
    assert result.exit_code == 0, result.output
    assert "(would be sent Thu 4 Mar 2010 09:00 GMT)" in result.output
    assert "is 8 days overdue" in " ".join(result.output.split())  # as the owner will read it then
    bad = cli("preview", "SG1", "--stage", "overdue:9")
    assert bad.exit_code == 2
    assert "use one of: assigned, before:28, before:14, before:7, before:1, due, overdue:1, overdue:2, " \
           "overdue:3, escalation:1, escalation:2" in bad.output  # fmt: skip


def test_forecast_json_keeps_cc_as_an_empty_list(cli):
    cli("sync", "--now", "2009-11-24T08:00")
    entries = json.loads(cli("forecast", "--from", "2010-03-03", "--to", "2010-03-03", "--json").output)
    escalations = [e for e in entries if e["stage"] == "escalation:1"]
    assert {e["ref"] for e in escalations} == {"SG1", "SG2", "SG3", "LAC1", "LAC2"}
    assert len(escalations) == 10, "to each manager, and each owner's own copy"
    assert all(e["cc"] == [] for e in entries)


@pytest.mark.parametrize("name", ["Plain Name", "Smith, Jo (Head of LAC)", "Zoë O'Brien-Ł", 'Quote "Q" Name'])
def test_headers_kept_as_given_still_make_a_correct_message(name):
    """Our own one-line ASCII headers are stored and read back as strings (no parsing per read);
    names that need quoting or RFC 2047 still arrive intact, and the envelope comes from them."""
    import datetime as dt
    import email
    import email.policy

    from scheduler.engine.views import Recipient
    from scheduler.mail.headers import alternative
    from scheduler.mail.render import Renderer, address
    from scheduler.mail.smtp_client import flatten

    msg = Renderer().new_message("test", "Über [p] A1: a title", address(Recipient(name, "o1@example.org")),
                                 dt.datetime(2010, 3, 1, 9, 0, tzinfo=dt.UTC))  # fmt: skip
    msg["Cc"] = ", ".join([address(Recipient("Manager, Área", "m@example.org"))])
    alternative(msg, "Dear " + name + ",\nline two", "<p>Dear " + name + "</p>")
    flat = flatten(msg)
    assert flat.sender == "reminders@example.org" and flat.recipients == ["o1@example.org", "m@example.org"]
    back = email.message_from_bytes(flat.data.replace(b"\r\n", b"\n"), policy=email.policy.default)
    assert back["To"].addresses[0].display_name == name and back["To"].addresses[0].addr_spec == "o1@example.org"
    assert back["Cc"].addresses[0].display_name == "Manager, Área"
    assert back["Subject"] == "Über [p] A1: a title"
    assert back.get_body(("plain",)).get_content() == f"Dear {name},\nline two\n"
    assert back.get_body(("html",)).get_content() == f"<p>Dear {name}</p>\n"
    assert isinstance(msg["Message-ID"], str) and msg["Message-ID"] == back["Message-ID"]
    assert all(len(line) <= 998 for line in flat.data.split(b"\r\n"))
