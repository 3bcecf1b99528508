"""`reminders import` on the corpus in tests/fixtures/import/ (made by make_corpus.py): real PDFs printed
by Chromium (ruled and borderless tables, plain paragraphs, two columns), a Word-like PDF (WeasyPrint), DOCX, HTML, a
numbered committee report, and action plans in Excel and CSV. Each drafts the right actions, and the
draft validates, syncs and forecasts once its placeholders are filled."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import SHIPPED_CONFIG

CORPUS = Path(__file__).resolve().parent / "fixtures" / "import"
ARGS = ("--plan-id", "imported", "--report-date", "2009-11-24")
SEED_LAYOUTS = ["seed-tables.pdf", "seed-borderless.pdf", "seed-paragraphs.pdf", "seed-two-columns.pdf",
                "seed-word-like.pdf", "seed-tables.docx", "seed-tables.html", "seed-paragraphs.html"]  # fmt: skip
COMMITTEE = ["committee-report.txt", "committee-report.pdf"]
PLANS = ["action-plan.xlsx", "action-plan.csv"]
SEED_TITLE = ("Office for Standards in Education, Children's Services and Skills inspection of safeguarding and "
              "services for looked after children 2009")  # fmt: skip


def shipped_actions() -> list[dict]:
    return yaml.safe_load((SHIPPED_CONFIG / "plans" / "ofsted-2009.yaml").read_text())["actions"]


def imported(cli, name: str, *extra):
    result = cli("import", str(CORPUS / name), *ARGS, *extra)
    assert result.exit_code == 0, result.output
    return yaml.safe_load(result.stdout), result


@pytest.mark.parametrize("name", SEED_LAYOUTS)
def test_every_layout_of_the_seed_report_drafts_its_twelve_recommendations(cli, name):
    plan, result = imported(cli, name)
    assert len(plan["actions"]) == 12, result.stderr  # on main: 4 from the tables PDF, 5 from the paragraphs one
    got = [(a["ref"], a["area"], a["title"], a["timescale_months"], a["response"]) for a in plan["actions"]]
    want = [(a["ref"], a["area"], a["title"], a["timescale_months"], " ".join(a["response"].split()))
            for a in shipped_actions()]  # fmt: skip
    assert got == want
    assert plan["title"] == SEED_TITLE
    assert ("found 12 recommendations: Safeguarding within 3 months 3, within 6 months 4; Looked after children "
            "within 3 months 2, within 6 months 3; skipped 1 that looked like a recommendation") in result.stderr
    # After the last group: "7.2 One of the recommendations ... is to ensure ..." is not drafted, and
    # "7.3 Ensure that partners are told ..." is reported as skipped, not drafted.
    assert "looks like a recommendation but no timescale heading comes before it: 'Ensure that partners" in (
        result.stderr)  # fmt: skip
    assert not any("partners are told" in a["title"] or "cultural needs" in a.get("response", "")
                   for a in plan["actions"])  # fmt: skip


@pytest.mark.parametrize("name", COMMITTEE)
def test_the_committee_reports_recommendations_end_at_its_next_numbered_section(cli, name):
    plan, result = imported(cli, name)
    got = [(a["ref"], a["title"], a.get("timescale_months"), str(a.get("due"))) for a in plan["actions"]]
    assert got == [
        ("R1", "Ensure that every child at risk of exploitation has an up-to-date risk assessment that is shared "
               "with the police", None, "2009-11-24"),
        ("R2", "Improve the quality of strategy discussions so that the police, health and children's social care "
               "all contribute to them", 3, "None"),
        ("R3", "Review the threshold document with partners and publish it", 3, "None"),
        ("R4", "Strengthen the oversight by the safeguarding partnership of return home interviews", 6, "None"),
        ("R5", "Develop a training programme on contextual safeguarding for all front-line staff", 6, "None"),
        ("R6", "Increase the number of children whose plans are reviewed on time", 6, "None"),
    ]  # fmt: skip
    assert plan["title"] == ("Joint targeted area inspection of the multi-agency response to children at risk of "
                             "exploitation: action plan")  # fmt: skip
    assert "found 6 recommendations: (no area) immediately 1, within 3 months 2, within 6 months 3" in result.stderr


@pytest.mark.parametrize("name", PLANS)
def test_an_action_plan_spreadsheet_maps_lead_officers_and_target_dates(cli, name):
    plan, result = imported(cli, name)
    text = result.stdout
    got = [(a["ref"], a["area"], a["owner"], a.get("timescale_months"), str(a.get("due"))) for a in plan["actions"]]
    assert got == [
        ("SG1", "Safeguarding", "contact-centre-manager", 3, "None"),  # by name
        ("SG2", "Safeguarding", "area-services-manager", None, "2010-02-24"),  # by email; a date
        ("SG3", "Safeguarding", "pqa-manager", 3, "None"),  # "within three months"
        ("SG4", "Safeguarding", "head-of-safeguarding", None, "2010-05-24"),
        ("SG5", "Safeguarding", "pqa-manager", 6, "None"),
        ("SG6", "Safeguarding", "head-of-safeguarding", 6, "None"),
        ("SG7", "Safeguarding", "to-assign", None, "2010-05-31"),  # a lead not in owners.yaml
        ("LAC1", "Looked after children", "iro-service-manager", 3, "None"),  # "IRO Service Manager" = the id
        ("LAC2", "Looked after children", "sixteen-plus-manager", None, "2010-02-28"),
        ("LAC3", "Looked after children", "head-of-looked-after-children", 6, "None"),
        ("LAC4", "Looked after children", "virtual-school-head", 6, "None"),
        ("LAC5", "Looked after children", "sixteen-plus-manager", None, "2010-05-24"),
    ]
    assert [a["title"] for a in plan["actions"]] == [a["title"] for a in shipped_actions()]
    assert "owner: to-assign  # lead officer in the source: 'Business manager (LSCB)', not found in owners.yaml" in text
    assert plan["title"] == ("Ofsted inspection 2009: improvement action plan" if name.endswith(".xlsx")
                             else "Action plan")  # fmt: skip


def fill_placeholders(text: str) -> str:
    """Every `to-assign` replaced by a real owner id (one with a manager, as the escalations need)."""
    return text.replace("to-assign", "head-of-safeguarding")


@pytest.mark.parametrize("name", SEED_LAYOUTS + COMMITTEE + PLANS)
def test_import_fill_placeholders_validate_sync_and_forecast(cli, config_dir, name):
    target = config_dir / "plans" / "imported.yaml"
    result = cli("import", str(CORPUS / name), *ARGS, "--out", str(target))
    assert result.exit_code == 0, result.output
    refused = cli("validate")
    assert refused.exit_code == 2
    assert "escalation_contact" in refused.output and "'to-assign'" in refused.output
    assert "but the plan has none" not in refused.output  # the placeholder line is there: one round, not many
    target.write_text(fill_placeholders(target.read_text()))
    checked = cli("validate")
    assert checked.exit_code == 0, checked.output
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    forecast = cli("forecast", "--from", "2009-11-25", "--to", "2010-12-31", "--json")
    assert forecast.exit_code == 0, forecast.output
    drafted = {a["ref"] for a in yaml.safe_load(target.read_text())["actions"]}
    due = {n["ref"] for n in json.loads(forecast.stdout) if n["plan"] == "imported" and n["stage"] == "due"}
    immediate = {a["ref"] for a in yaml.safe_load(target.read_text())["actions"] if str(a.get("due")) == "2009-11-24"}
    assert due == drafted - immediate and drafted  # every action's due-date notice is in the forecast


def test_a_draft_with_an_immediately_item_is_plain_yaml_without_anchors_or_aliases(cli, tmp_path):
    out = tmp_path / "draft.yaml"
    assert cli("import", str(CORPUS / "committee-report.txt"), *ARGS, "--out", str(out)).exit_code == 0
    text = out.read_text()
    assert "&id" not in text and "*id" not in text
    assert "report_date: 2009-11-24\n" in text and "  due: 2009-11-24\n" in text
    for key in ("escalation_contact: to-assign  #", "administrator: to-assign  #", "summary_recipients: [to-assign]  #"):
        assert f"\n{key}" in text
    assert text.count("  owner: to-assign  # who owns this action?") == 6


def test_title_option_overrides_the_documents_title(cli):
    plan, _ = imported(cli, "committee-report.txt", "--title", "JTAI 2019 action plan")
    assert plan["title"] == "JTAI 2019 action plan"


def test_a_report_mentioning_more_recommendations_than_found_is_exit_1_unless_force(cli, tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    story = [Paragraph("Fostering inspection 2019", styles["Title"]),
             Paragraph("The inspection made 3 recommendations.", styles["Normal"]),
             Paragraph("Within 3 months:", styles["Heading2"]),
             Paragraph("1. Ensure that carers receive supervision", styles["Normal"]),
             Paragraph("2. Review the sufficiency strategy", styles["Normal"]),
             Paragraph("Also, carers' annual reviews must be chaired independently.", styles["Normal"])]  # fmt: skip
    report = tmp_path / "fostering.pdf"
    SimpleDocTemplate(str(report), pagesize=A4).build(story)
    out = tmp_path / "draft.yaml"
    refused = cli("import", str(report), *ARGS, "--out", str(out))
    assert refused.exit_code == 1
    assert "warning: the text (page 1) mentions 3 recommendations in Fostering, but 2 were drafted" in refused.stderr
    assert "the draft was not written" in refused.stderr and "--force" in refused.stderr
    assert not out.exists()
    forced = cli("import", str(report), *ARGS, "--out", str(out), "--force")
    assert forced.exit_code == 0 and len(yaml.safe_load(out.read_text())["actions"]) == 2


def test_a_title_over_400_characters_is_two_items_run_together_and_exit_1_unless_force(cli, tmp_path):
    report = tmp_path / "report.md"
    long_item = "Ensure that every plan is reviewed " + "and that the review is recorded " * 14
    report.write_text(f"# Inspection\n\nWithin 3 months:\n\n1. {long_item}\n2. Review the threshold document\n")
    refused = cli("import", str(report), *ARGS)
    assert refused.exit_code == 1 and refused.stdout == ""
    assert re.search(r"warning: R1 \(line 5\): its title is 4\d\d characters long, two recommendations may have "
                     r"run together", refused.stderr)  # fmt: skip
    assert cli("import", str(report), *ARGS, "--force").exit_code == 0


def test_values_that_yaml_would_misread_are_quoted(cli, tmp_path):
    sheet = tmp_path / "plan.csv"
    sheet.write_text("No.,Action,Lead officer,Due\n1.10,No,Head of Safeguarding,31/03/2010\n"
                     "2.0,Review: the threshold document,nobody,Within 6 months\n")  # fmt: skip
    result = cli("import", str(sheet), *ARGS)
    assert result.exit_code == 0, result.output
    plan = yaml.safe_load(result.stdout)
    assert [(a["ref"], a["title"], a["owner"]) for a in plan["actions"]] == [
        ("1.10", "No", "head-of-safeguarding"), ("2.0", "Review: the threshold document", "to-assign")]
    assert plan["actions"][0]["due"] == dt.date(2010, 3, 31)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("Name,Email\nHead,head@example.org\n", "plan.csv: no recommendations found"),
        ("", "the spreadsheet is empty; put the action plan in the first sheet with a header row"),
    ],
)
def test_a_spreadsheet_without_an_action_table_is_exit_2_with_what_was_looked_for(cli, tmp_path, content, error):
    sheet = tmp_path / "plan.csv"
    sheet.write_text(content)
    result = cli("import", str(sheet), *ARGS)
    assert result.exit_code == 2
    assert error in result.output


def test_a_row_whose_timescale_cannot_be_read_is_skipped_with_a_warning(cli, tmp_path):
    sheet = tmp_path / "plan.csv"
    sheet.write_text("Ref,Recommendation,Target date\nA1,Ensure plans are reviewed,soon\n"
                     "A2,Review the threshold document,March 2010\n")  # fmt: skip
    result = cli("import", str(sheet), *ARGS)
    assert result.exit_code == 0, result.output
    assert "warning: row 2: looks like a recommendation but its timescale 'soon' is neither a date nor 'within N " \
           "months': 'Ensure plans are reviewed'" in result.stderr  # fmt: skip
    assert [(a["ref"], str(a["due"])) for a in yaml.safe_load(result.stdout)["actions"]] == [("A2", "2010-03-31")]


def test_a_csv_saved_by_excel_in_the_windows_code_page_keeps_its_pound_signs_and_quotes(cli, tmp_path):
    sheet = tmp_path / "plan.csv"
    sheet.write_bytes("Ref;Action;Owner;Due\nF1;Ensure the £12,000 budget is the council’s;Head of Safeguarding;"
                      "within 3 months\n".encode("cp1252"))  # fmt: skip
    plan, _ = imported(cli, str(sheet))
    assert [(a["ref"], a["title"], a["owner"]) for a in plan["actions"]] == [
        ("F1", "Ensure the £12,000 budget is the council’s", "head-of-safeguarding")]


def test_short_recommendations_naming_an_area_in_a_paragraph_layout_are_not_headings(cli, tmp_path):
    report = tmp_path / "report.txt"
    report.write_text("Fostering inspection\n\nWithin 3 months:\n\nImprove safeguarding training\n\n"
                      "Response: a course starts in May.\n\nReview fostering panels\n\n5. Financial implications\n\n"
                      "Ensure that costs are met.\n")  # fmt: skip
    plan, result = imported(cli, str(report))
    assert [(a["ref"], a["title"], a.get("response")) for a in plan["actions"]] == [
        ("FOS1", "Improve safeguarding training", "a course starts in May."), ("FOS2", "Review fostering panels", None)]
    assert "'Ensure that costs are met.'" in result.stderr  # after the group: skipped, and said so


def test_a_spreadsheet_row_starting_in_lower_case_is_its_own_action_when_it_has_a_ref(cli, tmp_path):
    sheet = tmp_path / "plan.csv"
    sheet.write_text("Ref,Action,Due\nA1,Ensure plans are reviewed,within 3 months\n"
                     "A2,review the threshold document,within 6 months\n,and publish it,\n")  # fmt: skip
    plan, _ = imported(cli, str(sheet))
    assert [(a["ref"], a["title"]) for a in plan["actions"]] == [
        ("A1", "Ensure plans are reviewed"), ("A2", "review the threshold document and publish it")]


def test_responses_without_a_label_in_a_paragraph_layout_are_the_responses(cli, tmp_path):
    page = tmp_path / "report.html"
    page.write_text((CORPUS / "seed-paragraphs.html").read_text().replace("<p>Response: ", "<p>"))
    plan, _ = imported(cli, str(page))
    assert [(a["ref"], a["title"], a["response"]) for a in plan["actions"]] == [
        (a["ref"], a["title"], " ".join(a["response"].split())) for a in shipped_actions()]


def test_without_an_owners_file_lead_officers_stay_in_comments_and_say_why(cli, tmp_path):
    result = cli("import", str(CORPUS / "action-plan.csv"), *ARGS, "--config", str(tmp_path / "nowhere"))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("owner: to-assign") == 12
    assert ("owner: to-assign  # lead officer in the source: 'Contact Centre Manager', no owners.yaml was read to "
            "match it (see --config)") in result.stdout  # fmt: skip
