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
