"""Export the audit trail for legal review: CSV, JSON Lines, PDF or an evidence bundle.

The whole chain is verified first, the export's extent is fixed at the chain's
head at that moment (so events written meanwhile cannot make the files
disagree), the file is written, and the export itself goes on the record.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from tender.audit_export import EXPORTERS, ExportMeta
from tender.domain.audit_chain import verify_chain
from tender.domain.roles import Permission
from sqlalchemy import select

from tender.extensions import db
from tender.models import Procurement
from tender.services import audit
from tender.services.audit import query as audit_query
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest


@dataclass(frozen=True)
class ExportResult:
    """What was written."""

    path: Path
    format: str
    events: int
    chain_ok: bool
    head_hash: str


def _utc_midnight(day) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def export(fmt: str, output: Path, flt: audit_query.AuditFilter, actor: audit.Actor, user=None,
           organisation: str | None = None) -> ExportResult:
    """Write the events matching ``flt`` to ``output`` in ``fmt`` and audit the export."""
    if user is not None:
        authorise(user, Permission.EXPORT_AUDIT)
    if fmt not in EXPORTERS:
        raise InvalidRequest(f"Choose an export format: {', '.join(EXPORTERS)}.")
    if flt.since and flt.until and flt.since > flt.until:
        raise InvalidRequest("The 'from' date must be on or before the 'to' date.")
    trail = verify_chain(audit_query.stream())
    flt = replace(flt, max_seq=trail.count)
    meta = ExportMeta(
        generated_by=f"{actor.label} ({actor.role})" if actor.role else actor.label,
        procurement_ref=flt.procurement, organisation=organisation,
        procurement_title=db.session.scalar(select(Procurement.title).where(Procurement.reference == flt.procurement))
        if flt.procurement else None,
        since=_utc_midnight(flt.since) if flt.since else None,
        until=_utc_midnight(flt.until + timedelta(days=1)) if flt.until else None,
        trail_verification=trail,
    )
    exporter = EXPORTERS[fmt]
    output = Path(output)
    if exporter.mode == "bundle":
        result = exporter(lambda: audit_query.stream(flt), output, meta)
        count = result.event_count
    elif exporter.mode == "text":
        with output.open("w", encoding="utf-8", newline="") as out:
            count = exporter(audit_query.stream(flt), out)
    else:
        with output.open("wb") as out:
            count = exporter(audit_query.stream(flt), out, meta)
    audit.record(actor, "audit.exported", "audit_trail", None, procurement_ref=flt.procurement,
                 after={"format": fmt, "events": count, "filter": {
                     "procurement": flt.procurement, "lot": flt.lot, "actor": flt.actor, "action": flt.action,
                     "since": flt.since, "until": flt.until, "up_to_event": flt.max_seq},
                     "chain_ok": trail.ok, "chain_head_hash": trail.head_hash})
    db.session.commit()
    return ExportResult(output, fmt, count, trail.ok, trail.head_hash)
