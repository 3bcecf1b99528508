"""Nobody verifies their own completion (PRODUCT.md §2): the verifier of an action is the plan's
administrator, except for an action the administrator owns (SG3 and SG4 in the shipped plan, owned
by pqa-manager): then the escalation contact, then the owner's manager, never the owner."""

from __future__ import annotations

import itertools
import re
from types import SimpleNamespace as NS

import pytest
import sqlalchemy as sa

from tests import web_helpers
from tests.conftest import snapshot
from tests.test_verification import complete, last_message, sent
from tests.web_helpers import form_of, status_of

web = web_helpers.web  # the fixture
ADMIN = "pqa-manager@example.org"  # the plan's administrator; owns SG3
DIRECTOR = "executive-director@example.org"  # the plan's escalation contact


def _people(manager, contact, admin):
    """A config of one plan whose owner `me` has `manager`; `alias` shares me's mailbox (other case)."""
    emails = {"me": "Owner@Example.org", "alias": "owner@example.org", "a": "a@example.org", "b": "b@example.org",
              "m": "m@example.org"}  # fmt: skip
    owners = {pid: NS(id=pid, email=email, manager=None, name=pid) for pid, email in emails.items()}
    owners["me"] = NS(id="me", email=emails["me"], manager=manager, name="me")
    return NS(owners=owners, plans={"p": NS(escalation_contact=contact, administrator=admin)})


@pytest.mark.parametrize(
    ("admin", "contact", "manager", "verifier"),
    [
        ("a", "b", "m", "a"),  # an ordinary action: the administrator
        ("me", "b", "m", "b"),  # the administrator owns it: the escalation contact
        ("alias", "b", "m", "b"),  # the administrator shares the owner's mailbox (another case): same
        ("me", "me", "m", "m"),  # the contact is the owner too: the owner's manager
        ("me", None, "m", "m"),  # no contact: the manager
        ("me", "alias", "alias", None),  # everyone is the owner: nobody (validate refuses such a plan)
        ("me", None, None, None),
    ],
)
def test_the_verifier_is_the_administrator_else_the_escalation_contact_else_the_manager(admin, contact, manager,
                                                                                        verifier):  # fmt: skip
    from scheduler.config.approvers import verifier_of

    got = verifier_of(_people(manager, contact, admin), "p", "me")
    assert (got.id if got else None) == verifier


def test_the_verifier_is_never_the_owner_in_any_combination():
    from scheduler.config.approvers import verifier_of

    for admin, contact, manager in itertools.product([None, "me", "alias", "a", "b"], repeat=3):
        got = verifier_of(_people(manager, contact, admin), "p", "me")
        others = [who for who in (admin, contact, manager) if who in ("a", "b")]
        assert (got.id if got else None) == (others[0] if others else None), (admin, contact, manager)


def test_the_administrators_own_completion_asks_the_escalation_contact_not_the_administrator(cli, tmp_path):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    (tmp_path / "audit.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert complete(cli, tmp_path, ref="SG3", by="pqa-manager", now="2010-01-05T10:00").exit_code == 0
    for day in ("2010-01-06", "2010-01-13"):
        assert cli("run", "--once", "--now", f"{day}T09:00").exit_code == 0
    assert sent(tmp_path, "2010-01-05", "SG3") == [("2010-01-06", "SG3=verify:1", DIRECTOR),
                                                   ("2010-01-13", "SG3=verify:2", DIRECTOR)]  # fmt: skip
    body = " ".join(last_message(tmp_path, DIRECTOR).get_body(("plain",)).get_content().split())
    assert "TO VERIFY: Performance and Quality Assurance Manager says ofsted-2009/SG3 is complete" in body
    assert "reminders verify" not in body, "no command for them to type: only the administrator's email has one"
    assert "Reply to this email with your decision: Performance and Quality Assurance Manager records it." in body
    summary = cli("summary", "--plan", "ofsted-2009", "--now", "2010-01-13T08:00").output
    assert ("Awaiting verification\n  - SG3: Ensure that record keeping is improved and completed in a… "
            "(Performance and Quality Assurance Manager), completed 5 Jan 2010, waiting 8 days; Executive "
            "Director, Children's Services verifies it (the administrator owns it)") in summary  # fmt: skip
    assert complete(cli, tmp_path, now="2010-01-05T10:00").exit_code == 0  # SG1: the administrator verifies it
    assert cli("run", "--once", "--now", "2010-01-14T09:00").exit_code == 0
    body = " ".join(last_message(tmp_path, ADMIN).get_body(("plain",)).get_content().split())
    assert "From the command line: reminders verify ofsted-2009/SG1" in body and "Reply to this email" not in body


def test_the_cli_records_who_verifies_the_administrators_own_completion(cli, tmp_path, env):
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    (tmp_path / "audit.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert complete(cli, tmp_path, ref="SG3", by="pqa-manager").exit_code == 0
    before = snapshot(env["DATABASE_URL"])
    default = cli("verify", "SG3", "--now", "2010-01-06T10:00")
    assert (default.exit_code, default.output.strip()) == (2, (
        "Error: ofsted-2009/SG3 is owned by the plan's administrator, so Executive Director, Children's Services "
        "verifies it, on the page their email links to; to record a decision they gave you, add --by "
        "executive-director"))  # fmt: skip
    own = cli("verify", "SG3", "--by", "pqa-manager", "--now", "2010-01-06T10:00")
    assert (own.exit_code, own.output.strip()) == (2, (
        "Error: Performance and Quality Assurance Manager (pqa-manager) owns ofsted-2009/SG3, and nobody verifies "
        "or returns their own completion; Executive Director, Children's Services (executive-director) verifies it"))  # fmt: skip
    assert snapshot(env["DATABASE_URL"]) == before
    done = cli("verify", "SG3", "--by", "executive-director", "--now", "2010-01-06T10:00")
    assert done.exit_code == 0, done.output
    history = " ".join(cli("history", "SG3").output.split())
    assert "awaiting_verification -> complete by executive-director (verified)" in history


def _sg3(app) -> int:
    with app.session() as s:
        return s.execute(sa.text("SELECT id FROM action WHERE ref = 'SG3'")).scalar()


def _link(app, to: str) -> str:
    return web_helpers.link(app, subject=_sg3(app), to=to)


def _post(client, app, to: str, do: str, **data):
    """Post form `do` through `to`'s link with a valid CSRF token and form key (the owner's page has
    no verify form: a hand-made post, as someone trying it would send)."""
    client.get(_link(app, to))  # sets the CSRF cookie
    fields = {"csrf": client.cookies.get("reminders_csrf"), "form_key": client.app.state.web.form_key(_sg3(app))}
    return client.post(_link(app, to), data={**fields, "do": do, **data})


def test_the_administrators_link_cannot_verify_their_own_completion_and_the_escalation_contacts_can(web, cli,
                                                                                                  tmp_path):  # fmt: skip
    client, app, url = web
    (tmp_path / "audit.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert complete(cli, tmp_path, ref="SG3", by="pqa-manager").exit_code == 0
    own_page = client.get(_link(app, ADMIN)).text
    assert 'id="verify"' not in own_page and 'id="return"' not in own_page
    assert "Executive Director, Children&#39;s Services checks the evidence" in own_page
    before = snapshot(url)
    for do, extra in (("verify", {}), ("return", {"reason": "not enough"})):
        refused = _post(client, app, ADMIN, do, **extra)
        assert refused.status_code == 400, do
        assert ("Performance and Quality Assurance Manager (pqa-manager) owns ofsted-2009/SG3, and nobody verifies "
                "or returns their own completion; Executive Director, Children&#39;s Services (executive-director) "
                "verifies it.") in refused.text  # fmt: skip
    assert snapshot(url) == before and status_of(app, "SG3") == "awaiting_verification"
    page = client.get(_link(app, DIRECTOR)).text
    assert 'id="verify"' in page and 'id="return"' in page
    done = client.post(_link(app, DIRECTOR), data=form_of(page, "verify"))
    assert done.status_code == 200 and "Verified: ofsted-2009/SG3 is complete." in done.text
    assert status_of(app, "SG3") == "complete"
    with app.session() as s:
        by = s.execute(sa.text("SELECT by FROM action_event WHERE to_value = 'complete'")).scalar()
    assert by == f"{DIRECTOR} (via web)"


def test_an_ordinary_action_is_still_verified_by_the_administrator_only(web, cli, tmp_path):
    client, app, url = web
    (tmp_path / "audit.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert complete(cli, tmp_path).exit_code == 0  # SG1, owned by contact-centre-manager
    assert 'id="verify"' not in client.get(web_helpers.link(app, to=DIRECTOR)).text
    assert 'id="verify"' in client.get(web_helpers.link(app, to=ADMIN)).text


def test_a_plan_where_the_owner_is_every_possible_verifier_fails_validate(cli, config_dir):
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    text = re.sub(r"(?m)^escalation_contact:.*\n", "escalation_contact: lscb-chair\n", plan.read_text())
    text = re.sub(r"(?m)^administrator:.*\n", "administrator: lscb-chair\n", text)
    plan.write_text(text.replace("owner: contact-centre-manager", "owner: lscb-chair", 1)
                    + "policy:\n  escalations: []\n")  # fmt: skip
    result = cli("validate")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "Error: config has 1 error:",
        "  - plans/ofsted-2009.yaml line 20, actions[0] (SG1).owner: nobody but its owner 'lscb-chair' can verify "
        "its completion or approve an extension for it (the administrator, escalation contact and manager are the "
        "owner or not set); give 'lscb-chair' a manager in owners.yaml, or the plan an escalation_contact or "
        "administrator who is someone else",
    ]
