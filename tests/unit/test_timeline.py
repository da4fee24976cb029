"""The milestone timeline is an accessible SVG with planned and actual dates as different shapes."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from tender.domain.timeline import TimelineRow, to_svg

NS = "{http://www.w3.org/2000/svg}"
ROWS = [TimelineRow("SQ published", date(2022, 4, 4), date(2022, 4, 4), "met"),
        TimelineRow("SQ deadline", date(2022, 5, 9), None, "scheduled")]


def test_planned_dates_are_circles_and_actual_dates_are_diamonds_with_text_alternatives():
    root = ET.fromstring(to_svg(ROWS, date(2022, 5, 1)))
    assert root.get("role") == "img" and root.find(f"{NS}title").text == "Milestone timeline"
    assert len(root.findall(f"{NS}circle")) == 2 and len(root.findall(f"{NS}polygon")) == 1
    assert "met 04 April 2022" in root.find(f"{NS}polygon/{NS}title").text
    assert "style" not in to_svg(ROWS, date(2022, 5, 1))  # a strict CSP forbids inline styles


def test_an_overdue_planned_date_is_red_and_says_so():
    root = ET.fromstring(to_svg(ROWS, date(2022, 6, 1)))
    late = [c for c in root.findall(f"{NS}circle") if "overdue" in c.find(f"{NS}title").text]
    assert len(late) == 1 and late[0].get("stroke") == "#d4351c"


def test_today_far_from_the_timetable_is_stated_instead_of_squeezing_the_chart():
    svg = to_svg(ROWS, date(2026, 11, 25))
    assert "Today (25 November 2026) is after this timetable" in svg
    assert "Today</text>" not in svg
    near = to_svg(ROWS, date(2022, 4, 20))
    assert "Today</text>" in near


def test_no_dates_gives_a_sentence_not_an_empty_chart():
    assert "No milestone dates are planned yet" in to_svg([TimelineRow("X", None, None, "scheduled")], date(2022, 1, 1))


def _label_positions(svg: str) -> list[float]:
    root = ET.fromstring(svg)
    return [float(t.get("x")) for t in root.findall(f"{NS}text") if t.get("font-size") == "11" and
            t.text and t.text[:3] in {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}]


def test_month_labels_never_overlap_and_stay_inside_the_chart():
    from tender.domain.timeline import CHART_W, LABEL_W, MONTH_GAP

    for rows in (ROWS, [TimelineRow("Start", date(2022, 1, 3), None, "scheduled"),
                        TimelineRow("End", date(2026, 12, 1), None, "scheduled")],
                 [TimelineRow("A", date(2022, 4, 28), None, "scheduled"),
                  TimelineRow("B", date(2022, 6, 2), None, "scheduled")]):
        xs = _label_positions(to_svg(rows, date(2022, 5, 1)))
        assert xs, "at least one month is labelled"
        assert all(b - a >= MONTH_GAP for a, b in zip(xs, xs[1:])), xs
        assert all(LABEL_W + MONTH_GAP / 2 <= x <= LABEL_W + CHART_W + 20 - MONTH_GAP / 2 for x in xs), xs


def test_long_milestone_titles_wrap_onto_two_lines_and_keep_the_full_title():
    title = "Award decision letters sent to every tenderer (standstill starts on the day after)"
    root = ET.fromstring(to_svg([TimelineRow(title, date(2022, 9, 26), None, "scheduled")], date(2022, 9, 1)))
    label = next(t for t in root.findall(f"{NS}text") if t.find(f"{NS}title") is not None)
    lines = [span.text for span in label.findall(f"{NS}tspan")]
    assert len(lines) == 2 and all(len(line) <= 40 for line in lines)
    assert " ".join(lines) == title or lines[-1].endswith("…")
    assert label.find(f"{NS}title").text == title


def test_every_marker_is_drawn_inside_the_axis():
    from tender.domain.timeline import CHART_W, LABEL_W

    rows = [TimelineRow("Early", date(2021, 1, 4), date(2021, 1, 4), "met"),
            TimelineRow("Late", date(2023, 6, 1), None, "scheduled")]
    root = ET.fromstring(to_svg(rows, date(2022, 3, 1)))
    xs = [float(c.get("cx")) for c in root.findall(f"{NS}circle")]
    xs += [float(point.split(",")[0]) for p in root.findall(f"{NS}polygon") for point in p.get("points").split()]
    assert all(LABEL_W <= x <= LABEL_W + CHART_W for x in xs), xs


def test_a_not_applicable_milestone_is_dashed_grey_and_never_overdue():
    rows = [TimelineRow("Negotiation starts", date(2022, 8, 22), None, "notApplicable")]
    root = ET.fromstring(to_svg(rows, date(2023, 1, 1)))
    circle = root.find(f"{NS}circle")
    assert circle.get("stroke") == "#505a5f" and circle.get("stroke-dasharray")
    assert "(not applicable)" in circle.find(f"{NS}title").text and "overdue" not in circle.find(f"{NS}title").text
