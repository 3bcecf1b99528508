"""The importer: draft a plan file from an inspection report or an action-plan spreadsheet.

Every format is read into one block model (`blocks.Block`: headings, paragraphs, list items and
table rows), one parser (`parse.parse`) finds the recommendations in it, and `draft.draft_yaml`
writes the plan file. Readers: `blocks.text_blocks` (.txt/.md), `markup` (.html/.docx), `pdfread`
and `pdftables` (PDFs, with their tables, ruled or not, and columns), `read.sheet_blocks` (.xlsx/.csv);
`read.read_document(path)` picks one. `vocab` holds the words reports use, `title` the plan title.
"""
