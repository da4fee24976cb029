"""Open Contracting Data download: the procurement's published notices as an OCDS 1.1.5 release package."""
from __future__ import annotations

import json
import re

from flask import Blueprint
from flask_login import current_user, login_required

from tender.services import audit
from tender.services.procurement.workflow import get_procurement
from tender.services.publishing import ocds as ocds_export
from tender.web.auth import client_ip
from tender.web.downloads import download_response

bp = Blueprint("ocds", __name__, url_prefix="/procurements")


@bp.route("/<int:procurement_id>/ocds.json")
@login_required
def download(procurement_id: int):
    """The release package of the stored notices as a JSON download (the service authorises and audits)."""
    package = ocds_export.export(audit.Actor.of(current_user, client_ip()), user=current_user,
                                 procurement_id=procurement_id)
    filename = "ocds-" + re.sub(r"[^A-Za-z0-9_-]+", "-", get_procurement(procurement_id).reference) + ".json"
    return download_response(json.dumps(package, indent=2, ensure_ascii=False), filename, "application/json")
