"""A real browser (Debian's chromium driven by Playwright) against `reminders web` in a subprocess:
an owner completes an action from the link in a real notice email, another asks for more time and
the manager approves it from theirs. Screenshots are saved in the test's temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest
import sqlalchemy as sa

from tests.conftest import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"),
]


@pytest.fixture
def site(env, smtp_env, tmp_path, monkeypatch, cli):
    """`reminders web` on 127.0.0.1 with links on; yields (base url, env)."""
    pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python (pip install playwright)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    extra = {"BASE_URL": base, "SECRET_KEY": "browser-test-secret-0123456789-abcdefghij"}
    for k, v in extra.items():
        monkeypatch.setenv(k, v)
    env.update(extra)
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    log = (tmp_path / "web.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "web", "--port", str(port)], cwd=tmp_path,
                            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base, env
    finally:
        proc.terminate()
        proc.wait(10)


def links_in(sink, to: str, path: str) -> list[str]:
    found = []
    for rcpts, msg in sink.parsed():
        if to in rcpts:
            found += re.findall(rf"(http://127\.0\.0\.1:\d+/{path}/\S+)", msg.get_body(("plain",)).get_content())
    return found


def test_owner_completes_and_manager_approves_from_the_email(site, smtp_env, cli, tmp_path, env):
    from playwright.sync_api import sync_playwright

    base, _ = site
    assert cli("run", "--once", "--now", "2009-11-24T09:00").exit_code == 0  # the `assigned` emails
    sg1_link = links_in(smtp_env, "contact-centre-manager@example.org", "a")[0]
    sg2_link = [x for x in links_in(smtp_env, "area-services-manager@example.org", "a")][0]
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 1100})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(sg1_link)
        assert "SG1: Ensure that new referrals are allocated" in page.inner_text("h1")
        page.screenshot(path=str(tmp_path / "1-action.png"), full_page=True)
        page.fill("#c-note", "All new referrals allocated; audit attached")
        page.fill("#c-links", "https://intranet.example.org/audit/sg1")
        page.click("text=Mark complete >> nth=-1")
        page.wait_for_selector(".notice")
        assert "Sent for verification" in page.inner_text(".notice")  # the administrator checks it (issue 17)
        page.screenshot(path=str(tmp_path / "2-completed.png"), full_page=True)

        page.goto(sg2_link)  # the owner of SG2 asks for more time
        page.fill("#e-date", "2010-03-31")
        page.fill("#e-reason", "The exemplar launch moved to March")
        page.click("text=Ask for this date")
        page.wait_for_selector(".notice")
        approve = links_in(smtp_env, "head-of-safeguarding@example.org", "x")[0]
        page.goto(approve)
        page.screenshot(path=str(tmp_path / "3-approve.png"), full_page=True)
        page.click("button[value=approve]")
        page.wait_for_selector(".notice")
        assert "Approved: ofsted-2009/SG2 is now due Wednesday 31 March 2010" in page.inner_text(".notice")
        page.screenshot(path=str(tmp_path / "4-approved.png"), full_page=True)
        browser.close()
    assert errors == [], errors
    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT ref, status || ' ' || due FROM action WHERE ref IN ('SG1', 'SG2')")).all())
        by = conn.execute(sa.text("SELECT by FROM action_event WHERE kind = 'status' "
                                  "AND to_value = 'awaiting_verification'")).scalar()  # fmt: skip
    engine.dispose()
    assert rows == {"SG1": "awaiting_verification 2010-02-24", "SG2": "open 2010-03-31"}
    assert by == "contact-centre-manager@example.org (via web)"
    subjects = [m["Subject"] for _, m in smtp_env.parsed()]
    assert any(s.startswith("[ofsted-2009] SG1 sent for verification") for s in subjects)
    assert any(s.startswith("[ofsted-2009] More time agreed: SG2 now due Wed 31 Mar 2010") for s in subjects)
    smtp_env.messages.clear()
    assert cli("run", "--once", "--now", "2010-01-27T09:00").exit_code == 0  # before:28 day for SG1..3
    sent = [n for _, m in smtp_env.parsed() for n in m["X-Reminder-Notices"].split(", ")]
    assert "ofsted-2009/SG3=before:28" in sent
    assert not [n for n in sent if n.startswith(("ofsted-2009/SG1=", "ofsted-2009/SG2=before:28"))]
    for name in ("1-action.png", "2-completed.png", "3-approve.png", "4-approved.png"):
        assert (tmp_path / name).stat().st_size > 5000
    if os.environ.get("REMINDERS_SCREENSHOTS"):  # to refresh the README's pictures
        for name in ("1-action.png", "3-approve.png"):
            shutil.copy(tmp_path / name, os.environ["REMINDERS_SCREENSHOTS"])
