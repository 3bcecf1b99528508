"""The report's charts read on a phone: every label is at least 9.5 px high when the picture is shown
355 px wide (a 375 px screen less the page's margins), and the trend names each review's body whole."""

from __future__ import annotations

import datetime as dt

import matplotlib
import pytest
from matplotlib.text import Text

from scheduler.app import App
from scheduler.clock import FixedClock
from scheduler.documents.report_charts import STYLE, timeline_figure, trend_figure
from scheduler.documents.report_source import report_for
from tests.test_reviews_progress import uncomment_reviews

PHONE_PX = 355


@pytest.fixture
def report(cli, config_dir):
    uncomment_reviews(config_dir)
    assert cli("sync", "--now", "2009-11-24T08:00").exit_code == 0
    app = App.from_env(None, FixedClock(dt.datetime(2010, 3, 16, 9, tzinfo=dt.UTC)))
    with app.session() as s:
        return report_for(s, app.config.plans["ofsted-2009"], dt.date(2010, 3, 15))


def texts(make, report) -> tuple[list[Text], float]:
    """Return the figure's visible texts (tick labels too) and its width in inches."""
    with matplotlib.rc_context(STYLE):
        fig = make(report)
        fig.draw_without_rendering()  # makes the tick labels
    found = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return found, fig.get_figwidth()


@pytest.mark.parametrize("make", [trend_figure, timeline_figure], ids=["trend", "timeline"])
def test_every_chart_label_is_at_least_9_5_px_high_at_phone_width(report, make):
    found, width_in = texts(make, report)
    assert len(found) > 10
    px = {t.get_text(): t.get_fontsize() / 72 * PHONE_PX / width_in for t in found}
    assert {text: round(size, 1) for text, size in px.items() if size < 9.5} == {}


def test_trend_names_the_review_body_whole_and_uses_the_width(report):
    found, _ = texts(trend_figure, report)
    labels = [" ".join(t.get_text().split()) for t in found]
    assert "12 Jan 2010 Children's Services Management Team" in labels
    assert not any("…" in text for text in labels)
    ax = trend_figure(report).axes[0]
    assert ax.get_xlim() == pytest.approx((-0.6, len(report.trend) - 0.4))  # no empty slots on the right
