"""`reminders import` cleans what it extracts: zero-width spaces and joiners, the word joiner, the
byte order mark, bidirectional controls and other control characters go (the one list config
refuses, config/text.py), a soft hyphen where a line broke joins the word, a no-break space is a
space, so the draft validates as far as its text is concerned. A real PDF (reportlab, a Unicode
TrueType font so the characters are in its text layer) and a text report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scheduler.config.text import unsafe_characters

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BOLD = FONT.with_name("DejaVuSans-Bold.ttf")
SHY, ZWSP, ZWJ, WJ, NBSP, RLO, PDF_, BOM = "\u00ad", "\u200b", "\u200d", "\u2060", "\u00a0", "\u202e", "\u202c", "\ufeff"
# (text, bold) lines: a title, an area, a timescale heading, and recommendations whose lines carry
# the characters; "work" + soft hyphen ends a line whose next line starts with "ing".
LINES = [
    ("Inspection of safeguarding services", True),
    ("Safeguarding", True),
    ("Within 3 months:", True),
    (f"1. Ensure that every referral is allocated to a qualified social worker within one work{SHY}", False),
    (f"ing day and that the allocation is re{SHY}corded in the case file{ZWSP} promptly", False),
    (f"2. Improve the quality{NBSP}of strategy discussions with the police and {RLO}health{PDF_} part{BOM}ners", False),
    ("Within 6 months:", True),
    (f"1. Review the threshold document with partner agencies and publish the revised{ZWJ} version", False),
    (f"to all staff working with child{WJ}ren and families in the area", False),
]
WANT = [
    "Ensure that every referral is allocated to a qualified social worker within one working day and that the "
    "allocation is recorded in the case file promptly",
    "Improve the quality of strategy discussions with the police and health partners",
    "Review the threshold document with partner agencies and publish the revised version to all staff working "
    "with children and families in the area",
]


def _pdf(path: Path) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", str(FONT)))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(BOLD)))
    c, y = canvas.Canvas(str(path)), 800
    for number, (text, bold) in enumerate(LINES):
        y -= 0 if number == 0 else 30 if number == 1 else 22 if bold or text[0].isdigit() else 15  # a gap: a new block
        c.setFont("DejaVu-Bold" if bold else "DejaVu", 16 if number == 0 else 12 if bold else 11)
        c.drawString(60, y, text)
    c.save()
    return path


def _text(path: Path) -> Path:
    lines = [("# " if i == 0 else "## " if i == 1 else "") + t + ("\n" if bold else "") for i, (t, bold) in enumerate(LINES)]
    text = "\n".join(lines).replace("\n2.", "\n\n2.").replace(" version\n", " version\x1b\x07\n")  # ESC, BEL
    path.write_text(text + "\n", encoding="utf-8")
    return path


@pytest.mark.skipif(not (FONT.exists() and BOLD.exists()), reason=f"no Unicode TrueType font at {FONT}")
@pytest.mark.parametrize("make", [_pdf, _text], ids=["pdf", "text"])
def test_imported_titles_hold_no_invisible_characters_and_the_draft_validates(cli, config_dir, tmp_path, make):
    report = make(tmp_path / ("report.pdf" if make is _pdf else "report.md"))
    out = config_dir / "plans" / "imported.yaml"
    result = cli("import", str(report), "--plan-id", "imported-2009", "--report-date", "2009-11-24",
                 "--owner", "head-of-safeguarding", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    plan = yaml.safe_load(text)
    titles = [a["title"] for a in plan["actions"]]
    assert titles == WANT, "soft hyphens at a line break join the word; the other characters go; NBSP is a space"
    assert not unsafe_characters(text) and SHY not in text and NBSP not in text
    for key, owner in (("escalation_contact", "executive-director"), ("administrator", "pqa-manager"),
                       ("summary_recipients", "pqa-manager")):  # fmt: skip
        text = re.sub(rf"\n{key}: (\[?)to-assign(\]?)[^\n]*", rf"\n{key}: \g<1>{owner}\g<2>", text)
    out.write_text(text, encoding="utf-8")
    checked = cli("validate")
    assert checked.exit_code == 0, checked.output


def test_an_invisible_character_cannot_hide_a_list_item_or_a_heading(tmp_path):
    """Cleaning comes before the structure is read: a zero-width space before "2." or "#" (or a
    line holding nothing else) must not merge two recommendations or hide a heading."""
    from scheduler.importer.blocks import text_blocks
    from scheduler.importer.read import read_document

    lines = ["# Recommendations", "", "1. Allocate every referral within a day", f"{ZWSP}2. Review the threshold",
             f"{ZWSP}# Next steps", f"{BOM}3. Publish the revised version"]  # fmt: skip
    assert len(text_blocks(lines)) < 5, "the raw lines do hide the structure (so the cleaning below is tested)"
    path = tmp_path / "report.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    blocks, _ = read_document(path)
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "Recommendations"), ("item", "Allocate every referral within a day"),
        ("item", "Review the threshold"), ("heading", "Next steps"), ("item", "Publish the revised version")]  # fmt: skip


@pytest.mark.parametrize("gap", ["\x0c", "\r", "\x0b", "\x1f"])
def test_a_control_character_between_two_words_leaves_a_space(gap):
    from scheduler.importer.blocks import clean, one_line

    assert one_line(f"end of page{gap}Next page") == "end of page Next page"
    assert clean(f"first line{gap}second line") == "first line second line"
