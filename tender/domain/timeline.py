"""Draw the milestone timeline (planned against actual) as an accessible SVG.

Shapes, not only colours, carry the meaning: a hollow circle is the planned
date, a filled diamond the actual date, and a dashed line is today. The page
also shows the same facts as a table for screen-reader users.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Iterable

LABEL_W, CHART_W, ROW_H, TOP = 260, 520, 36, 40
PAD = 12             # markers keep this far inside the axis, so none spills into the labels
MONTH_GAP = 64       # px between month labels ("Sept 2022" at 11 px is about 50 px wide)
LABEL_CHARS = 40     # characters per line of a milestone label (12 px Arial in 250 px)
FONT = 'font-family="Arial, sans-serif"'
NOT_APPLICABLE = "notApplicable"


@dataclass(frozen=True)
class TimelineRow:
    """One milestone's dates for drawing."""

    title: str
    planned: date | None
    actual: date | None
    status: str


def rows_from(milestones: Iterable) -> list[TimelineRow]:
    """Rows from anything with title, planned_date, actual_date and status attributes."""
    return [TimelineRow(m.title, m.planned_date, m.actual_date, m.status) for m in milestones]


def _months(start: date, end: date) -> list[date]:
    months, current = [], date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def wrap(title: str, width: int = LABEL_CHARS, lines: int = 2) -> list[str]:
    """``title`` in at most ``lines`` lines of ``width`` characters, broken at spaces; "…" if cut."""
    words, out, line = title.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:width - 1].rstrip() + "…"
    return [text[:width] if len(text) > width else text for text in out]


def _month_labels(months: list[date], x) -> list[date]:
    """The months to label: at least MONTH_GAP apart and whole inside the chart."""
    chosen, last = [], None
    for month in months:
        at = x(month)
        if at - MONTH_GAP / 2 < LABEL_W or at + MONTH_GAP / 2 > LABEL_W + CHART_W + 20:
            continue
        if last is None or at - last >= MONTH_GAP:
            chosen.append(month)
            last = at
    return chosen


def _label(row: TimelineRow, y: float) -> str:
    lines = wrap(row.title)
    first = y + 4 - (len(lines) - 1) * 7
    spans = "".join(f'<tspan x="{LABEL_W - 8}" y="{first + i * 14:.1f}">{escape(text)}</tspan>'
                    for i, text in enumerate(lines))
    return f'<text {FONT} font-size="12" text-anchor="end"><title>{escape(row.title)}</title>{spans}</text>'


def _planned(row: TimelineRow, cx: float, y: float, today: date) -> str:
    if row.status == NOT_APPLICABLE:
        return (f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="6" fill="#ffffff" stroke="#505a5f" stroke-width="2" '
                f'stroke-dasharray="3,2"><title>{escape(row.title)}: planned {row.planned:%d %B %Y} '
                f'(not applicable)</title></circle>')
    late = row.status != "met" and row.planned < today
    colour = "#d4351c" if late else "#1d70b8"
    return (f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="6" fill="#ffffff" stroke="{colour}" stroke-width="3">'
            f'<title>{escape(row.title)}: planned {row.planned:%d %B %Y}{" (overdue)" if late else ""}</title></circle>')


def to_svg(rows: list[TimelineRow], today: date) -> str:
    """The timeline as an inline SVG string (no scripts, no styles: safe under a strict CSP)."""
    dates = [d for r in rows for d in (r.planned, r.actual) if d]
    height = TOP + ROW_H * max(len(rows), 1) + 20
    width = LABEL_W + CHART_W + 20
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="timeline-title timeline-desc" class="app-timeline__svg">'
            f'<title id="timeline-title">Milestone timeline</title>'
            f'<desc id="timeline-desc">Planned dates as hollow circles (dashed grey if not applicable), actual '
            f'dates as filled diamonds, today as a dashed line. The table below gives the same dates.</desc>')
    if not dates:
        return head + f'<text x="10" y="30" {FONT} font-size="14">No milestone dates are planned yet.</text></svg>'
    start, end = min(dates), max(dates)
    # Today joins the axis only when it is near the timetable; a timetable years
    # in the past would otherwise be squeezed into a corner.
    margin = max((end - start).days // 4, 31)
    if start.toordinal() - margin <= today.toordinal() <= end.toordinal() + margin:
        start, end = min(start, today), max(end, today)
    span = max((end - start).days, 1)
    left, right = LABEL_W + PAD, LABEL_W + CHART_W - PAD

    def x(day: date) -> float:
        # Clamped, so nothing is ever drawn outside the axis.
        return min(max(left + (day - start).days / span * (right - left), left), right)

    parts = [head, f'<line x1="{LABEL_W}" y1="{height - 20}" x2="{LABEL_W + CHART_W}" y2="{height - 20}" '
                   f'stroke="#505a5f" stroke-width="1"/>']
    for month in _month_labels([m for m in _months(start, end) if m >= start], x):
        parts.append(f'<line x1="{x(month):.1f}" y1="{TOP - 10}" x2="{x(month):.1f}" y2="{height - 20}" stroke="#b1b4b6" stroke-width="1"/>'
                     f'<text x="{x(month):.1f}" y="{TOP - 16}" {FONT} font-size="11" text-anchor="middle">{month:%b %Y}</text>')
    for i, row in enumerate(rows):
        y = TOP + ROW_H * i + ROW_H / 2
        parts.append(_label(row, y))
        if row.planned and row.actual:
            parts.append(f'<line x1="{x(row.planned):.1f}" y1="{y:.1f}" x2="{x(row.actual):.1f}" y2="{y:.1f}" stroke="#505a5f" stroke-width="2"/>')
        if row.planned:
            parts.append(_planned(row, x(row.planned), y, today))
        if row.actual:
            cx = x(row.actual)
            parts.append(f'<polygon points="{cx:.1f},{y - 7:.1f} {cx + 7:.1f},{y:.1f} {cx:.1f},{y + 7:.1f} {cx - 7:.1f},{y:.1f}" fill="#00703c">'
                         f'<title>{escape(row.title)}: met {row.actual:%d %B %Y}</title></polygon>')
    if start <= today <= end:
        tx = x(today)
        parts.append(f'<line x1="{tx:.1f}" y1="{TOP - 10}" x2="{tx:.1f}" y2="{height - 20}" stroke="#0b0c0c" stroke-width="2" stroke-dasharray="5,4"/>'
                     f'<text x="{tx:.1f}" y="{height - 6}" {FONT} font-size="11" text-anchor="middle">Today</text>')
    else:
        side = "after" if today > end else "before"
        anchor, tx = ("end", LABEL_W + CHART_W) if side == "after" else ("start", LABEL_W)
        parts.append(f'<text x="{tx:.1f}" y="{height - 6}" {FONT} font-size="11" '
                     f'text-anchor="{anchor}">Today ({today:%d %B %Y}) is {side} this timetable</text>')
    parts.append("</svg>")
    return "".join(parts)
