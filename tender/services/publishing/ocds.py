"""The OCDS release package of published notices, audited.

Returns the stored releases (``Notice.release_json``), never a release built
on the fly: each notice is one release fixed when it was published, so two
exports of the same notices are byte-identical, and ``ocdskit compile`` over
them gives a record of the latest state. The one addition: once the notice
number Find a Tender gave a notice is recorded (once, after publication, so
it cannot be in the stored bytes), its release lists that Find a Tender
notice as a document beside its own (``tender.domain.ocds.published``). A
notice recorded as published elsewhere has no release here (Find a Tender
holds it); later releases list it. The package's ``publishedDate`` is the
latest release's date and its ``uri`` names the procurement, so neither
changes between exports either.
"""
from __future__ import annotations

import json
from flask import current_app
from sqlalchemy import select

from tender.domain import ocds
from tender.domain.ocds import published as earlier_notices
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import Notice, Procurement
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotAuthorised, NotFound
from tender.services.publishing import facts
from tender.services.publishing.facts import aware
from tender.services.use_case import use_case

DEFAULT_PUBLISHER = "Tender"


@use_case
def export(actor: audit.Actor, *, user=None, reference: str | None = None, procurement_id: int | None = None,
           publisher: str = DEFAULT_PUBLISHER) -> dict:
    """The release package of the notices of one procurement (by reference or id) or all; records ``ocds.exported``.

    A person needs VIEW_PROCUREMENTS; without a user the actor must be the system (the CLI).
    """
    if user is not None:
        authorise(user, Permission.VIEW_PROCUREMENTS)
    elif actor.role != "system":
        raise NotAuthorised("You do not have permission to do that. Ask a procurement officer or an administrator.")
    if not publisher.strip():
        raise InvalidRequest("Enter a publisher name.")
    procurements = _procurements(reference, procurement_id)
    single = procurements[0] if reference or procurement_id else None
    order = {p.id: p.reference for p in procurements}
    regimes = {p.id: p.regime for p in procurements}
    rows = sorted(db.session.scalars(select(Notice).where(Notice.procurement_id.in_(list(order)),
                                                          Notice.release_json.is_not(None))),
                  key=lambda n: (order[n.procurement_id], aware(n.published_at), n.id))
    releases = [earlier_notices.with_fts_document(json.loads(n.release_json),
                                                  facts.published(n, regimes[n.procurement_id])) for n in rows]
    if not releases:  # a release package holds at least one release
        raise NotFound(f"No notice has been published for {single.reference} yet. Publish one from its notices page."
                       if single else "No notice has been published yet.")
    published = max(aware(n.published_at) for n in rows)
    base = current_app.config["BASE_URL"]
    uri = f"{base}/procurements/{single.id}/ocds.json" if single else f"{base}/ocds.json"
    package = ocds.package(releases, uri=uri, publisher=publisher, published=published)
    audit.record(actor, "ocds.exported", "procurement" if single else "ocds_package", single.id if single else None,
                 procurement_ref=single.reference if single else None,
                 after={"releases": [r["id"] for r in releases], "publisher": publisher})
    return package


def _procurements(reference: str | None, procurement_id: int | None) -> list[Procurement]:
    query = select(Procurement).order_by(Procurement.reference)
    if reference:
        query = query.where(Procurement.reference == reference)
    if procurement_id is not None:
        query = query.where(Procurement.id == procurement_id)
    found = list(db.session.scalars(query))
    if not found:
        raise NotFound(f"There is no procurement with the reference {reference}." if reference
                       else "There is no procurement to export.")
    return found
