"""The audit trail as a PDF for lawyers: cover page, then events by date.

Why the unusual construction: a trail can hold 100,000+ events, and the cover
must state facts (event count, integrity result, head hash) that are only
known after every event has been read. Rather than reading the events twice
or holding them, this module

* feeds reportlab a *lazy* story that turns events into paragraphs only as
  the layout engine asks for them (a drawn paragraph is then dropped), and
* draws the cover page and the "of M" in "Page N of M" as PDF form XObjects
  that are referenced while the pages are laid out but only *defined* once
  the last event has been seen. reportlab supports such forward references.

So one pass over the events produces the whole report, and memory is the
compressed page content plus a small look-ahead, not the events.
"""
from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from tender.audit_export.meta import ExportMeta
from tender.domain.audit_chain import ChainVerifier, compact_json, format_timestamp

#: Text placed in the PDF's document information (Subject), so tools and
#: tests can recognise our reports without parsing page content.
PDF_SUBJECT = "Tender audit trail report"

_MARGIN = 18 * mm
_FOOTER_Y = 10 * mm
_MAX_CHANGES = 8
_MAX_VALUE_CHARS = 120
_LOOKAHEAD = 32
_UNSET = object()

_FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
)
_fonts: tuple[str, str, str] | None = None


def _choose_fonts() -> tuple[str, str, str]:
    """(regular, bold, arrow) - a Unicode font when the machine has one.

    The built-in Helvetica only covers Western European letters; names such
    as "Łukasz" or an arrow would print as blanks. DejaVu Sans is embedded
    when present; otherwise fall back to Helvetica and an ASCII arrow.
    """
    global _fonts
    if _fonts is None:
        _fonts = ("Helvetica", "Helvetica-Bold", "->")
        for regular, bold in _FONT_CANDIDATES:
            if os.path.exists(regular) and os.path.exists(bold):
                try:
                    pdfmetrics.registerFont(TTFont("TenderAudit", regular))
                    pdfmetrics.registerFont(TTFont("TenderAudit-Bold", bold))
                    pdfmetrics.registerFontFamily(
                        "TenderAudit", normal="TenderAudit", bold="TenderAudit-Bold",
                        italic="TenderAudit", boldItalic="TenderAudit-Bold",
                    )
                except Exception:  # a broken font file must not stop an export
                    continue
                _fonts = ("TenderAudit", "TenderAudit-Bold", "\u2192")
                break
    return _fonts


class _Styles:
    """Paragraph styles for one report (plain, large enough to read printed)."""

    def __init__(self) -> None:
        regular, bold, self.arrow = _choose_fonts()
        self.regular, self.bold = regular, bold
        base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11.5, alignment=TA_LEFT)
        self.title = ParagraphStyle("title", base, fontName=bold, fontSize=22, leading=27, spaceAfter=4 * mm)
        self.subtitle = ParagraphStyle("subtitle", base, fontSize=13, leading=17, spaceAfter=6 * mm)
        self.h1 = ParagraphStyle("h1", base, fontName=bold, fontSize=15, leading=19, spaceAfter=3 * mm)
        self.h2 = ParagraphStyle(
            "h2", base, fontName=bold, fontSize=11.5, leading=15, spaceBefore=4 * mm, spaceAfter=1.5 * mm,
            keepWithNext=1, textColor=colors.HexColor("#0b0c0c"),
        )
        self.body = ParagraphStyle("body", base, fontSize=10, leading=13.5, spaceAfter=2.5 * mm)
        self.label = ParagraphStyle("label", base, fontName=bold, fontSize=10, leading=13)
        self.value = ParagraphStyle("value", base, fontSize=10, leading=13)
        self.mono = ParagraphStyle("mono", base, fontName="Courier", fontSize=7.5, leading=10)
        self.event = ParagraphStyle(
            "event", base, leftIndent=4 * mm, firstLineIndent=-4 * mm, spaceAfter=2.2 * mm,
            allowWidows=0, allowOrphans=0,
        )


class _LazyStory:
    """Just enough of a list for ``BaseDocTemplate.build``, filled on demand.

    reportlab reads ``story[0]``, deletes it, peeks a few items ahead for
    keep-with-next, and pushes split remainders back at the front. A small
    buffer in front of a generator supports all of that, so at most
    ``_LOOKAHEAD`` undrawn paragraphs exist at any time.
    """

    def __init__(self, head: list[Flowable], tail: Iterator[Flowable]) -> None:
        self._buffer = list(head)
        self._tail = tail
        self._done = False

    def _fill(self, size: int) -> None:
        while not self._done and len(self._buffer) < size:
            try:
                self._buffer.append(next(self._tail))
            except StopIteration:
                self._done = True

    def __len__(self) -> int:
        self._fill(_LOOKAHEAD)
        return len(self._buffer)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            if index.stop is None or (index.stop or 0) < 0:
                raise TypeError("open-ended slices would read the whole story")
            self._fill(index.stop)
            return self._buffer[index]
        if index < 0:
            raise IndexError("negative index into a lazy story")
        self._fill(index + 1)
        return self._buffer[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        self._buffer[index] = value

    def __delitem__(self, index: Any) -> None:
        stop = index.stop if isinstance(index, slice) else index + 1
        self._fill(stop or 0)
        del self._buffer[index]

    def insert(self, index: int, value: Flowable) -> None:
        self._buffer.insert(index, value)


class _Facts:
    """What the cover needs to know, gathered while the events stream past."""

    def __init__(self) -> None:
        self.first_time: str | None = None
        self.last_time: str | None = None
        self.pages = 0


class _AuditDoc(BaseDocTemplate):
    """Document template whose cover and page total are filled in at the end."""

    def __init__(self, out: BinaryIO, meta: ExportMeta, styles: _Styles, cover: Any, facts: _Facts) -> None:
        super().__init__(
            out, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN,
            bottomMargin=_MARGIN, title=_document_title(meta), author=meta.generated_by,
            subject=PDF_SUBJECT, creator=f"Tender {meta.tool_version}", pageCompression=1,
        )
        self._meta = meta
        self._styles = styles
        self._cover = cover
        self._facts = facts
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([
            PageTemplate(id="cover", frames=[frame], onPage=self._draw_cover_page),
            PageTemplate(id="events", frames=[frame], onPage=self._draw_footer),
        ])

    def _draw_cover_page(self, canv: Any, doc: Any) -> None:
        canv.doForm("tender_cover")  # defined in _endBuild, once the facts are known
        self._draw_footer(canv, doc)

    def _draw_footer(self, canv: Any, doc: Any) -> None:
        page = canv.getPageNumber()
        self._facts.pages = max(self._facts.pages, page)
        canv.saveState()
        canv.setFont(self._styles.regular, 8)
        canv.setFillColor(colors.HexColor("#505a5f"))
        canv.drawString(_MARGIN, _FOOTER_Y, _footer_text(self._meta))
        label = f"Page {page} of "
        x = A4[0] - _MARGIN - 30 * mm
        canv.drawString(x, _FOOTER_Y, label)
        canv.translate(x + pdfmetrics.stringWidth(label, self._styles.regular, 8), _FOOTER_Y)
        canv.doForm("tender_page_total")
        canv.restoreState()

    def _endBuild(self) -> None:
        self._doSave = 0
        super()._endBuild()  # finishes the last page without saving
        canv = self.canv
        canv.beginForm("tender_page_total")
        canv.setFont(self._styles.regular, 8)
        canv.setFillColor(colors.HexColor("#505a5f"))
        canv.drawString(0, 0, str(self._facts.pages))
        canv.endForm()
        canv.beginForm("tender_cover")
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, showBoundary=0)
        frame.addFromList(self._cover(), canv)
        canv.endForm()
        canv.save()


def _document_title(meta: ExportMeta) -> str:
    if meta.procurement_ref:
        return f"Audit trail - {meta.procurement_ref}"
    return "Audit trail - all procurements"


def _footer_text(meta: ExportMeta) -> str:
    scope = meta.procurement_ref or "All procurements"
    return f"Audit trail \u00b7 {scope} \u00b7 generated {_human_time(meta.generated_at)}"


def _human_time(moment: _dt.datetime | None) -> str:
    """e.g. "14 May 2024 at 09:32:05 UTC" - unambiguous for UK readers."""
    if moment is None:
        return "-"
    utc = moment.astimezone(_dt.timezone.utc)
    return f"{utc.day} {utc:%B %Y} at {utc:%H:%M:%S} UTC"


def _parse_time(text: Any) -> _dt.datetime | None:
    if isinstance(text, _dt.datetime):
        return text.astimezone(_dt.timezone.utc) if text.tzinfo else None
    if not isinstance(text, str):
        return None
    try:
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(_dt.timezone.utc)
    except ValueError:
        return None


def _period(meta: ExportMeta, facts: _Facts) -> str:
    if meta.since and meta.until:
        text = f"From {_human_time(meta.since)} up to (not including) {_human_time(meta.until)}"
    elif meta.since:
        text = f"From {_human_time(meta.since)} to the time of export"
    elif meta.until:
        text = f"From the start of the trail up to (not including) {_human_time(meta.until)}"
    else:
        text = "The whole trail, from its start to the time of export"
    if facts.first_time:
        first = _human_time(_parse_time(facts.first_time)) if _parse_time(facts.first_time) else facts.first_time
        last = _human_time(_parse_time(facts.last_time)) if _parse_time(facts.last_time) else facts.last_time
        text += f". The events in this report run from {first} to {last}."
    return text


def _short(value: Any) -> str:
    """A value as a reader would write it: text unquoted, the rest as JSON."""
    if value is None:
        text = "(none)"
    elif isinstance(value, str):
        text = value if value else '""'
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        try:
            text = compact_json(value)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "\u2026"
    return text


def change_summary(before: Any, after: Any, arrow: str = "\u2192") -> list[str]:
    """Plain "field: old -> new" lines for the fields that differ.

    Only differences are shown because a lawyer wants to know what changed;
    the full before and after objects are in the JSONL and CSV files. Long
    lists are cut after a few fields with a pointer to those files.
    """
    if before is None and after is None:
        return []
    if before is None and isinstance(after, Mapping):
        before = {}  # something was created: list what it was created with
    if after is None and isinstance(before, Mapping):
        after = {}  # something was deleted: list what it held
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return [f"{_short(before)} {arrow} {_short(after)}"]
    keys = sorted(set(before) | set(after))
    lines = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        old_text = _short(old) if key in before else "(not set)"
        new_text = _short(new) if key in after else "(removed)"
        lines.append(f"{key}: {old_text} {arrow} {new_text}")
    if len(lines) > _MAX_CHANGES:
        rest = len(lines) - _MAX_CHANGES
        lines = lines[:_MAX_CHANGES] + [f"\u2026 and {rest} more change(s): see audit.jsonl or audit.csv"]
    return lines


def _event_paragraph(event: Mapping[str, Any], when: _dt.datetime | None, styles: _Styles) -> Paragraph:
    def text(key: str) -> str:
        value = event.get(key)
        return escape(str(value)) if value not in (None, "") else ""

    time_text = f"{when:%H:%M:%S}" if when else text("occurred_at") or "(no time)"
    actor = text("actor") or "(unknown)"
    role = f" ({text('actor_role')})" if text("actor_role") else ""
    ip = f" from {text('ip')}" if text("ip") else ""
    obj = " ".join(part for part in (text("object_type"), text("object_id")) if part) or "(none)"
    where = ""
    if text("procurement_ref"):
        where = f" \u00b7 procurement {text('procurement_ref')}"
        if event.get("lot") is not None:
            where += f", lot {text('lot')}"
    stored = event.get("hash")
    ref = f"event {text('seq')}" + (f", hash {escape(stored[:12])}\u2026" if isinstance(stored, str) else "")
    lines = [
        f"<b>{time_text}</b> &#160; <b>{text('action') or '(no action)'}</b> &#160;"
        f"<font size=7.5 color='#505a5f'>{ref}</font>",
        f"By {actor}{role}{ip}",
        f"Object: {obj}{where}",
    ]
    if text("reason"):
        lines.append(f"Reason: {text('reason')}")
    changes = change_summary(event.get("before"), event.get("after"), styles.arrow)
    if changes:
        lines.append("Changes: " + "; ".join(escape(line) for line in changes))
    return Paragraph("<br/>".join(lines), styles.event)


def _event_flowables(
    events: Iterable[Mapping[str, Any]], styles: _Styles, facts: _Facts
) -> Iterator[Flowable]:
    """Paragraphs for the events, one at a time, with a heading per UTC date."""
    yield Paragraph("Events", styles.h1)
    yield Paragraph(
        "Events are listed in the order they were recorded. Times are in UTC (in summer, "
        "UK clock time is one hour later). Each entry shows who acted, in what role, on what, "
        "the reason they gave, and which recorded values changed.",
        styles.body,
    )
    current_day: object = _UNSET
    seen_any = False
    for event in events:
        seen_any = True
        raw_time = event.get("occurred_at")
        stamp = format_timestamp(raw_time) if isinstance(raw_time, _dt.datetime) and raw_time.tzinfo else raw_time
        if facts.first_time is None:
            facts.first_time = stamp
        facts.last_time = stamp
        when = _parse_time(raw_time)
        day = when.date() if when else None
        if day != current_day:
            current_day = day
            heading = f"{day:%A} {day.day} {day:%B %Y}" if day else "Date not recorded"
            yield Paragraph(heading, styles.h2)
        yield _event_paragraph(event, when, styles)
    if not seen_any:
        yield Paragraph("There are no events in the period and scope of this report.", styles.body)


def _cover_flowables(meta: ExportMeta, styles: _Styles, verifier: ChainVerifier, facts: _Facts) -> list[Flowable]:
    result = verifier.result()
    trail = meta.trail_verification
    head = trail.head_hash if trail is not None else result.head_hash
    subtitle = "All procurements"
    if meta.procurement_ref:
        subtitle = f"Procurement {escape(meta.procurement_ref)}"
        if meta.procurement_title:
            subtitle += f": {escape(meta.procurement_title)}"
    if meta.organisation:
        subtitle = f"{escape(meta.organisation)}<br/>{subtitle}"
    numbers = f" (event numbers {result.first_seq:,} to {result.last_seq:,})" if result.first_seq else ""
    ok_colour = "#00703c" if result.ok else "#d4351c"

    def row(label: str, value: str, style: ParagraphStyle | None = None) -> list[Paragraph]:
        return [Paragraph(label, styles.label), Paragraph(value, style or styles.value)]

    rows = [
        row("Procurement", subtitle.replace("<br/>", ", ") if meta.procurement_ref else "All procurements"),
        row("Period covered", escape(_period(meta, facts))),
        row("Events in this report", f"{result.count:,}{numbers}"),
        row("Integrity check of these events", f"<font color='{ok_colour}'>{escape(result.summary())}</font>"),
    ]
    if trail is not None:
        trail_colour = "#00703c" if trail.ok else "#d4351c"
        rows.append(row(
            "Integrity check of the whole trail at export time",
            f"<font color='{trail_colour}'>{escape(trail.summary())}</font>",
        ))
    rows += [
        row("Head hash" + (" (whole trail)" if trail is not None else ""), escape(head), styles.mono),
        row("Generated at", _human_time(meta.generated_at)),
        row("Generated by", escape(meta.generated_by)),
        row("Produced with", f"Tender {escape(meta.tool_version)}"),
        row("Pages", str(facts.pages)),
    ]
    table = Table(rows, colWidths=[55 * mm, None], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#b1b4b6")),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
    ]))
    explanation = (
        "This report lists every recorded action in the scope above: who did it, when, in what "
        "role, to what, why, and what changed. Each event is protected by a SHA-256 hash of its "
        "content and of the previous event's hash, so that altering, removing or reordering any "
        "event is detectable. The integrity check above was made on the events printed here, "
        "as they were printed. The head hash identifies the state of the trail when this report "
        "was produced; the accompanying audit.jsonl file allows anyone to repeat the check "
        "independently, as described in the audit trail documentation."
    )
    return [
        Paragraph("Audit trail", styles.title),
        Paragraph(subtitle, styles.subtitle),
        table,
        Spacer(1, 6 * mm),
        Paragraph("About this report", styles.h2),
        Paragraph(explanation, styles.body),
    ]


def write_pdf(events: Iterable[Mapping[str, Any]], out: BinaryIO, meta: ExportMeta) -> int:
    """Write the PDF report to ``out`` (a binary file); return the event count.

    The events are verified as they are printed (as an extract when ``meta``
    says the export is filtered), so the cover's integrity statement is about
    exactly what the reader holds.
    """
    styles = _Styles()
    facts = _Facts()
    verifier = ChainVerifier(partial=meta.is_extract)
    story = _LazyStory(
        [Spacer(1, 1), NextPageTemplate("events"), PageBreak()],
        _event_flowables(verifier.watch(events), styles, facts),
    )
    doc = _AuditDoc(out, meta, styles, lambda: _cover_flowables(meta, styles, verifier, facts), facts)
    doc.build(story)
    return verifier.count
