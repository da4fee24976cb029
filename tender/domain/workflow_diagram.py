"""Pictures of a procedure: Mermaid and Graphviz text for export, inline SVG for the page.

Officers need to see where a procurement is and what comes next; reviewers
want the whole graph in a tool they already use. The SVG is drawn here rather
than by a JavaScript renderer so the page works without scripts or external
fonts and can be read by a screen reader (``role="img"`` with a title and a
description that lists the stages in words). The current stage is marked by a
thicker border and the words "(current stage)", never by colour alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from textwrap import wrap
from xml.sax.saxutils import escape

# SVG layout, in px.
_MARGIN, _BOX_W, _BOX_H, _GAP = 24, 340, 44, 40
_GUTTER, _NOTE_W = 260, 280
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"'
#: Transitions leaving this many stages or more are drawn once, as a note.
_NOTE_SOURCES = 3


def _mermaid_text(text: str) -> str:
    """Mermaid labels cannot hold double quotes, semicolons or newlines."""
    return " ".join(text.replace('"', "'").replace(";", ",").split())


def to_mermaid(defn, current: str | None = None) -> str:
    """A Mermaid ``stateDiagram-v2`` of the procedure, with ``current`` highlighted."""
    lines = ["stateDiagram-v2", "    direction TB"]
    for stage in defn.ordered_stages():
        title = stage.title + (" (current stage)" if stage.name == current else "")
        lines.append(f'    state "{_mermaid_text(title)}" as {stage.name}')
    lines.append(f"    [*] --> {defn.initial}")
    for t in defn.transitions:
        for source in t.sources:
            lines.append(f"    {source} --> {t.dest} : {_mermaid_text(t.label)}")
    for stage in defn.stages:
        if stage.final:
            lines.append(f"    {stage.name} --> [*]")
    lines.append("    classDef current stroke-width:4px,stroke:#0b0c0c,fill:#fff7bf,font-weight:bold")
    if current is not None:
        defn.stage(current)  # KeyError for a stage the procedure does not have
        lines.append(f"    class {current} current")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(defn, current: str | None = None) -> str:
    """A Graphviz DOT digraph: the current stage bold with "(current stage)"; final stages double-bordered."""
    if current is not None:
        defn.stage(current)
    lines = [
        f'digraph "{_dot_text(defn.name)}" {{',
        f'  graph [rankdir=TB, labelloc=t, label="{_dot_text(defn.title)} (version {defn.version})"];',
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for stage in defn.ordered_stages():
        attrs = [f'label="{_dot_text(stage.title)}"']
        if stage.name == current:
            attrs = [f'label="{_dot_text(stage.title)}\\n(current stage)"', "penwidth=3",
                     'style="rounded,filled,bold"', 'fillcolor="#fff7bf"']
        if stage.final:
            attrs.append("peripheries=2")
        lines.append(f'  "{stage.name}" [{", ".join(attrs)}];')
    for t in defn.transitions:
        style = ", style=dashed" if len(t.sources) >= _NOTE_SOURCES else ""
        for source in t.sources:
            lines.append(f'  "{source}" -> "{t.dest}" [label="{_dot_text(t.label)}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Side:
    """A transition drawn off the main path: a gutter arrow, a side box, or a note."""

    label: str
    sources: tuple[str, ...]
    dest: str
    requires_reason: bool


def _classify(defn, path_index: dict[str, int]):
    """Split transitions into main-path steps (pairs of neighbours) and side routes."""
    steps: dict[tuple[str, str], list[str]] = {}
    sides: list[_Side] = []
    for t in defn.transitions:
        if len(t.sources) >= _NOTE_SOURCES:
            sides.append(_Side(t.label, t.sources, t.dest, t.requires_reason))
            continue
        for source in t.sources:
            if source in path_index and path_index.get(t.dest) == path_index[source] + 1:
                steps.setdefault((source, t.dest), []).append(t.label)
            else:
                sides.append(_Side(t.label, (source,), t.dest, t.requires_reason))
    return steps, sides


def _where(defn, side: _Side, path: list) -> str:
    """Describe a many-source transition's sources in words."""
    names = [stage.name for stage in path]
    if all(s in names for s in side.sources):
        ordered = sorted(side.sources, key=names.index)
        if ordered == names[names.index(ordered[0]): names.index(ordered[-1]) + 1]:
            return f"from any stage from {defn.stage(ordered[0]).title} to {defn.stage(ordered[-1]).title}"
    return "from: " + ", ".join(defn.stage(s).title for s in side.sources)


def _box(x: int, y: int, w: int, stage, current: str | None, out: list[str]) -> None:
    is_current = stage.name == current
    stroke, width, fill = ("#0b0c0c", 4, "#fff7bf") if is_current else ("#505a5f", 1.5, "#ffffff")
    out.append(f'<rect x="{x}" y="{y}" width="{w}" height="{_BOX_H}" rx="8" fill="{fill}" '
               f'stroke="{stroke}" stroke-width="{width}"/>')
    weight = ' font-weight="bold"' if is_current else ""
    if is_current:
        out.append(f'<text x="{x + w // 2}" y="{y + 19}" text-anchor="middle" font-size="14"{weight}>'
                   f"{escape(stage.title)}</text>")
        out.append(f'<text x="{x + w // 2}" y="{y + 36}" text-anchor="middle" font-size="12"{weight}>'
                   "(current stage)</text>")
    else:
        out.append(f'<text x="{x + w // 2}" y="{y + 27}" text-anchor="middle" font-size="14">'
                   f"{escape(stage.title)}</text>")


def _lines(x: int, y: int, text: str, width: int, out: list[str], size: int = 12) -> int:
    """Write wrapped text starting at ``y``; return the y below it."""
    for line in wrap(text, width):
        out.append(f'<text x="{x}" y="{y}" font-size="{size}">{escape(line)}</text>')
        y += size + 4
    return y


def to_svg(defn, current: str | None = None) -> str:
    """An accessible inline SVG: the main path top to bottom, side routes to the right."""
    if current is not None:
        defn.stage(current)
    path = list(defn.main_path())
    index = {stage.name: i for i, stage in enumerate(path)}
    steps, sides = _classify(defn, index)
    uid = defn.name.replace("_", "-")
    x0, top = _MARGIN, _MARGIN + 28
    row_y = [top + i * (_BOX_H + _GAP) for i in range(len(path))]
    mid = {stage.name: row_y[i] + _BOX_H // 2 for i, stage in enumerate(path)}
    side_x = x0 + _BOX_W + _GUTTER
    body: list[str] = []

    for i, stage in enumerate(path):
        _box(x0, row_y[i], _BOX_W, stage, current, body)
        if i + 1 < len(path):
            labels = steps.get((stage.name, path[i + 1].name), [])
            ax, y1, y2 = x0 + _BOX_W // 2, row_y[i] + _BOX_H, row_y[i + 1]
            body.append(f'<line x1="{ax}" y1="{y1}" x2="{ax}" y2="{y2 - 2}" stroke="#0b0c0c" '
                        f'stroke-width="1.5" marker-end="url(#{uid}-arrow)"/>')
            lines = wrap(" / ".join(labels), 30)[:2]
            for k, line in enumerate(lines):
                y = y1 + (_GAP // 2 + 4 if len(lines) == 1 else 15 + 15 * k)
                body.append(f'<text x="{ax + 10}" y="{y}" font-size="12">{escape(line)}</text>')

    side_y, gutter_k, described = top, 0, []
    placed: dict[str, int] = {}
    for side in sides:
        reason = " (reason required)" if side.requires_reason else ""
        dest_title = defn.stage(side.dest).title
        if len(side.sources) >= _NOTE_SOURCES:
            words = f"{side.label}{reason}: {_where(defn, side, path)}, goes to {dest_title}."
            described.append(words)
            lines = wrap(words, 40)
            height = 16 + 16 * len(lines)
            body.append(f'<rect x="{side_x}" y="{side_y}" width="{_NOTE_W}" height="{height}" rx="4" '
                        'fill="#f3f2f1" stroke="#505a5f" stroke-dasharray="4 3"/>')
            _lines(side_x + 10, side_y + 20, words, 40, body)
            side_y += height + 12
        elif side.dest in index and side.sources[0] in index:
            # A skip along the main path (e.g. award on initial tenders): an arrow in the gutter.
            words = f"{side.label}{reason}: from {defn.stage(side.sources[0]).title} to {dest_title}."
            described.append(words)
            gx = x0 + _BOX_W + 150 + 16 * gutter_k
            gutter_k += 1
            y1, y2 = mid[side.sources[0]], mid[side.dest]
            body.append(f'<path d="M{x0 + _BOX_W} {y1} H{gx} V{y2} H{x0 + _BOX_W + 2}" fill="none" '
                        f'stroke="#0b0c0c" stroke-width="1.5" stroke-dasharray="5 3" marker-end="url(#{uid}-arrow)"/>')
            _lines(gx + 6, (y1 + y2) // 2 - 8, side.label + reason, 14, body)
            continue
        else:
            words = f"{side.label}{reason}: from {defn.stage(side.sources[0]).title} to {dest_title}."
            described.append(words)
            if side.sources[0] in mid:
                side_y = max(side_y, mid[side.sources[0]] - _BOX_H // 2)
                body.append(f'<line x1="{x0 + _BOX_W}" y1="{mid[side.sources[0]]}" x2="{side_x - 2}" '
                            f'y2="{side_y + _BOX_H // 2}" stroke="#0b0c0c" stroke-width="1.5" '
                            f'marker-end="url(#{uid}-arrow)"/>')
        if side.dest not in index and side.dest not in placed:
            _box(side_x, side_y, _NOTE_W, defn.stage(side.dest), current, body)
            placed[side.dest] = side_y
            side_y += _BOX_H + _GAP

    for stage in defn.stages:  # any stage still not drawn (reached only from side stages)
        if stage.name not in index and stage.name not in placed:
            _box(side_x, side_y, _NOTE_W, stage, current, body)
            placed[stage.name] = side_y
            side_y += _BOX_H + _GAP

    width = side_x + _NOTE_W + _MARGIN
    height = max(row_y[-1] + _BOX_H, side_y) + _MARGIN
    now = f" Current stage: {defn.stage(current).title}." if current else ""
    order = "; ".join(f"{i + 1}. {stage.title}" for i, stage in enumerate(path))
    desc = f"Main path: {order}.{now}" + (" Other routes: " + " ".join(described) if described else "")
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{uid}-title {uid}-desc" {_FONT}>',
        f'<title id="{uid}-title">{escape(defn.title)}: stages of the procedure</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
        f'<defs><marker id="{uid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#0b0c0c"/></marker></defs>',
        f'<text x="{x0}" y="{_MARGIN + 8}" font-size="16" font-weight="bold">{escape(defn.title)}</text>',
    ]
    return "\n".join(head + body + ["</svg>"]) + "\n"
