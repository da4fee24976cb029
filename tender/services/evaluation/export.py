"""The evaluation matrix as an Excel workbook: one sheet per lot, for the procurement record (reg. 84).

Each sheet has three blocks: final scores (bidders x questions, with quality,
price and total once ranked), individual submitted scores (one row per bidder
and evaluator), and every rationale, individual and moderated. Prices appear
only if they have been opened. Exporting is audited; the data come from
``load_rounds`` for all lots at once (five queries).
"""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import Lot
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import NotAuthorised
from tender.services.evaluation.panel import check_round, conflicted_lot_ids, evaluation_models
from tender.services.evaluation.data import load_rounds
from tender.services.evaluation.ranking import LotEvaluation, evaluate_round
from tender.services.procurement.workflow import get_procurement

BOLD = Font(bold=True)


def _cell(value):
    """Numbers as numbers (Excel has no Decimal), pass/fail as words."""
    if isinstance(value, bool):
        return "pass" if value else "fail"
    if isinstance(value, Decimal):
        return float(value)
    return value


def export_workbook(procurement_id: int, round_: str, user, ip: str | None = None) -> tuple[str, bytes]:
    """(file name, .xlsx bytes) of the round's evaluation for every lot with a model; audited."""
    authorise(user, Permission.EXPORT_EVALUATION)
    procurement = get_procurement(procurement_id)
    check_round(round_)
    if conflicted_lot_ids(user, procurement.id):
        raise NotAuthorised("You declared a conflict of interest on a lot of this procurement, so you cannot "
                            "export its evaluation.")
    lots = db.session.scalars(select(Lot).where(Lot.procurement_id == procurement.id).order_by(Lot.number)).all()
    models = evaluation_models()
    lots = [lot for lot in lots if lot.evaluation_model in models]
    data = load_rounds([lot.id for lot in lots], (round_,))
    book = Workbook()
    book.remove(book.active)
    for lot in lots:
        model = models[lot.evaluation_model]
        _write_sheet(book.create_sheet(f"Lot {lot.number}"), evaluate_round(lot, round_, model,
                                                                            data[(lot.id, round_)]))
    if not lots:
        book.create_sheet("No lots").append(["No lot of this procurement has an evaluation model."])
    out = io.BytesIO()
    book.save(out)
    filename = f"{procurement.reference.replace('/', '-')}-{round_}-evaluation.xlsx"
    audit.record(audit.Actor.of(user, ip), "evaluation.exported", "procurement", procurement.id,
                 procurement_ref=procurement.reference,
                 after={"round": round_, "lots": [lot.number for lot in lots], "file": filename})
    db.session.commit()
    return filename, out.getvalue()


def _heading(sheet, text: str) -> None:
    sheet.append([])
    sheet.append([text])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD


def _write_sheet(sheet, result: LotEvaluation) -> None:
    model, data = result.model, result.data
    questions = [q.id for q in model.questions()]
    sheet.append([f"Lot {result.lot.number}: {result.lot.title}"])
    sheet.cell(row=1, column=1).font = BOLD
    sheet.append(["Round", result.round, "Model", f"{model.title} (version {model.version})"])
    sheet.append(["Status", "final" if result.status.final else f"not final: {result.status.note}"])
    _heading(sheet, "Final scores")
    ranked = {r.bidder: r for r in result.ranking.results} if result.ranking else {}
    price_cols = ["Price", "Price score"] if data.prices_opened else []
    sheet.append(["Bidder", *questions, "Quality", "Social value", *price_cols, "Total", "Rank", "Excluded because"])
    moderated = data.moderated_map
    for bid in data.bids:
        r = ranked.get(bid.bidder)
        finals = [_cell(m.value) if (m := moderated.get((bid.id, q))) else None for q in questions]
        prices = [_cell(bid.price), _cell(r.price_score) if r else None] if data.prices_opened else []
        sheet.append([bid.bidder, *finals, _cell(r.quality) if r else None, _cell(r.social_value) if r else None,
                      *prices, _cell(r.total) if r else None, r.rank if r else None,
                      "; ".join(r.reasons) if r and r.excluded else None])
    _heading(sheet, "Individual scores (submitted)")
    sheet.append(["Bidder", "Evaluator", *questions])
    individual = {}
    for s in data.scores:
        individual.setdefault((s.bid_id, s.person, s.person_id), {})[s.criterion_id] = s
    names = {b.id: b.bidder for b in data.bids}
    for (bid_id, person, _), scores in sorted(individual.items(), key=lambda kv: (names[kv[0][0]], *kv[0][1:])):
        sheet.append([names[bid_id], person, *[_cell(scores[q].value) if q in scores else None for q in questions]])
    _heading(sheet, "Rationales")
    sheet.append(["Bidder", "Question", "By", "Score", "Rationale"])
    for bid in data.bids:
        for q in questions:
            for s in sorted((s for s in data.scores if s.bid_id == bid.id and s.criterion_id == q),
                            key=lambda s: s.person):
                sheet.append([bid.bidder, q, s.person, _cell(s.value), s.rationale])
            if (m := moderated.get((bid.id, q))) is not None:
                sheet.append([bid.bidder, q, f"Moderated by {m.person}", _cell(m.value), m.rationale])
    sheet.column_dimensions["A"].width = 34
