"""Officers find a CPV code on the classification page (a plain GET form: no JavaScript) and any code is accepted."""
from __future__ import annotations

import html

from sqlalchemy import select

from tender.extensions import db
from tender.models import LotClassification, ProcurementPublishing
from tests.helpers import csrf_post, login
from tests.web.test_publishing_pages import DEMO_PASSWORD, OFFICER, demo_id


def test_searching_by_words_lists_the_matching_codes_on_the_classification_page(app, client):
    pid = demo_id(app)
    login(client, OFFICER, DEMO_PASSWORD)
    page = client.get(f"/procurements/{pid}/notices/classification?q=mental+health")
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert 'name="q"' in text and 'value="mental health"' in text
    assert "CPV codes match “mental health”" in text
    assert "85121270-6" in text and "Psychiatrist or psychologist services" in text
    assert "Environmental" not in text
    assert "<datalist" not in text  # the page no longer carries the whole list


def test_searching_by_code_prefix_and_finding_nothing_both_say_so(app, client):
    pid = demo_id(app)
    login(client, OFFICER, DEMO_PASSWORD)
    found = html.unescape(client.get(f"/procurements/{pid}/notices/classification?q=8532").get_data(as_text=True))
    assert "4 CPV codes match “8532”" in found
    assert found.index("85320000-8") < found.index("85323000-9")
    none = html.unescape(client.get(f"/procurements/{pid}/notices/classification?q=zzqq").get_data(as_text=True))
    assert "No CPV code matches “zzqq”" in none


def test_codes_from_anywhere_in_the_vocabulary_are_saved(app, client):
    pid = demo_id(app)
    login(client, OFFICER, DEMO_PASSWORD)
    path = f"/procurements/{pid}/notices/classification"
    form = client.get(path).get_data(as_text=True)
    vat = 'vat_percent' in form
    saved = csrf_post(client, path, {"cpv_code": "72000000-5", "submission_method": "electronicSubmission",
                                     "lot_5": "45000000-7", **({"vat_percent": "20"} if vat else {})},
                      token_from=path)
    assert saved.status_code == 302, html.unescape(saved.get_data(as_text=True))[-2000:]
    with app.app_context():
        assert db.session.scalar(select(ProcurementPublishing.cpv_code).where(
            ProcurementPublishing.procurement_id == pid)) == "72000000-5"
        assert "45000000-7" in set(db.session.scalars(select(LotClassification.cpv_code)))
