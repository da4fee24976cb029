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
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
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
from tender.services.use_case import get_procurement, use_case

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F3F2F1")
MONEY_FORMAT = '"£"#,##0.00'
SCORE_FORMAT = "0.00"
#: A text starting with one of these would be read by a spreadsheet as a formula (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Money(float):
    """A price: shown as £ with thousands separators."""


def _cell(value):
    """Numbers as numbers rounded to 2 places (Excel has no Decimal), pass/fail as words."""
    if isinstance(value, bool):
        return "pass" if value else "fail"
    if isinstance(value, Decimal):
        return round(float(value), 2)
    return value


def _money(value):
    return None if value is None else _Money(round(float(value), 2))


def _append(sheet, values, header: bool = False) -> int:
    """Append a row: prices as £, numbers to 2 places, text never taken for a formula; returns its number."""
    sheet.append([float(v) if isinstance(v, _Money) else v for v in values])
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True
        elif isinstance(value, _Money):
            cell.number_format = MONEY_FORMAT
        elif isinstance(value, float):
            cell.number_format = SCORE_FORMAT
        if header:
            cell.font, cell.fill = BOLD, HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        elif isinstance(value, str) and len(value) > 40:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return row


@use_case
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
    return filename, out.getvalue()


def _heading(sheet, text: str) -> None:
    sheet.append([])
    _append(sheet, [text])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD


def _write_sheet(sheet, result: LotEvaluation) -> None:
    model, data = result.model, result.data
    questions = [q.id for q in model.questions()]
    _append(sheet, [f"Lot {result.lot.number}: {result.lot.title}"])
    sheet.cell(row=1, column=1).font = BOLD
    _append(sheet, ["Round", result.round, "Model", f"{model.title} (version {model.version})"])
    _append(sheet, ["Status", "final" if result.status.final else f"not final: {result.status.note}"])
    _heading(sheet, "Final scores")
    ranked = {r.bidder: r for r in result.ranking.results} if result.ranking else {}
    price_cols = ["Price", "Price score"] if data.prices_opened else []
    columns = ["Bidder", *questions, "Quality", "Social value", *price_cols, "Total", "Rank", "Excluded because"]
    header_row = _append(sheet, columns, header=True)
    moderated = data.moderated_map
    for bid in data.bids:
        r = ranked.get(bid.bidder)
        finals = [_cell(m.value) if (m := moderated.get((bid.id, q))) else None for q in questions]
        prices = [_money(bid.price), _cell(r.price_score) if r else None] if data.prices_opened else []
        _append(sheet, [bid.bidder, *finals, _cell(r.quality) if r else None, _cell(r.social_value) if r else None,
                        *prices, _cell(r.total) if r else None, r.rank if r else None,
                        "; ".join(r.reasons) if r and r.excluded else None])
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{max(sheet.max_row, header_row)}"
    sheet.freeze_panes = f"B{header_row + 1}"
    _heading(sheet, "Individual scores (submitted)")
    _append(sheet, ["Bidder", "Evaluator", *questions], header=True)
    individual = {}
    for s in data.scores:
        individual.setdefault((s.bid_id, s.person, s.person_id), {})[s.criterion_id] = s
    names = {b.id: b.bidder for b in data.bids}
    for (bid_id, person, _), scores in sorted(individual.items(), key=lambda kv: (names[kv[0][0]], *kv[0][1:])):
        _append(sheet, [names[bid_id], person, *[_cell(scores[q].value) if q in scores else None for q in questions]])
    _heading(sheet, "Rationales")
    _append(sheet, ["Bidder", "Question", "By", "Score", "Rationale"], header=True)
    for bid in data.bids:
        for q in questions:
            for s in sorted((s for s in data.scores if s.bid_id == bid.id and s.criterion_id == q),
                            key=lambda s: s.person):
                _append(sheet, [bid.bidder, q, s.person, _cell(s.value), s.rationale])
            if (m := moderated.get((bid.id, q))) is not None:
                _append(sheet, [bid.bidder, q, f"Moderated by {m.person}", _cell(m.value), m.rationale])
    _lay_out(sheet, len(columns))


def _lay_out(sheet, columns: int) -> None:
    """Column widths, and printing on A4 landscape fitted to one page wide."""
    sheet.column_dimensions["A"].width = 34
    for index in range(2, max(columns, 5) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 12
    sheet.column_dimensions["C"].width = 22  # evaluator names and "Moderated by ..."
    sheet.column_dimensions["E"].width = 48  # rationales (wrapped)
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = "1:1"
