"""Geometry of the storage page's two charts, drawn server-side as SVG by
templates/registries/_chart_bars.html and _chart_growth.html (which escape every name).

Coordinates are in the SVG's own units: the viewBox is narrow (400 wide) so that, scaled to a
phone's width, its text stays readable, and CSS caps its width on a wide screen. Colours are
CSS classes over the stylesheet's custom properties, so dark mode and the CSP (no inline
styles) both hold; the numbers are in a table beside each chart, for screen readers and for
anyone who would rather read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat

from registries.retention.storage_figures import Growth, RepositoryFigures

WIDTH = 400
LABEL_MAX = 44  # characters of a name drawn; the table beside the chart has all of it
ROW = 40  # one bar: its label line, then the bar
BAR = 14


def shorten(name: str, limit: int = LABEL_MAX) -> str:
    """Keep both ends of a long name: the namespace and the last part both tell."""
    if len(name) <= limit:
        return name
    keep = limit - 1
    return f"{name[: keep // 2]}…{name[len(name) - (keep - keep // 2) :]}"


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


@dataclass(frozen=True)
class Bar:
    name: str
    label: str
    value: str  # the size, humanised
    own_width: str
    shared_x: str
    shared_width: str
    label_y: str
    bar_y: str


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    width: int
    height: int


def bar_chart(repositories: Sequence[RepositoryFigures]) -> BarChart:
    """One bar per repository, as long as its unique bytes: the part only it uses, then the
    part it shares with other repositories."""
    largest = max((r.unique_bytes for r in repositories), default=0) or 1
    bars = []
    for i, repository in enumerate(repositories):
        top = i * ROW
        own = WIDTH * repository.own_bytes / largest
        shared = WIDTH * repository.shared_bytes / largest
        bars.append(
            Bar(
                name=repository.name,
                label=shorten(repository.name),
                value=filesizeformat(repository.unique_bytes),
                own_width=_n(own),
                shared_x=_n(own),
                shared_width=_n(shared),
                label_y=_n(top + 15),
                bar_y=_n(top + 21),
            )
        )
    return BarChart(bars=tuple(bars), width=WIDTH, height=max(len(bars) * ROW, ROW))


# The growth chart's plot area inside its viewBox.
LEFT, RIGHT, TOP, BOTTOM, HEIGHT = 8, 392, 22, 176, 214


@dataclass(frozen=True)
class Tick:
    y: str
    label: str


@dataclass(frozen=True)
class GrowthChart:
    width: int
    height: int
    area: str  # the bytes, as a closed path
    line: str  # the bytes' top edge
    tags_line: str  # tags on their own scale
    dots: tuple[tuple[str, str], ...]  # the bytes' points, when too few to see a line
    left: int
    right: int
    top: int
    bottom: int
    bytes_ticks: tuple[Tick, ...]
    tags_ticks: tuple[Tick, ...]
    first: str  # the first and last bucket, as dates
    last: str
    first_x: str
    last_x: str


def _y(value: int, largest: int) -> float:
    return BOTTOM - (BOTTOM - TOP) * value / (largest or 1)


def growth_chart(growth: Growth) -> GrowthChart | None:
    """Stored bytes as an area and tags as a line over time; None with nothing to draw."""
    points = growth.points
    if not points:
        return None
    most_bytes = max(p.bytes for p in points)
    most_tags = max(p.tags for p in points)
    step = (RIGHT - LEFT) / (len(points) - 1) if len(points) > 1 else 0
    xs = [LEFT + i * step for i in range(len(points))] if step else [(LEFT + RIGHT) / 2]
    top_edge = [f"{_n(x)},{_n(_y(p.bytes, most_bytes))}" for x, p in zip(xs, points, strict=True)]
    tags = [f"{_n(x)},{_n(_y(p.tags, most_tags))}" for x, p in zip(xs, points, strict=True)]
    area = f"M{_n(xs[0])},{BOTTOM} L{' L'.join(top_edge)} L{_n(xs[-1])},{BOTTOM} Z"
    fmt = "%Y-%m" if growth.unit in ("month", "year") else "%Y-%m-%d"
    return GrowthChart(
        width=WIDTH,
        height=HEIGHT,
        area=area,
        line="M" + " L".join(top_edge),
        tags_line="M" + " L".join(tags),
        dots=tuple(tuple(point.split(",")) for point in top_edge) if len(points) < 3 else (),
        left=LEFT,
        right=RIGHT,
        top=TOP,
        bottom=BOTTOM,
        bytes_ticks=(
            Tick(_n(TOP), filesizeformat(most_bytes)),
            Tick(_n((TOP + BOTTOM) / 2), filesizeformat(most_bytes // 2)),
        ),
        tags_ticks=(
            Tick(_n(TOP), f"{most_tags:,} tags"),
            Tick(_n((TOP + BOTTOM) / 2), f"{most_tags // 2:,}"),
        ),
        first=points[0].start.strftime(fmt),
        last=points[-1].start.strftime(fmt),
        first_x=_n(xs[0]),
        last_x=_n(xs[-1]),
    )
