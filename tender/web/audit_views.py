"""The audit trail for legal reviewers: filter, page, read."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from tender.domain.roles import Permission, may
from tender.services import audit_query
from tender.web.forms import AuditFilterForm

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@login_required
def index():
    """Events matching the filter, 50 a page, oldest first."""
    if not may(current_user.role, Permission.READ_AUDIT):
        abort(403)
    form = AuditFilterForm(request.args)
    valid = form.validate()
    flt = audit_query.AuditFilter(
        procurement=form.procurement.data or None, lot=form.lot.data, actor=form.actor.data or None,
        action=form.action.data or None, since=form.since.data, until=form.until.data,
    ) if valid else audit_query.AuditFilter()
    number = request.args.get("page", 1, type=int)
    events, total = audit_query.page(flt, number)
    pages = max(1, -(-total // audit_query.PAGE_SIZE))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("audit/index.html", form=form, events=events, total=total, page=number,
                           pages=pages, args=args, errors=[e for errs in form.errors.values() for e in errs]), \
        (200 if valid else 400)
