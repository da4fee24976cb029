"""``tender evaluate`` and ``tender rules check``: evaluation without the web app.

An evaluation must be reproducible by someone who does not trust the web app
(an auditor, a challenger's lawyer), so the same domain functions run from CSV
files here. Bad input is refused with exit status 2 and nothing on stdout, so a
script never mistakes half an answer for a ranking.

Run as ``python -m tender.cli.evaluate evaluate ...`` or through the main
``tender`` command, which registers ``evaluate_command`` and
``rules_check_command``.
"""
from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import click

from tender.domain.numbers import fixed
from tender.domain.scoring.csv_input import CsvInputError, parse_number, read_evaluation_input
from tender.domain.scoring.loader import load_model
from tender.domain.scoring.model import EvaluationInputError
from tender.domain.scoring.ranking import BidResult, LotRanking, rank_lot
from tender.domain.scoring.sensitivity import WeightChange, weight_sensitivity
from tender.domain.yaml_source import DefinitionError

CENT = Decimal("0.01")
INPUT_ERROR = 2


def _round(value: Decimal | None) -> float | None:
    """Round only here, at output: half up, as people expect on a score sheet."""
    return None if value is None else float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _parse_budgets(values: tuple[str, ...]) -> dict[str, Decimal]:
    budgets = {}
    for value in values:
        lot, _, amount = value.partition("=")
        number = parse_number(amount)
        if not lot.strip() or number is None or not number > 0:
            raise click.BadParameter(f"{value!r}: write it as LOT=AMOUNT, e.g. 1=6800000", param_hint="--budget")
        budgets[lot.strip()] = number
    return budgets


@click.command("evaluate")
@click.option("--rules", "rules_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Evaluation model (YAML file in scoring_rules/).")
@click.option("--scores", "scores_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns lot,bidder,criterion,score (final scores; pass or fail for pass/fail).")
@click.option("--prices", "prices_path", type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns lot,bidder,price and optionally budget.")
@click.option("--budget", "budget_values", multiple=True, metavar="LOT=AMOUNT",
              help="A lot's budget (affordability ceiling, budget-relative price); repeat per lot.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def evaluate_command(rules_path, scores_path, prices_path, budget_values, output_format):
    """Rank the bids of each lot from final scores and prices."""
    budgets = _parse_budgets(budget_values)
    try:
        model = load_model(rules_path)
        lots = read_evaluation_input(model, scores_path, prices_path, budgets)
        rankings = [(lot.lot, rank_lot(model, lot.final_scores, lot.prices, lot.budget)) for lot in lots]
    except (DefinitionError, CsvInputError, EvaluationInputError) as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(INPUT_ERROR) from None
    report = [_lot_json(model, lot, ranking) for lot, ranking in rankings]
    if output_format == "json":
        click.echo(json.dumps({"model": model.name, "lots": report}, indent=2))
    else:
        click.echo(_table(model, report))


def _lot_json(model, lot: str, ranking: LotRanking) -> dict:
    return {
        "lot": lot,
        "budget": None if ranking.budget is None else str(ranking.budget),
        "ranking": [_bid_json(result) for result in ranking.results],
        "sensitivity": [
            {"part": s.part, "weight": _round(s.weight),
             "increase": _change_json(s.increase), "decrease": _change_json(s.decrease)}
            for s in weight_sensitivity(model, ranking)
        ],
    }


def _bid_json(result: BidResult) -> dict:
    return {
        "bidder": result.bidder,
        "quality": _round(result.quality),
        "social_value": _round(result.social_value),
        "price": _round(result.price_score),
        "total": _round(result.total),
        "rank": result.rank,
        "excluded": result.excluded,
        "reasons": list(result.reasons),
        "bid_price": None if result.price is None else str(result.price),
        "abnormally_low": result.abnormally_low,
        "notes": list(result.notes),
    }


def _change_json(change: WeightChange | None) -> dict | None:
    if change is None:
        return None
    return {"weight": _round(change.weight), "change": _round(change.change), "new_winner": change.new_winner}


def _table(model, report: list[dict]) -> str:
    lines = [model.title]
    for lot in report:
        lines += ["", f"Lot {lot['lot']}" + (f" (budget {lot['budget']})" if lot["budget"] else "")]
        lines.append(f"{'Rank':<5} {'Bidder':<24} {'Quality':>8} {'Social':>8} {'Price':>8} {'Total':>8}")
        for bid in lot["ranking"]:
            cells = [_cell(bid[k]) for k in ("quality", "social_value", "price", "total")]
            rank = str(bid["rank"]) if bid["rank"] is not None else "-"
            lines.append(f"{rank:<5} {bid['bidder']:<24} " + " ".join(f"{c:>8}" for c in cells))
            lines += [f"      excluded: {reason}" for reason in bid["reasons"]]
            lines += [f"      note: {note}" for note in bid["notes"]]
        for s in lot["sensitivity"]:
            lines.append(f"  weight {s['part']} {s['weight']:g}: " + _sensitivity_text(s))
    return "\n".join(lines)


def _cell(value) -> str:
    return "-" if value is None else fixed(value, 2)


def _sensitivity_text(s: dict) -> str:
    parts = [
        f"winner changes {word} {fixed(c['weight'], 2)} (to {c['new_winner']})"
        for word, c in (("above", s["increase"]), ("below", s["decrease"])) if c
    ]
    return "; ".join(parts) or "no weight from 0 to 100 changes the winner"


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def rules_check_command(files):
    """Check evaluation model files; exit status 1 if any is wrong."""
    failed = False
    for path in files:
        try:
            model = load_model(path)
        except DefinitionError as exc:
            click.echo(f"ERROR {exc}", err=True)
            failed = True
        else:
            click.echo(f"OK {path}: {model.title}")
    if failed:
        raise SystemExit(1)


@click.group()
def cli():
    """Offline evaluation commands (the main ``tender`` CLI registers the same ones)."""


@cli.group("rules")
def rules_group():
    """Evaluation model files."""


cli.add_command(evaluate_command)
rules_group.add_command(rules_check_command)

if __name__ == "__main__":
    cli()
