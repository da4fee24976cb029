"""Keeping suppliers to their own pages (issue 18): one gate in front of every route.

A supplier user is outside the authority. Rather than trusting each staff
route to refuse them, every request from a supplier passes this gate: it
reaches only the endpoints registered here as supplier-facing, and every
other route (every staff page, download, export and JSON, including routes
added later) answers 403 before its view runs. Supplier-facing views must
still check the procurement is their organisation's
(``tender.services.suppliers.invited_procurement``) and show only its own
things.

Other modules add supplier-facing pages by registering their blueprint or
endpoint (at import time)::

    from tender.web import supplier_access
    supplier_access.allow_blueprint("submissions_supplier")   # every route of that blueprint
    supplier_access.allow_endpoint("clarifications.ask")      # one route

and put a link on the supplier's home page, per invitation, with
:func:`add_invitation_link` (label, endpoint taking ``procurement_id``), or a
whole section with :func:`add_home_section` (a template included with
``supplier`` and ``invitations`` in its context).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from tender.domain.roles import Role

#: Endpoints any signed-in supplier may reach (their own session, the static files, the health check).
_ENDPOINTS: set[str] = {"auth.login", "auth.logout", "static", "dashboard.health"}
#: Blueprints whose every route is supplier-facing.
_BLUEPRINTS: set[str] = {"supplier", "account"}  # "account": their own password (issue 19)
#: Pages other modules serve to staff and suppliers alike, each checking the supplier is invited (404 if not).
_ENDPOINTS |= {"clarifications.page", "clarifications.ask"}
#: Endpoints that send a supplier to their own home page instead.
_HOME_INSTEAD = {"dashboard.index", "dashboard.home"}


@dataclass(frozen=True)
class InvitationLink:
    """A link shown against each invitation on the supplier's home page."""

    label: str
    endpoint: str  # takes ``procurement_id``
    order: int = 50


INVITATION_LINKS: list[InvitationLink] = []
HOME_SECTIONS: list[tuple[int, str]] = []


def invitation_links() -> list[InvitationLink]:
    """The links registered for each invitation whose routes exist in this app."""
    return [link for link in INVITATION_LINKS if link.endpoint in current_app.view_functions]


def allow_blueprint(name: str) -> None:
    """Let suppliers reach every route of blueprint ``name`` (which must then check whose things it shows)."""
    _BLUEPRINTS.add(name)


def allow_endpoint(endpoint: str) -> None:
    """Let suppliers reach one endpoint (which must then check whose things it shows)."""
    _ENDPOINTS.add(endpoint)


def add_invitation_link(label: str, endpoint: str, order: int = 50) -> None:
    """Show ``label`` linking to ``endpoint(procurement_id=…)`` beside each invitation on the supplier's home."""
    if all(link.endpoint != endpoint for link in INVITATION_LINKS):
        INVITATION_LINKS.append(InvitationLink(label, endpoint, order))
        INVITATION_LINKS.sort(key=lambda link: (link.order, link.label))


def add_home_section(template: str, order: int = 50) -> None:
    """Include ``template`` on the supplier's home page (context: ``supplier``, ``invitations``)."""
    if all(name != template for _, name in HOME_SECTIONS):
        HOME_SECTIONS.append((order, template))
        HOME_SECTIONS.sort()


def supplier_may_reach(endpoint: str | None) -> bool:
    """Whether a supplier user may reach ``endpoint`` at all (None: no route matched, a 404 anyway)."""
    if endpoint is None:
        return True
    return endpoint in _ENDPOINTS or endpoint in _HOME_INSTEAD or endpoint.partition(".")[0] in _BLUEPRINTS


def is_supplier(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.SUPPLIER.value


def register(app: Flask) -> None:
    """Install the gate (first of the request hooks that read the user)."""

    @app.before_request
    def keep_suppliers_to_their_pages():
        if not is_supplier(current_user):
            return None
        if request.endpoint in _HOME_INSTEAD:
            return redirect(url_for("supplier.home"))
        if not supplier_may_reach(request.endpoint):
            abort(403)
        return None


add_invitation_link("Clarification questions and answers", "clarifications.page", order=60)
