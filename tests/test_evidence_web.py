"""Evidence and verification on the web (in-process): the owner's completion with files, the limits
and refusals of the issue's list, signed downloads, the administrator's verify / return, the pack."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from tests import web_helpers
from tests.conftest import snapshot
from tests.web_helpers import MANAGER, OWNER, form_of, link, make_site, status_of

web = web_helpers.web  # the fixture
ADMIN = "pqa-manager@example.org"
PDF = b"%PDF-1.4\n" + b"%" * 3000 + b"\n%%EOF\n"


def upload(client, app, files, note="All referrals allocated", links="", do="complete", to=OWNER):
    """Post the page's completion (or progress) form with `files` [(name, bytes)] to the upload route."""
    url = link(app, to=to)
    fields = form_of(client.get(url).text, do)
    data = {**fields, "note": note, "links": links}
    return client.post(url.replace("/a/", "/e/"), data=data,
                       files=[("files", (name, body, "application/octet-stream")) for name, body in files])  # fmt: skip


def evidence_rows(app):
    with app.session() as s:
        return s.execute(sa.text("SELECT id, file_name, given_name, content_type, size, sha256 FROM evidence "
                                 "WHERE kind = 'file' ORDER BY id")).all()  # fmt: skip


def test_owner_completes_with_files_and_a_link_and_it_awaits_verification(smtp_env, web):
    client, app, _ = web
    page = upload(client, app, [("audit.pdf", PDF), ("cases.csv", b"ref,ok\nSG1,yes\n")],
                  links="https://intranet.example.org/audit")  # fmt: skip
    assert page.status_code == 200, page.text
    assert "Sent for verification with 3 pieces of evidence" in page.text
    assert "Performance and Quality Assurance Manager has checked it" in page.text
    assert status_of(app) == "awaiting_verification"
    rows = evidence_rows(app)
    assert [(r.file_name, r.content_type, r.size) for r in rows] == [
        ("audit.pdf", "application/pdf", len(PDF)), ("cases.csv", "text/csv", 15)]  # fmt: skip
    assert rows[0].sha256 == hashlib.sha256(PDF).hexdigest()
    assert f'href="{link(app).replace("/a/", "/e/")}/{rows[0].id}"' in page.text
    assert "Mark complete" not in page.text, "no second completion while it waits"


def test_downloads_are_attachments_never_sniffed_for_owner_administrator_and_managers_only(web):
    client, app, _ = web
    upload(client, app, [("audit.pdf", PDF)])
    (row,) = evidence_rows(app)
    for who in (OWNER, ADMIN, MANAGER):
        got = client.get(link(app, to=who).replace("/a/", "/e/") + f"/{row.id}")
        assert got.status_code == 200 and got.content == PDF, who
        assert got.headers["content-disposition"] == "attachment; filename=\"audit.pdf\"; filename*=UTF-8''audit.pdf"
        assert got.headers["x-content-type-options"] == "nosniff" and got.headers["content-type"] == "application/pdf"
    stranger = client.get(link(app, to="lscb-chair@example.org").replace("/a/", "/e/") + f"/{row.id}")
    assert stranger.status_code == 403
    with app.session() as s:
        other = s.execute(sa.text("SELECT id FROM action WHERE ref = 'SG2'")).scalar()
    another = client.get(link(app, subject=other, to="area-services-manager@example.org").replace("/a/", "/e/")
                         + f"/{row.id}")  # fmt: skip
    assert another.status_code == 404, "another action's link does not open this action's file"


@pytest.mark.parametrize(
    ("files", "status", "text"),
    [
        ([("audit.pdf", b"MZ\x90\x00" + b"\x00" * 100)], 415,
         "audit.pdf: this is a Windows program, not a document; programs are never accepted"),
        ([("empty.pdf", b"")], 415, "empty.pdf: the file is empty"),
        ([("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)], 415, "scan.pdf: the name says a PDF but the content is a PNG"),
    ],
)  # fmt: skip
def test_programs_empty_and_mismatched_files_are_refused_naming_the_file_and_nothing_is_saved(web, files, status, text):
    client, app, url = web
    before = snapshot(url)
    page = upload(client, app, files)
    assert page.status_code == status and text in page.text
    assert "Nothing was saved" in page.text
    assert status_of(app) == "open" and evidence_rows(app) == []
    assert {k: v for k, v in snapshot(url).items() if k != "web_submission"} == {
        k: v for k, v in before.items() if k != "web_submission"}  # fmt: skip


def test_an_oversized_file_and_too_many_files_get_413_with_the_limit_named(web, env, monkeypatch):
    monkeypatch.setenv("EVIDENCE_MAX_MB", "1")
    monkeypatch.setenv("EVIDENCE_MAX_FILES", "2")
    client, app = make_site(env)
    big = upload(client, app, [("big.pdf", b"%PDF-1.4\n" + b"0" * 2**20)])
    assert big.status_code == 413
    assert "big.pdf: the file is larger than the limit of 1 MB per file (EVIDENCE_MAX_MB)" in big.text
    many = upload(client, app, [(f"f{i}.pdf", PDF) for i in range(3)])
    assert many.status_code == 413 and "at most 2 per submission (EVIDENCE_MAX_FILES)" in many.text
    huge = client.post(link(app).replace("/a/", "/e/"), content=b"x" * 10, headers={"content-length": str(3 * 2**20)})
    assert huge.status_code == 413 and "at most 2 MB in all" in huge.text
    assert status_of(app) == "open" and evidence_rows(app) == []


def test_a_file_name_with_path_parts_and_control_characters_is_stored_safely_and_shown_escaped(web):
    client, app, _ = web
    page = upload(client, app, [("../../etc/\x1b[31mreport<b>.txt", b"plain text evidence\n")])
    assert page.status_code == 200, page.text
    (row,) = evidence_rows(app)
    assert row.file_name == "[31mreport<b>.txt" and row.given_name == "../../etc/\\x1b[31mreport<b>.txt"
    assert "[31mreport&lt;b&gt;.txt" in page.text and "<b>" not in page.text.split("<h2>Evidence</h2>")[1]


def test_no_upload_on_a_closed_action(web):
    client, app, _ = web
    url = link(app)
    fields = form_of(client.get(url).text, "complete")
    with app.session() as s:
        s.execute(sa.text("UPDATE action SET status = 'complete' WHERE ref = 'SG1'"))
        s.commit()
    page = client.post(url.replace("/a/", "/e/"), data={**fields, "note": "more"},
                       files=[("files", ("audit.pdf", PDF, "application/pdf"))])  # fmt: skip
    assert page.status_code == 400 and "is complete" in page.text and evidence_rows(app) == []


def admin_post(client, app, do, to=ADMIN, **data):
    """Post the administrator's `do` form (its hidden fields from their page) to `to`'s link: a person
    who is not the administrator gets the same form, so the server must refuse it itself."""
    fields = form_of(client.get(link(app, to=ADMIN)).text, do)
    return client.post(link(app, to=to), data={**fields, **data})


def test_the_administrator_verifies_from_the_page_and_the_owner_is_told(smtp_env, web):
    client, app, _ = web
    upload(client, app, [("audit.pdf", PDF)])
    page = client.get(link(app, to=ADMIN)).text
    assert "Awaiting verification" in page and "All referrals allocated" in page and "audit.pdf" in page
    assert 'id="verify"' in page and 'id="return"' in page
    fields = form_of(page, "verify")
    manager = admin_post(client, app, "verify", to=MANAGER)
    assert manager.status_code == 400 and "is not the plan&#39;s administrator" in manager.text
    assert status_of(app) == "awaiting_verification"
    done = admin_post(client, app, "verify")
    assert done.status_code == 200 and "Verified: ofsted-2009/SG1 is complete." in done.text
    assert status_of(app) == "complete"
    twice = client.post(link(app, to=ADMIN), data=fields)  # the same form again, or a stale page
    assert twice.status_code in (400, 403) and status_of(app) == "complete"
    subjects = [m["Subject"] for _, m in smtp_env.parsed()]
    assert any("SG1 verified complete" in s for s in subjects)


def test_the_administrator_returns_with_a_reason_that_the_owner_is_emailed(smtp_env, web):
    client, app, _ = web
    upload(client, app, [("audit.pdf", PDF)])
    empty = admin_post(client, app, "return", reason="  ")
    assert empty.status_code == 400 and "reason is required to return a completion" in empty.text
    back = admin_post(client, app, "return", reason="the audit covers one team only")
    assert back.status_code == 200 and "Returned to Contact Centre Manager" in back.text
    assert status_of(app) == "in_progress"
    (msg,) = [m for rcpts, m in smtp_env.parsed() if OWNER in rcpts and "returned" in m["Subject"]]
    assert "Reason:  the audit covers one team only" in msg.get_body(("plain",)).get_content()
    page = client.get(link(app)).text  # the owner's page says it in plain words
    assert ("Returned by Performance and Quality Assurance Manager (on the web page), not verified yet: the audit "
            "covers one team only") in page  # fmt: skip
    assert "why it was returned" in page


def test_managers_download_the_evidence_pack_from_the_dashboard(web):
    client, app, _ = web
    upload(client, app, [("audit.pdf", PDF)])
    dash = link(app, "dashboard", "ofsted-2009", MANAGER)
    assert 'href="' + dash + '/evidence-pack.zip"' in client.get(dash).text
    got = client.get(dash + "/evidence-pack.zip")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert "attachment" in got.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(got.content)) as z:
        (path,) = [n for n in z.namelist() if n.startswith("evidence/SG1/")]
        assert z.read(path) == PDF


def test_a_20_mb_upload_streams_through_a_real_server_with_bounded_memory(web, env, monkeypatch):
    """uvicorn in a thread, the body sent a chunk at a time: the request is never held whole in memory
    (tracemalloc counts Python's allocations: client, server and database writes together)."""
    import os
    import tracemalloc

    import httpx

    from tests.web_helpers import serving

    client, app, _ = web
    with serving(client.app) as port:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60) as browser:
            url = link(app)
            fields = {**form_of(browser.get(url).text, "complete"), "note": "big audit"}
            piece = os.urandom(2**16)
            head = b"".join(f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                            for k, v in fields.items())  # fmt: skip
            head += b'--B\r\nContent-Disposition: form-data; name="files"; filename="big.pdf"\r\n' \
                    b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
            tail = b"\r\n--B--\r\n"
            size = len(head) + 319 * len(piece) + len(tail)

            def body():
                yield head
                for _ in range(319):  # 20 MB, less the PDF header
                    yield piece
                yield tail

            tracemalloc.start()
            got = browser.post(url.replace("/a/", "/e/"), content=body(),
                               headers={"content-type": "multipart/form-data; boundary=B", "content-length": str(size)})  # fmt: skip
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    assert got.status_code == 200, got.text
    (row,) = evidence_rows(app)
    assert row.size == 9 + 319 * len(piece)
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MB for a 20 MB upload"


def test_progress_can_carry_evidence(web):
    client, app, _ = web
    page = upload(client, app, [("interim.pdf", PDF)], note="Half the teams audited", do="progress")
    assert page.status_code == 200 and "Progress recorded with 1 piece of evidence." in page.text
    assert status_of(app) == "in_progress"
    assert [r.file_name for r in evidence_rows(app)] == ["interim.pdf"]


def test_while_it_waits_the_owner_cannot_ask_for_more_time_or_complete_again(web):
    client, app, _ = web
    url = link(app)
    extend, complete = form_of(client.get(url).text, "extend"), form_of(client.get(url).text, "complete")
    upload(client, app, [("audit.pdf", PDF)])
    twice = client.post(url.replace("/a/", "/e/"), data={**complete, "note": "again"},
                        files=[("files", ("b.pdf", PDF, "application/pdf"))])  # fmt: skip
    assert twice.status_code == 400 and "already awaiting verification" in twice.text
    assert len(evidence_rows(app)) == 1
    asked = client.post(url, data={**extend, "proposed_due": "2010-03-31", "reason": "late"})
    assert asked.status_code == 400 and "awaiting verification, so its date cannot move" in asked.text
    with app.session() as s:
        assert s.execute(sa.text("SELECT count(*) FROM extension_request")).scalar() == 0


def test_an_upload_that_trickles_in_is_cut_off_with_408(web, monkeypatch):
    import asyncio

    from scheduler.web import guard

    client, app, _ = web
    monkeypatch.setattr(guard, "BODY_SECONDS", 0.2)
    monkeypatch.setattr(guard, "BODY_BYTES_PER_S", 1e12)  # the deadline is BODY_SECONDS alone
    path = link(app).replace("/a/", "/e/")
    read, status = [0], []
    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"content-type", b"multipart/form-data; boundary=B"), (b"content-length", b"9000")],
             "http_version": "1.1", "scheme": "http", "server": ("t", 80), "client": ("c", 1), "root_path": ""}  # fmt: skip

    async def receive():
        await asyncio.sleep(0.05)
        read[0] += 1
        body = b'--B\r\nContent-Disposition: form-data; name="note"\r\n\r\n' if read[0] == 1 else b"a"
        return {"type": "http.request", "body": body, "more_body": read[0] < 1000}

    async def send(event):
        if event["type"] == "http.response.start":
            status.append(event["status"])

    asyncio.run(client.app(scope, receive, send))
    assert status == [408] and read[0] < 10, (status, read)
    assert status_of(app) == "open"


@pytest.mark.parametrize(("typed", "code"), [("https://intranet.example.org/a\x00b", "U+0000"),
                                             ("https://intranet.example.org/\u202egpj.exe", "U+202E")])  # fmt: skip
def test_a_link_with_a_null_or_a_bidi_mark_is_refused_with_the_form_kept_and_nothing_saved(web, typed, code):
    """A NUL in a link broke PostgreSQL's insert (a 500); a right-to-left override made a link read
    reversed. Both are refused as typed, with the reason, and nothing is saved."""
    client, app, url = web
    before = snapshot(url)
    page = upload(client, app, [("audit.pdf", PDF)], note="Allocated within a day", links=typed, do="progress")
    assert page.status_code == 400, page.text[-800:]
    shown = re.sub(r"<[^>]+>", " ", page.text)
    assert f"holds invisible or control characters ({code}); type or paste the address again" in shown, shown[:900]
    assert "Allocated within a day" in page.text, "what was typed is kept"
    assert snapshot(url) == before
