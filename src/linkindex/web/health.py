"""Link health as figures and as charts drawn on the server (inline SVG, no script).

The figures come from the store's summary methods; the charts are plain geometry
(rectangles and labels) that a template writes out as SVG with every text escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from linkindex.models import SITES, STATUSES
from linkindex.report import SECTIONS, Report, ReportItem, build_report, report_json
from linkindex.store import Store

#: One colour per status, also used by the CSS badges (keep them in step).
STATUS_COLOURS: dict[str, str] = {
    "ok": "#2f9e44",
    "not_modified": "#63b37a",
    "new": "#adb5bd",
    "dead": "#d9480f",
    "blocked": "#f59f00",
    "error": "#862e9c",
    "skipped": "#ced4da",
}

#: Statuses that count as "checked" when the share of dead links is computed.
CHECKED = ("ok", "not_modified", "dead", "blocked", "error")


def outcome_by_site(store: Store) -> dict[str, dict[str, int]]:
    """``{site: {status: links}}`` over the links still in the notes."""
    table = store.status_counts_by_site()
    order = {name: i for i, name in enumerate(SITES)}
    return dict(sorted(table.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def dead_by_note_year(store: Store) -> list[dict[str, Any]]:
    """Per year of the notes: links, links checked, dead links and the dead share.

    A link placed in notes of several years counts in each of them. The share is of
    the checked links (never-fetched and skipped links say nothing about rot).
    """
    rows = store.dead_by_note_year(CHECKED)
    for row in rows:
        row["share"] = row["dead"] / row["checked"] if row["checked"] else 0.0
    return rows


@dataclass(slots=True)
class Bar:
    """One rectangle of a chart, with its tooltip."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    tip: str


@dataclass(slots=True)
class Label:
    """One text of a chart."""

    x: float
    y: float
    text: str
    anchor: str = "start"
    kind: str = "axis"


@dataclass(slots=True)
class Chart:
    """A chart as geometry: the template turns it into ``<svg>``."""

    title: str
    width: float
    height: float
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (status, colour)


def site_chart(table: dict[str, dict[str, int]], *, width: float = 640) -> Chart:
    """Horizontal stacked bars: for each site, its links split by status."""
    row_height, gap, left, right = 26.0, 10.0, 84.0, 64.0
    chart = Chart(
        title="Outcome by site",
        width=width,
        height=max(1, len(table)) * (row_height + gap) + 8,
    )
    most = max((sum(counts.values()) for counts in table.values()), default=0) or 1
    span = width - left - right
    for index, (site, counts) in enumerate(table.items()):
        y = 4 + index * (row_height + gap)
        x = left
        total = sum(counts.values())
        chart.labels.append(Label(left - 8, y + row_height * 0.68, site, "end"))
        for status in STATUSES:
            count = counts.get(status, 0)
            if not count:
                continue
            size = span * count / most
            tip = f"{site}: {count} {status} ({count / total:.0%})"
            chart.bars.append(Bar(x, y, size, row_height, STATUS_COLOURS[status], tip))
            x += size
        chart.labels.append(Label(x + 6, y + row_height * 0.68, str(total), kind="value"))
    used = {status for counts in table.values() for status in counts}
    chart.legend = [(s, STATUS_COLOURS[s]) for s in STATUSES if s in used]
    return chart


def rot_chart(years: list[dict[str, Any]], *, width: float = 640) -> Chart:
    """Vertical bars: the share of checked links that are dead, by the note's year."""
    height, top, bottom, left = 220.0, 22.0, 28.0, 40.0
    chart = Chart(title="Dead links by year of the note", width=width, height=height)
    plot = height - top - bottom
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot * (1 - tick)
        chart.labels.append(Label(left - 6, y + 4, f"{tick:.0%}", "end"))
        chart.bars.append(Bar(left, y, width - left, 0.6, "#dee2e6", ""))
    if not years:
        return chart
    slot = (width - left - 8) / len(years)
    bar_width = min(48.0, slot * 0.7)
    for index, row in enumerate(years):
        share = float(row["share"])
        x = left + index * slot + (slot - bar_width) / 2
        size = max(plot * share, 1.0 if row["checked"] else 0.0)
        tip = f"{row['year']}: {row['dead']} dead of {row['checked']} checked ({share:.0%})"
        chart.bars.append(Bar(x, top + plot - size, bar_width, size, STATUS_COLOURS["dead"], tip))
        middle = x + bar_width / 2
        chart.labels.append(Label(middle, height - 10, str(row["year"]), "middle"))
        if row["checked"]:
            chart.labels.append(
                Label(middle, top + plot - size - 5, f"{share:.0%}", "middle", kind="value")
            )
    return chart


@dataclass(slots=True)
class HealthView:
    """The health page's figures, charts and the latest update's report."""

    by_site: dict[str, dict[str, int]]
    by_year: list[dict[str, Any]]
    sites: Chart
    rot: Chart
    report: Report

    @property
    def total(self) -> int:
        """How many links the library holds."""
        return sum(sum(counts.values()) for counts in self.by_site.values())

    @property
    def totals(self) -> list[tuple[str, int]]:
        """Links per status over all sites, in the order of ``models.STATUSES``."""
        sums = {s: sum(c.get(s, 0) for c in self.by_site.values()) for s in STATUSES}
        return [(status, n) for status, n in sums.items() if n]

    @property
    def sections(self) -> list[tuple[str, str, list[ReportItem], int]]:
        """The report's non-empty sections: kind, heading, listed items, full count."""
        return [
            (kind, heading, self.report.sections.get(kind, []), self.report.counts.get(kind, 0))
            for kind, heading in SECTIONS.items()
            if self.report.counts.get(kind, 0)
        ]

    def as_json(self) -> dict[str, Any]:
        """The figures as plain JSON data (the charts are for people)."""
        return {
            "outcome_by_site": self.by_site,
            "dead_by_note_year": self.by_year,
            "latest_update": report_json(self.report),
        }


#: The health page lists at most this many links per report section.
REPORT_LIMIT = 50


def health_view(store: Store) -> HealthView:
    """Gather the health page: figures from the store and the latest update's report."""
    by_site = outcome_by_site(store)
    by_year = dead_by_note_year(store)
    return HealthView(
        by_site=by_site,
        by_year=by_year,
        sites=site_chart(by_site),
        rot=rot_chart(by_year),
        report=build_report(store, limit=REPORT_LIMIT),
    )
