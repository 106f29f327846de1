"""Charts (matplotlib, Agg, no pyplot state): networks by stage per region, cumulative completions."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from itertools import accumulate

from matplotlib.dates import DateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from verbund.services.report.model import AreaFigures, Figures

MAX_BARS = 30  # more regions than this: one bar per Land
COLOURS = ("#bdbdbd", "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#2f7d32")


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    png: bytes


def charts(figures: Figures) -> list[Chart]:
    return [stage_chart(figures), completion_chart(figures)]


def stage_chart(figures: Figures) -> Chart:
    areas: list[AreaFigures] = list(figures.regions)
    per = "Region"
    if len(areas) > MAX_BARS:
        areas, per = list(figures.lands), "Land"
    labels = [area.name for area in areas]  # names, not slugs or Land codes (issue 17)
    height = max(2.4, 0.32 * len(areas) + 1.6)
    fig = Figure(figsize=(9, height))
    ax = fig.subplots()
    left = [0] * len(areas)
    for index, (category, label) in enumerate(figures.categories):
        counts = [area.count(category) for area in areas]
        ax.barh(labels, counts, height=0.6, left=left, label=label, color=COLOURS[index % len(COLOURS)])
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("Verbünde")
    ax.set_title(f"Verbünde nach erreichter Stufe je {per} (Stand {figures.as_of:%d.%m.%Y})")
    # Below the axis label: the gap is a fixed height in inches, whatever the number of bars.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.65 / height), bbox_transform=ax.transAxes, ncol=4,
              fontsize=8, frameon=False)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return Chart("stufen", f"Verbünde nach erreichter Stufe je {per}", _png(fig))


def completion_chart(figures: Figures) -> Chart:
    fig = Figure(figsize=(9, 3.8))
    ax = fig.subplots()
    titles = dict(figures.categories)
    stages = list(dict.fromkeys(stage for _day, stage, _count in figures.completions))
    start = _num(figures.completions[0][0] - dt.timedelta(days=1)) if figures.completions else 0.0
    series = [("alle Stufen", [(day, count) for day, _s, count in figures.completions])]
    series += [(titles.get(stage, stage), [(d, c) for d, s, c in figures.completions if s == stage])
               for stage in stages]
    for index, (label, points) in enumerate(series if stages else []):
        days = [start, *(_num(day) for day, _c in points), _num(figures.as_of)]
        totals = [0, *accumulate(count for _d, count in points)]
        ax.step(days, [*totals, totals[-1]], where="post", label=label,
                color="#333333" if index == 0 else COLOURS[index % len(COLOURS)], linewidth=2.4 if index == 0 else 1.4)
    ax.set_ylim(bottom=0)
    if not stages:
        ax.text(0.5, 0.5, "Bis zum Stichtag wurde keine Stufe abgeschlossen.", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_xlim(_num(figures.as_of - dt.timedelta(days=30)), _num(figures.as_of))
    else:
        ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.set_ylabel("abgeschlossene Stufen (kumuliert)")
    ax.set_title(f"Abgeschlossene Stufen im Zeitverlauf (bis {figures.as_of:%d.%m.%Y})")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(DateFormatter("%d.%m.%Y"))  # type: ignore[no-untyped-call]
    fig.autofmt_xdate()
    return Chart("abschluesse", "Abgeschlossene Stufen im Zeitverlauf", _png(fig))


def _num(day: dt.date) -> float:
    return float(date2num(day))  # type: ignore[no-untyped-call]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()
