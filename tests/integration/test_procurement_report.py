"""The procurement report (reg. 84): every required item, read from the record, as tagged PDF/A."""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from tender.demo import BIDDERS, SUPPLIERS
from tender.extensions import db
from tender.models import AuditEvent, SQResponse, Supplier
from tender.services.award import report
from tender.services.evaluation import panel
from tests.evaluation_support import user
from tests.letters_support import OFFICER, SCORES, award_demo

pytestmark = pytest.mark.slow


def text_of(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


def test_the_report_holds_every_item_of_regulation_84(ctx):
    # Kent Wellbeing Alliance CIC scores 1 on every lot-3 question: below the minimum of 2, so it is rejected.
    pid = award_demo(lots=(1, 3), scores={**SCORES, 3: (3, 2, 1)})
    officer = user(OFFICER)
    rejected = db.session.scalar(select(Supplier).where(Supplier.name == SUPPLIERS[3]))
    for response in db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == pid)):
        is_rejected = response.supplier_id == rejected.id
        response.decision = "rejected" if is_rejected else "shortlisted"
        response.decision_reason = ("Did not show two years' experience of community mental-health services"
                                    if is_rejected else "Met every selection criterion")
        response.decided_at = datetime.now(timezone.utc)
    db.session.commit()
    jo = user("jo.patel@kent.example")
    panel.assign(pid, 1, jo.id, None, officer)
    panel.declare(pid, 1, jo, True, "My sister is a trustee of Porchlight.")
    report.set_negotiation_ground(pid, "Regulation 26(4)(a)(i): the service must be adapted to local needs.",
                                  officer)

    filename, pdf = report.generate(pid, officer)
    text = text_of(pdf)

    assert filename == "KCC-22-00033-procurement-report.pdf"
    # Subject, value and duration.
    assert "Community Mental Health and Wellbeing Service" in text and "£34,095,110.00" in text
    assert "3 years, with the option to extend by 2 years" in text
    # The procedure and the reg. 26 ground.
    assert "Competitive procedure with negotiation" in text and "26(4)(a)(i)" in text
    # Candidates selected and rejected, with reasons.
    assert f"{SUPPLIERS[3]} Rejected Did not show two years' experience" in text
    assert f"{BIDDERS[0]} Selected Met every selection criterion" in text
    # Tenders rejected, with reasons (below the quality threshold).
    assert f"3 {BIDDERS[2]} Rejected" in text and "minimum" in text
    # The winner of each lot and why, with the recorded ranking and digest.
    assert f"{BIDDERS[0]}, the most advantageous tender" in text
    # Conflicts declared and what was done.
    assert "Jo Patel" in text and "My sister is a trustee of Porchlight." in text
    assert "Removed from the evaluation panel of this lot" in text
    # Key dates and approvals.
    assert "Award decision approved: Delegated by decision 22/00033" in text and "Richard Smith" in text
    assert "Deadline for final tenders" in text and "16 September 2022" in text
    # Where the audit trail is.
    assert "tender audit export --format bundle --procurement KCC-22/00033" in text
    assert "Page 1 of" in text and "Reference KCC-22/00033" in text
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    meta = subprocess.run(["pdfinfo", "-meta", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Tagged:          yes" in info and 'pdfaid:part="3"' in meta and 'pdfaid:conformance="U"' in meta
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "DejaVu" in fonts and all(" yes " in line for line in fonts.splitlines()[2:])
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc())) == \
        "procurement.report_generated"
