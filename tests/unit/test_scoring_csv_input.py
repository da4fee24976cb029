"""Reading SCORES.csv and PRICES.csv: every refusal names the file, the row and the reason."""
from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from tender.domain.scoring.csv_input import (
    CsvInputError,
    combine,
    parse_prices,
    parse_scores,
    read_evaluation_input,
)
from tender.domain.scoring.loader import load_model
from tender.domain.scoring.model import EvaluationInputError

RULES = Path(__file__).resolve().parents[2] / "scoring_rules"
DEMO = load_model(RULES / "community_services_quality_price_social_value.yaml")  # moderation, price
SQ = load_model(RULES / "selection_questionnaire.yaml")  # mean, no price

SQ_ROWS = {"EX1": "pass", "EX2": "pass", "EF1": "pass", "EF2": "Pass", "TP1": "75", "TP2": "50", "TP3": "100"}


def sq_csv(bidders=("North",), lot="1", **override) -> str:
    lines = ["lot,bidder,criterion,score"]
    for bidder in bidders:
        lines += [f"{lot},{bidder},{c},{override.get(c, s)}" for c, s in SQ_ROWS.items()]
    return "\n".join(lines) + "\n"


def demo_csv(bidders=("Acme", "Beta")) -> str:
    lines = ["lot,bidder,criterion,score"]
    for bidder in bidders:
        lines += [f"1,{bidder},{q.id},{'pass' if q.pass_fail else 3}" for q in DEMO.questions()]
    return "\n".join(lines) + "\n"


def refused(call, row, words):
    with pytest.raises(CsvInputError) as caught:
        call()
    assert caught.value.row == row, str(caught.value)
    assert words in caught.value.message
    return caught.value


def test_scores_are_read_by_lot_bidder_and_question():
    table = parse_scores("\ufeff" + sq_csv(("North", "South")), "s.csv", SQ)  # Excel's BOM is fine
    assert table.scores["1"]["North"]["TP1"] == D(75)
    assert table.scores["1"]["South"]["EF2"] is True
    assert table.first_rows == {("1", "North"): 2, ("1", "South"): 9}


def test_a_mean_score_between_points_is_accepted_under_the_mean_method():
    assert parse_scores(sq_csv(TP2="62.5"), "s.csv", SQ).scores["1"]["North"]["TP2"] == D("62.5")


def test_a_missing_column_is_refused_on_row_1():
    error = refused(lambda: parse_scores("lot,bidder,score\n1,A,3\n", "s.csv", SQ), 1, "missing column criterion")
    assert str(error).startswith("s.csv, row 1: ")


@pytest.mark.parametrize(
    ("override", "row", "words"),
    [
        ({"TP2": "high"}, 7, "score 'high' is not a number"),
        ({"TP2": "1e2"}, 7, "is not a number"),
        ({"TP2": "120"}, 7, "outside the scale 0-100"),
        ({"EX2": "yes"}, 3, "enter pass or fail, not 'yes'"),
        ({"TP3": ""}, 8, "enter a value for score"),
    ],
)
def test_bad_scores_are_refused_with_their_row(override, row, words):
    refused(lambda: parse_scores(sq_csv(**override), "s.csv", SQ), row, words)


def test_an_unknown_criterion_is_refused():
    text = sq_csv() + "1,North,TP9,50\n"
    refused(lambda: parse_scores(text, "s.csv", SQ), 9, "unknown criterion 'TP9'")


def test_a_section_is_not_a_question():
    refused(lambda: parse_scores(sq_csv() + "1,North,technical,50\n", "s.csv", SQ), 9, "technical is a section")


def test_a_duplicate_score_is_refused():
    refused(lambda: parse_scores(sq_csv() + "1,North,TP1,50\n", "s.csv", SQ), 9, "a second score")


def test_a_bidder_missing_a_question_is_refused_at_its_first_row():
    text = sq_csv(("North", "South")).replace("1,South,TP3,100\n", "")
    refused(lambda: parse_scores(text, "s.csv", SQ), 9, "bidder South in lot 1 has no score for TP3")


def test_a_score_off_the_points_is_refused_under_moderation():
    text = demo_csv().replace("1,Acme,Q4,3", "1,Acme,Q4,2.5")
    refused(lambda: parse_scores(text, "s.csv", DEMO), 9, "not on the scale (0, 1, 2, 3, 4)")


def test_prices_and_an_optional_budget_column_are_read():
    table = parse_prices("lot,bidder,price,budget\n1,Acme,6500000,6800000\n1,Beta,6000000.50,\n", "p.csv")
    assert table.prices == {"1": {"Acme": D(6500000), "Beta": D("6000000.50")}}
    assert table.budgets == {"1": D(6800000)}


@pytest.mark.parametrize(
    ("text", "row", "words"),
    [
        ("lot,bidder\n1,Acme\n", 1, "missing column price"),
        ("lot,bidder,price\n1,Acme,\"6,500,000\"\n", 2, "price '6,500,000' is not a number"),
        ("lot,bidder,price\n1,Acme,0\n", 2, "price must be above 0"),
        ("lot,bidder,price\n1,Acme,5\n1,Acme,6\n", 3, "a second price"),
        ("lot,bidder,price,budget\n1,A,5,10\n1,B,6,11\n", 3, "budget 11 differs from 10"),
    ],
)
def test_bad_prices_are_refused_with_their_row(text, row, words):
    refused(lambda: parse_prices(text, "p.csv"), row, words)


def test_a_bidder_without_a_price_is_refused_at_its_first_scores_row(tmp_path):
    scores = parse_scores(demo_csv(), "s.csv", DEMO)
    prices = parse_prices("lot,bidder,price\n1,Acme,6500000\n", "p.csv")
    refused(lambda: combine(DEMO, scores, "s.csv", prices, "p.csv", {"1": D(7000000)}), 12,
            "bidder Beta in lot 1 has no price in p.csv")


def test_a_price_for_a_bidder_without_scores_is_refused():
    scores = parse_scores(demo_csv(("Acme",)), "s.csv", DEMO)
    prices = parse_prices("lot,bidder,price\n1,Acme,6500000\n2,Acme,1\n", "p.csv")
    refused(lambda: combine(DEMO, scores, "s.csv", prices, "p.csv", {"1": D(7000000)}), 3, "has a price but no scores")


def test_budgets_come_from_the_option_or_the_column_and_must_agree():
    scores = parse_scores(demo_csv(("Acme",)), "s.csv", DEMO)
    with_column = parse_prices("lot,bidder,price,budget\n1,Acme,6500000,6800000\n", "p.csv")
    assert combine(DEMO, scores, "s.csv", with_column, "p.csv")[0].budget == D(6800000)
    without = parse_prices("lot,bidder,price\n1,Acme,6500000\n", "p.csv")
    assert combine(DEMO, scores, "s.csv", without, "p.csv", {"1": D(7000000)})[0].budget == D(7000000)
    with pytest.raises(EvaluationInputError, match="needs a budget"):
        combine(DEMO, scores, "s.csv", without, "p.csv")
    with pytest.raises(EvaluationInputError, match="differ"):
        combine(DEMO, scores, "s.csv", with_column, "p.csv", {"1": D(1)})
    with pytest.raises(EvaluationInputError, match="lot 9, which has no scores"):
        combine(DEMO, scores, "s.csv", without, "p.csv", {"9": D(1)})


def test_prices_must_match_whether_the_model_scores_price():
    with pytest.raises(EvaluationInputError, match="give the prices"):
        combine(DEMO, parse_scores(demo_csv(), "s.csv", DEMO), "s.csv")
    prices = parse_prices("lot,bidder,price\n1,North,5\n", "p.csv")
    with pytest.raises(EvaluationInputError, match="no price part"):
        combine(SQ, parse_scores(sq_csv(), "s.csv", SQ), "s.csv", prices, "p.csv")


def test_read_evaluation_input_reads_files_into_one_input_per_lot(tmp_path):
    scores = tmp_path / "scores.csv"
    scores.write_text(sq_csv(("North",), lot="1") + sq_csv(("South",), lot="2").split("\n", 1)[1])
    lots = read_evaluation_input(SQ, scores)
    assert [(lot.lot, list(lot.final_scores), lot.prices) for lot in lots] == [("1", ["North"], None),
                                                                              ("2", ["South"], None)]
    missing = tmp_path / "missing.csv"
    error = refused(lambda: read_evaluation_input(SQ, missing), None, "cannot be read")
    assert str(missing) in str(error)
