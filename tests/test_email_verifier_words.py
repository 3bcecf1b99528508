"""Who an email sends evidence and replies to (PRODUCT.md §2, §4): for an action the plan
administrator owns, its verifier (never the owner themself); "as for SG1 above" only where the
advice would name the same people; the new-link email says what to do next like every other."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from scheduler.engine.views import NoticeView, Recipient
from scheduler.mail.render import Renderer

ADMIN = Recipient("Performance and Quality Assurance Manager", "pqa-manager@example.org")
DIRECTOR = Recipient("Executive Director, Children's Services", "executive-director@example.org")
HEAD = Recipient("Head of Safeguarding", "head-of-safeguarding@example.org")
CCM = Recipient("Contact Centre Manager", "contact-centre-manager@example.org")
NOW = dt.datetime(2010, 3, 3, 9, 0, tzinfo=dt.UTC)


def view(ref="SG3", owner=ADMIN, kind="overdue", to=None, **kw) -> NoticeView:
    """A notice about action `ref` owned by `owner` (SG3: the administrator's own, verified by the director)."""
    base = dict(plan="ofsted-2009", plan_title="Ofsted inspection 2009", ref=ref, title="Improve record keeping",
                response=None, area="Safeguarding", stage="overdue:1", kind=kind, to=to or owner, cc=(), owner=owner,
                owner_id="x", due=dt.date(2010, 2, 24), original_due=dt.date(2010, 2, 24), revisions=(),
                today=dt.date(2010, 3, 3), status="open", owner_since=dt.date(2009, 11, 24), escalation_level=None,
                overdue_number=1, before_days=None, administrator=ADMIN,
                verifier=DIRECTOR if owner == ADMIN else ADMIN, tz=dt.UTC)  # fmt: skip
    base.update(kw)
    return NoticeView(**base)


def flat(msg, part="plain") -> str:
    return " ".join(msg.get_body((part,)).get_content().replace("&#39;", "'").split())


@pytest.mark.parametrize("kind,kw", [("overdue", {}), ("due", {"today": dt.date(2010, 2, 24)}),
                                     ("reminder", {"today": dt.date(2010, 2, 17)}),
                                     ("escalated", {"escalated_to": HEAD})])  # fmt: skip
def test_the_administrators_own_action_sends_evidence_and_replies_to_its_verifier(kind, kw):
    msg = Renderer().render([view(kind=kind, **kw)], NOW)
    assert msg["Reply-To"] == '"Executive Director, Children\'s Services" <executive-director@example.org>'
    for part in ("plain", "html"):
        text = flat(msg, part)
        assert "it goes to Executive Director, Children's Services, who verifies it" in text, part
        assert "it goes to Performance and Quality Assurance Manager" not in text, part
        assert "Performance and Quality Assurance Manager, the plan administrator" not in text, part


def test_an_ordinary_action_still_sends_evidence_to_the_administrator():
    msg = Renderer().render([view(ref="SG1", owner=CCM)], NOW)
    assert msg["Reply-To"] == "Performance and Quality Assurance Manager <pqa-manager@example.org>"
    text = flat(msg)
    assert ("To report progress or completion, reply to this email with the evidence; it goes to "
            "Performance and Quality Assurance Manager, the plan administrator.") in text  # fmt: skip
    assert "Replies go to Performance and Quality Assurance Manager, the plan administrator <pqa-manager" in text


def test_the_managers_escalation_names_the_verifier_not_the_owner():
    msg = Renderer().render([view(kind="escalation", to=HEAD, stage="escalation:1", escalation_level=1)], NOW)
    assert "executive-director@example.org" in msg["Reply-To"]
    for part in ("plain", "html"):
        assert "evidence sent to Executive Director, Children's Services, who verifies it" in flat(msg, part), part


def test_the_owners_confirmation_says_where_a_reply_goes():
    msg = Renderer().render([view(kind="confirmed", stage="confirmed:4", status="awaiting_verification")], NOW)
    assert "executive-director@example.org" in msg["Reply-To"]
    for part in ("plain", "html"):
        text = flat(msg, part)
        assert "If this was a mistake, reply to this email; it goes to Executive Director, Children's Services." in text
    ordinary = Renderer().render([view(ref="SG1", owner=CCM, kind="confirmed", stage="confirmed:4")], NOW)
    assert "If this was a mistake, reply to this email. The attached" not in flat(ordinary)
    assert flat(ordinary).count("If this was a mistake, reply to this email.") == 1


def test_the_verifier_of_the_administrators_action_is_not_sent_replies_back_to_the_owner():
    """Every email carries Reply-To, the administrator (PRODUCT.md §4): the director's reply (with
    links they decide on the page; without, their decision by reply) reaches the administrator, who
    records it with `--by` (the CLI refuses the owner's own verification). Never the director themself."""
    from scheduler.engine.links import Links

    verify = view(kind="verify", stage="verify:1", to=DIRECTOR, status="awaiting_verification", action_id=3,
                  verification={"note": "done", "submitted_by": ADMIN.name, "since": None, "days_waiting": 0,
                                "evidence": []})  # fmt: skip
    msg = Renderer(links=Links("https://reminders.example.org", "a-test-secret-0123456789abcdef")).render([verify], NOW)
    assert msg["Reply-To"] == "Performance and Quality Assurance Manager <pqa-manager@example.org>"
    assert "executive-director" not in msg["Reply-To"]
    unlinked = Renderer().render([verify], NOW)
    assert unlinked["Reply-To"] == "Performance and Quality Assurance Manager <pqa-manager@example.org>"
    assert "Reply to this email with your decision: Performance and Quality Assurance Manager records it." in flat(unlinked)


def test_a_digest_says_as_for_above_only_when_the_advice_names_the_same_people():
    sg1 = view(ref="SG1", owner=CCM, kind="escalation", to=HEAD, stage="escalation:1", escalation_level=1)
    sg2 = dataclasses.replace(sg1, ref="SG2", title="Same owner")
    sg3 = view(kind="escalation", to=HEAD, stage="escalation:1", escalation_level=1)
    msg = Renderer().render([sg1, sg2, sg3], NOW)
    for part in ("plain", "html"):
        sections = flat(msg, part).split("Escalated to you" if part == "html" else "ESCALATED TO YOU")
        assert "follow this up with Contact Centre Manager" in sections[1], part
        assert "as for SG1 above" in sections[2], part
        assert "as for SG1 above" not in sections[3], part
        assert "follow this up with Performance and Quality Assurance Manager" in sections[3], part


def test_as_for_above_is_not_said_of_a_new_action_due_on_another_date():
    """"Complete it by ..." names each action's own date: SG2 due 31 May is not "as for SG1 above"."""
    sg1 = view(ref="SG1", owner=CCM, kind="assigned", stage="assigned", to=CCM)
    sg2 = dataclasses.replace(sg1, ref="SG2", due=dt.date(2010, 5, 31), original_due=dt.date(2010, 5, 31))
    sg3 = dataclasses.replace(sg1, ref="SG3")
    text = flat(Renderer().render([sg1, sg2, sg3], NOW))
    assert "as for SG1 above" in text.split("SG3")[-1], "the same date: the advice is the same"
    assert "as for SG1 above" not in text.split("SG2")[-1].split("SG3")[0]


def test_the_new_link_email_says_what_to_do_next_without_a_double_blank_line():
    from scheduler.engine.links import Links

    renderer = Renderer(links=Links("https://reminders.example.org", "a-test-secret-0123456789abcdef"))
    msg = renderer.render([view(ref="SG1", owner=CCM, kind="link", stage="link:1", action_id=9)], NOW)
    text = msg.get_body(("plain",)).get_content()
    assert "\n\n\n" not in text
    assert "What to do next: use the new link below." in flat(msg)
    assert "What to do next:</strong> use the button below." in msg.get_body(("html",)).get_content()


def test_the_verifier_reading_an_escalation_of_it_is_told_the_evidence_comes_to_them():
    msg = Renderer().render([view(kind="escalation", to=DIRECTOR, stage="escalation:2", escalation_level=2)], NOW)
    assert msg["Reply-To"] == "Performance and Quality Assurance Manager <pqa-manager@example.org>", "§4: always one"
    assert "evidence sent to you (you verify it)" in flat(msg)
