"""The progress report's two charts as PNG bytes (matplotlib, Agg backend): the trend of the council
categories at each review, and the timeline of every action.

The same Report gives the same bytes: no timestamp or software name in the PNG, a fixed size, DPI
and font (DejaVu Sans, shipped with matplotlib), and nothing drawn from the clock.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from scheduler.documents.report_data import CATEGORIES, LABELS, Report  # noqa: E402

COLOURS = {
    "complete": "#1b7837",
    "awaiting_verification": "#7fbf7b",
    "on_target": "#4575b4",
    "behind_month": "#f4a622",
    "behind_more": "#c0392b",
    "rescheduled": "#8e6bbf",
    "withdrawn": "#9e9e9e",
}
# Sized for a phone as much as for A4: the figures are 5.4 in wide and shown at the page's width
# (about 355 CSS px on a 375 px phone), so an 11 pt label comes out near 10 px there and about
# 14 pt on the printed page. Legends go under the plot, never beside it.
WIDTH_IN = 5.4
STYLE = {"font.family": "DejaVu Sans", "font.size": 11, "svg.hashsalt": "report", "axes.spines.top": False,
         "axes.spines.right": False, "axes.titlesize": 12, "axes.titlelocation": "left", "legend.fontsize": 11,
         "xtick.labelsize": 12, "ytick.labelsize": 12, "legend.frameon": False}  # fmt: skip
DPI = 150
MAX_HEIGHT_IN = 40


def _png(fig: Figure) -> bytes:
    """Return the figure as PNG bytes without metadata that would change between runs."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


def trend_png(report: Report) -> bytes:
    """Return the stacked-bar chart of the categories at each review so far (and the as-of date)."""
    with matplotlib.rc_context(STYLE):
        return _png(trend_figure(report))


def trend_figure(report: Report) -> Figure:
    """Return the trend chart's figure (drawn under STYLE)."""
    fig = Figure(figsize=(WIDTH_IN, 5.0), layout="constrained")
    ax = fig.add_subplot()
    points = report.trend
    xs = range(len(points))
    bottom = [0] * len(points)
    top = max([sum(p.counts.values()) for p in points] + [1])
    for cat in CATEGORIES:
        values = [p.counts[cat] for p in points]
        if not any(values):
            continue
        ax.bar(xs, values, bottom=bottom, color=COLOURS[cat], label=LABELS[cat], width=0.6)
        for x, v, b in zip(xs, values, bottom, strict=True):
            if v and v >= 0.05 * top:  # a thinner slice has no room for its number
                ax.text(x, b + v / 2, str(v), ha="center", va="center", color="white", fontsize=11,
                        fontweight="bold")  # fmt: skip
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(list(xs), _tick_labels(points))
    ax.set_xlim(-0.6, len(points) - 0.4)
    ax.set_ylabel("Actions")
    ax.set_ylim(0, max([*bottom, 1]) * 1.08)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Actions in each category at each review")
    fig.legend(loc="outside lower center", ncol=2, handlelength=1.2, columnspacing=1.0)
    return fig


def _tick_labels(points) -> list[str]:
    """Return each review's date and its body's name whole, wrapped to the bar's share of the width;
    past five reviews there is room for the dates only (on two lines)."""
    import textwrap

    n = len(points)
    dates = [f"{p.date.day} {p.date:%b}" + (" " if n <= 3 else "\n") + f"{p.date:%Y}" for p in points]
    if n > 5:
        return dates
    width = max(9, 44 // max(n, 1))
    return [d + "\n" + "\n".join(textwrap.wrap(p.label, width, break_long_words=False))
            for d, p in zip(dates, points, strict=True)]  # fmt: skip


def _months(start, end) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1
def timeline_png(report: Report) -> bytes:
    """Return the timeline: one row per action from the report date to its due date, with the
    original due, the revised due, the completion and the as-of date marked."""
    with matplotlib.rc_context(STYLE):
        return _png(timeline_figure(report))


def timeline_figure(report: Report) -> Figure:
    """Return the timeline's figure (drawn under STYLE)."""
    rows = list(reversed(report.actions))  # first action at the top
    # A row per action, up to a height a page or a screen can still take (very large plans squeeze).
    fig = Figure(figsize=(WIDTH_IN, min(2.6 + 0.34 * max(len(rows), 1), MAX_HEIGHT_IN)), layout="constrained")
    ax = fig.add_subplot()
    num = mdates.date2num
    ys = list(range(len(rows)))
    # One call per kind of mark (not per action): a plan of hundreds of actions draws in a second.
    ends = [max(a.due, a.original_due, a.completed_on or a.due, report.as_of if a.days_behind else a.due)
            for a in rows]  # a late action's bar runs on to the as-of date
    ax.hlines(ys, num(report.report_date), [num(e) for e in ends], colors=[COLOURS[a.category] for a in rows],
              alpha=0.4, linewidth=5, zorder=1)  # fmt: skip
    ax.scatter([num(report.report_date)] * len(rows), ys, marker="|", color="#555555", zorder=2, s=40,
               label="Report date")  # fmt: skip
    ax.scatter([num(a.original_due) for a in rows], ys, marker="o", facecolors="white", edgecolors="#333333",
               zorder=3, s=28, label="Original due")  # fmt: skip
    revised = [(num(a.due), y) for a, y in zip(rows, ys, strict=True) if a.due != a.original_due]
    if revised:
        ax.scatter(*zip(*revised, strict=True), marker="D", color=COLOURS["rescheduled"], zorder=3, s=26,
                   label="Revised due")  # fmt: skip
    done = [(num(a.completed_on), y) for a, y in zip(rows, ys, strict=True) if a.completed_on]
    if done:
        ax.scatter(*zip(*done, strict=True), marker="s", color=COLOURS["complete"], zorder=4, s=26,
                   label="Completed")  # fmt: skip
    ax.axvline(num(report.as_of), color=COLOURS["behind_more"], linestyle="--", linewidth=1, label="As of")
    ax.set_yticks(range(len(rows)), [a.ref for a in rows], fontsize=12 if len(rows) <= 100 else 4)
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    # At most about six month ticks, month over year: level labels that fit a phone's width.
    months = _months(report.report_date, max([*ends, report.as_of]))
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=-(-months // 6)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.grid(axis="x", color="#eeeeee")
    fig.legend(loc="outside lower center", ncol=3, handletextpad=0.3, columnspacing=1.0)
    ax.set_title(f"Timeline of actions as of {report.as_of.day} {report.as_of:%B %Y}")
    return fig
