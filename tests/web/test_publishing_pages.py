"""The notices pages: details forms with GOV.UK errors, preview, confirm, the notice page and its download."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from tender.demo import REFERENCE, load_demo
from tender.extensions import db
from tender.models import Funder, Notice, Organisation, Procurement
from tests.helpers import csrf_post, login
from tests.ocds_support import require_ocds_dir

DEMO_PASSWORD = "demo-password-2022"
OFFICER = "luke.edwards@kent.example"


def demo_id(app) -> int:
    with app.app_context():
        load_demo(DEMO_PASSWORD)
        return db.session.scalar(select(Procurement.id).where(Procurement.reference == REFERENCE))


def test_the_notices_page_lists_the_notices_and_the_details_they_draw_on(app, client):
    pid = demo_id(app)
    login(client, OFFICER, DEMO_PASSWORD)

    page = client.get(f"/procurements/{pid}/notices").get_data(as_text=True)

    assert "Contract notice (social and other specific services) (F21)" in page
    assert "Ready to preview" in page and "Publish the tender notice first." in page
    assert "85323000-9 Community health services" in page and "Lot 5: 85312320-8 Counselling services" in page
    assert "GB-PPON PDMO-KENT-0001" in page and "Illustrative" in page
    assert f'href="/procurements/{pid}/notices/tender/preview"' in page


def test_an_officer_corrects_the_authority_and_a_bad_postcode_is_shown_beside_the_field(app, client):
    pid = demo_id(app)
    login(client, OFFICER, DEMO_PASSWORD)
    path = f"/procurements/{pid}/notices/parties/authority/0"
    form = client.get(path).get_data(as_text=True)
    assert 'value="Sessions House, County Road"' in form

    fields = {"name": "Kent County Council", "scheme": "GB-PPON", "identifier": "PDMO-KENT-0001",
              "street_address": "Sessions House, County Road", "locality": "Maidstone", "postal_code": "Maidstone",
              "region": "TLJ4", "authority_type": "publicAuthoritySubCentralGovernment"}
    refused = csrf_post(client, path, fields, token_from=path)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert '<a href="#party-postal-code">Enter a UK postcode, like ME14 1XQ.</a>' in text
    assert 'govuk-form-group--error' in text

    saved = csrf_post(client, path, {**fields, "postal_code": "ME14 1XX"}, token_from=path)
    assert saved.status_code == 302
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.procurement_id == pid))
        assert org.postal_code == "ME14 1XX" and org.illustrative is False


def test_a_funders_page_belongs_to_its_procurement(app, client):
    pid = demo_id(app)
    login(client, OFFICER, DEMO_PASSWORD)
    with app.app_context():
        funder_id = db.session.scalar(select(Funder.id).where(Funder.procurement_id == pid))

    assert client.get(f"/procurements/{pid}/notices/parties/funder/{funder_id}").status_code == 200
    assert client.get(f"/procurements/{pid}/notices/parties/funder/99999").status_code == 404
    assert client.get(f"/procurements/{pid}/notices/parties/council/1").status_code == 404


def test_a_cpv_code_outside_the_list_is_refused_on_the_classification_page(app, client):
    pid = demo_id(app)
    login(client, OFFICER, DEMO_PASSWORD)
    path = f"/procurements/{pid}/notices/classification"

    refused = csrf_post(client, path, {"cpv_code": "85323000-1", "submission_method": "electronicSubmission",
                                       "lot_5": "123", "vat_percent": "20"}, token_from=path)
    text = html.unescape(refused.get_data(as_text=True))

    assert refused.status_code == 400
    assert "85323000-1 is not in the CPV list Tender holds." in text
    assert "Lot 5: Enter a CPV code as 8 digits" in text


def test_an_officer_previews_and_publishes_the_contract_notice_then_reads_and_downloads_it(app, client):
    require_ocds_dir()
    pid = demo_id(app)
    login(client, OFFICER, DEMO_PASSWORD)

    preview = client.get(f"/procurements/{pid}/notices/tender/preview")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Publish this notice" in text
    generated_at = html.unescape(re.search(r'name="generated_at"[^>]*value="([^"]+)"', text).group(1))
    sha = re.search(r'name="sha256"[^>]*value="([0-9a-f]{64})"', text).group(1)

    published = csrf_post(client, f"/procurements/{pid}/notices/tender/publish",
                          {"generated_at": generated_at, "sha256": sha}, token_from=f"/procurements/{pid}/notices")
    assert published.status_code == 302 and published.headers["Location"].endswith(f"/procurements/{pid}/notices/tender")

    page = client.get(f"/procurements/{pid}/notices/tender").get_data(as_text=True)
    assert "Contract notice (social and other specific services) (F21)" in page
    assert "Kent County Council" in page and "Sessions House, County Road" in page
    assert "Buyer, Procuring entity, Funder" in page
    assert "Lot 5: Kent and Medway wide: 24-hour telephone and online support" in page
    assert "60%" in page and "30%" in page and "11 July 2022, 11:59pm" in page
    download = client.get(f"/procurements/{pid}/notices/tender.json")
    with app.app_context():
        notice = db.session.scalar(select(Notice))
        assert notice.sha256 == sha
        assert download.get_data() == notice.release_json.encode("utf-8")
    assert download.headers["Content-Disposition"].startswith('attachment; filename="ocds-tender-KCC-22-00033-01-F21')

    again = csrf_post(client, f"/procurements/{pid}/notices/tender/publish",
                      {"generated_at": generated_at, "sha256": sha}, token_from=f"/procurements/{pid}/notices")
    assert again.status_code == 400 and "Published." in again.get_data(as_text=True)


def test_find_a_tender_numbers_are_recorded_once_and_checked(app, client):
    pid = demo_id(app)
    login(client, OFFICER, DEMO_PASSWORD)
    text = client.get(f"/procurements/{pid}/notices/tender/preview").get_data(as_text=True)
    generated_at = html.unescape(re.search(r'name="generated_at"[^>]*value="([^"]+)"', text).group(1))
    sha = re.search(r'name="sha256"[^>]*value="([0-9a-f]{64})"', text).group(1)
    csrf_post(client, f"/procurements/{pid}/notices/tender/publish", {"generated_at": generated_at, "sha256": sha},
              token_from=f"/procurements/{pid}/notices")
    path = f"/procurements/{pid}/notices/tender/fts"

    csrf_post(client, path, {"fts_ocid": "ocds-h6vhtk-04eac3", "notice_number": "11531-2025"},
              token_from=f"/procurements/{pid}/notices/tender")
    assert "Enter the Find a Tender notice number as 6 digits" in html.unescape(
        client.get(f"/procurements/{pid}/notices/tender").get_data(as_text=True))
    csrf_post(client, path, {"fts_ocid": "ocds-h6vhtk-04eac3", "notice_number": "011531-2025"},
              token_from=f"/procurements/{pid}/notices/tender")
    page = client.get(f"/procurements/{pid}/notices/tender").get_data(as_text=True)
    assert "On Find a Tender: notice 011531-2025" in page
    with app.app_context():
        notice = db.session.scalar(select(Notice))
        assert (notice.fts_ocid, notice.fts_notice_number) == ("ocds-h6vhtk-04eac3", "011531-2025")


def test_evaluators_see_nothing_and_legal_reads_but_cannot_publish_or_edit(app, client):
    pid = demo_id(app)
    login(client, "sam.evans@kent.example", DEMO_PASSWORD)
    assert client.get(f"/procurements/{pid}/notices").status_code == 403
    client.get("/logout")

    login(client, "morgan.lee@kent.example", DEMO_PASSWORD)
    page = client.get(f"/procurements/{pid}/notices")
    assert page.status_code == 200 and "/preview" not in page.get_data(as_text=True)
    assert client.get(f"/procurements/{pid}/notices/tender/preview").status_code == 403
    assert client.get(f"/procurements/{pid}/notices/parties/authority/0").status_code == 403
    assert client.get(f"/procurements/{pid}/notices/tender").status_code == 404  # not published yet
