"""Export the audit trail for legal review: CSV, JSON Lines, PDF or an evidence bundle.

The whole chain is verified first, the export's extent is fixed at the chain's
head at that moment (so events written meanwhile cannot make the files
disagree), the file is written (under its name only once complete:
``tender.files.atomic_write``), and the export itself goes on the record.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from tender.audit_export import EXPORTERS, ExportMeta
from tender.audit_export.csv_jsonl import StoredRowWriter
from tender.domain.audit_chain import ChainVerification
from tender.domain.roles import Permission
from sqlalchemy import select

from tender.extensions import db
from tender.files import atomic_write
from tender.models import Procurement
from tender.services import audit
from tender.services.audit import query as audit_query
from tender.services.audit.verify import verify_trail
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest
from tender.services.use_case import transaction


#: Formats written in the same pass as the check, when the whole trail is exported.
ONE_PASS = ("csv", "jsonl")


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
    output = Path(output)
    if fmt in ONE_PASS and flt == audit_query.AuditFilter():
        return _export_in_one_pass(fmt, output, actor)
    trail = verify_trail(checks=()).chain
    flt = replace(flt, max_seq=trail.last_row_seq or 0)
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
    if exporter.mode == "bundle":
        result = exporter(lambda: audit_query.stream(flt), output, meta)
        count = result.event_count
    elif exporter.mode == "text":
        with atomic_write(output, "w", encoding="utf-8", newline="") as out:
            count = exporter(audit_query.stream(flt), out)
    else:
        with atomic_write(output, "wb") as out:
            count = exporter(audit_query.stream(flt), out, meta)
    return _recorded(actor, fmt, output, flt, count, trail)


def _export_in_one_pass(fmt: str, output: Path, actor: audit.Actor) -> ExportResult:
    """The whole trail as CSV or JSON Lines: each row is checked and written in the same pass.

    The rows go to a hidden file beside ``output`` (``tender.files.atomic_write``),
    renamed to ``output`` only once the whole chain has been walked: nothing
    appears under the requested name before the check is complete, and an
    error leaves no partial file behind.
    """
    with atomic_write(output, "w", encoding="utf-8", newline="") as out:
        writer = StoredRowWriter(out, fmt)
        trail = verify_trail(sink=writer, checks=()).chain
        writer.flush()
    flt = audit_query.AuditFilter(max_seq=trail.last_row_seq or 0)
    return _recorded(actor, fmt, output, flt, writer.count, trail)


def _recorded(actor: audit.Actor, fmt: str, output: Path, flt: audit_query.AuditFilter, count: int,
              trail: ChainVerification) -> ExportResult:
    """Put the export itself on the record: the one write, in its own transaction once the file is written."""
    with transaction():
        audit.record(actor, "audit.exported", "audit_trail", None, procurement_ref=flt.procurement,
                     after={"format": fmt, "events": count, "filter": {
                         "procurement": flt.procurement, "lot": flt.lot, "actor": flt.actor, "action": flt.action,
                         "since": flt.since, "until": flt.until, "up_to_event": flt.max_seq},
                         "chain_ok": trail.ok, "chain_head_hash": trail.head_hash})
    return ExportResult(output, fmt, count, trail.ok, trail.head_hash)
