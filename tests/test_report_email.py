"""The progress report email: headline figures in HTML and text, the charts inline as cid PNGs (the
same bytes as in every other format), the PDF attached."""

from __future__ import annotations

import datetime as dt
import email
import io
import re
from email import policy

from scheduler.app import App
from scheduler.clock import FixedClock
from scheduler.documents.report_charts import timeline_png, trend_png
from scheduler.documents.report_mail import report_message
from scheduler.documents.report_source import report_for

NOW = dt.datetime(2010, 3, 15, 9, 0, tzinfo=dt.UTC)


def test_report_email_has_the_figures_the_charts_inline_and_the_pdf_attached(cli):
    import pdfplumber

    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    app = App.from_env(None, FixedClock(NOW))
    plan = app.config.plans["ofsted-2009"]
    with app.session() as s:
        report = report_for(s, plan, dt.date(2010, 3, 15))
    msg = report_message(app.renderer, report, list(plan.summary_recipients), NOW,
                         app.config.owners[plan.administrator])  # fmt: skip
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == ("[ofsted-2009] Progress report for 15 Mar 2010: 12 actions "
                                  "(7 on target, 5 behind by up to a month)")
    assert parsed["Reply-To"] == "Performance and Quality Assurance Manager <pqa-manager@example.org>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    html = parsed.get_body(("html",)).get_content()
    text = parsed.get_body(("plain",)).get_content()
    for body in (html, text):
        assert "Of 12 actions: 7 (58.3%) on target; 5 (41.7%) behind by up to a month." in body
    cids = re.findall(r'src="cid:([^"]+)"', html)
    images = {p["Content-ID"].strip("<>"): p.get_content() for p in parsed.walk() if p.get_content_type() == "image/png"}
    assert len(cids) == 2 and set(cids) == set(images)
    assert sorted(images.values()) == sorted([trend_png(report), timeline_png(report)])
    assert "svg" not in html.lower()
    pdfs = [p for p in parsed.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert [p.get_filename() for p in pdfs] == ["progress-report-ofsted-2009-2010-03-15.pdf"]
    with pdfplumber.open(io.BytesIO(pdfs[0].get_content())) as pdf:
        assert "On target 7 58.3%" in pdf.pages[0].extract_text()


def test_simulate_sends_the_report_with_its_pdf_once_per_recipient_on_each_review_date(cli, config_dir, tmp_path):
    from collections import Counter

    from tests.test_reviews_progress import uncomment_reviews

    uncomment_reviews(config_dir)
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    out = cli("simulate", "--from", "2010-01-11", "--to", "2010-03-18", "--outbox", str(tmp_path / "sim"))
    assert out.exit_code == 0, out.output
    reports = [re.match(r"(.+?)\s+ofsted-2009/-\s+(report:\S+)\s+-> (\S+)\s+(.+)$", line).groups()
               for line in out.output.splitlines() if "report:" in line]
    assert Counter((stage, to) for _, stage, to, outcome in reports if outcome == "sent") == {
        ("report:2010-01-12", "pqa-manager@example.org"): 1, ("report:2010-01-12", "executive-director@example.org"): 1,
        ("report:2010-03-16", "pqa-manager@example.org"): 1, ("report:2010-03-16", "executive-director@example.org"): 1,
    }  # fmt: skip
    assert {day.strip() for day, *_ in reports} == {"Tue 12 Jan 2010", "Tue 16 Mar 2010"}  # on the review days only
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "sim").glob("*.eml")]
    sent = [m for m in mails if "Progress report for" in str(m["Subject"])]
    assert sorted((m["To"].addresses[0].addr_spec, str(m["Subject"]).split(":")[0]) for m in sent) == sorted(
        [(to, f"[ofsted-2009] Progress report for {d}") for to in ("pqa-manager@example.org",
                                                                  "executive-director@example.org")
         for d in ("12 Jan 2010", "16 Mar 2010")])  # fmt: skip
    for m in sent:
        assert [p.get_content_type() for p in m.iter_attachments()] == ["application/pdf"]
        assert str(m["Date"]).startswith(("Tue, 12 Jan 2010 09:00", "Tue, 16 Mar 2010 09:00"))


def test_weekly_summary_links_to_the_latest_progress_report(cli, config_dir, tmp_path, monkeypatch):
    from tests.test_reviews_progress import uncomment_reviews
    from tests.web_helpers import BASE, KEY

    uncomment_reviews(config_dir)
    monkeypatch.setenv("BASE_URL", BASE)
    monkeypatch.setenv("SECRET_KEY", KEY)
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    sent = cli("summary", "--send", "--now", "2010-03-22T08:00")
    assert sent.exit_code == 0, sent.output
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "outbox").glob("*.eml")]
    assert mails
    for m in mails:
        text, html = m.get_body(("plain",)).get_content(), m.get_body(("html",)).get_content()
        assert re.search(rf"Latest progress report: {BASE}/d/\S+/report\?as_of=2010-03-16", text)
        assert re.search(rf'<a href="{BASE}/d/\S+/report\?as_of=2010-03-16"', html)


def test_run_once_on_a_review_day_sends_the_report_once(cli, config_dir):
    from tests.test_reviews_progress import uncomment_reviews

    uncomment_reviews(config_dir)
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    early = cli("run", "--once", "--now", "2010-01-12T08:30")
    assert early.exit_code == 0 and "progress report" not in early.output  # before send time
    first = cli("run", "--once", "--now", "2010-01-12T09:05")
    assert first.exit_code == 0, first.output
    assert "progress report ofsted-2009 report:2010-01-12 to pqa-manager@example.org: sent" in first.output
    assert "progress report ofsted-2009 report:2010-01-12 to executive-director@example.org: sent" in first.output
    again = cli("run", "--once", "--now", "2010-01-13T09:05")
    assert again.exit_code == 0 and "progress report" not in again.output
