#!/usr/bin/env bash
# Make the README's progress-report images (docs/report-*.png) from the shipped plan with its two
# reviews turned on and a few updates recorded, as a council's plan officer would by mid-March 2010.
# Run from the repository root with the venv: bash docs/report-images.sh
set -euo pipefail
ROOT=$(pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r config "$WORK/config"
sed -i -e 's/^#reviews:/reviews:/' -e 's/^#  - {date: 2010-/  - {date: 2010-/' "$WORK/config/plans/ofsted-2009.yaml"
export DATABASE_URL="sqlite:///$WORK/r.db" REMINDERS_CONFIG_DIR="$WORK/config" EMAIL_BACKEND=file OUTBOX_DIR="$WORK/outbox"
R() { "${PYTHON:-.venv/bin/python}" -m scheduler "$@" >/dev/null 2>&1; }
R sync --now 2009-11-24T08:00
R run --once --now 2009-11-24T09:05
R extend SG2 --to 2010-04-30 --reason "new assessment exemplars launch in April" --approved-by head-of-safeguarding --now 2010-02-10T10:00
R set-status SG1 complete --note "referrals allocated within one working day of the decision since 8 February" --by contact-centre-manager --now 2010-02-19T15:00
R run --once --now 2010-03-03T09:05
R set-status LAC2 in_progress --note "two care leavers still in bed and breakfast; supported lodgings being sought" --by sixteen-plus-manager --now 2010-03-08T10:00
R set-status SG5 in_progress --note "area performance meetings running in two of the three areas" --by head-of-safeguarding --now 2010-03-09T10:00
R set-status SG3 in_progress --note "audit of 60 case files done; 12 need their records brought up to date" --by pqa-manager --now 2010-03-10T11:00
R report --plan ofsted-2009 --as-of 2010-03-16 --now 2010-03-16T18:00 --out "$WORK/report.pdf"
pdftoppm -png -r 70 "$WORK/report.pdf" "$WORK/page"
cp "$WORK/page-1.png" docs/report-page-1.png
cp "$WORK/page-2.png" docs/report-page-2.png
"${PYTHON:-.venv/bin/python}" - "$WORK" <<'PY'
import datetime as dt, sys
from scheduler.app import App
from scheduler.clock import FixedClock
from scheduler.documents.report_charts import timeline_png, trend_png
from scheduler.documents.report_source import report_for
app = App.from_env(None, FixedClock(dt.datetime(2010, 3, 16, 18, tzinfo=dt.UTC)))
with app.session() as s:
    report = report_for(s, app.config.plans["ofsted-2009"], dt.date(2010, 3, 16))
open("docs/report-trend.png", "wb").write(trend_png(report))
open("docs/report-timeline.png", "wb").write(timeline_png(report))
PY
echo "wrote docs/report-page-1.png, docs/report-page-2.png, docs/report-trend.png, docs/report-timeline.png"
