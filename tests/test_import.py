"""`reminders import`: the seed report, the same content as HTML, DOCX and PDF, other report shapes,
and the errors (unknown format, unreadable, scanned PDF, nothing found, existing --out)."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, SHIPPED_CONFIG

SEED = REPO.parent / "shared" / "seed" / "ofsted-inspection-cabinet-report-2009.txt"
needs_seed = pytest.mark.skipif(not SEED.exists(), reason=f"the seed report is not at {SEED}")
ARGS = ("--plan-id", "ofsted-2009", "--report-date", "2009-11-24")


def draft(cli, path: Path, *extra) -> dict:
    result = cli("import", str(path), *ARGS, *extra)
    assert result.exit_code == 0, result.output
    return yaml.safe_load(result.output.split("found ")[0] if "found " in result.output else result.output)


def draft_file(cli, path: Path, out: Path, *extra):
    result = cli("import", str(path), *ARGS, "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    return yaml.safe_load(out.read_text()), out.read_text(), result.output


@needs_seed
def test_seed_report_gives_the_shipped_plans_twelve_actions(cli, tmp_path):
    plan, text, output = draft_file(cli, SEED, tmp_path / "draft.yaml")
    shipped = yaml.safe_load((SHIPPED_CONFIG / "plans" / "ofsted-2009.yaml").read_text())
    got = [(a["ref"], a["area"], a["title"], a["timescale_months"]) for a in plan["actions"]]
    want = [(a["ref"], a["area"], a["title"], a["timescale_months"]) for a in shipped["actions"]]
    assert got == want
    assert [a["ref"] for a in plan["actions"]].count("SG1") == 1 and len(got) == 12
    assert all(a["owner"] == "to-assign" for a in plan["actions"])
    assert plan["actions"][4]["response"].startswith("A Social Care Performance and Quality Assurance was")
    assert "<p>" not in text and "<ul" not in text  # the response's HTML turned into plain text
    summary = "12 recommendations; within 3 months: 5, within 6 months: 7; Safeguarding: 7, Looked after children: 5"
    assert f"# found: {summary}" in text and f"found {summary}" in output
    assert "# sha256 4924e52ab2eddc8494f2d8dcd860f4a3619ee032dec19bb62f05ab4886f7daf2" in text


@needs_seed
def test_draft_validates_once_owners_are_set_and_syncs_to_the_same_due_dates(cli, config_dir, tmp_path):
    shipped = config_dir / "plans" / "ofsted-2009.yaml"
    owners = {a["ref"]: a["owner"] for a in yaml.safe_load(shipped.read_text())["actions"]}
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    want = {r["ref"]: r["due"] for r in yaml.safe_load(cli("status", "--json").output)}
    shutil.move(shipped, tmp_path / "shipped.yaml")
    draft_file(cli, SEED, shipped)
    refused = cli("validate")
    assert refused.exit_code == 2
    assert "actions[0] (SG1).owner: SG1 has no owner yet (the import placeholder 'to-assign'); set it to an owner id" in (
        refused.output)  # fmt: skip
    assert refused.output.count("has no owner yet") == 12
    text = shipped.read_text().replace("actions:\n", "escalation_contact: executive-director\nactions:\n", 1)
    for owner in owners.values():  # the draft lists the actions in the shipped plan's order
        text = text.replace("\n  owner: to-assign", f"\n  owner: {owner}", 1)
    shipped.write_text(text)
    assert cli("validate").exit_code == 0, cli("validate").output
    assert cli("sync", "--now", "2009-11-25T08:00").exit_code == 0
    assert {r["ref"]: r["due"] for r in yaml.safe_load(cli("status", "--json").output)} == want


def seed_sections(plan: dict):
    """[(area heading, [(timescale heading, [(title, response)])])] of a draft, to re-render it."""
    out = []
    for area, heading in (("Safeguarding", "Key findings for safeguarding"),
                          ("Looked after children", "Key findings for looked after children")):  # fmt: skip
        acts = [a for a in plan["actions"] if a["area"] == area]
        scales = [(f"Within {m} months", [(a["title"], a["response"]) for a in acts if a["timescale_months"] == m])
                  for m in (3, 6)]  # fmt: skip
        out.append((heading, scales))
    return out


def to_html(plan, path: Path) -> Path:
    parts = ["<html><head><title>x</title><style>p{}</style></head><body><h1>Inspection report 2009</h1>"]
    for heading, scales in seed_sections(plan):
        parts.append(f"<h2>{html.escape(heading)}</h2><p>The report makes these recommendations.</p>")
        for scale, rows in scales:
            parts.append(f"<h3>{scale}</h3><table><tr><th>Recommendation</th><th>Response</th></tr>")
            parts += [f"<tr><td>{html.escape(t)}</td><td><p>{html.escape(r)}</p></td></tr>" for t, r in rows]
            parts.append("</table>")
    path.write_text("".join(parts) + "</body></html>")
    return path


def to_docx(plan, path: Path) -> Path:
    import docx

    doc = docx.Document()
    doc.add_heading("Inspection report 2009", 0)
    for heading, scales in seed_sections(plan):
        doc.add_heading(heading, 1)
        for scale, rows in scales:
            doc.add_heading(scale, 2)
            table = doc.add_table(rows=1, cols=2)
            table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Recommendation", "Response"
            for t, r in rows:
                cells = table.add_row().cells
                cells[0].text, cells[1].text = t, r
    doc.save(str(path))
    return path


def to_pdf(plan, path: Path) -> Path:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    story = [Paragraph("Inspection report 2009", styles["Title"])]
    for heading, scales in seed_sections(plan):
        story.append(Paragraph(heading, styles["Heading1"]))
        for scale, rows in scales:
            story.append(Paragraph(scale, styles["Heading2"]))
            for i, (t, r) in enumerate(rows, start=1):
                story.append(Paragraph(html.escape(f"{i}. {t}"), styles["Normal"]))
                story.append(Paragraph(html.escape(f"Response: {r}"), styles["Normal"]))
    SimpleDocTemplate(str(path), pagesize=landscape(A4)).build(story)
    return path


@needs_seed
@pytest.mark.parametrize("render", [to_html, to_docx, to_pdf], ids=["html", "docx", "pdf"])
def test_the_same_content_as_html_docx_and_pdf_gives_the_same_draft(cli, tmp_path, render):
    seed_plan, _, _ = draft_file(cli, SEED, tmp_path / "seed.yaml")
    suffix = {"to_html": ".html", "to_docx": ".docx", "to_pdf": ".pdf"}[render.__name__]
    other, _, _ = draft_file(cli, render(seed_plan, tmp_path / f"report{suffix}"), tmp_path / "other.yaml")
    assert other["actions"] == seed_plan["actions"]


def test_numbered_lists_under_immediately_three_and_six_months(cli, tmp_path):
    report = tmp_path / "report.md"
    report.write_text(
        "# Joint targeted area inspection\n\n## Safeguarding\n\n"
        "Immediately:\n\n1. Ensure that every child at risk has an allocated social worker\n\n"
        "Within three months\n\n1. Improve the quality of strategy discussions\n   with the police and health\n"
        "2. Review the threshold document\n\n"
        "## Care leavers\n\nWithin six months:\n\n- Increase the number of care leavers in education\n"
        "By March 2011\n\n- Provide every care leaver with a pathway plan\n"
    )
    plan = draft(cli, report, "--owner", "head-of-safeguarding")
    got = [(a["ref"], a.get("area"), a["title"], a.get("timescale_months"), str(a.get("due"))) for a in plan["actions"]]
    assert got == [
        ("SG1", "Safeguarding", "Ensure that every child at risk has an allocated social worker", None, "2009-11-24"),
        ("SG2", "Safeguarding", "Improve the quality of strategy discussions with the police and health", 3, "None"),
        ("SG3", "Safeguarding", "Review the threshold document", 3, "None"),
        ("CL1", "Care leavers", "Increase the number of care leavers in education", 6, "None"),
        ("CL2", "Care leavers", "Provide every care leaver with a pathway plan", None, "2011-03-31"),
    ]
    assert {a["owner"] for a in plan["actions"]} == {"head-of-safeguarding"}
    assert plan["title"] == "Joint targeted area inspection"


def test_a_table_layout_and_a_warning_for_a_recommendation_without_timescale(cli, tmp_path):
    report = tmp_path / "report.html"
    report.write_text(
        "<h1>Fostering inspection</h1><table><tr><th>Recommendation</th><th>Response</th></tr>"
        "<tr><td>Ensure carers receive supervision</td><td>Agreed</td></tr></table>"
        "<h2>Fostering</h2><p>Within 12 months:</p><table><tr><th>Recommendation</th><th>Response</th></tr>"
        "<tr><td>Develop a sufficiency strategy</td><td><ul><li>Draft by June</li></ul></td></tr></table>"
    )
    result = cli("import", str(report), *ARGS)
    assert result.exit_code == 0, result.output
    assert "warning: line 3: looks like a recommendation but no timescale heading comes before it: " \
           "'Ensure carers receive supervision'" in result.output  # fmt: skip
    plan = yaml.safe_load(result.output.split("\nfound ")[0].split("warning:")[0] or "{}") or yaml.safe_load(
        "\n".join(x for x in result.output.splitlines() if not x.startswith(("warning:", "found "))))
    assert [(a["ref"], a["title"], a["response"], a["timescale_months"]) for a in plan["actions"]] == [
        ("FOS1", "Develop a sufficiency strategy", "Draft by June", 12)
    ]


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("plain.txt", "A report with findings but no timescales.\n\n- Ensure things improve\n",
         "plain.txt: no recommendations found. Looked for timescale headings ('Within 3 months:'"),
        ("report.odt", "x", "report.odt: unknown format .odt; use one of .txt, .md, .html, .htm, .docx, .pdf"),
        ("broken.docx", "not a zip", "broken.docx: cannot read it as .docx"),
        ("missing.txt", None, "cannot read"),
    ],
)
def test_bad_reports_are_exit_2_with_what_was_looked_for(cli, tmp_path, name, content, error):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    result = cli("import", str(path), *ARGS)
    assert result.exit_code == 2
    assert error in result.output


def test_a_scanned_pdf_with_no_text_layer_is_a_clear_error(cli, tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(50, 50, 200, 200, fill=1)  # a picture, no text
    c.save()
    result = cli("import", str(path), *ARGS)
    assert result.exit_code == 2
    assert "scan.pdf: the PDF has no text layer (a scan?); run OCR on it first" in result.output


def test_out_is_never_overwritten_without_force_and_bad_options(cli, tmp_path):
    report = tmp_path / "r.md"
    report.write_text("# Safeguarding\n\nWithin 3 months:\n\n1. Ensure plans are reviewed\n")
    out = tmp_path / "plan.yaml"
    out.write_text("mine")
    result = cli("import", str(report), *ARGS, "--out", str(out))
    assert result.exit_code == 2 and "the file exists; choose another name, or add --force" in result.output
    assert out.read_text() == "mine"
    assert cli("import", str(report), *ARGS, "--out", str(out), "--force").exit_code == 0
    assert "Ensure plans are reviewed" in out.read_text()
    bad = cli("import", str(report), "--plan-id", "a b", "--report-date", "2009-11-24")
    assert bad.exit_code == 2 and "--plan-id 'a b': use letters, digits" in bad.output
    bad = cli("import", str(report), "--plan-id", "p", "--report-date", "24/11/2009")
    assert bad.exit_code == 2 and "--report-date '24/11/2009': not a date" in bad.output
