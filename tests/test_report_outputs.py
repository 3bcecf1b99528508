"""`reminders report` on the shipped plan: the same figures in HTML, PDF, DOCX and CSV, byte-identical
output for the same database and date, PDF pages that print, and bad input refused with exit 2."""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
import subprocess
import zipfile

import pytest

from tests.conftest import snapshot

AS_OF = ["--plan", "ofsted-2009", "--as-of", "2010-03-15", "--now", "2010-03-15T18:00"]


@pytest.fixture
def synced(cli):
    result = cli("sync", "--now", "2009-11-24T08:00")
    assert result.exit_code == 0, result.output
    return cli


def make(cli, tmp_path, fmt, *extra) -> bytes:
    out = tmp_path / f"report.{fmt}"
    result = cli("report", *AS_OF, "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_shipped_plan_in_march_2010_is_5_behind_by_up_to_a_month_and_7_on_target_in_every_format(synced, tmp_path):
    import pdfplumber
    from docx import Document

    rows = list(csv.DictReader(io.StringIO(make(synced, tmp_path, "csv").decode())))
    assert [r["category"] for r in rows].count("Behind by up to a month") == 5
    assert [r["category"] for r in rows].count("On target") == 7
    assert {r["ref"] for r in rows if r["category"] == "Behind by up to a month"} == {"SG1", "SG2", "SG3", "LAC1",
                                                                                      "LAC2"}  # fmt: skip
    assert set(rows[0]) >= {"ref", "title", "owner", "due", "revised_due", "status", "category", "self_assessment",
                            "latest_note", "note_date"}  # fmt: skip
    html = make(synced, tmp_path, "html").decode()
    cells = re.sub(r"<[^>]+>|\s+", " ", html)
    assert re.search(r"On target\s+7\s+58\.3%", cells) and re.search(r"Behind by up to a month\s+5\s+41\.7%", cells)
    with pdfplumber.open(io.BytesIO(make(synced, tmp_path, "pdf"))) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "On target 7 58.3%" in text and "Behind by up to a month 5 41.7%" in text
    doc = Document(io.BytesIO(make(synced, tmp_path, "docx")))
    figures = {row.cells[0].text: (row.cells[1].text, row.cells[2].text) for row in doc.tables[0].rows}
    assert figures["On target"] == ("7", "58.3%") and figures["Behind by up to a month"] == ("5", "41.7%")
    assert len(doc.tables[1].rows) == 13 and len(doc.inline_shapes) == 2  # a real table, the charts as pictures


def test_same_database_and_date_give_identical_files_and_charts(synced, tmp_path):
    for fmt in ("csv", "html", "pdf", "docx"):
        assert make(synced, tmp_path, fmt) == make(synced, tmp_path, fmt), fmt
    html = make(synced, tmp_path, "html").decode()
    inline = [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]
    with zipfile.ZipFile(io.BytesIO(make(synced, tmp_path, "docx"))) as z:
        pictures = sorted(z.read(n) for n in z.namelist() if n.startswith("word/media/"))
    assert len(inline) == 2 and sorted(inline) == pictures  # the same chart bytes in HTML and DOCX
    assert all(png.startswith(b"\x89PNG") for png in inline)


def test_a_later_event_does_not_change_the_report_of_an_earlier_date(synced, tmp_path):
    before = make(synced, tmp_path, "csv")
    result = synced("set-status", "SG1", "in_progress", "--note", "audit under way", "--now", "2010-03-16T10:00")
    assert result.exit_code == 0, result.output
    assert make(synced, tmp_path, "csv") == before
    later = synced("report", "--plan", "ofsted-2009", "--as-of", "2010-03-16", "--now", "2010-03-16T18:00",
                   "--format", "csv")  # fmt: skip
    sg1 = next(r for r in csv.DictReader(io.StringIO(later.output)) if r["ref"] == "SG1")
    assert (sg1["status"], sg1["latest_note"], sg1["note_date"]) == ("in_progress", "audit under way", "2010-03-16")


def test_evidence_is_counted_as_of_the_date_and_a_replaced_file_once(synced, db_url, tmp_path):
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:  # rows of the evidence table (migration 0010), a replaced file among them
        sg2 = conn.execute(sa.text("SELECT id FROM action WHERE ref = 'SG2'")).scalar()
        for eid, day, later in ((1, "2010-02-01", 2), (2, "2010-03-01", None), (3, "2010-03-16", None)):
            conn.execute(sa.text("INSERT INTO evidence (id, action_id, kind, size, submitted_by, submitted_at, "
                                 "superseded_by) VALUES (:i, :a, 'link', 0, 'o', :t, :s)"),
                         {"i": eid, "a": sg2, "t": f"{day} 10:00:00.000000", "s": later})  # fmt: skip
    engine.dispose()
    rows = list(csv.DictReader(io.StringIO(make(synced, tmp_path, "csv").decode())))
    assert next(r for r in rows if r["ref"] == "SG2")["evidence"] == "1"  # the March file replaced February's
    assert {r["evidence"] for r in rows if r["ref"] != "SG2"} == {"0"}


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pdf_is_a4_at_most_12_pages_and_every_page_prints_something(synced, tmp_path):
    import pdfplumber
    from PIL import Image

    pdf = make(synced, tmp_path, "pdf")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        pages = len(doc.pages)
        assert all(round(p.width) == 595 and round(p.height) == 842 for p in doc.pages)  # A4 in points
    assert 1 <= pages <= 12
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(tmp_path / "report.pdf"), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for path in images:
        grey = Image.open(path).convert("L")
        inked = sum(grey.histogram()[:200])
        assert inked > 0.01 * grey.width * grey.height, f"{path.name} is (almost) blank"


CASES = {
    "unknown_plan": (["--plan", "ofsted"], "--plan 'ofsted': no such plan; known: ofsted-2009"),
    "no_plan": ([], "--plan is required; known plans: ofsted-2009"),
    "bad_date": (["--plan", "ofsted-2009", "--as-of", "15/03/2010"], "--as-of '15/03/2010': not a date; write it as"),
    "before_report": (["--plan", "ofsted-2009", "--as-of", "2009-01-01"],
                      "--as-of 2009-01-01: before the plan's report date 2009-11-24"),
    "future": (["--plan", "ofsted-2009", "--as-of", "2010-04-01", "--now", "2010-03-15"],
               "--as-of 2010-04-01: after today (2010-03-15)"),
    "unknown_extension": (["--plan", "ofsted-2009", "--now", "2010-03-15", "--out", "report.txt"],
                          "--out 'report.txt': cannot tell the format from 'txt'"),
    "bad_format": (["--plan", "ofsted-2009", "--format", "xlsx"], "Invalid value for '--format'"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_report_input_is_exit_2_with_the_fix_and_writes_nothing(case, synced, db_url, tmp_path):
    args, message = CASES[case]
    before = snapshot(db_url)
    result = synced("report", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert snapshot(db_url) == before
    assert not list(tmp_path.glob("report*"))


def test_report_before_any_sync_says_to_sync_first(cli):
    result = cli("report", "--plan", "ofsted-2009", "--now", "2010-03-15", "--format", "csv")
    assert result.exit_code == 2
    assert "the database has no actions of this plan as of 2010-03-15; run `reminders sync` first" in result.output


def test_report_help_has_an_example(cli):
    result = cli("report", "--help")
    assert result.exit_code == 0
    assert "reminders report --plan ofsted-2009 --as-of 2010-03-15 --out march.pdf" in result.output
