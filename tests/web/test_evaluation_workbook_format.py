"""The evaluation workbook reads well and prints: £ prices, 2-place scores, frozen bold headers, filters, A4 fit,
and a rationale that looks like a formula stays text."""
from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from tender.services.evaluation import envelope
from tender.services.evaluation import scoring as evaluation_scoring
from tests.evaluation_support import build_panel, sheet, user
from tests.helpers import login

FORMULA = '=HYPERLINK("http://evil.example","Click")'


def test_the_workbook_is_formatted_for_people_and_printers(app):
    with app.app_context():
        panel = build_panel(prices=("123456.78", "80000"))
        for email in panel.evaluators:
            for bid_id, value in zip(panel.bid_ids, (3, 2)):
                evaluation_scoring.save_scores(panel.procurement_id, 1, "initial", bid_id, user(email),
                                               sheet(value, FORMULA), True)
        for bid_id, value in zip(panel.bid_ids, (3, 2)):
            evaluation_scoring.moderate(panel.procurement_id, 1, "initial", bid_id, user(panel.moderator),
                                        sheet(value, "+44 is not a sum; @mention -minus"))
        envelope.open_prices(panel.procurement_id, 1, "initial", user(panel.officer))
    client = app.test_client()
    login(client, panel.officer)
    data = client.get(f"/procurements/{panel.procurement_id}/evaluation/initial/export.xlsx").data
    book = load_workbook(io.BytesIO(data))
    ws = book["Lot 1"]
    header = next(row for row in ws.iter_rows() if row[0].value == "Bidder" and any(c.value == "Total" for c in row))
    columns = {c.value: c.column_letter for c in header}
    hrow = header[0].row

    assert all(c.font.bold for c in header)
    assert ws.freeze_panes == f"B{hrow + 1}"
    assert ws.auto_filter.ref.startswith(f"A{hrow}:")
    prices = [ws[f"{columns['Price']}{hrow + n}"] for n in (1, 2)]
    assert {p.value for p in prices} == {123456.78, 80000}
    assert all(p.number_format == '"£"#,##0.00' for p in prices)
    scores = [ws[f"{columns[name]}{hrow + n}"] for name in ("Price score", "Total") for n in (1, 2)]
    assert all(isinstance(c.value, (int, float)) and c.number_format == "0.00" for c in scores)
    # 30 x 80,000 / 123,456.78 = 19.4400...: stored rounded to 2 places, as a number.
    assert 19.44 in {c.value for c in scores} and all(c.value == round(c.value, 2) for c in scores)
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.column_dimensions["A"].width >= 30

    rationales = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith(("=", "+"))]
    assert {c.value for c in rationales} >= {FORMULA, "+44 is not a sum; @mention -minus"}
    assert all(c.data_type == "s" and c.quotePrefix for c in rationales)
    # In the file itself: stored as text (an inline string), and no formula element anywhere.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet_xml and 't="inlineStr"><is><t>=HYPERLINK' in sheet_xml
