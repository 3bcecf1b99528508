"""Who may do what, checked on the server against the current database and config (issue 16,
findings 1, 2, 3 and 12): nobody approves their own extension, a closed action takes no change,
config edits apply without a restart, a reassignment withdraws a pending request, and a manager's
page does what the escalation email promises."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests import web_helpers
from tests.conftest import snapshot
from tests.web_helpers import MANAGER, OWNER, form_of, link, status_of

web = web_helpers.web  # the fixture
ADMIN = "pqa-manager@example.org"  # the plan's administrator
DIRECTOR = "executive-director@example.org"  # the plan's escalation contact, with no manager


def _edit(path, old, new, count=1):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def _ask(client, app, owner=OWNER, date="2010-03-31", reason="exemplar late", subject=None):
    url = link(app, subject=subject, to=owner)
    fields = form_of(client.get(url).text, "extend")
    return client.post(url, data={**fields, "proposed_due": date, "reason": reason})


def _requests(app):
    with app.session() as s:
        return [tuple(r) for r in s.execute(sa.text("SELECT requested_by, approver, state FROM extension_request "
                                                    "ORDER BY id"))]  # fmt: skip


def _approval_notices(app):
    with app.session() as s:
        return [tuple(r) for r in s.execute(sa.text("SELECT stage, recipient FROM notice WHERE stage LIKE 'approval:%'"))]


def test_an_owner_who_is_the_escalation_contact_is_not_asked_to_approve_their_own_request(web, cli, config_dir):
    client, app, _ = web
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    _edit(plan, "owner: contact-centre-manager", "owner: executive-director")  # SG1: no manager, the contact
    plan.write_text(plan.read_text() + "policy:\n  escalations: [{after_days_overdue: 21, to: escalation_contact}]\n")
    assert cli("sync", "--now", "2009-11-25T08:00").exit_code == 0
    asked = _ask(client, app, owner=DIRECTOR)
    assert asked.status_code == 200, asked.text
    assert _requests(app) == [(DIRECTOR, ADMIN, "pending")], "routed up to the administrator"
    assert [r for _, r in _approval_notices(app)] == [ADMIN]
    req_id = _approval_notices(app)[0][0].split(":")[1]
    own = client.get(link(app, "approve", req_id, DIRECTOR))
    assert own.status_code == 403, "the requester's own approval link does not work"


def test_an_owner_sharing_a_mailbox_with_their_manager_goes_to_the_escalation_contact(web, cli, config_dir):
    client, app, _ = web
    _edit(config_dir / "owners.yaml", "email: head-of-safeguarding@example.org", f"email: {OWNER}")
    assert cli("sync", "--now", "2009-11-25T08:00").exit_code == 0
    assert _ask(client, app).status_code == 200
    assert _requests(app) == [(OWNER, DIRECTOR, "pending")]


def test_a_plan_where_nobody_can_approve_is_a_validate_error(cli, config_dir):
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    text = plan.read_text()
    text = re.sub(r"(?m)^escalation_contact:.*\n", "", text)
    text = re.sub(r"(?m)^administrator:.*\n", "", text)
    plan.write_text(text.replace("owner: contact-centre-manager", "owner: lscb-chair", 1)
                    + "policy:\n  escalations: []\n")  # fmt: skip
    result = cli("validate")
    assert result.exit_code == 2
    assert "nobody can approve an extension for owner 'lscb-chair'" in result.output


def test_a_complete_action_takes_no_progress_and_no_extension_request(smtp_env, web, cli):
    client, app, url = web
    page = client.get(link(app)).text
    progress, extend = form_of(page, "progress"), form_of(page, "extend")
    assert cli("set-status", "SG1", "complete", "--by", "pqa").exit_code == 0
    before = snapshot(url)
    said = client.post(link(app), data={**progress, "note": "more"})
    assert said.status_code == 400 and "is complete, so it can no longer be changed" in said.text
    asked = client.post(link(app), data={**extend, "proposed_due": "2010-05-01", "reason": "x"})
    assert asked.status_code == 400
    assert snapshot(url) == before and smtp_env.messages == [], "nothing recorded, nobody emailed"


def test_a_withdrawn_action_cannot_be_completed_by_a_post(web, cli):
    client, app, url = web
    fields = form_of(client.get(link(app)).text, "complete")
    assert cli("set-status", "SG1", "withdrawn", "--by", "pqa").exit_code == 0
    before = snapshot(url)
    done = client.post(link(app), data={**fields, "note": "done"})
    assert done.status_code == 400 and status_of(app) == "withdrawn"
    assert snapshot(url) == before


def test_an_email_change_applies_to_the_running_web_app_without_a_restart(web, cli, config_dir):
    client, app, _ = web
    new = "contact-centre@example.org"
    old_link, new_link = link(app), link(app, to=new)
    assert client.get(new_link).status_code == 403
    _edit(config_dir / "owners.yaml", f"email: {OWNER}", f"email: {new}")
    assert cli("sync", "--now", "2009-11-25T08:00").exit_code == 0
    assert client.get(old_link).status_code == 403, "the old address no longer records anything"
    page = client.get(new_link)
    assert page.status_code == 200 and "Mark complete" in page.text


def test_a_reassignment_withdraws_the_pending_request_and_its_old_approver_cannot_decide(smtp_env, web, cli,
                                                                                          config_dir):  # fmt: skip
    client, app, _ = web
    assert _ask(client, app).status_code == 200
    approve = link(app, "approve", _approval_notices(app)[0][0].split(":")[1], MANAGER)
    fields = form_of(client.get(approve).text, "*")
    _edit(config_dir / "plans" / "ofsted-2009.yaml", "owner: contact-centre-manager", "owner: lscb-business-manager")
    assert cli("sync", "--now", "2009-11-25T08:00").exit_code == 0
    assert _requests(app) == [(OWNER, MANAGER, "withdrawn")]
    smtp_env.messages.clear()
    tried = client.post(approve, data={**fields, "decision": "approve"})
    assert "Already decided (withdrawn)" in tried.text
    with app.session() as s:
        assert s.execute(sa.text("SELECT due FROM action WHERE ref = 'SG1'")).scalar() == "2010-02-24"
    assert smtp_env.messages == [], "no decision goes to the old owner"


def test_the_approver_is_checked_again_when_deciding(web, cli, config_dir):
    client, app, _ = web
    assert _ask(client, app).status_code == 200
    approve = link(app, "approve", _approval_notices(app)[0][0].split(":")[1], MANAGER)
    fields = form_of(client.get(approve).text, "*")
    _edit(config_dir / "owners.yaml", "manager: head-of-safeguarding", "manager: pqa-manager")  # a new approver
    decided = client.post(approve, data={**fields, "decision": "approve"})
    assert decided.status_code == 409 and "its approver has changed" in decided.text
    assert _requests(app) == [(OWNER, MANAGER, "withdrawn")]


def test_one_pending_request_per_action(web):
    client, app, _ = web
    second = form_of(client.get(link(app)).text, "extend")  # a second tab, opened before the first request
    assert _ask(client, app).status_code == 200
    assert 'value="extend"' not in client.get(link(app)).text, "the page hides the form..."
    again = client.post(link(app), data={**second, "proposed_due": "2010-04-30", "reason": "more"})
    assert again.status_code == 400 and "already waiting" in again.text, "...and the server refuses it"
    assert len(_requests(app)) == 1 and len(_approval_notices(app)) == 1


def test_a_manager_can_record_a_follow_up_and_decide_a_pending_request_and_nothing_else(web):
    client, app, _ = web
    assert _ask(client, app).status_code == 200
    page = client.get(link(app, to=MANAGER))
    assert page.status_code == 200 and "escalated to you" in page.text
    assert "Record a follow-up" in page.text and "Decide the extension" in page.text
    assert "Mark complete" not in page.text and "Report progress" not in page.text
    noted = client.post(link(app, to=MANAGER), data={**form_of(page.text, "note"), "note": "chased on 3 March"})
    assert "Note recorded" in noted.text
    fields = form_of(client.get(link(app, to=MANAGER)).text, "note")
    forged = client.post(link(app, to=MANAGER), data={**fields, "do": "complete", "note": "done by me"})
    assert forged.status_code == 403 and status_of(app) == "open"
    fields = form_of(client.get(link(app, to=MANAGER)).text, "decide")
    decided = client.post(link(app, to=MANAGER), data={**fields, "decision": "approve"})
    assert "Approved: ofsted-2009/SG1 is now due Wednesday 31 March 2010" in decided.text
    with app.session() as s:
        notes = s.execute(sa.text("SELECT by, note FROM action_event WHERE kind = 'note'")).all()
    assert [tuple(n) for n in notes] == [(f"{MANAGER} (via web)", "chased on 3 March")]


def test_the_cli_s_set_status_closing_an_action_withdraws_its_pending_request(web, cli):
    client, app, _ = web
    assert _ask(client, app).status_code == 200
    assert cli("set-status", "SG1", "complete", "--by", "pqa").exit_code == 0
    assert _requests(app) == [(OWNER, MANAGER, "withdrawn")]


def test_with_nobody_to_approve_the_request_is_refused_with_a_reason_not_a_500(web, monkeypatch):
    import dataclasses

    client, app, url = web
    fields = form_of(client.get(link(app)).text, "extend")
    cfg = app.config  # as if an older config (from before the validate rule) were running
    owners = {**cfg.owners, "contact-centre-manager": dataclasses.replace(cfg.owners["contact-centre-manager"],
                                                                           manager=None)}  # fmt: skip
    plan = dataclasses.replace(cfg.plans["ofsted-2009"], escalation_contact=None, administrator=None)
    app.config = dataclasses.replace(cfg, owners=owners, plans={"ofsted-2009": plan})
    monkeypatch.setattr(client.app.state.web.watch, "every", 1e9)  # keep this config
    before = snapshot(url)
    asked = client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "late"})
    assert asked.status_code == 400 and "Nobody can approve an extension for this action" in asked.text
    assert snapshot(url) == before
