"""``tender evaluate`` and ``tender rules check`` from the command line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tender.cli.evaluate import evaluate_command, rules_check_command
from tender.domain.scoring.loader import load_model

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scoring_rules" / "community_services_quality_price_social_value.yaml"
SQ = ROOT / "scoring_rules" / "selection_questionnaire.yaml"

# Demo model marks: Q1.1 9, Q1.2 9, Q2.1 9, Q2.2 6, Q3 15, Q4 12 (quality 60); SV1 5, SV2 5; price 30.
ALL_THREES = {"Q1.1": 3, "Q1.2": 3, "Q2.1": 3, "Q2.2": 3, "Q3": 3, "Q4": 3, "SV1": 3, "SV2": 3}


def write_scores(tmp_path: Path, bids: dict[str, dict]) -> Path:
    lines = ["lot,bidder,criterion,score"]
    for bidder, scores in bids.items():
        lines += [f"1,{bidder},C1,pass", f"1,{bidder},C2,pass"]
        lines += [f"1,{bidder},{q},{s}" for q, s in scores.items()]
    path = tmp_path / "scores.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_prices(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.csv"
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tender.cli.evaluate", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False)


def test_evaluate_prints_the_ranking_as_json(tmp_path):
    scores = write_scores(tmp_path, {
        "Acme": ALL_THREES,  # quality 60 x 3/4 = 45, social value 10 x 3/4 = 7.5
        "Beta": {**ALL_THREES, "Q3": 4, "Q4": 4},  # quality 45 + 15/4 + 12/4 = 51.75, social value 7.5
        "Cole": {**ALL_THREES, "Q3": 1},  # 45 - 15 x 2/4 = 37.5, but below Q3's minimum of 2: excluded
    })
    prices = write_prices(tmp_path, "lot,bidder,price,budget\n1,Acme,6000000,6800000\n"
                                    "1,Beta,6500000,6800000\n1,Cole,3000000,6800000\n")
    result = run("evaluate", "--rules", str(DEMO), "--scores", str(scores), "--prices", str(prices),
                 "--format", "json")
    assert result.returncode == 0, result.stderr
    lot = json.loads(result.stdout)["lots"][0]
    assert lot["lot"] == "1"
    # price: Acme 6.0m / 6.0m x 30 = 30; Beta 6.0m / 6.5m x 30 = 27.6923... -> 27.69
    # totals: Acme 45 + 7.5 + 30 = 82.5; Beta 51.75 + 7.5 + 27.6923 = 86.9423 -> 86.94
    rows = [(r["bidder"], r["quality"], r["social_value"], r["price"], r["total"], r["rank"], r["excluded"])
            for r in lot["ranking"]]
    assert rows == [
        ("Beta", 51.75, 7.5, 27.69, 86.94, 1, False),
        ("Acme", 45.0, 7.5, 30.0, 82.5, 2, False),
        ("Cole", 37.5, 7.5, None, None, None, True),
    ]
    cole = lot["ranking"][2]
    assert cole["reasons"] == ["scored 1 on Q3, below the minimum of 2"]
    # Cole's 3.0m is more than 20% below the mean of the others (6.25m): flagged, reg. 69
    assert cole["abnormally_low"] is True
    assert {s["part"] for s in lot["sensitivity"]} == {"quality", "social_value", "price"}


def test_evaluate_refuses_a_bad_csv_with_file_row_and_reason(tmp_path):
    scores = write_scores(tmp_path, {"Acme": {**ALL_THREES, "Q4": 7}})
    prices = write_prices(tmp_path, "lot,bidder,price\n1,Acme,6000000\n")
    result = run("evaluate", "--rules", str(DEMO), "--scores", str(scores), "--prices", str(prices),
                 "--budget", "1=6800000")
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{scores}, row 9: score 7 for Q4 is not on the scale" in result.stderr


def test_evaluate_refuses_a_missing_bidder_price(tmp_path):
    scores = write_scores(tmp_path, {"Acme": ALL_THREES, "Beta": ALL_THREES})
    prices = write_prices(tmp_path, "lot,bidder,price\n1,Acme,6000000\n")
    result = CliRunner().invoke(evaluate_command, ["--rules", str(DEMO), "--scores", str(scores),
                                                   "--prices", str(prices), "--budget", "1=6800000"])
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{scores}, row 12: bidder Beta in lot 1 has no price in {prices}" in result.stderr


def test_evaluate_refuses_a_bad_number_in_the_prices(tmp_path):
    scores = write_scores(tmp_path, {"Acme": ALL_THREES})
    prices = write_prices(tmp_path, "lot,bidder,price\n1,Acme,£6m\n")
    result = CliRunner().invoke(evaluate_command, ["--rules", str(DEMO), "--scores", str(scores),
                                                   "--prices", str(prices), "--budget", "1=6800000"])
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{prices}, row 2: price '£6m' is not a number" in result.stderr


def test_evaluate_refuses_a_missing_budget_and_a_malformed_budget_option(tmp_path):
    scores = write_scores(tmp_path, {"Acme": ALL_THREES})
    prices = write_prices(tmp_path, "lot,bidder,price\n1,Acme,6000000\n")
    args = ["--rules", str(DEMO), "--scores", str(scores), "--prices", str(prices)]
    missing = CliRunner().invoke(evaluate_command, args)
    assert missing.exit_code == 2 and "lot 1 needs a budget" in missing.stderr and missing.stdout == ""
    malformed = CliRunner().invoke(evaluate_command, [*args, "--budget", "6800000"])
    assert malformed.exit_code == 2 and "LOT=AMOUNT" in malformed.stderr and malformed.stdout == ""


def test_evaluate_prints_a_table_by_default(tmp_path):
    scores = tmp_path / "sq.csv"
    rows = ["lot,bidder,criterion,score"] + [
        f"A,{bidder},{c},{s}" for bidder in ("North", "South")
        for c, s in (("EX1", "pass"), ("EX2", "pass"), ("EF1", "pass"), ("EF2", "pass"),
                     ("TP1", 75), ("TP2", 50 if bidder == "North" else 25), ("TP3", 100))
    ]
    scores.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate_command, ["--rules", str(SQ), "--scores", str(scores)])
    assert result.exit_code == 0, result.output
    # North: 60 x 75/100 + 20 x 50/100 + 20 = 75; South: 45 + 5 + 20 = 70
    lines = result.stdout.splitlines()
    assert lines[0] == load_model(SQ).title
    assert lines[2] == "Lot A"
    assert lines[4].split() == ["1", "North", "75.00", "0.00", "-", "75.00"]
    assert lines[5].split() == ["2", "South", "70.00", "0.00", "-", "70.00"]


def test_rules_check_reports_each_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(DEMO.read_text(encoding="utf-8").replace("weight: 25\n", "weight: 20\n", 1), encoding="utf-8")
    result = run("rules", "check", str(DEMO), str(SQ))
    assert result.returncode == 0, result.stderr
    assert f"OK {DEMO}: {load_model(DEMO).title}" in result.stdout.splitlines()
    result = CliRunner().invoke(rules_check_command, [str(SQ), str(broken)])
    assert result.exit_code == 1
    assert f"OK {SQ}: " in result.stdout
    assert f"{broken}, line " in result.stderr
    assert "children of quality add up to 95, not 100" in result.stderr
