"""Evidence files (PRODUCT.md §2): the type from the bytes, an allow-list, limits, safe names, and bytes
streamed to the database in chunks with bounded memory (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import tracemalloc
import zipfile

import pytest
import sqlalchemy as sa

from scheduler.store import db, evidence
from scheduler.store.evidence import EvidenceProblem
from scheduler.store.models import Action, Owner, Plan
from scheduler.store.sniff import Refused, safe_name, shown_name, sniff
from tests.conftest import both_databases, insert_action_before_upgrade

NOW = dt.datetime(2010, 1, 5, 10, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def office(kind_member: str, extra: dict | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(kind_member, "<document/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def odf(mime: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", mime)
        z.writestr("content.xml", "<office/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("audit.pdf", PDF, "application/pdf"),
        ("chart.png", PNG, "image/png"),
        ("photo.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        ("report.docx", office("word/document.xml"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("figures.xlsx", office("xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("slides.pptx", office("ppt/presentation.xml"),
         "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("minutes.odt", odf(b"application/vnd.oasis.opendocument.text"), "application/vnd.oasis.opendocument.text"),
        ("sheet.ods", odf(b"application/vnd.oasis.opendocument.spreadsheet"),
         "application/vnd.oasis.opendocument.spreadsheet"),
        ("cases.csv", "ref,allocated\nSG1,yes\n£5,é\n".encode(), "text/csv"),
        ("notes.txt", b"All referrals allocated.\r\n", "text/plain"),
        ("notes", b"no extension, plain text\n", "text/plain"),
    ],
)  # fmt: skip
def test_allowed_types_are_sniffed_from_the_bytes(name, data, expected):
    assert sniff(name, io.BytesIO(data)) == expected


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("audit.pdf", b"MZ\x90\x00" + b"\x00" * 60, "audit.pdf: this is a Windows program, not a document; "
         "programs are never accepted"),
        ("audit.pdf", b"\x7fELF\x02\x01", "audit.pdf: this is a Linux program, not a document; programs are never accepted"),
        ("run.txt", b"#!/bin/sh\nrm -rf /\n", "run.txt: this is a script, not a document; programs are never accepted"),
        ("audit.pdf", PNG, "audit.pdf: the name says a PDF but the content is a PNG image; rename it to .png or "
         "send the right file"),
        ("report.docx", PDF, "report.docx: the name says a Word document but the content is a PDF; rename it to .pdf "
         "or send the right file"),
        ("page.html", b"<html><script>alert(1)</script></html>", "page.html: the name says a .html file but the "
         "content is a text file; rename it to .txt or send the right file"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "old.doc: this kind of file is not accepted; "
         "send one of: pdf, docx, xlsx, pptx, odt, ods, csv, txt, png, jpeg"),
        ("empty.pdf", b"", "empty.pdf: the file is empty"),
        ("broken.docx", b"PK\x03\x04garbage", "broken.docx: the file is damaged (a broken zip archive); save it again "
         "and send that"),
    ],
)  # fmt: skip
def test_programs_mismatched_empty_and_unknown_files_are_refused_naming_the_file_and_why(name, data, message):
    with pytest.raises(Refused) as exc:
        sniff(name, io.BytesIO(data))
    assert str(exc.value) == message


def test_a_zip_bomb_named_docx_is_refused_from_its_directory_without_being_inflated(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            zeros = b"\x00" * 2**20
            for _ in range(300):  # 300 MB of zeros: about 300 KB on disk
                member.write(zeros)
    assert path.stat().st_size < 2 * 2**20
    tracemalloc.start()
    with path.open("rb") as f, pytest.raises(Refused) as exc:
        sniff("bomb.docx", f)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "bomb.docx: it would expand to 300 MB" in str(exc.value) and "zip bomb" in str(exc.value)
    assert peak < 2 * 2**20  # inflating it would have cost 300 MB


def test_file_names_lose_path_parts_and_control_characters_and_are_shown_escaped():
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("C:\\Users\\me\\report.pdf") == "report.pdf"
    assert safe_name("evil\r\nContent-Type: x.pdf") == "evilContent-Type: x.pdf"
    assert safe_name("\u202egnp.pdf") == "gnp.pdf"  # no right-to-left override to disguise the type
    assert safe_name("/") == "evidence"
    assert safe_name("a" * 300 + ".pdf").endswith("a.pdf") and len(safe_name("a" * 300 + ".pdf")) == 150
    assert shown_name("a\x00b\nc.pdf") == "a\\x00b\\nc.pdf"


@pytest.fixture
def store(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    with db.session(engine) as s:
        s.add(Owner(id="o1", name="Owner", email="o1@example.org", updated_at=NOW))
        s.add(Plan(id="p", title="Plan", report_date=dt.date(2009, 11, 24), updated_at=NOW))
        s.flush()
        s.add(Action(plan_id="p", ref="A1", title="Do it", owner_id="o1", owner_since=dt.date(2009, 11, 24),
                     config_due=dt.date(2010, 2, 24), due=dt.date(2010, 2, 24), created_at=NOW, updated_at=NOW))  # fmt: skip
        s.commit()
    yield engine
    engine.dispose()


def chunks_of(data: bytes, size: int = 65536):
    return (data[i : i + size] for i in range(0, len(data), size))


@both_databases
def test_a_20_mb_file_is_stored_in_chunks_and_read_back_byte_for_byte_with_bounded_memory(store):
    data = b"%PDF-1.7\n" + os.urandom(2**20) * 20  # 20 MB
    tracemalloc.start()
    upload = evidence.receive("big.pdf", chunks_of(data), 20 * 2**20 + 100)
    with db.session(store) as s:
        action = s.get(Action, 1)
        [row] = evidence.attach(s, action, [upload], [], "o1@example.org", NOW, "done", 10)
        s.commit()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    upload.close()
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MB"  # a few chunks, never the whole file
    with db.session(store) as s:
        listed = evidence.listing(s, 1)
        assert [(e.file_name, e.content_type, e.size) for e in listed] == [("big.pdf", "application/pdf", len(data))]
        digest = hashlib.sha256()
        for piece in evidence.chunks(s, row.id):
            assert len(piece) <= evidence.CHUNK
            digest.update(piece)
    assert digest.hexdigest() == listed[0].sha256 == hashlib.sha256(data).hexdigest()


def test_an_oversized_file_is_refused_with_the_limit_named_before_it_is_all_read():
    read = []

    def endless():
        while True:
            read.append(1)
            yield b"x" * 65536

    with pytest.raises(EvidenceProblem) as exc:
        evidence.receive("huge.pdf", endless(), 2 * 2**20)
    assert exc.value.status == 413
    assert str(exc.value) == "huge.pdf: the file is larger than the limit of 2 MB per file (EVIDENCE_MAX_MB)"
    assert len(read) == 33


def test_too_many_files_an_upload_on_a_closed_action_and_a_bad_link_change_nothing(store):
    with db.session(store) as s:
        action = s.get(Action, 1)
        uploads = [evidence.receive(f"f{i}.pdf", [PDF], 2**20) for i in range(3)]
        with pytest.raises(EvidenceProblem) as exc:
            evidence.attach(s, action, uploads, [], "o1", NOW, "n", max_files=2)
        assert str(exc.value) == ("3 files: at most 2 per submission (EVIDENCE_MAX_FILES); send the rest with a "
                                  "progress update") and exc.value.status == 413  # fmt: skip
        with pytest.raises(EvidenceProblem) as exc:
            evidence.attach(s, action, [], ["javascript:alert(1)"], "o1", NOW, "n", 10)
        assert str(exc.value) == "evidence link 'javascript:alert(1)': a link must start with https:// or http://"
        action.status = "complete"
        with pytest.raises(EvidenceProblem) as exc:
            evidence.attach(s, action, uploads[:1], [], "o1", NOW, "n", 10)
        assert str(exc.value).startswith("p/A1 is complete; evidence is added to an open or in-progress action")
        s.rollback()
        assert evidence.listing(s, 1) == []
        assert s.execute(sa.text("SELECT count(*) FROM evidence_chunk")).scalar() == 0


def test_a_file_of_the_same_name_supersedes_the_earlier_one_which_is_kept(store):
    with db.session(store) as s:
        action = s.get(Action, 1)
        [first] = evidence.attach(s, action, [evidence.receive("a.pdf", [PDF], 2**20)], [], "o1", NOW, "n", 10)
        [second] = evidence.attach(s, action, [evidence.receive("dir/a.pdf", [PDF + b"x"], 2**20)],
                                   ["https://intranet.example.org/a"], "o1", NOW, "n", 10)[:1]  # fmt: skip
        s.commit()
        rows = evidence.listing(s, 1)
    assert [(r.kind, r.file_name, r.given_name, r.superseded_by) for r in rows] == [
        ("file", "a.pdf", "a.pdf", second.id), ("file", "a.pdf", "dir/a.pdf", None),
        ("link", None, None, None)]  # fmt: skip
    assert first.id != second.id


@both_databases
def test_upgrade_from_before_evidence_keeps_complete_actions_complete(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0008")  # the revision before evidence
    with engine.begin() as conn:
        insert_action_before_upgrade(conn, "complete", NOW)
    db.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM action")).scalar() == "complete"
        assert conn.execute(sa.text("SELECT count(*) FROM evidence")).scalar() == 0
    assert db.current_revision(engine) == "0010"
    engine.dispose()
