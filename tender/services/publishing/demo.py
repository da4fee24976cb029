"""The demo procurement's publishing details: Kent County Council, its funders, the candidates, CPV codes.

The council's name, address, telephone, web site and e-tendering portal are
real; its PPON is illustrative (the Central Digital Platform assigns one on
registration). The funders' and suppliers' identifiers and addresses are
illustrative too: every such record is stored with ``illustrative=True`` and
the pages say so.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tender.models import Funder, Supplier
from tender.extensions import db
from tender.services import audit
from tender.services.publishing import details

KCC = {"name": "Kent County Council", "scheme": "GB-PPON", "identifier": "PDMO-KENT-0001",
       "street_address": "Sessions House, County Road", "locality": "Maidstone", "postal_code": "ME14 1XQ",
       "region": "TLJ4", "contact_name": "Strategic Commissioning (Live Well Kent)",
       "contact_email": "strategic.commissioning@kent.example", "contact_telephone": "03000 41 41 41",
       "url": "https://www.kent.gov.uk", "authority_type": "publicAuthoritySubCentralGovernment",
       "illustrative": True}
CCG = {"name": "NHS Kent and Medway Clinical Commissioning Group", "scheme": "GB-NHS", "identifier": "91Q",
       "ppon": "PDMO-KMCG-0002", "street_address": "2nd Floor, Gail House, Lower Stone Street",
       "locality": "Maidstone", "postal_code": "ME15 6NB", "region": "TLJ4", "illustrative": True}
SUPPLIERS = {
    "Porchlight": {"scheme": "GB-CHC", "identifier": "1154041", "street_address": "Heron House, 19 Tufton Street",
                   "locality": "Ashford", "postal_code": "TN23 1QN", "vcse": True},
    "Shaw Trust": {"scheme": "GB-CHC", "identifier": "1122260", "region": "TLG3",
                   "street_address": "Black Country House, Rounds Green Road",
                   "locality": "Oldbury", "postal_code": "B69 2DG", "vcse": True},
    "Kent Wellbeing Alliance CIC": {"scheme": "GB-COH", "identifier": "13900001",
                                    "street_address": "12 Week Street", "locality": "Maidstone",
                                    "postal_code": "ME14 1RN", "vcse": True},
    "Medway Community Minds Partnership": {"scheme": "GB-COH", "identifier": "14000002",
                                           "street_address": "40 High Street", "locality": "Chatham",
                                           "postal_code": "ME4 4DS", "vcse": True},
}
CPV = "85323000-9"  # Community health services
LOT_CPV = {5: "85312320-8"}  # Counselling services: the 24-hour telephone and online support
PORTAL = "https://www.kentbusinessportal.org.uk"
ENQUIRY_DEADLINE = date(2022, 7, 4)


def load(actor: audit.Actor, procurement_id: int, enquiry_deadline: date = ENQUIRY_DEADLINE, *,
         suppliers_responded: bool = True) -> None:
    """Enter the demo's details through the same services officers use.

    The suppliers' details are the procurement's to enter only once they have responded
    (``suppliers_responded``); before that, each enters its own (``tender.demo_suppliers``).
    """
    details.save_organisation(actor, procurement_id, details.AUTHORITY, None, KCC, import_mode=True)
    for funder in db.session.scalars(select(Funder).where(Funder.procurement_id == procurement_id)):
        fields = {**KCC, "authority_type": None} if funder.name.startswith("Kent County Council") else CCG
        details.save_organisation(actor, procurement_id, details.FUNDER, funder.id, fields, import_mode=True)
    for name, fields in SUPPLIERS.items() if suppliers_responded else ():
        supplier = db.session.scalar(select(Supplier).where(Supplier.name == name))
        if supplier is not None:
            details.save_organisation(actor, procurement_id, details.SUPPLIER, supplier.id,
                                      {"name": name, "illustrative": True, "region": "TLJ4", **fields},
                                      import_mode=True)
    details.save_classification(actor, procurement_id, CPV, LOT_CPV, "electronicSubmission", PORTAL,
                                enquiry_deadline, import_mode=True)
