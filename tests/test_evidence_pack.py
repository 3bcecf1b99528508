"""`reminders evidence-pack` (PRODUCT.md §8): index.html and index.pdf, every evidence file byte for
byte under evidence/<ref>/, manifest.json with SHA-256 sums; the same database gives the same zip."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile

import pytest

from tests.conftest import snapshot

PDF = b"%PDF-1.4\n%" + os.urandom(3000) + b"\n%%EOF\n"


@pytest.fixture
def history(cli, tmp_path):
    """SG1 completed with a PDF and a link, returned with a reason, completed again and verified; SG2
    waiting for verification with a CSV."""
    (tmp_path / "audit.pdf").write_bytes(PDF)
    (tmp_path / "cases.csv").write_text("ref,allocated\nSG2,yes\n")
    steps = [
        ("sync", "--now", "2009-11-24T08:00"),
        ("run", "--once", "--now", "2009-11-24T09:00"),
        ("set-status", "SG1", "awaiting_verification", "--by", "contact-centre-manager", "--note", "allocated",
         "--evidence", str(tmp_path / "audit.pdf"), "--evidence", "https://intranet.example.org/audit",
         "--now", "2010-01-05T10:00"),
        ("run", "--once", "--now", "2010-01-06T09:00"),
        ("verify", "SG1", "--return", "--reason", "covers <one> team only", "--now", "2010-01-06T11:00"),
        ("set-status", "SG1", "awaiting_verification", "--by", "contact-centre-manager", "--note", "all four teams",
         "--evidence", str(tmp_path / "audit.pdf"), "--now", "2010-01-07T10:00"),
        ("verify", "SG1", "--now", "2010-01-08T10:00"),
        ("set-status", "SG2", "awaiting_verification", "--by", "area-services-manager", "--note", "done",
         "--evidence", str(tmp_path / "cases.csv"), "--now", "2010-01-08T11:00"),
        ("run", "--once", "--now", "2010-01-11T09:00"),
    ]  # fmt: skip
    for step in steps:
        result = cli(*step)
        assert result.exit_code == 0, (step, result.output)
    return cli


def test_the_pack_holds_every_file_byte_for_byte_with_its_sha256_and_an_index_per_recommendation(history, tmp_path):
    out = tmp_path / "pack.zip"
    result = history("evidence-pack", "--plan", "ofsted-2009", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "12 recommendation(s), 3 evidence file(s)" in result.output
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert names == sorted(names)
        assert names == ["evidence/SG1/1-audit.pdf", "evidence/SG1/3-audit.pdf", "evidence/SG2/4-cases.csv",
                         "index.html", "index.pdf", "manifest.json"]  # fmt: skip
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert z.read("evidence/SG1/3-audit.pdf") == PDF
        manifest = json.loads(z.read("manifest.json"))
        html = z.read("index.html").decode()
        pdf = z.read("index.pdf")
    by_path = {f["path"]: f for f in manifest["files"]}
    sg1 = by_path["evidence/SG1/3-audit.pdf"]
    assert sg1["sha256"] == hashlib.sha256(PDF).hexdigest() and sg1["size"] == len(PDF)
    assert (sg1["submitted_by"], sg1["submitted_at"]) == ("Contact Centre Manager", "2010-01-07T10:00:00+00:00")
    assert by_path["evidence/SG1/1-audit.pdf"]["superseded_by"] == 3
    assert manifest["documents"]["index.pdf"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert html.count('<section class="rec"') == 12
    assert "Returned</span>: covers &lt;one&gt; team only" in html  # escaped
    assert "Verified</span>: the evidence was checked" in html and "https://intranet.example.org/audit" in html
    assert "verify:1" in html and "returned:1" in html  # notices sent
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        text = "\n".join(page.extract_text() or "" for page in doc.pages)
    assert "Evidence pack" in text and "SG1: Ensure that new referrals" in text
    assert "Returned: covers <one> team only" in text and "awaiting verification" in text


def test_the_same_database_gives_the_same_zip_byte_for_byte(history, tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert history("evidence-pack", "--plan", "ofsted-2009", "--out", str(first)).exit_code == 0
    assert history("evidence-pack", "--plan", "ofsted-2009", "--out", str(second), "--now", "2011-01-01").exit_code == 0
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plan", "nope", "--out", "p.zip"], "Error: --plan 'nope': no such plan; known: ofsted-2009"),
        (["--plan", "ofsted-2009", "--out", "p.pdf"],
         "Error: --out 'p.pdf': write the pack to a .zip file, e.g. --out ofsted-2009-evidence.zip"),
        (["--plan", "ofsted-2009", "--out", "missing/p.zip"], "Error: --out 'missing/p.zip': the folder 'missing' does not exist"),
    ],
)  # fmt: skip
def test_bad_pack_options_exit_2_naming_the_fix(cli, env, args, message):
    cli("sync", "--now", "2009-11-24T08:00")
    before = snapshot(env["DATABASE_URL"])
    result = cli("evidence-pack", *args)
    assert result.exit_code == 2
    assert result.output.strip() == message
    assert snapshot(env["DATABASE_URL"]) == before
