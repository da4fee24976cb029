"""The audit trail for legal reviewers: filter, page, read."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from tender.domain.roles import Permission, may
from tender.services import audit, clock
from tender.services.audit import export as audit_export
from tender.services.audit import query as audit_query
from tender.services.errors import ServiceError
from tender.web.audit_display import grouped
from tender.web.auth import client_ip
from tender.web.downloads import download_response
from tender.web.hardening import query_int
from tender.web.forms import EXPORT_FORMATS, AuditExportForm, AuditFilterForm

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@login_required
def index():
    """Events matching the filter, a page at a time, grouped by procurement and day; a bad filter is a 400 page
    showing the whole trail's first page with the filter's errors."""
    if not may(current_user.role, Permission.READ_AUDIT):
        abort(403)
    form = AuditFilterForm(request.args)
    valid = form.validate()
    flt = _filter(form) if valid else audit_query.AuditFilter(hidden_lots=_conflicted_lots())
    number = query_int("page", 1)
    events, total, number = audit_query.page(flt, number)
    pages = max(1, -(-total // audit_query.PAGE_SIZE))
    args = {k: v for k, v in request.args.items() if k != "page" and v} if valid else {}
    groups = grouped(events, audit_query.titles(e.procurement_ref for e in events))
    return render_template("audit/index.html", form=form, export_formats=EXPORT_FORMATS, groups=groups, total=total,
                           page=number, pages=pages, args=args,
                           errors=[(e, form[name].id) for name, errs in form.errors.items() for e in errs]), \
        (200 if valid else 400)


def _filter(form) -> audit_query.AuditFilter:
    """The filter asked for, less the lots the reader declared a conflict on (403 if asked for one)."""
    hidden = _conflicted_lots()
    if form.procurement.data and (form.procurement.data, form.lot.data) in hidden:
        abort(403)
    return audit_query.AuditFilter(
        procurement=form.procurement.data or None, lot=form.lot.data, actor=form.actor.data or None,
        action=form.action.data or None, since=form.since.data, until=form.until.data, hidden_lots=hidden)


def _conflicted_lots() -> frozenset:
    """(procurement reference, lot number) of every lot the reader declared a conflict of interest on."""
    from sqlalchemy import select

    from tender.extensions import db
    from tender.models import ConflictDeclaration, Lot, Procurement

    return frozenset(db.session.execute(
        select(Procurement.reference, Lot.number).join(Lot, Lot.procurement_id == Procurement.id)
        .join(ConflictDeclaration, ConflictDeclaration.lot_id == Lot.id)
        .where(ConflictDeclaration.user_id == current_user.id, ConflictDeclaration.has_conflict.is_(True))).all())


@bp.route("/export", methods=["POST"])
@login_required
def export():
    """Legal reviewers download the (filtered) trail; the export is itself audited."""
    if not may(current_user.role, Permission.EXPORT_AUDIT):
        abort(403)
    form = AuditExportForm()
    filters = AuditFilterForm(request.form, meta={"csrf": False})
    if not (form.validate() and filters.validate()):
        errors = [e for errs in list(form.errors.values()) + list(filters.errors.values()) for e in errs]
        return render_template("errors/error.html", title="The export could not be made",
                               message=" ".join(errors)), 400
    fmt = form.format.data
    handle, path = tempfile.mkstemp(prefix="tender-audit-", suffix="." + fmt)
    os.close(handle)
    try:
        audit_export.export(fmt, path, _filter(filters), audit.Actor.of(current_user, client_ip()),
                            user=current_user)
    except ServiceError as exc:
        os.unlink(path)
        return render_template("errors/error.html", title="The export could not be made", message=str(exc)), exc.status
    except Exception:
        os.unlink(path)
        raise
    extension = audit_export.EXPORTERS[fmt].extension
    response = download_response(Path(path), f"tender-audit-{clock.today().isoformat()}.{extension}",
                                 audit_export.EXPORTERS[fmt].media_type)
    response.call_on_close(lambda: os.path.exists(path) and os.unlink(path))
    return response
