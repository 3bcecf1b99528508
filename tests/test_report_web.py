"""The progress report on the web (from the dashboard link) and the owner's "progress for the review"
form on the action page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import web_helpers
from tests.conftest import snapshot
from tests.test_reviews_progress import uncomment_reviews
from tests.web_helpers import form_of, link, status_of

DIRECTOR = "executive-director@example.org"
web = web_helpers.web  # the fixture


@pytest.fixture
def site(config_dir, request):
    uncomment_reviews(config_dir)
    return request.getfixturevalue("web")


def dashboard(app) -> str:
    return link(app, "dashboard", "ofsted-2009", DIRECTOR)


def test_owner_records_rag_note_and_links_for_the_next_review(site):
    client, app, url = site
    page = client.get(link(app))
    assert "Progress for the review on Tuesday 12 January 2010" in page.text
    fields = form_of(page.text, "review")
    done = client.post(link(app), data={**fields, "rag": "at_risk", "note": "Triage rota agreed; two posts vacant",
                                        "evidence": "https://intranet/rota https://intranet/audit"})  # fmt: skip
    assert done.status_code == 200 and "Progress for the review recorded" in done.text
    assert status_of(app) == "in_progress"
    with app.session() as s:
        rows = s.execute(sa.text("SELECT by, kind, note, rag FROM action_event WHERE rag IS NOT NULL")).all()
    assert [tuple(r) for r in rows] == [(f"{web_helpers.OWNER} (via web)", "status",
                                         "Triage rota agreed; two posts vacant Evidence: https://intranet/rota "
                                         "https://intranet/audit", "at_risk")]  # fmt: skip


@pytest.mark.parametrize(
    "data, message",
    [
        ({"rag": "amber", "note": "x"}, "Self-assessment &#39;amber&#39;: choose one of: on track, at risk, off track"),
        ({"rag": "on_track", "note": " "}, "the note is required"),
        ({"rag": "on_track", "note": "x", "evidence": "javascript:alert(1)"}, "must start with https://"),
    ],
)
def test_bad_review_progress_is_refused_and_changes_nothing(site, data, message):
    client, app, url = site
    fields = form_of(client.get(link(app)).text, "review")
    before = snapshot(url)
    refused = client.post(link(app), data={**fields, **data})
    assert refused.status_code == 400 and message in refused.text, refused.text[-600:]
    assert snapshot(url) == before


def test_manager_cannot_record_the_owners_progress(site):
    client, app, url = site
    manager = link(app, to=web_helpers.MANAGER)
    fields = form_of(client.get(link(app)).text, "review")
    page = client.post(manager, data={**fields, "rag": "on_track", "note": "x"})
    assert page.status_code in (400, 403) and status_of(app) == "open"


def test_dashboard_shows_the_trend_and_links_to_the_report_in_every_format(site):
    from scheduler.documents.report_charts import trend_png
    from scheduler.documents.report_source import report_for

    client, app, _ = site
    app.clock.set(app.clock.now().replace(year=2010, month=3, day=15))
    board = client.get(dashboard(app))
    assert board.status_code == 200 and f'<a href="{dashboard(app)}/report">' in board.text
    assert f'<img src="{dashboard(app)}/report/trend.png"' in board.text
    page = client.get(dashboard(app) + "/report")
    assert page.status_code == 200 and "<h2>Headline</h2>" in page.text
    assert "On target" in page.text and "<style" not in page.text and "data:image" not in page.text  # CSP
    assert "default-src 'none'" in page.headers["content-security-policy"]
    png = client.get(dashboard(app) + "/report/trend.png?as_of=2010-03-15")
    with app.session() as s:
        expected = trend_png(report_for(s, app.config.plans["ofsted-2009"], app.clock.now().date()))
    assert png.headers["content-type"] == "image/png" and png.content == expected
    pdf = client.get(dashboard(app) + "/report.pdf?as_of=2010-03-15")
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    csv_text = client.get(dashboard(app) + "/report.csv?as_of=2010-03-15").text
    assert csv_text.count("Behind by up to a month") == 5 and csv_text.count("On target") == 7
    assert client.get("/report.css").headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "suffix, status, text",
    [
        ("/report?as_of=15/03/2010", 400, "YYYY-MM-DD"),
        ("/report?as_of=2009-01-01", 400, "Choose a date from 2009-11-24"),
        ("/report.xlsx", 404, "nothing at this address"),
        ("/report/pie.png", 404, "nothing at this address"),
    ],
)
def test_bad_report_requests_get_a_clear_page(site, suffix, status, text):
    client, app, _ = site
    page = client.get(dashboard(app) + suffix)
    assert page.status_code == status and text in page.text


def test_report_needs_a_valid_dashboard_link(site):
    client, app, _ = site
    assert client.get(dashboard(app)[:-3] + "abc/report").status_code == 400
    assert client.get(link(app).replace("/a/", "/d/") + "/report").status_code == 400  # an action link


def test_the_review_form_takes_evidence_files_through_the_upload_route_and_the_report_counts_them(site):
    from scheduler.documents.report_source import report_for

    client, app, url = site
    fields = form_of(client.get(link(app)).text, "review")
    pdf = b"%PDF-1.4\n" + b"%" * 3000 + b"\n%%EOF\n"
    done = client.post(link(app).replace("/a/", "/e/"),
                       data={**fields, "rag": "on_track", "note": "Audit half done", "evidence": "https://intranet/rota"},
                       files=[("files", ("audit.pdf", pdf, "application/octet-stream"))])  # fmt: skip
    assert done.status_code == 200 and "Progress for the review recorded" in done.text, done.text[-600:]
    with app.session() as s:
        rows = s.execute(sa.text("SELECT kind, file_name, url FROM evidence ORDER BY id")).all()
        events = s.execute(sa.text("SELECT rag FROM action_event WHERE rag IS NOT NULL")).all()
        plan = app.config.plans["ofsted-2009"]
        report = report_for(s, plan, app.now.astimezone(plan.policy.tz).date())
    assert [tuple(r) for r in rows] == [("file", "audit.pdf", None), ("link", None, "https://intranet/rota")]
    assert [tuple(e) for e in events] == [("on_track",)]
    assert next(a for a in report.actions if a.ref == "SG1").evidence == 2
