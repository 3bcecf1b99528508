"""Nothing a user entered is lost: each refused form of the owners', managers' and administrator's
pages comes back with the reason and with what was typed in it (escaped), under a fresh form key
that then records the corrected form once; a file has to be chosen again, and the page says so."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from markupsafe import escape

from tests import web_helpers
from tests.test_reviews_progress import uncomment_reviews
from tests.web_helpers import MANAGER, OWNER, form_of, link, make_site

web = web_helpers.web  # the fixture
ADMIN = "pqa-manager@example.org"
PDF = b"%PDF-1.4\n" + b"%" * 3000 + b"\n%%EOF\n"
TYPED = 'Chased <b>"Ana"</b> & the team — café ✓'  # markup, a quote and non-ASCII: must come back escaped
KEPT = str(escape(TYPED))
LONG = TYPED + " " + "x" * 2100  # over the 2,000 characters of a note, under the form's byte limits


@pytest.fixture
def site(config_dir, request):
    """The web fixture with the plan's reviews on, so the page has the "progress for the review" form."""
    uncomment_reviews(config_dir)
    return request.getfixturevalue("web")


def count(app, table: str) -> int:
    with app.session() as s:
        return s.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def filled(html: str) -> list[str]:
    """Return the textareas of `html` that have text in them (after a success: none)."""
    return re.findall(r"<textarea[^>]*>[^<]+</textarea>", html)


def refuse_then_correct(site, url, do, refused, corrected, said, kept, done, table="action_event"):
    """Post the `do` form of `url`'s page with `refused` (400/409 with `said` and each of `kept` in
    the page), then the refused page's own form with `corrected`: `done` in the page, exactly one
    more row in `table`, and nothing prefilled."""
    client, app, _ = site
    fields = form_of(client.get(url).text, do)
    before = count(app, table)
    page = client.post(url, data={**fields, **refused})
    assert page.status_code in (400, 409) and said in page.text, page.text[-1500:]
    for fragment in kept:
        assert fragment in page.text, (fragment, page.text[-3000:])
    assert count(app, table) == before, "a refused form changes nothing"
    again = form_of(page.text, do)
    assert again["form_key"] != fields["form_key"], "the refused page carries a fresh form key"
    ok = client.post(url, data={**again, **corrected})
    assert ok.status_code == 200 and done in ok.text, ok.text[-1500:]
    assert count(app, table) == before + 1, "the corrected form is recorded exactly once"
    assert filled(ok.text) == [], "a success prefills nothing"
    return ok


def test_an_over_long_completion_note_comes_back_in_its_box(site):
    client, app, _ = site
    refuse_then_correct(
        site, link(app), "complete", {"note": LONG, "evidence": "https://intranet/audit"},
        {"note": TYPED, "evidence": "https://intranet/audit"}, f"The note is {len(LONG):,} characters long",
        [f'<textarea id="c-note" name="note" required maxlength="2000">{escape(LONG)}</textarea>'],
        "Sent for verification")  # fmt: skip


def test_an_over_long_progress_note_is_refused_not_cut_short(site):
    client, app, _ = site
    ok = refuse_then_correct(
        site, link(app), "progress", {"note": LONG}, {"note": TYPED}, "shorten it to at most 2,000",
        [f'<textarea id="p-note" name="note" required maxlength="2000">{escape(LONG)}</textarea>'],
        "Progress recorded.")  # fmt: skip
    assert KEPT in ok.text, "the corrected note is the one recorded (in the history)"


def test_an_extension_without_a_date_keeps_the_reason(site):
    client, app, _ = site
    refuse_then_correct(
        site, link(app), "extend", {"proposed_due": "", "reason": TYPED},
        {"proposed_due": "2010-03-31", "reason": TYPED}, "Choose the proposed due date.",
        [f'<textarea id="e-reason" name="reason" required maxlength="2000">{KEPT}</textarea>'],
        "has been emailed to approve it", table="extension_request")  # fmt: skip


def test_an_extension_without_a_reason_keeps_the_date(site):
    client, app, _ = site
    refuse_then_correct(
        site, link(app), "extend", {"proposed_due": "2010-03-31", "reason": "  "},
        {"proposed_due": "2010-03-31", "reason": TYPED}, "Say why more time is needed",
        ['name="proposed_due" type="date" required min="2010-02-24" value="2010-03-31"'],
        "has been emailed to approve it", table="extension_request")  # fmt: skip


def test_review_progress_without_a_rag_keeps_the_note_and_links(site):
    client, app, _ = site
    refuse_then_correct(
        site, link(app), "review", {"rag": "", "note": TYPED, "evidence": 'https://intranet/rota?a="1"'},
        {"rag": "at_risk", "note": TYPED}, "Choose your self-assessment: on track, at risk or off track.",
        [f'<textarea id="r-note" name="note" required maxlength="2000">{KEPT}</textarea>',
         '<textarea id="r-evidence" name="evidence" maxlength="2000" placeholder="https://">'
         'https://intranet/rota?a=&#34;1&#34;</textarea>',
         'value="on_track" required>'],
        "Progress for the review recorded")  # fmt: skip


def test_review_progress_without_a_note_keeps_the_chosen_rag(site):
    client, app, _ = site
    refuse_then_correct(
        site, link(app), "review", {"rag": "at_risk", "note": " "}, {"rag": "at_risk", "note": TYPED},
        "the note is required", ['value="at_risk" checked>', 'value="on_track" required>'],
        "Progress for the review recorded")  # fmt: skip


def test_the_managers_over_long_follow_up_note_comes_back(site):
    client, app, _ = site
    refuse_then_correct(
        site, link(app, to=MANAGER), "note", {"note": LONG}, {"note": TYPED}, "shorten it to at most 2,000",
        [f'<textarea id="n-note" name="note" required maxlength="2000">{escape(LONG)}</textarea>'],
        "Note recorded in the action&#39;s history.")  # fmt: skip


def _ask_for_more_time(client, app) -> None:
    fields = form_of(client.get(link(app)).text, "extend")
    asked = client.post(link(app), data={**fields, "proposed_due": "2010-03-31", "reason": "exemplar late"})
    assert "has been emailed to approve it" in asked.text


def test_the_managers_decision_without_approve_or_decline_keeps_the_note(site):
    client, app, _ = site
    _ask_for_more_time(client, app)
    refuse_then_correct(
        site, link(app, to=MANAGER), "decide", {"note": TYPED}, {"note": TYPED, "decision": "decline"},
        "Choose approve or decline.",
        [f'<textarea id="d-note" name="note" maxlength="2000">{KEPT}</textarea>'], "Declined.")  # fmt: skip


def test_an_over_long_note_on_the_approval_page_comes_back(site):
    client, app, _ = site
    _ask_for_more_time(client, app)
    with app.session() as s:
        req = s.execute(sa.text("SELECT id FROM extension_request")).scalar()
    url = link(app, "approve", req, MANAGER)
    refuse_then_correct(
        site, url, "*", {"note": LONG, "decision": "approve"}, {"note": TYPED, "decision": "approve"},
        "shorten it to at most 2,000",
        [f'<textarea id="d-note" name="note" maxlength="2000">{escape(LONG)}</textarea>'],
        "Approved: ofsted-2009/SG1 is now due", table="due_revision")  # fmt: skip


def _complete_with_a_file(client, app) -> None:
    url = link(app)
    fields = form_of(client.get(url).text, "complete")
    sent = client.post(url.replace("/a/", "/e/"), data={**fields, "note": "All allocated"},
                       files=[("files", ("audit.pdf", PDF, "application/pdf"))])  # fmt: skip
    assert "Sent for verification" in sent.text


@pytest.mark.parametrize("refused, said", [({"reason": LONG}, "shorten it to at most 2,000"),
                                           ({"reason": LONG, "csrf": "forged"}, "The form had expired")])
def test_the_administrators_return_keeps_the_reason(site, refused, said):
    client, app, _ = site
    _complete_with_a_file(client, app)
    refuse_then_correct(
        site, link(app, to=ADMIN), "return", refused, {"reason": TYPED}, said,
        [f'<textarea id="r-reason" name="reason" required maxlength="2000">{escape(LONG)}</textarea>'],
        "Returned to Contact Centre Manager with your reason.")  # fmt: skip


def test_a_refused_upload_keeps_the_text_and_says_to_choose_the_files_again(site):
    client, app, _ = site
    url = link(app)
    fields = form_of(client.get(url).text, "complete")
    links = 'https://intranet/audit?team="A"&x=<1>'
    files = [("files", ("audit.pdf", PDF, "application/pdf"))]
    page = client.post(url.replace("/a/", "/e/"), data={**fields, "note": " ", "links": links}, files=files)
    assert page.status_code == 400 and "the note is required" in page.text
    assert "The files were not saved: choose them again" in page.text
    assert f'<textarea id="c-links" name="links" maxlength="2000" placeholder="https://">{escape(links)}</textarea>' \
        in page.text  # fmt: skip
    assert count(app, "evidence") == 0
    again = form_of(page.text, "complete")
    assert again["form_key"] != fields["form_key"]
    ok = client.post(url.replace("/a/", "/e/"), data={**again, "note": TYPED, "links": "https://intranet/audit"},
                     files=files)  # fmt: skip
    assert ok.status_code == 200 and "Sent for verification with 2 pieces of evidence" in ok.text
    assert count(app, "evidence") == 2 and filled(ok.text) == []


def test_a_file_over_the_limit_keeps_the_note_typed_before_it(site, env, monkeypatch):
    monkeypatch.setenv("EVIDENCE_MAX_MB", "1")
    client, app = make_site(env)
    url = link(app)
    fields = form_of(client.get(url).text, "progress")
    big = [("files", ("big.pdf", b"%PDF-1.4\n" + b"0" * 2**20, "application/pdf"))]
    page = client.post(url.replace("/a/", "/e/"), data={**fields, "note": TYPED}, files=big)
    assert page.status_code == 413 and "big.pdf: the file is larger than the limit of 1 MB" in page.text
    assert "The files were not saved: choose them again" in page.text
    assert f'<textarea id="p-note" name="note" required maxlength="2000">{KEPT}</textarea>' in page.text
    again = form_of(page.text, "progress")
    ok = client.post(url.replace("/a/", "/e/"), data={**again, "note": TYPED},
                     files=[("files", ("small.pdf", PDF, "application/pdf"))])  # fmt: skip
    assert ok.status_code == 200 and "Progress recorded with 1 piece of evidence." in ok.text
    with app.session() as s:
        notes = s.execute(sa.text("SELECT note FROM action_event WHERE by = :b"), {"b": f"{OWNER} (via web)"}).all()
    assert [n for (n,) in notes] == [TYPED]
    app.engine.dispose()


def test_kept_text_is_cleaned_of_control_characters_and_keeps_its_lines(site):
    client, app, _ = site
    fields = form_of(client.get(link(app)).text, "progress")
    typed = "line one\r\nline \x1b[31mtwo\u202e " + "x" * 2100
    page = client.post(link(app), data={**fields, "note": typed})
    assert page.status_code == 400 and "shorten it to at most 2,000" in page.text
    shown = "line one\nline [31mtwo " + "x" * 2100
    assert f'<textarea id="p-note" name="note" required maxlength="2000">{shown}</textarea>' in page.text
    assert "\x1b" not in page.text and "\u202e" not in page.text
