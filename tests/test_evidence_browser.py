"""The issue's "done when", in a real browser (Debian's chromium driven by Playwright) against the web
app served by uvicorn on a ManualClock, with a real SMTP server: an owner completes with a PDF, the
next run emails the administrator, who verifies in the browser; a second action is returned with a
reason that the owner's next email gives; the evidence pack holds the file byte for byte."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import threading
import zipfile

import pytest
import sqlalchemy as sa

from tests.conftest import REPO, free_port
from tests.test_browser import CHROMIUM, links_in
from tests.web_helpers import BASE, KEY, make_site

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"),
]
ADMIN = "pqa-manager@example.org"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\n" + os.urandom(20000) + b"\n%%EOF\n"


def first_run_after(instant: dt.datetime) -> dt.datetime:
    """The first run (09:00 London on a working day) after `instant`: when verify:N goes."""
    from zoneinfo import ZoneInfo

    from scheduler.config.dates import WorkingCalendar
    from scheduler.engine.verification import first_send_day

    london = ZoneInfo("Europe/London")
    day = first_send_day(instant.astimezone(london), dt.time(9, 0), WorkingCalendar((0, 1, 2, 3, 4), "GB-ENG"))
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=london).astimezone(dt.UTC)


def last_working_morning() -> dt.datetime:
    """10:00 London on the latest working day up to now (links are signed with the wall clock, so the
    story happens now: the shipped plan is moved to a report date 30 days ago)."""
    from zoneinfo import ZoneInfo

    from scheduler.config.dates import WorkingCalendar

    day = WorkingCalendar((0, 1, 2, 3, 4), "GB-ENG").on_or_before(dt.datetime.now(dt.UTC).date())

    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=ZoneInfo("Europe/London")).astimezone(dt.UTC)


@pytest.fixture
def served(env, smtp_env, cli, monkeypatch, config_dir):
    """(base url, App) of the web app served by uvicorn in a thread; its clock is app.clock."""
    pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python (pip install playwright)")
    import uvicorn

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("BASE_URL", base)
    monkeypatch.setenv("SECRET_KEY", KEY)
    plan = config_dir / "plans" / "ofsted-2009.yaml"
    report = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).date()
    plan.write_text(plan.read_text().replace("report_date: 2009-11-24", f"report_date: {report}"))
    assert cli("sync", "--now", report.isoformat() + "T08:00").exit_code == 0
    morning = min(last_working_morning(), dt.datetime.now(dt.UTC))
    assert cli("run", "--once", "--now", morning.isoformat(timespec="minutes")).exit_code == 0  # `assigned` emails
    client, app = make_site(env)
    server = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    yield base, app
    server.should_exit = True
    thread.join(10)
    app.engine.dispose()
    assert BASE  # the in-process tests' base is not used here


def at(app, when: dt.datetime) -> None:
    app.clock.set(when)


def run(cli, when: dt.datetime):
    assert cli("run", "--once", "--now", when.isoformat(timespec="minutes")).exit_code == 0


def status(app, ref: str) -> str:
    with app.session() as s:
        return s.execute(sa.text("SELECT status FROM action WHERE ref = :r"), {"r": ref}).scalar()


def page_title(app, link: str) -> str:
    """The ref an action link is about (from its signed subject)."""
    claims = app.links.check(link.rsplit("/", 1)[1], "action", 10_000)
    with app.session() as s:
        return s.execute(sa.text("SELECT ref FROM action WHERE id = :i"), {"i": int(claims.subject)}).scalar()


def complete_in_browser(page, link: str, note: str, pdf_path, shot=None) -> str:
    page.goto(link)
    assert page.locator("#c-note").count() == 1, page.inner_text("main")
    page.fill("#c-note", note)
    page.set_input_files("#c-files", str(pdf_path))
    if shot:
        page.screenshot(path=str(shot), full_page=True)
    page.click("text=Mark complete >> nth=-1")
    page.wait_for_selector(".notice")
    return page.inner_text(".notice")


def test_done_when_complete_verify_return_and_the_evidence_pack(served, smtp_env, cli, tmp_path):
    from playwright.sync_api import sync_playwright

    base, app = served
    pdf_path = tmp_path / "referral-audit.pdf"
    pdf_path.write_bytes(PDF)
    sg1 = links_in(smtp_env, "contact-centre-manager@example.org", "a")[0]
    sg2 = links_in(smtp_env, "area-services-manager@example.org", "a")[0]
    errors, shots = [], tmp_path / "shots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.on("pageerror", lambda e: errors.append(str(e)))
        start = dt.datetime.now(dt.UTC).replace(microsecond=0)
        at(app, start)  # the owner completes SG1 with a PDF
        said = complete_in_browser(page, sg1, "All new referrals allocated; the January audit is attached.",
                                   pdf_path, shots / "5-complete-with-evidence.png")  # fmt: skip
        assert "Sent for verification with 1 piece of evidence" in said
        assert status(app, "SG1") == "awaiting_verification"
        smtp_env.messages.clear()
        first = first_run_after(start)
        run(cli, first)  # the next run
        (rcpts, msg), = [(r, m) for r, m in smtp_env.parsed() if ADMIN in r]
        assert "ofsted-2009/SG1=verify:1" in msg["X-Reminder-Notices"]
        assert "referral-audit.pdf (application/pdf" in msg.get_body(("plain",)).get_content()
        admin_link = links_in(smtp_env, ADMIN, "a")[0]
        at(app, first + dt.timedelta(hours=1))
        page.goto(admin_link)
        assert "Awaiting verification" in page.inner_text("main")
        page.set_viewport_size({"width": 1100, "height": 1300})
        page.screenshot(path=str(shots / "6-verify.png"), full_page=True)
        page.set_viewport_size({"width": 375, "height": 900})
        page.screenshot(path=str(shots / "6-verify-375.png"), full_page=True)
        page.set_viewport_size({"width": 1100, "height": 1300})
        download = page.request.get(base + page.get_attribute("table.evidence a", "href"))
        assert download.body() == PDF and download.headers["x-content-type-options"] == "nosniff"
        page.click("#verify")
        page.wait_for_selector(".notice")
        assert "Verified: ofsted-2009/SG1 is complete." in page.inner_text(".notice")
        assert status(app, "SG1") == "complete"

        at(app, first + dt.timedelta(hours=1, minutes=30))  # a second action, returned with a reason
        assert "Sent for verification" in complete_in_browser(page, sg2, "Thresholds agreed", pdf_path)
        smtp_env.messages.clear()
        second = first_run_after(first + dt.timedelta(hours=1, minutes=30))
        run(cli, second)
        admin_link = next(x for x in links_in(smtp_env, ADMIN, "a") if "SG2" in page_title(app, x))
        at(app, second + dt.timedelta(hours=1))
        page.goto(admin_link)
        assert "SG2" in page.inner_text("h1")
        smtp_env.messages.clear()
        page.fill("#r-reason", "The audit covers one team only; attach all four teams' audits.")
        page.screenshot(path=str(shots / "7-return.png"), full_page=True)
        page.click("#return")
        page.wait_for_selector(".notice")
        assert "Returned to Area Social Care Services Manager with your reason" in page.inner_text(".notice")
        browser.close()
    assert errors == [], errors
    assert status(app, "SG2") == "in_progress"
    (rcpts, msg), = smtp_env.parsed()  # the owner's next email gives the reason
    assert rcpts == ["area-services-manager@example.org"] and "returned" in msg["Subject"]
    assert "The audit covers one team only; attach all four teams' audits." in " ".join(
        msg.get_body(("plain",)).get_content().split())  # fmt: skip

    out = tmp_path / "pack.zip"
    assert cli("evidence-pack", "--plan", "ofsted-2009", "--out", str(out)).exit_code == 0
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
        entry = next(f for f in manifest["files"] if f["ref"] == "SG1")
        assert z.read(entry["path"]) == PDF
        assert entry["sha256"] == hashlib.sha256(PDF).hexdigest() and entry["size"] == len(PDF)
        assert re.search(r"Verified</span>: the evidence was checked", z.read("index.html").decode())
    for name in ("5-complete-with-evidence.png", "6-verify.png", "7-return.png"):
        assert (shots / name).stat().st_size > 5000
        if os.environ.get("REMINDERS_SCREENSHOTS"):  # to refresh the README's pictures
            shutil.copy(shots / name, REPO / "docs" / name)
