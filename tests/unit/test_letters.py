"""Letters and summaries as pure rules: figures from the recorded decision, drafted narratives, standstill ends."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from tender.domain import letters


def row(supplier_id, name, rank, total, scores, rationales, price_score="28.00", excluded=False, reasons=()):
    return {"rank": rank, "supplier": name, "supplier_id": supplier_id, "bid_id": supplier_id * 10,
            "price": "100000.00", "scores": scores, "rationales": rationales,
            "question_marks": {q: str(float(s) * 5) for q, s in scores.items() if s not in ("pass", "fail")},
            "parts": {"quality": "40.0000"}, "quality": "40.0000", "social_value": "0.0000",
            "price_score": price_score, "total": total, "excluded": excluded, "reasons": list(reasons),
            "abnormally_low": False, "notes": []}


DECISION = {
    "procurement": "KCC-22/00033", "lot": {"number": 1, "title": "Dartford"}, "round": "final",
    "model": {"name": "m", "title": "M", "version": "1", "final_score_method": "moderation",
              "criteria": [{"id": "quality", "title": "Quality", "weight": "70.00", "marks": "70.0000",
                            "parent": None, "question": False, "pass_fail": False},
                           {"id": "Q1", "title": "Model of care", "weight": "50.00", "marks": "35.0000",
                            "parent": "quality", "question": True, "pass_fail": False},
                           {"id": "Q2", "title": "Safeguarding", "weight": "50.00", "marks": "35.0000",
                            "parent": "quality", "question": True, "pass_fail": False}],
              "price": {"weight": "30.00", "formula": "lowest_relative"}, "tie_break": []},
    "ranking": [row(1, "Porchlight", 1, "88.5000", {"Q1": "4.00", "Q2": "3.00"},
                    {"Q1": "Same-week access in every district.", "Q2": "Named safeguarding leads."}, "30.00"),
                row(2, "Shaw Trust", 2, "71.2500", {"Q1": "2.00", "Q2": "3.00"},
                    {"Q1": "Access within four weeks.", "Q2": "A clear safeguarding policy."}),
                row(3, "Kent CIC", None, None, {"Q1": "1.00", "Q2": "1.00"}, {}, None, True,
                    ("scored below the minimum on Q1",))],
    "tie_break_applied": False, "recommended": {"supplier": "Porchlight", "supplier_id": 1, "bid_id": 10},
    "no_award_reason": None, "annual_price": "100000.00", "total_years": 3, "contract_value": "300000.00",
}


def test_an_unsuccessful_tenderer_sees_its_own_and_the_winners_recorded_figures():
    facts = letters.letter_facts(DECISION, 2)
    assert (facts.supplier, facts.successful, facts.rank, facts.tenderers) == ("Shaw Trust", False, 2, 3)
    assert (facts.winner, facts.total, facts.winner_total) == ("Porchlight", "71.2500", "88.5000")
    q1 = next(line for line in facts.lines if line.id == "Q1")
    assert (q1.score, q1.winner_score, q1.level, q1.explanation) == ("2.00", "4.00", 1, "Access within four weeks.")
    assert q1.advantage == "The winning tender's answer was scored 2 points higher, worth 10.00 more marks."


def test_the_drafted_narrative_names_where_and_why_the_winner_was_ahead():
    text = letters.draft_narrative(letters.letter_facts(DECISION, 2))
    assert ("- Q1 Model of care: the winning tender scored 4 (20.00 of 35.00 marks) and yours scored 2 (10.00 of "
            "35.00 marks). The winning tender's answer was scored 2 points higher, worth 10.00 more marks. The "
            "panel's reasons for your score: Access within four weeks.") in text
    assert "Same-week access in every district" not in text  # the winner's own notes stay out of a loser's letter
    assert "Both tenders scored the same on Q2 Safeguarding (3)." in text  # equal scores are not an advantage
    assert "On price, the winning tender earned 30.00 marks out of 30.00, more than your 28.00" in text
    assert text.endswith("In total the winning tender scored 88.50 and yours 71.25, so yours was not the most "
                         "advantageous tender.")


def test_the_winner_and_an_excluded_tenderer_get_their_own_drafts():
    winner = letters.draft_narrative(letters.letter_facts(DECISION, 1))
    assert winner.startswith("Your tender was the most advantageous tender, with 88.50 marks out of 100.")
    assert "- Q1 Model of care: your tender scored 4 (20.00 of 35.00 marks). Same-week access in every district." \
        in winner and "Shaw Trust" not in winner
    excluded = letters.draft_narrative(letters.letter_facts(DECISION, 3))
    assert "could not be considered further because scored below the minimum on Q1" in excluded


def test_no_award_is_explained_and_a_stranger_has_no_letter():
    decision = {**DECISION, "recommended": None, "no_award_reason": "Every tender was above the budget."}
    assert letters.draft_narrative(letters.letter_facts(decision, 2)) == (
        "No contract is being awarded for lot 1. The reason: Every tender was above the budget.")
    with pytest.raises(ValueError):
        letters.letter_facts(DECISION, 99)


@pytest.mark.parametrize("regime, sent, method, received, last_day", [
    ("pcr2015", date(2022, 9, 26), "email", None, date(2022, 10, 6)),   # reg. 87(2)(a): 10 days after sending
    ("pcr2015", date(2022, 12, 15), "email", None, date(2022, 12, 28)),  # ends on Christmas Day: next working day
    ("pcr2015", date(2022, 9, 26), "post", None, date(2022, 10, 11)),   # reg. 87(2)(b): 15 days after sending
    ("pcr2015", date(2022, 9, 26), "post", date(2022, 9, 28), date(2022, 10, 10)),  # or 10 after receipt (Sat->Mon)
    ("pa2023", date(2022, 9, 26), "email", None, date(2022, 10, 5)),    # s.51: 8 working days beginning that day
])
def test_standstill_ends_as_each_rule_counts(regime, sent, method, received, last_day):
    result = letters.standstill(regime, sent, method, received)
    assert result.last_day == last_day and result.ends_at == datetime(last_day.year, last_day.month, last_day.day,
                                                                      23, 59, 59)
    assert f"{last_day.strftime('%A')} {last_day.day}" in result.wording


def test_the_binding_standstill_is_the_latest_and_kinds_follow_the_regime():
    email, post = (letters.standstill("pcr2015", date(2022, 9, 26), m) for m in ("email", "post"))
    assert letters.latest([email, post]) is post
    assert letters.kind_for("pa2023_light_touch") == "assessment_summary"
    assert letters.kind_for("pcr2015_light_touch") == "award_letter"


def test_numbers_and_file_names_as_people_read_them():
    assert [letters.score_text(v) for v in ("4.00", "2.50", "pass", None)] == ["4", "2.5", "pass", ""]
    assert letters.money("1395000") == "£1,395,000.00" and letters.two_places("95.0242") == "95.02"
    assert letters.document_filename("KCC-22/00033", 1, "Kent Wellbeing Alliance CIC", "award_letter") == \
        "KCC-22-00033-lot-1-kent-wellbeing-alliance-cic-award-letter.pdf"
