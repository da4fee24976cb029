"""Every download keeps a well-formed name when the procurement reference holds CR, LF, quotes, ";" or accents."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest
from sqlalchemy import select, update

from tender.extensions import db
from tender.models import AwardLetter, Procurement
from tests.evaluation_support import user
from tests.helpers import PASSWORD, csrf_post, login
from tests.letters_support import OFFICER, award_demo, send_now

pytestmark = pytest.mark.slow

REFERENCE = 'KCC\r\n"22";00033 Łódź ü'
HEADER = re.compile(r"""^(attachment|inline); filename="[A-Za-z0-9._+-]+"(; filename\*=UTF-8''[A-Za-z0-9%._~-]+)?$""")
LEGAL = "morgan.lee@kent.example"


def exact_name(response) -> str:
    """The file name the browser saves: ``filename*`` when given, else ``filename``."""
    header = response.headers["Content-Disposition"]
    if "filename*=" in header:
        return unquote(header.split("filename*=UTF-8''")[1])
    return re.search(r'filename="([^"]+)"', header)[1]


def assert_well_formed(response, mimetype: str) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == mimetype
    assert HEADER.match(response.headers["Content-Disposition"]), response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_each_download_has_a_well_formed_name_when_the_reference_is_hostile(app, smtp):
    with app.app_context():
        pid = award_demo(lots=(1,))
        from tender.services.award import letters

        letters.draft(pid, user(OFFICER))
        db.session.execute(update(Procurement).where(Procurement.id == pid).values(reference=REFERENCE))
        db.session.execute(update(AwardLetter).where(AwardLetter.procurement_id == pid).values(method="post"))
        db.session.commit()
        letter_id = letters.letters_for(pid)[0].id
    client = app.test_client()
    login(client, OFFICER)
    base = f"/procurements/{pid}"

    preview = client.get(f"{base}/letters/{letter_id}/preview.pdf")
    report = client.get(f"{base}/report.pdf")
    workbook = client.get(f"{base}/evaluation/initial/export.xlsx")
    with app.app_context():
        send_now(pid, user(OFFICER), smtp.settings())
    issued = client.get(f"{base}/letters/{letter_id}/document.pdf")

    for response in (preview, report, issued):
        assert_well_formed(response, "application/pdf")
        assert response.data.startswith(b"%PDF")
    assert preview.headers["Content-Disposition"].startswith("inline;")
    assert exact_name(report) == 'KCC--"22";00033 Łódź ü-procurement-report.pdf'
    # A letter's file name is fixed when it is issued, made safe for every file system and mail client.
    assert exact_name(issued) == "KCC-22-00033-Łódź-ü-lot-1-porchlight-award-letter.pdf"
    assert_well_formed(workbook, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert exact_name(workbook) == 'KCC--"22";00033 Łódź ü-initial-evaluation.xlsx'


def test_the_open_contracting_downloads_have_well_formed_names_when_the_reference_is_hostile(app):
    from tender.demo import load_demo
    from tests.publishing_support import publish

    with app.app_context():
        load_demo(PASSWORD)
        pid = db.session.scalar(select(Procurement.id))
        publish(pid, "tender", user(OFFICER), datetime(2022, 4, 1, 10, tzinfo=timezone.utc))
        db.session.execute(update(Procurement).where(Procurement.id == pid).values(reference=REFERENCE))
        db.session.commit()
    client = app.test_client()
    login(client, OFFICER)

    package = client.get(f"/procurements/{pid}/ocds.json")
    notice = client.get(f"/procurements/{pid}/notices/tender.json")

    for response in (package, notice):
        assert_well_formed(response, "application/json")
    assert exact_name(package) == "ocds-KCC-22-00033-d-.json"  # the route keeps ASCII letters, digits, "_" and "-"
    assert exact_name(notice).endswith(".json") and json.loads(notice.data)["tag"] == ["tender"]


@pytest.mark.parametrize("fmt", ["pdf", "csv"])
def test_the_audit_export_is_offered_as_a_file_that_is_not_sniffed(app, fmt):
    with app.app_context():
        pid = award_demo(lots=(1,), approve=False)
        db.session.execute(update(Procurement).where(Procurement.id == pid).values(reference=REFERENCE))
        db.session.commit()
    client = app.test_client()
    login(client, LEGAL)

    response = csrf_post(client, "/audit/export", {"format": fmt}, token_from="/audit/")

    assert_well_formed(response, {"pdf": "application/pdf", "csv": "text/csv"}[fmt])
    assert re.fullmatch(rf"tender-audit-\d{{4}}-\d\d-\d\d\.{fmt}", exact_name(response))
    assert len(response.data) > 100
