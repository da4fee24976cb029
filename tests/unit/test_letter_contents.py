"""What letters state beyond the scores, as pure rules: each letter's own method with the binding end, the
supplier's details, the scales, sub-totals and price explanation, a withheld price, notices to candidates."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tender.domain import letter_contents as contents
from tender.domain import letters
from tender.domain.scoring.model import Criterion, EvaluationModel, PriceRule, Scale
from tests.unit.test_letters import DECISION

SENT = date(2022, 9, 26)  # a Monday


def binding(regime: str, *methods: str) -> letters.Standstill:
    return letters.latest([letters.standstill(regime, SENT, method) for method in methods])


def test_an_emailed_letter_of_a_mixed_procurement_says_it_went_electronically_and_states_the_postal_end():
    ends = binding("pcr2015", "email", "post")
    text = letters.standstill_statement("pcr2015", "email", SENT, ends)
    assert text.startswith("This letter was sent electronically on 26 September 2022.")
    assert "This letter was sent by post" not in text
    assert "Tuesday 11 October 2022" in text and "regulation 87(2)(b)" in text  # 15 days after sending (by post)
    assert "Thursday 6 October 2022" not in text  # not the e-mail end, which does not bind


def test_a_posted_letter_says_so_and_an_all_email_procurement_states_the_email_end():
    mixed = binding("pcr2015", "email", "post")
    posted = letters.standstill_statement("pcr2015", "post", SENT, mixed)
    assert posted.startswith("This letter was sent by post on 26 September 2022.")
    assert "Tuesday 11 October 2022" in posted and "10th day after the last of the letters sent by post" in posted
    emailed = letters.standstill_statement("pcr2015", "email", SENT, binding("pcr2015", "email"))
    assert "sent electronically" in emailed and "Thursday 6 October 2022" in emailed and "87(2)(a)" in emailed


@pytest.mark.parametrize("regime", ["pa2023", "pa2023_light_touch"])
def test_under_the_act_a_summary_says_how_it_was_sent_and_cites_no_pcr_regulation(regime):
    ends = letters.latest([letters.standstill(regime, SENT, m) for m in ("email", "post")])
    text = letters.standstill_statement(regime, "post", SENT, ends, summary=True)
    assert text.startswith("This assessment summary was sent by post on 26 September 2022.")
    assert "regulation" not in text and text.endswith(ends.wording)


def test_a_supplier_s_recorded_address_and_identifier_and_what_is_said_when_nothing_is():
    details = contents.party_details(street_address="Heron House, 19 Tufton Street", locality="Ashford",
                                     postal_code="TN23 1QN", country_name="United Kingdom", scheme="GB-CHC",
                                     identifier="1154041", ppon="PBZB-4962-TVLX")
    assert details.address == ("Heron House, 19 Tufton Street", "Ashford", "TN23 1QN", "United Kingdom")
    assert details.identifier == ("Charity Commission for England and Wales number 1154041; "
                                  "Public Procurement Organisation Number PBZB-4962-TVLX")
    assert contents.PartyDetails.from_stored(details.address_text, details.identifier) == details
    assert contents.party_details(companies_house_number="01234567").identifier == "Companies House number 01234567"
    nothing = contents.party_details()
    assert (nothing.address, nothing.identifier, nothing.address_text) == ((), None, None)
    by_post = contents.detail_problems("Acme", 1, "post", nothing, summary=False)
    assert len(by_post) == 1 and "no postal address is recorded" in by_post[0] and "cannot be sent" in by_post[0]
    assert contents.detail_problems("Acme", 1, "email", nothing, summary=False) == []
    summary = contents.detail_problems("Acme", 1, "email", nothing, summary=True)
    assert len(summary) == 2 and "31(2)(b)" in summary[0] and "31(2)(c)" in summary[1]


def _model() -> EvaluationModel:
    scale = Scale("uk_0_4", tuple((Decimal(v), d) for v, d in
                                  ((0, "Unacceptable"), (1, "Poor"), (2, "Acceptable"), (3, "Good"), (4, "Excellent"))))
    questions = (Criterion("Q1", "Model of care", Decimal(50), Decimal(35), scale=scale),
                 Criterion("Q2", "Safeguarding", Decimal(50), Decimal(35), scale=scale))
    quality = Criterion("quality", "Quality", Decimal(70), Decimal(70), children=questions, group="quality")
    return EvaluationModel("m", "M", "1", "m.yaml", (quality,), PriceRule(Decimal(30), "lowest_relative"))


def test_each_criterion_states_its_scores_available_and_the_scale_is_listed_with_its_descriptors():
    facts = letters.letter_facts(DECISION, 2, contents.methodology(_model()))
    by_id = {line.id: line for line in facts.lines}
    assert by_id["Q1"].available == "0 to 4" and by_id["quality"].available == ""
    (use,) = facts.scales
    assert use.questions == ("Q1", "Q2") and use.scale.points[-1] == ("4", "Excellent")
    assert [(p.label, p.marks, p.earned, p.winner_earned) for p in facts.subtotals] == [
        ("Quality", "70.00", "40.0000", "40.0000"), ("Price", "30.00", "28.00", "30.00")]
    assert letters.letter_facts(DECISION, 2).scales == ()  # no model known: the scale is left to the documents


def test_a_nested_section_s_sub_total_is_the_sum_of_its_questions():
    decision = {**DECISION, "model": {**DECISION["model"], "criteria": [
        {"id": "quality", "title": "Quality", "weight": "70.00", "marks": "70.0000", "parent": None,
         "question": False, "pass_fail": False},
        {"id": "S1", "title": "Service", "weight": "100.00", "marks": "70.0000", "parent": "quality",
         "question": False, "pass_fail": False},
        {"id": "Q1", "title": "Model of care", "weight": "50.00", "marks": "35.0000", "parent": "S1",
         "question": True, "pass_fail": False},
        {"id": "Q2", "title": "Safeguarding", "weight": "50.00", "marks": "35.0000", "parent": "S1",
         "question": True, "pass_fail": False}]}}
    facts = letters.letter_facts(decision, 2)
    section = next(line for line in facts.lines if line.id == "S1")
    assert Decimal(section.earned) == Decimal("10.0") + Decimal("15.0")  # question marks 2*5 and 3*5


def test_how_price_was_scored_and_what_the_recipient_s_price_earned():
    text = contents.price_explanation("lowest_relative", "30.00", None, "1420500", "28.7500")
    assert "lowest price tendered divided by the tender's price, times 30 marks" in text
    assert "Your price of £1,420,500.00 a year earned 28.75 marks." in text
    hidden = contents.price_explanation("lowest_relative", "30.00", None, "1395000", "30", show_price=False)
    assert "1,395,000" not in hidden and "Your tender earned 30.00 marks for price." in hidden
    band = contents.price_explanation("budget_relative", "30.00", "50", None, None)
    assert "all 30 marks for a price 50% or more below the budget" in band
    assert "published in the tender documents" in contents.price_explanation("other", "20.00", None, None, None)
    assert contents.price_explanation(None, None, None, None, None) == ""


def test_where_the_full_award_criteria_can_be_found():
    notice = contents.TenderNoticeFacts("Contract notice (social and other specific services)", date(2022, 4, 4),
                                        "2022/S 000-009876")
    text = contents.criteria_location("KCC-22/00033", "https://portal.example", notice)
    assert "tender documents for KCC-22/00033, which are available at https://portal.example" in text
    assert "contract notice (social and other specific services) published on 4 April 2022" in text
    assert "Find a Tender notice 2022/S 000-009876" in text
    assert contents.location_problems("https://portal.example", None) == []
    assert contents.location_problems(None, None) and "tender documents for X" in contents.criteria_location(
        "X", None, None)


def test_a_withheld_price_is_explained_under_each_regime_and_its_reason_must_be_given():
    act = contents.withheld_price_sentence("pa2023", "It would prejudice the other lots.")
    assert "section 94(1)(b)" in act and "Regulations 2015" not in act
    assert act.endswith("Our reason: It would prejudice the other lots.")
    pcr = contents.withheld_price_sentence("pcr2015_light_touch", "Commercially sensitive")
    assert "Public Contracts Regulations 2015" in pcr and "Our reason: Commercially sensitive." in pcr
    assert contents.reason_problem("  ").startswith("Enter why the contract price is withheld")
    assert contents.reason_problem("x" * 2001) and contents.reason_problem("a\x00b")
    assert contents.reason_problem("Sensitive while lot 2 is negotiated.") is None
    assert contents.mentions_price("We accept £1,395,000.00 a year.", "1395000.00")
    assert contents.mentions_price("a price of 1395000", "1395000.00")
    assert not contents.mentions_price("Same-week access.", "1395000.00")


def test_a_candidate_not_selected_is_told_the_recorded_reasons_without_pcr_citations_under_the_act():
    text = contents.draft_selection_reasons("Acme Care", "Did not meet the minimum turnover of £2m.",
                                            "Only two candidates met the criteria.")
    assert "Acme Care" in text and "Did not meet the minimum turnover of £2m." in text
    assert "Only two candidates met the criteria." in text
    assert "regulation 55" in contents.selection_basis("pcr2015")
    assert "Regulations 2015" not in contents.selection_basis("pa2023")
    assert letters.selection_filename("KCC-22/00033", "Medway Community Minds Partnership") == \
        "KCC-22-00033-medway-community-minds-partnership-selection-outcome.pdf"
