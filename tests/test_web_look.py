"""What a person sees on the pages (found by rendering each at 375 and 1280 px): the review form's files
really upload, people are named (never by owner id), store messages carry no command-line flags, link
evidence is a safe link, wording is singular or plural as it should be, and the dashboard fits a phone."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from tests import web_helpers
from tests.conftest import snapshot
from tests.test_browser import CHROMIUM
from tests.test_reviews_progress import uncomment_reviews
from tests.web_helpers import BASE, form_of, link, status_of

web = web_helpers.web  # the fixture
ADMIN = "pqa-manager@example.org"
PDF = b"%PDF-1.4\n" + b"%" * 3000 + b"\n%%EOF\n"


@pytest.fixture
def site(config_dir, request):
    uncomment_reviews(config_dir)  # the review form shows only with a review to come
    return request.getfixturevalue("web")


def _form_tag(html: str, do: str) -> str:
    forms = re.findall(r"<form [^>]*>.*?</form>", html, re.S)
    return next(f for f in forms if f'name="do" value="{do}"' in f).split(">", 1)[0]


def test_the_review_form_uploads_its_files_like_the_completion_form(site):
    client, app, _ = site
    page = client.get(link(app)).text
    tag = _form_tag(page, "review")
    assert tag == _form_tag(page, "complete") and 'enctype="multipart/form-data"' in tag
    target = re.search(r'action="([^"]+)"', tag).group(1)
    assert target == link(app).replace("/a/", "/e/")
    fields = form_of(page, "review")
    done = client.post(target, data={**fields, "rag": "at_risk", "note": "Audit half done",
                                     "evidence": "https://intranet/rota\nhttps://intranet/audit"},
                       files=[("files", ("audit.pdf", PDF, "application/pdf"))])  # fmt: skip
    assert done.status_code == 200, done.text[-600:]
    assert "Progress for the review recorded with 3 pieces of evidence: thank you." in done.text
    with app.session() as s:
        rows = s.execute(sa.text("SELECT kind, file_name, size, sha256, url FROM evidence ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("file", "audit.pdf", len(PDF), hashlib.sha256(PDF).hexdigest(), None),
                                        ("link", None, 0, None, "https://intranet/rota"),
                                        ("link", None, 0, None, "https://intranet/audit")]  # fmt: skip


def test_a_refused_review_upload_keeps_what_was_typed_and_asks_for_the_files_again(site):
    client, app, url = site
    fields = form_of(client.get(link(app)).text, "review")
    before = snapshot(url)
    refused = client.post(link(app).replace("/a/", "/e/"),
                          data={**fields, "rag": "off_track", "note": " ", "evidence": "https://a.example/1\nhttps://b.example/2"},
                          files=[("files", ("audit.pdf", PDF, "application/pdf"))])  # fmt: skip
    assert refused.status_code == 400 and "The files were not saved: choose them again" in refused.text
    assert 'value="off_track" checked>' in refused.text
    assert ">https://a.example/1\nhttps://b.example/2</textarea>" in refused.text
    assert snapshot(url) == before


@pytest.mark.parametrize("do", ["review", "progress", "complete"])
def test_a_form_sent_without_its_files_is_refused_not_thanked(site, do):
    """A urlencoded post carries only the file's name: it is refused, nothing saved, the note kept."""
    client, app, url = site
    fields = form_of(client.get(link(app)).text, do)
    before = snapshot(url)
    sent = client.post(link(app), data={**fields, "rag": "on_track", "note": "Audit half done", "files": "audit.pdf"})
    assert sent.status_code == 400, sent.text[-600:]
    assert "the files did not arrive" in sent.text and "thank you" not in sent.text
    assert "Audit half done</textarea>" in sent.text
    assert snapshot(url) == before


def test_a_completion_recorded_at_the_cli_by_owner_id_names_the_person(web, cli):
    from scheduler.web.forms import name_of

    client, app, _ = web
    done = cli("set-status", "SG1", "awaiting_verification", "--note", "All referrals allocated", "--by",
               "contact-centre-manager", "--evidence", "https://intranet.example.org/audit", "--now",
               "2009-11-24T10:00")  # fmt: skip
    assert done.exit_code == 0, done.output
    page = client.get(link(app, to=ADMIN)).text
    assert "Contact Centre Manager marked it complete on" in page
    evidence = re.search(r'<table class="evidence">.*?</table>', page, re.S).group(0)
    assert "<td>Contact Centre Manager</td>" in evidence and "contact-centre-manager<" not in evidence
    assert name_of(app.config, "PQA-Manager") == "Performance and Quality Assurance Manager"
    assert name_of(app.config, "pqa-manager@example.org") == "Performance and Quality Assurance Manager"
    assert name_of(app.config, "someone-else") == "someone-else"


def test_link_evidence_is_a_safe_link_and_a_script_address_never_an_href(web, cli):
    from scheduler.store.evidence_models import Evidence

    client, app, _ = web
    cli("set-status", "SG1", "awaiting_verification", "--note", "done", "--by", "contact-centre-manager",
        "--evidence", "https://intranet.example.org/audit", "--now", "2009-11-24T10:00")  # fmt: skip
    with app.session() as s:  # written past the store's check, as an old or hand-edited row could be
        for url in ("javascript:alert(1)", " JaVaScRiPt:alert(2)", "data:text/html,x"):
            s.add(Evidence(action_id=web_helpers.sg1(app), kind="link", url=url, size=0, note="x",
                           submitted_by="x", submitted_at=web_helpers.START))  # fmt: skip
        s.commit()
    page = client.get(link(app, to=ADMIN)).text
    assert ('<a href="https://intranet.example.org/audit" rel="noopener noreferrer">'
            "https://intranet.example.org/audit</a>") in page  # fmt: skip
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert not [h for h in hrefs if not h.startswith(("/", "https://", "http://"))], hrefs
    assert "javascript:alert(1) <span" in page and "data:text/html,x <span" in page  # shown, as text


def test_web_messages_name_no_command_line_flags(web):
    client, app, _ = web
    url = link(app)
    fields = form_of(client.get(url).text, "complete")
    empty = client.post(url.replace("/a/", "/e/"), data={**fields, "note": " "},
                        files=[("files", ("a.pdf", PDF, "application/pdf"))])  # fmt: skip
    notice = re.search(r'<p class="notice error">(.*?)</p>', empty.text).group(1)
    assert notice.startswith("Nothing was saved: the note is required to complete ofsted-2009/SG1; say what was "
                             "done.")  # fmt: skip
    assert "--" not in notice and "SG1:" not in notice
    client.post(url.replace("/a/", "/e/"), data={**form_of(client.get(url).text, "complete"), "note": "done"},
                files=[("files", ("a.pdf", PDF, "application/pdf"))])  # fmt: skip
    admin = link(app, to=ADMIN)
    back = client.post(admin, data={**form_of(client.get(admin).text, "return"), "reason": "  "})
    notice = re.search(r'<p class="notice error">(.*?)</p>', back.text).group(1)
    assert back.status_code == 400 and notice == ("A reason is required to return a completion: say what is "
                                                  "missing, so the owner can put it right.")  # fmt: skip
    assert status_of(app) == "awaiting_verification"


def test_pages_are_british_english_and_both_link_fields_read_alike(site):
    client, app, _ = site
    page = client.get(link(app)).text
    assert '<html lang="en-GB">' in page
    labels = re.findall(r'<label for="[rc]-(?:evidence|links)">(.*?)</label>', page)
    assert labels == ["Links to evidence (one per line, optional)"] * 2
    assert '<textarea id="r-evidence" name="evidence"' in page


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_the_dashboard_and_the_action_page_fit_a_375_px_phone(site, cli, tmp_path):
    """In chromium at 375 px, the pages (with their stylesheet, served by the app) have no sideways scroll:
    the dashboard's wide tables scroll in their own box, a long evidence link wraps."""
    pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python (pip install playwright)")
    from playwright.sync_api import sync_playwright

    client, app, _ = site
    cli("set-status", "SG2", "awaiting_verification", "--note", "done", "--by", "area-services-manager")
    fields = form_of(client.get(link(app)).text, "review")
    long_link = "https://intranet.example.org/children/audits/2010/sg1-referral-allocation-audit-all-four-teams"
    client.post(link(app), data={**fields, "rag": "on_track", "note": "Audit done", "evidence": long_link})
    pages = {"dashboard": link(app, "dashboard", "ofsted-2009", "executive-director@example.org"), "action": link(app)}

    def serve(route):  # every request the page makes goes to the app through the test client
        got = client.get(route.request.url.removeprefix(BASE))
        route.fulfill(status=got.status_code, body=got.content, content_type=got.headers.get("content-type"))

    widths = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for name, path in pages.items():
                page = browser.new_page(viewport={"width": 375, "height": 800})
                page.route(f"{BASE}/**", serve)
                page.goto(BASE + path)
                assert "Improvement plan" in page.content() and page.locator("header").count() == 1
                page.screenshot(path=str(tmp_path / f"{name}-375.png"), full_page=True)
                widths[name] = page.evaluate("[document.documentElement.scrollWidth, "
                                             "document.querySelector('header').getBoundingClientRect().width]")
        finally:
            browser.close()
    assert widths == {"dashboard": [375, 375], "action": [375, 375]}, f"see the screenshots in {tmp_path}"
