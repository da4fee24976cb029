"""Publishing notices: the details they need, preview and confirm, and a page and download per notice.

Thin views: parse the form, call one service, redirect or re-render with
status 400 and the error summary.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tender.domain.ocds.codelists import AUTHORITY_TYPES, IDENTIFIER_SCHEMES, SUBMISSION_METHODS
from tender.domain.ocds import cpv
from tender.domain.ocds.cpv import cpv_codes
from tender.domain.ocds.dates import UK
from tender.domain.ocds.published import FIND_A_TENDER
from tender.domain.roles import Permission, may
from tender.extensions import db
from tender.models import Organisation, Supplier
from tender.services.accounts import authorise
from tender.services.errors import ServiceError
from tender.services.procurement.workflow import get_procurement
from tender.services.publishing import details, elsewhere, notices
from tender.web.auth import client_ip
from tender.web.downloads import download_response
from tender.web.publishing_forms import (ClassificationForm, ConfirmNoticeForm, FtsNumbersForm, OrganisationForm,
                                        RecordElsewhereForm)

bp = Blueprint("publishing", __name__, url_prefix="/procurements")
OWNERS = (details.AUTHORITY, details.FUNDER, details.SUPPLIER)


@bp.app_template_filter("ocds_date")
def ocds_date(text: str | None) -> str:
    """An OCDS date-time as a reader in the UK reads it: 11 July 2022, 11:59pm (UK time)."""
    if not text:
        return "Not given"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UK)
    return f"{moment.day} {moment:%B %Y}, {moment:%-I:%M%p}".replace("AM", "am").replace("PM", "pm")


ROLE_LABELS = {"buyer": "Buyer", "procuringEntity": "Procuring entity", "funder": "Funder",
               "tenderer": "Tenderer", "supplier": "Supplier"}


@bp.app_template_filter("party_roles")
def party_roles(roles: list[str]) -> str:
    """Party roles as a reader reads them: Buyer, Procuring entity, Funder."""
    return ", ".join(ROLE_LABELS.get(role, role) for role in roles)


@bp.app_template_global("notice_title")
def notice_title(release: dict) -> str:
    """The title of the notice document the release carries, wherever its section puts it."""
    sections = [release.get("tender", {})] + release.get("awards", []) + release.get("contracts", [])
    docs = [d for section in sections for d in section.get("documents", []) if d.get("noticeType")]
    return docs[0]["title"] if docs else ""


@bp.app_template_global("find_a_tender_notices")
def find_a_tender_notices(release: dict) -> list[dict]:
    """The Find a Tender notices a release lists (its own, once recorded, and earlier ones), once each."""
    sections = [release.get("tender", {})] + release.get("awards", []) + release.get("contracts", [])
    docs = {d["id"]: d for section in sections for d in section.get("documents", [])
            if str(d.get("url", "")).startswith(FIND_A_TENDER)}
    return list(docs.values())


def _officer_only():
    if not may(current_user.role, Permission.SET_UP_PROCUREMENT):
        abort(403)


def _viewer_only():
    if not may(current_user.role, Permission.VIEW_PROCUREMENTS):
        abort(403)


def _parties(procurement) -> list[dict]:
    """Each party a notice may name, with its details if entered: authority, funders, candidates."""
    rows = [{"owner": details.AUTHORITY, "owner_id": 0, "label": "Contracting authority",
             "org": details.organisation_of(procurement.id, details.AUTHORITY)}]
    for funder in procurement.funders:
        rows.append({"owner": details.FUNDER, "owner_id": funder.id, "label": f"Funder: {funder.name}",
                     "org": details.organisation_of(procurement.id, details.FUNDER, funder.id)})
    from tender.models import Bid, Lot, SQResponse

    supplier_ids = set(db.session.scalars(select(SQResponse.supplier_id).where(
        SQResponse.procurement_id == procurement.id)))
    supplier_ids |= set(db.session.scalars(select(Bid.supplier_id).join(Lot, Lot.id == Bid.lot_id)
                                           .where(Lot.procurement_id == procurement.id)))
    for supplier in db.session.scalars(select(Supplier).where(Supplier.id.in_(supplier_ids)).order_by(Supplier.name)):
        rows.append({"owner": details.SUPPLIER, "owner_id": supplier.id, "label": f"Supplier: {supplier.name}",
                     "org": details.organisation_of(procurement.id, details.SUPPLIER, supplier.id)})
    return rows


@bp.route("/<int:procurement_id>/notices")
@login_required
def index(procurement_id: int):
    """The notices the procedure publishes and the details they draw on."""
    _viewer_only()
    procurement = get_procurement(procurement_id)
    return render_template("publishing/index.html", procurement=procurement,
                           options=notices.options(procurement_id, current_user), parties=_parties(procurement),
                           settings=details.settings_of(procurement_id), lot_codes=details.lot_codes(procurement_id),
                           cpv=cpv_codes())


def _render_party(procurement, owner, owner_id, form, label, status=200, errors=None):
    return render_template("publishing/party.html", procurement=procurement, owner=owner, owner_id=owner_id,
                           form=form, label=label, schemes=IDENTIFIER_SCHEMES, authority_types=AUTHORITY_TYPES,
                           errors=errors or []), status


def _party_label(procurement, owner: str, owner_id: int) -> str:
    party = details.party_of(procurement.id, owner, owner_id)  # NotFound: not a party of this procurement
    if party is None:
        return "Contracting authority"
    return f"{'Funder' if owner == details.FUNDER else 'Supplier'}: {party.name}"


@bp.route("/<int:procurement_id>/notices/parties/<owner>/<int:owner_id>", methods=["GET", "POST"])
@login_required
def party(procurement_id: int, owner: str, owner_id: int):
    """Enter or correct a party's identifiers, address and contact point."""
    _officer_only()
    if owner not in OWNERS:
        abort(404)
    procurement = get_procurement(procurement_id)
    label = _party_label(procurement, owner, owner_id)
    form = OrganisationForm()
    if not form.is_submitted():
        row: Organisation | None = details.organisation_of(procurement_id, owner, owner_id or None)
        if row is not None:
            form.process(obj=row)
        elif owner == details.SUPPLIER:
            form.name.data = label.split(": ", 1)[1]
        return _render_party(procurement, owner, owner_id, form, label)
    if not form.validate():
        return _render_party(procurement, owner, owner_id, form, label, 400,
                             [(e, f"party-{name.replace('_', '-')}") for name, es in form.errors.items() for e in es])
    try:
        details.save_organisation(current_user, procurement_id, owner, owner_id or None, form.data, ip=client_ip())
    except details.DetailsInvalid as exc:
        for name, message in exc.problems.items():
            form[name].errors = [message]
        return _render_party(procurement, owner, owner_id, form, label, 400,
                             [(m, f"party-{n.replace('_', '-')}") for n, m in exc.problems.items()])
    flash(f"{label}: details saved.", "success")
    return redirect(url_for("publishing.index", procurement_id=procurement_id))


@bp.route("/<int:procurement_id>/notices/classification", methods=["GET", "POST"])
@login_required
def classification(procurement_id: int):
    """CPV codes for the procurement and each lot, the submission method and the enquiry deadline."""
    _officer_only()
    procurement = get_procurement(procurement_id)
    form = ClassificationForm()
    lot_values = {lot.number: request.form.get(f"lot_{lot.number}", "") for lot in procurement.lots}
    if not form.is_submitted():
        settings = details.settings_of(procurement_id)
        if settings is not None:
            form.process(obj=settings)
        form.submission_method.data = form.submission_method.data or "electronicSubmission"
        form.vat_percent.data = settings.vat_percent if settings is not None else details.STANDARD_VAT
        lot_values = {lot.number: details.lot_codes(procurement_id).get(lot.number, "") for lot in procurement.lots}
        return _render_classification(procurement, form, lot_values)
    if not form.validate():
        return _render_classification(procurement, form, lot_values, 400,
                                      [(e, f"classification-{n.replace('_', '-')}") for n, es in form.errors.items()
                                       for e in es])
    try:
        details.save_classification(current_user, procurement_id, form.cpv_code.data, lot_values,
                                    form.submission_method.data, form.submission_url.data,
                                    form.enquiry_deadline.data, vat_percent=form.vat_percent.data, ip=client_ip())
    except details.DetailsInvalid as exc:
        lot_errors = {n: m for n, m in exc.problems.items() if n.startswith("lot_")}
        for name, message in exc.problems.items():
            if name in form:
                form[name].errors = [message]
        return _render_classification(procurement, form, lot_values, 400,
                                      [(m, f"classification-{n.replace('_', '-')}") for n, m in exc.problems.items()],
                                      lot_errors)
    flash("CPV codes and submission details saved.", "success")
    return redirect(url_for("publishing.index", procurement_id=procurement_id))


def _render_classification(procurement, form, lot_values, status=200, errors=None, lot_errors=None):
    return render_template("publishing/classification.html", procurement=procurement, form=form,
                           lot_values=lot_values, lot_errors=lot_errors or {}, methods=SUBMISSION_METHODS,
                           cpv_search=cpv.search(request.args.get("q", "")), errors=errors or []), status


@bp.route("/<int:procurement_id>/notices/<kind>/preview")
@login_required
def preview(procurement_id: int, kind: str):
    """The notice as it would be published now: the reader's view, the JSON, any problem, and Confirm.

    A preview with problems is still the page asked for (200): it lists what to put right, and offers no Confirm.
    """
    procurement = get_procurement(procurement_id)
    result = notices.preview(procurement_id, kind, current_user)
    form = ConfirmNoticeForm(generated_at=result.generated_at.isoformat(), sha256=result.sha256)
    return render_template("publishing/preview.html", procurement=procurement, kind=kind, preview=result,
                           release=result.release, form=form,
                           json_text=json.dumps(result.release, indent=2, ensure_ascii=False))


@bp.route("/<int:procurement_id>/notices/<kind>/publish", methods=["POST"])
@login_required
def publish(procurement_id: int, kind: str):
    """Store the previewed notice (refused if the record changed since, or it fails the checks)."""
    authorise(current_user, Permission.ADVANCE_STAGE)  # before reading the form: a refusal says who may
    form = ConfirmNoticeForm()
    if not form.validate():
        abort(400)
    try:
        generated_at = datetime.fromisoformat(form.generated_at.data or "")
    except ValueError:
        abort(400)
    notice = notices.publish(procurement_id, kind, current_user, generated_at=generated_at,
                             expected_sha256=form.sha256.data or "", ip=client_ip())
    flash(f"{notice.notice_type} published: {notice.release_id}.", "success")
    return redirect(url_for("publishing.notice", procurement_id=procurement_id, kind=kind))


@bp.route("/<int:procurement_id>/notices/<kind>")
@login_required
def notice(procurement_id: int, kind: str):
    """A published notice as a reader of Find a Tender sees it."""
    procurement = get_procurement(procurement_id)
    stored = notices.get(procurement_id, kind, current_user)
    release = json.loads(stored.release_json) if stored.release_json else None  # None: published elsewhere
    return render_template("publishing/notice.html", procurement=procurement, notice=stored, kind=kind,
                           release=release, form=FtsNumbersForm(), find_a_tender_url=FIND_A_TENDER)


@bp.route("/<int:procurement_id>/notices/<kind>.json")
@login_required
def download(procurement_id: int, kind: str):
    """The stored release, byte for byte."""
    stored = notices.get(procurement_id, kind, current_user)
    if stored.release_json is None:
        abort(404)  # published elsewhere: Find a Tender holds the notice, Tender only its number
    filename = re.sub(r"[^A-Za-z0-9_-]+", "-", stored.release_id) + ".json"
    return download_response(stored.release_json.encode("utf-8"), filename, "application/json")


@bp.route("/<int:procurement_id>/notices/<kind>/fts", methods=["POST"])
@login_required
def fts_numbers(procurement_id: int, kind: str):
    """Record the ocid and notice number Find a Tender gave the notice."""
    form = FtsNumbersForm()
    if not form.validate():
        abort(400)
    try:
        notices.record_fts_numbers(procurement_id, kind, current_user, form.fts_ocid.data, form.notice_number.data,
                                   ip=client_ip())
    except ServiceError as exc:
        if exc.status != 400:  # not allowed, not found, changed meanwhile: the error page, not a flash
            raise
        flash(str(exc), "error")
        return redirect(url_for("publishing.notice", procurement_id=procurement_id, kind=kind))
    flash("Find a Tender numbers recorded.", "success")
    return redirect(url_for("publishing.notice", procurement_id=procurement_id, kind=kind))


def _render_elsewhere(procurement, kind: str, form, status=200, errors=None):
    option = next((o for o in notices.options(procurement.id, current_user) if o.kind == kind), None)
    if option is None:
        abort(404)
    return render_template("publishing/elsewhere.html", procurement=procurement, kind=kind, option=option,
                           form=form, errors=errors or []), status


@bp.route("/<int:procurement_id>/notices/<kind>/elsewhere", methods=["GET", "POST"])
@login_required
def record_elsewhere(procurement_id: int, kind: str):
    """Record a notice published on Find a Tender directly: its notice number and when it was published."""
    if not may(current_user.role, Permission.ADVANCE_STAGE):
        abort(403)
    procurement = get_procurement(procurement_id)
    form = RecordElsewhereForm()
    if not form.is_submitted():
        return _render_elsewhere(procurement, kind, form)
    if not form.validate():
        return _render_elsewhere(procurement, kind, form, 400,
                                 [(e, f"elsewhere-{n.replace('_', '-')}") for n, es in form.errors.items() for e in es])
    hour, minute = (int(part) for part in form.published_time.data.split(":"))
    published_at = datetime.combine(form.published_on.data, time(hour, minute), tzinfo=UK)
    try:
        recorded = elsewhere.record(procurement_id, kind, current_user, form.notice_number.data, published_at,
                                    form.fts_ocid.data, ip=client_ip())
    except ServiceError as exc:
        return _render_elsewhere(procurement, kind, form, exc.status, [(str(exc), "elsewhere-notice-number")])
    flash(f"{recorded.notice_type} recorded as published on Find a Tender: notice {recorded.fts_notice_number}.",
          "success")
    return redirect(url_for("publishing.index", procurement_id=procurement_id))
