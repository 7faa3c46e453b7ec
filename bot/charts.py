"""The analytics chart: weekly activity and monthly cohort retention, one PNG.

matplotlib is imported when a chart is drawn, not with the bot: it costs tens of megabytes that
an idle bot should not carry. Drawing uses the object-oriented API on the Agg canvas (no pyplot
and its global state), so it is safe to run in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.services.analytics import Cohort, Week

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH, HEIGHT, DPI = 9.0, 9.0, 110


@dataclass(frozen=True, slots=True)
class ChartText:
    """Every word on the chart, in the reader's language."""

    weekly_title: str
    new_members: str
    purchases: str
    redemptions: str
    cohorts_title: str
    cohort_axis: str
    month_axis: str
    size: str
    empty: str


def overview_png(weeks: Sequence[Week], cohorts: Sequence[Cohort], text: ChartText) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, height_ratios=(1, 1.1))
    _weekly(top, weeks, text)
    _cohorts(bottom, cohorts, text)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _weekly(ax: Axes, weeks: Sequence[Week], text: ChartText) -> None:
    labels = [week.starts.strftime("%d.%m") for week in weeks]
    positions = list(range(len(weeks)))
    width = 0.4
    ax.bar(
        [p - width / 2 for p in positions],
        [w.purchases for w in weeks],
        width,
        label=text.purchases,
        color="#4C78A8",
    )
    ax.bar(
        [p + width / 2 for p in positions],
        [w.redemptions for w in weeks],
        width,
        label=text.redemptions,
        color="#F58518",
    )
    ax.plot(
        positions,
        [w.new_members for w in weeks],
        marker="o",
        color="#54A24B",
        label=text.new_members,
    )
    ax.set_xticks(positions, labels, rotation=45, fontsize=8)
    ax.set_title(text.weekly_title)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def _cohorts(ax: Axes, cohorts: Sequence[Cohort], text: ChartText) -> None:
    ax.set_title(text.cohorts_title)
    if not any(cohort.size for cohort in cohorts):
        ax.text(0.5, 0.5, text.empty, ha="center", va="center")
        ax.set_axis_off()
        return
    span = max(len(cohort.active) for cohort in cohorts)
    grid = [
        [
            (share * 100 if (share := cohort.retention(offset)) is not None else float("nan"))
            for offset in range(span)
        ]
        for cohort in cohorts
    ]
    ax.imshow(grid, cmap="Blues", vmin=0, vmax=100, aspect="auto")
    for row, cohort in enumerate(cohorts):
        for offset in range(span):
            share = cohort.retention(offset)
            if share is not None:
                ax.text(
                    offset,
                    row,
                    f"{share * 100:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if share > 0.5 else "black",
                )
    ax.set_xticks(range(span), [f"+{offset}" for offset in range(span)])
    ax.set_yticks(
        range(len(cohorts)),
        [f"{c.month.strftime('%m.%Y')} ({text.size} {c.size})" for c in cohorts],
    )
    ax.set_xlabel(text.month_axis)
    ax.set_ylabel(text.cohort_axis)
