"""The report as people read it: persons by name in every format, and the report email's text part,
To and subject (plain apostrophes, lines wrapped like the other emails, a subject that adds up)."""

from __future__ import annotations

import email
import html as htmlmod
import io
import re
from email import policy

import pytest

from scheduler.documents.report_data import LABELS
from tests.test_reviews_progress import uncomment_reviews

APPROVER_ID, APPROVER = "head-of-looked-after-children", "Head of Looked After Children's Services"


@pytest.fixture
def march(cli, config_dir):
    """The shipped plan with its reviews on, an extension agreed, one action awaiting verification."""
    uncomment_reviews(config_dir)
    for args in (("sync", "--now", "2009-11-24T08:00"),
                 ("extend", "LAC1", "--to", "2010-03-31", "--reason", "staff shortage", "--approved-by", APPROVER_ID,
                  "--by", "admin", "--now", "2010-02-20T10:00"),
                 ("set-status", "SG3", "awaiting_verification", "--note", "audits done", "--now", "2010-02-10T10:00")):
        result = cli(*args)
        assert result.exit_code == 0, result.output
    return cli


def report_text(cli, tmp_path, fmt: str) -> str:
    out = tmp_path / f"report.{fmt}"
    result = cli("report", "--plan", "ofsted-2009", "--as-of", "2010-03-15", "--now", "2010-03-15T18:00",
                 "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    if fmt == "html":
        return " ".join(htmlmod.unescape(re.sub(r"<[^>]+>", " ", out.read_text())).split())
    from docx import Document

    doc = Document(io.BytesIO(out.read_bytes()))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return " ".join(" ".join([p.text for p in doc.paragraphs] + cells).split())


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_the_report_names_the_approver_of_an_extension_not_their_owner_id(march, tmp_path, fmt):
    text = report_text(march, tmp_path, fmt)
    assert f"approved by {APPROVER})" in text
    assert APPROVER_ID not in text


def test_report_email_text_is_plain_wrapped_and_to_names_the_person_and_the_subject_adds_up(march, tmp_path):
    result = march("run", "--once", "--now", "2010-03-16T09:05")
    assert result.exit_code == 0, result.output
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in (tmp_path / "outbox").glob("*.eml")]  # fmt: skip
    mail = next(m for m in mails if "16 Mar 2010" in str(m["Subject"]) and "executive-director@" in str(m["To"]))
    text = mail.get_body(("plain",)).get_content()
    assert "for Children's Services Management Team" in " ".join(text.split())
    assert "&#39;" not in text and "&amp;" not in text
    assert [line for line in text.splitlines() if len(line) > 78 and "://" not in line] == []
    assert [(a.display_name, a.addr_spec) for a in mail["To"].addresses] == [
        ("Executive Director, Children's Services", "executive-director@example.org")]
    subject = str(mail["Subject"])
    total, listed = re.search(r": (\d+) actions \((.+)\)$", subject).groups()
    counts = {what: int(n) for n, what in (part.split(" ", 1) for part in listed.split(", "))}
    assert set(counts) <= {label.lower() for label in LABELS.values()}
    assert sum(counts.values()) == int(total) == 12
    assert counts["awaiting verification"] == 1 and counts["rescheduled with approval"] == 1
