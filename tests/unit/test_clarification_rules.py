"""The rule for late clarifications (PCR 2015 reg. 47(3); Procurement Act 2023 ss.31, 54(1)): pure, no app."""
from __future__ import annotations

from datetime import date

import pytest

from tender.domain import clarifications as rules

DEADLINE = date(2022, 7, 11)


def test_an_answer_five_days_before_the_deadline_proposes_an_extension_to_six_days_after_it():
    late = rules.late_notice(rules.ANSWER, date(2022, 7, 6), DEADLINE, "Deadline for initial tenders",
                             regime="pcr2015")
    assert late is not None
    assert (late.days_before, late.minimum_days, late.proposed_deadline) == (5, 6, date(2022, 7, 12))
    assert "regulation 47(3)" in late.message and "12 July 2022" in late.message


def test_six_clear_days_are_enough():
    assert rules.late_notice(rules.ANSWER, date(2022, 7, 5), DEADLINE, "Deadline", regime="pcr2015") is None


def test_an_accelerated_pcr_procedure_needs_four_days_and_the_act_six():
    assert rules.late_notice(rules.ANSWER, date(2022, 7, 7), DEADLINE, "D", regime="pcr2015", urgency=True) is None
    late = rules.late_notice(rules.DOCUMENT_CHANGE, date(2022, 7, 7), DEADLINE, "D", regime="pa2023", urgency=True)
    assert late is not None and late.minimum_days == 6 and "s.54(1)" in late.message
    assert late.message.startswith("A change to the procurement documents")


def test_no_deadline_ahead_or_one_already_passed_needs_no_extension():
    assert rules.late_notice(rules.ANSWER, date(2022, 7, 6), None, "D", regime="pcr2015") is None
    assert rules.late_notice(rules.ANSWER, date(2022, 7, 12), DEADLINE, "D", regime="pcr2015") is None


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        rules.late_notice("rumour", date(2022, 7, 6), DEADLINE, "D", regime="pcr2015")


def test_the_next_deadline_is_the_first_on_or_after_today():
    deadlines = [("sq_deadline", "SQ", date(2022, 5, 9)), ("initial_tender_deadline", "ITT", DEADLINE),
                 ("final_tender_deadline", "Final", date(2022, 9, 16)), ("x_deadline", "Unplanned", None)]
    assert rules.next_deadline(deadlines, date(2022, 6, 1)) == ("initial_tender_deadline", "ITT", DEADLINE)
    assert rules.next_deadline(deadlines, DEADLINE) == ("initial_tender_deadline", "ITT", DEADLINE)
    assert rules.next_deadline(deadlines, date(2022, 10, 1)) is None
    assert rules.is_deadline_key("sq_deadline") and not rules.is_deadline_key("sq_published")
