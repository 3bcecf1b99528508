"""`reminders import`: the seed report, the same content as HTML, DOCX and PDF, other report shapes
(lists, tables, action-plan tables in Word, sections numbered by Word, bold recommendations in a
PDF, timescales in weeks or by a date), and the errors (unknown format, unreadable, scanned PDF,
nothing found, existing --out). The corpus of real PDFs and spreadsheets: test_import_corpus.py."""

from __future__ import annotations

import html
import re
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
    return yaml.safe_load(result.stdout)


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
    assert plan["title"] == ("Office for Standards in Education, Children's Services and Skills inspection of "
                             "safeguarding and services for looked after children 2009")
    summary = ("12 recommendations: Safeguarding within 3 months 3, within 6 months 4; Looked after children "
               "within 3 months 2, within 6 months 3; skipped 0 that looked like recommendations")
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
    assert "escalation_contact" in refused.output and "administrator" in refused.output
    assert "goes to the escalation_contact, but the plan has none" not in refused.output
    text = shipped.read_text()
    for key, owner in (("escalation_contact", "executive-director"), ("administrator", "pqa-manager"),
                       ("summary_recipients", "pqa-manager")):  # fmt: skip
        text = text.replace(f"\n{key}: to-assign", f"\n{key}: {owner}").replace(f"\n{key}: [to-assign]", f"\n{key}: [{owner}]")
    for owner in owners.values():  # the draft lists the actions in the shipped plan's order
        text = re.sub(r"\n  owner: to-assign[^\n]*", f"\n  owner: {owner}", text, count=1)
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
    assert "warning: table 1, row 2: looks like a recommendation but no timescale heading or column for it: " \
           "'Ensure carers receive supervision'" in result.stderr  # fmt: skip
    assert "skipped 1 that looked like a recommendation" in result.stderr
    plan = yaml.safe_load(result.stdout)
    assert [(a["ref"], a["title"], a["response"], a["timescale_months"]) for a in plan["actions"]] == [
        ("FOS1", "Develop a sufficiency strategy", "Draft by June", 12)
    ]


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("plain.txt", "A report with findings but no timescales.\n\n- Ensure things improve\n",
         "plain.txt: no recommendations found. Looked for timescale headings ('Within 3 months:'"),
        ("report.odt", "x", "report.odt: unknown format .odt; use one of .txt, .md, .html, .htm, .docx, .pdf, .xlsx, .csv (save it "
         "from Word or LibreOffice as .docx or PDF)"),
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
    assert "scan.pdf: the PDF has no text layer (a scan?): 0 characters on 1 page(s); run OCR on it first" in (
        result.output)  # fmt: skip


def test_a_scanned_pdf_with_only_page_numbers_as_text_is_the_same_clear_error(cli, tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    for number in (1, 2):
        c.rect(50, 100, 400, 600, fill=1)  # the scanned page
        c.drawString(290, 40, f"Page {number}")  # a stamp added by the scanner
        c.showPage()
    c.save()
    result = cli("import", str(path), *ARGS)
    assert result.exit_code == 2
    assert "scan.pdf: the PDF has no text layer (a scan?): 10 characters on 2 page(s)" in result.output


def test_the_real_entry_point_imports_a_chromium_pdf(cli_subprocess):
    result = cli_subprocess("import", str(REPO / "tests" / "fixtures" / "import" / "seed-tables.pdf"), *ARGS)
    assert result.returncode == 0, result.stderr
    assert len(yaml.safe_load(result.stdout)["actions"]) == 12
    assert "found 12 recommendations: Safeguarding within 3 months 3" in result.stderr


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


def test_a_word_action_plan_table_in_a_report_maps_lead_officers_and_its_title_is_the_documents(cli, tmp_path):
    import docx

    doc = docx.Document()
    doc.add_paragraph("Agenda item 7")
    doc.add_paragraph("CHILDREN'S SERVICES IMPROVEMENT PLAN", style="Title")
    doc.add_paragraph("The plan answers the Children's Services inspection of 2009.")
    doc.add_heading("Action plan", 1)
    table = doc.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, ("Ref", "Recommendation", "Lead officer", "Target date"), strict=True):
        cell.text = text
    for row in (("A1", "Ensure that plans are reviewed", "Head of Safeguarding", "31/03/2010"),
                ("A2", "Improve supervision", "pqa-manager@example.org", "Within 6 months")):  # fmt: skip
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    doc.add_heading("Financial implications", 1)
    doc.add_paragraph("Ensure that the budget is monitored monthly.")
    path = tmp_path / "plan.docx"
    doc.save(str(path))
    plan = draft(cli, path)
    assert [(a["ref"], a["owner"], a.get("timescale_months"), str(a.get("due"))) for a in plan["actions"]] == [
        ("A1", "head-of-safeguarding", None, "2010-03-31"), ("A2", "pqa-manager", 6, "None")]
    assert plan["title"] == "Children's Services improvement plan"


def test_sections_numbered_by_word_end_the_list_and_numbered_paragraphs_are_recommendations(cli, tmp_path):
    import docx

    doc = docx.Document()
    doc.add_heading("Inspection of youth offending services", 1)
    doc.add_paragraph("Within 3 months:")
    doc.add_paragraph("3.2 Ensure that referrals are screened within a day")
    doc.add_paragraph("Lead officer: Head of Safeguarding")
    doc.add_paragraph("3.3 Improve the recording of decisions")
    doc.add_paragraph("Response: a new template is in use.")
    doc.add_paragraph("Within six months:")
    doc.add_paragraph("Ensure that every young person has a plan", style="List Number")
    doc.add_paragraph("Review the use of custody", style="List Number")
    doc.add_paragraph("Financial implications", style="List Number")  # Word's numbering is not in the text
    doc.add_paragraph("The actions are met from existing budgets.")
    path = tmp_path / "report.docx"
    doc.save(str(path))
    plan = draft(cli, path)
    assert [(a["ref"], a["title"], a["owner"], a["timescale_months"]) for a in plan["actions"]] == [
        ("YOT1", "Ensure that referrals are screened within a day", "head-of-safeguarding", 3),
        ("YOT2", "Improve the recording of decisions", "to-assign", 3),
        ("YOT3", "Ensure that every young person has a plan", "to-assign", 6),
        ("YOT4", "Review the use of custody", "to-assign", 6),
    ]
    assert plan["actions"][1]["response"] == "a new template is in use."


def test_word_sub_headings_keep_the_area_of_the_section_above_them(cli, tmp_path):
    import docx

    doc = docx.Document()
    doc.add_heading("Inspection report", 0)
    for section, rec in (("Key findings for safeguarding", "Ensure that strategy meetings are held"),
                         ("Key findings for looked after children", "Improve the stability of placements")):  # fmt: skip
        doc.add_heading(section, 1)
        doc.add_heading("Areas for improvement", 2)  # names no area, and is below the section: keeps it
        doc.add_paragraph("Within 3 months:")
        doc.add_paragraph(rec, style="List Bullet")
    doc.add_heading("Monitoring", 1)  # as high as the areas' headings: ends the area
    doc.add_paragraph("Within 6 months:")
    doc.add_paragraph("Review the improvement plan", style="List Bullet")
    path = tmp_path / "report.docx"
    doc.save(str(path))
    plan = draft(cli, path)
    assert [(a["ref"], a.get("area")) for a in plan["actions"]] == [
        ("SG1", "Safeguarding"), ("LAC1", "Looked after children"), ("R1", None)]


def test_recommendations_printed_in_bold_in_a_pdf_are_not_headings(cli, tmp_path):
    import weasyprint

    page = ("<h1>Adoption inspection</h1><p><b>Within 3 months:</b></p>"
            "<p><b>Ensure that adopters are matched within six months of approval</b></p>"
            "<p>Response: a matching panel meets monthly.</p>"
            "<p><b>Improve the support offered to adoptive families after an order</b></p>"
            "<p>Response: a support worker is in post.</p><h2>Financial implications</h2><p>None.</p>")  # fmt: skip
    path = tmp_path / "report.pdf"
    weasyprint.HTML(string=page).write_pdf(str(path))
    plan = draft(cli, path)
    assert [(a["ref"], a["title"], a["response"]) for a in plan["actions"]] == [
        ("AD1", "Ensure that adopters are matched within six months of approval", "a matching panel meets monthly."),
        ("AD2", "Improve the support offered to adoptive families after an order", "a support worker is in post."),
    ]


def test_timescale_headings_in_weeks_by_a_date_and_within_the_next_months(cli, tmp_path):
    report = tmp_path / "report.md"
    report.write_text("# Adoption inspection\n\nWithin 12 weeks:\n\n- Ensure that panels are quorate\n\n"
                      "By 31 March 2010:\n\n- Review the matching policy\n\nWithin the next six months\n\n"
                      "- Improve life-story work\n\nBefore 30/06/2010\n\n- Develop a support offer\n")  # fmt: skip
    plan = draft(cli, report)
    assert [(a["ref"], a.get("timescale_months"), str(a.get("due"))) for a in plan["actions"]] == [
        ("AD1", None, "2010-02-16"), ("AD2", None, "2010-03-31"), ("AD3", 6, "None"), ("AD4", None, "2010-06-30")]


@pytest.mark.parametrize(
    ("title", "body", "want"),
    [
        ("JOINT TARGETED AREA INSPECTION OF CAMBRIDGESHIRE", "The Cambridgeshire partnership met. Cambridgeshire has",
         "Joint targeted area inspection of Cambridgeshire"),  # a name the text only writes with a capital
        ("Inspection Of Services For Looked After Children", "the Looked After Children Council and looked after "
         "children", "Inspection of services for looked after children"),
        ("Ofsted inspection of safeguarding 2009", "", "Ofsted inspection of safeguarding 2009"),  # already fine
        ("INSPECTION OF LOCAL AUTHORITY CHILDREN'S SERVICES (ILACS): " + "FOCUSED VISIT ON CARE LEAVERS " * 8,
         "", "Inspection of local authority children's services (ILACS)"),  # cut at a phrase, never mid-phrase
    ],
)
def test_the_plan_title_is_in_sentence_case_and_cut_only_between_phrases(title, body, want):
    from scheduler.importer.title import plan_title

    assert plan_title(title, body + " The ILACS framework.") == want
