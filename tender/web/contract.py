"""The contract as signed: record or correct one lot's contract (the form is on the procurement page).

A refusal re-renders the procurement page with the error linked to the field
at fault and status 400; a lost race (409) is flashed and redirects.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from tender.services import clock
from tender.services.award import contract as contracts
from tender.services.errors import ConcurrentChange, ServiceError
from tender.web.auth import client_ip
from tender.web.contract_forms import ContractForm
from tender.web.procurements import _render_overview, _require
from tender.domain.roles import Permission

bp = Blueprint("contract", __name__, url_prefix="/procurements")


def field_id(lot_number: int, field: str) -> str:
    """The id of a field of lot ``lot_number``'s contract form (the template builds the same)."""
    return f"contract-{lot_number}-{field.replace('_', '-')}"


@bp.route("/<int:procurement_id>/contracts/<int:lot_number>", methods=["POST"])
@login_required
def record(procurement_id: int, lot_number: int):
    """Record, or correct, the contract of one lot awarded."""
    _require(Permission.ADVANCE_STAGE)
    form = ContractForm()
    if not form.validate():
        errors = [(message, field_id(lot_number, name)) for name, messages in form.errors.items()
                  for message in messages if name != "csrf_token"]
        return _render_overview(procurement_id, 400, errors or ["The request was incomplete. Reload the page and "
                                                                "try again."])
    try:
        contracts.record(procurement_id, lot_number, current_user, reference=form.reference.data,
                         signed_on=form.signed_on.data, value=form.value.data, starts_on=form.starts_on.data,
                         ends_on=form.ends_on.data, extension_years=form.extension_years.data or 0,
                         expected_version=form.version.data, ip=client_ip(), today=clock.today())
    except ConcurrentChange as exc:
        flash(str(exc), "warning")
        return redirect(url_for("procurements.overview", procurement_id=procurement_id, _anchor="contract"))
    except contracts.ContractRefused as exc:
        error = (str(exc), field_id(lot_number, exc.field)) if exc.field else str(exc)
        return _render_overview(procurement_id, exc.status, [error])
    except ServiceError as exc:
        if exc.status != 400:
            raise
        return _render_overview(procurement_id, exc.status, [str(exc)])
    flash(f"The contract of lot {lot_number} is recorded.", "success")
    return redirect(url_for("procurements.overview", procurement_id=procurement_id, _anchor="contract"))
