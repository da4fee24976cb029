"""A running procurement keeps the procedure definition it started with.

Creating a procurement pins the procedure file's exact text (stored once in
``pinned_definition``, keyed by its SHA-256; the procurement keeps the
digest). Everything that needs a procurement's stages, transitions, guards,
milestones or periods asks :func:`definition_of` / :func:`engine_of`, which
rebuild the definition from that text, never from the file as it is today:
an edited ``workflows/`` file applies to new procurements only. A running
procurement moves to the current file only through :func:`migrate`
(``tender workflow migrate REFERENCE``): the change is listed, refused if the
procurement's stage is not in the new file, and recorded in the audit trail.

Engines are cached per digest for the life of the process (a text never
changes under its digest), so after the first use a pinned definition costs
no query; the current files' engines are found by digest without any query.
"""
from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tender.domain.guards import KNOWN_GUARDS
from tender.domain.workflow_changes import changes_between
from tender.domain.workflow_definition import ProcedureDefinition, definition_from_text
from tender.domain.workflow_engine import ProcedureEngine
from tender.domain.yaml_source import DefinitionError
from tender.extensions import db
from tender.models import Milestone, PinnedDefinition, Procurement
from tender.models.milestone import CLOSED, NOT_APPLICABLE
from tender.services import audit
from tender.services.clock import now
from tender.services.errors import ConcurrentChange, InvalidRequest, NotFound, ServiceError
from tender.services.procurement.procedures import registry
from tender.services.use_case import transaction

MIGRATED = "procurement.definition_migrated"

_engines: dict[str, ProcedureEngine] = {}
_lock = threading.Lock()


class DefinitionUnusable(ServiceError):
    """The definition a procurement is pinned to cannot be loaded by this version of Tender."""

    status = 409


def pin(procurement: Procurement) -> None:
    """Pin ``procurement`` to its procedure's file as it is now (call before the procurement is flushed)."""
    procedures = registry()
    name = procurement.procedure
    definition = procedures.definitions[name]
    _store(name, definition.version, procedures.texts[name], procedures.digests[name])
    procurement.definition_digest = procedures.digests[name]
    procurement.procedure_version = definition.version


def _store(name: str, version: int, text: str, digest: str) -> None:
    """Keep ``text`` under ``digest`` once; a second procurement (or a concurrent one) on it adds nothing."""
    inserts = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}
    insert = inserts[db.session.get_bind().dialect.name]
    db.session.execute(insert(PinnedDefinition).values(digest=digest, procedure=name, version=version, text=text,
                                                        stored_at=now())
                       .on_conflict_do_nothing(index_elements=["digest"]))


def engine_of(procurement: Procurement) -> ProcedureEngine:
    """The engine of the definition ``procurement`` runs: the one it is pinned to.

    A procurement created before pinning existed, whose recorded version was
    not the file's when the database was upgraded, has no pin and runs the
    current file (``tender workflow migrate`` pins it).
    """
    digest = procurement.definition_digest
    procedures = registry()
    if digest is None:
        return procedures[procurement.procedure]
    engine = procedures.by_digest.get(digest) or _engines.get(digest)
    return engine if engine is not None else _load(procurement, digest)


def definition_of(procurement: Procurement) -> ProcedureDefinition:
    """The procedure definition ``procurement`` runs (see :func:`engine_of`)."""
    return engine_of(procurement).definition


def _load(procurement: Procurement, digest: str) -> ProcedureEngine:
    row = db.session.get(PinnedDefinition, digest)
    if row is None:
        raise DefinitionUnusable(f"{procurement.reference} is pinned to a definition that is not stored "
                                 f"(SHA-256 {digest}).")
    try:
        definition = definition_from_text(row.text, _source(row), KNOWN_GUARDS, expected_name=row.procedure)
    except DefinitionError as exc:
        raise DefinitionUnusable(
            f"{procurement.reference} runs the {row.procedure} definition it started with (version {row.version}), "
            f"which this version of Tender cannot load: {exc} An administrator can move it to the current file "
            f"with: tender workflow migrate {procurement.reference}") from None
    with _lock:
        return _engines.setdefault(digest, ProcedureEngine(definition))


def _source(row: PinnedDefinition) -> str:
    return f"{row.procedure}.yaml version {row.version} as pinned (SHA-256 {row.digest[:12]})"


def pinned_text(procurement: Procurement) -> str | None:
    """The exact text of the file ``procurement`` runs (None if it has no pin)."""
    digest = procurement.definition_digest
    if digest is None:
        return None
    procedures = registry()
    current = procedures.digests.get(procurement.procedure)
    if current == digest:
        return procedures.texts[procurement.procedure]
    return db.session.scalar(select(PinnedDefinition.text).where(PinnedDefinition.digest == digest))


@dataclass(frozen=True)
class MigrationPlan:
    """What moving a procurement to the current procedure file would change, and why it may not be done."""

    reference: str
    procedure: str
    stage: str
    from_version: int
    to_version: int
    from_digest: str | None
    to_digest: str
    changes: tuple[str, ...]
    diff: str
    milestones_added: tuple[str, ...]
    milestones_dropped: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        """True if the procurement already runs the current file."""
        return self.from_digest == self.to_digest


def _procurement(reference: str) -> Procurement:
    procurement = db.session.scalar(select(Procurement).where(Procurement.reference == reference))
    if procurement is None:
        raise NotFound(f"No procurement has the reference {reference}.")
    return procurement


def plan_migration(reference: str) -> MigrationPlan:
    """What :func:`migrate` would do to the procurement ``reference``; changes nothing."""
    return _plan(_procurement(reference))


def _plan(procurement: Procurement) -> MigrationPlan:
    procedures = registry()
    name = procurement.procedure
    if name not in procedures.definitions:
        raise InvalidRequest(f"There is no {name}.yaml among the procedure files now, so {procurement.reference} "
                             "cannot be moved to it.")
    new = procedures.definitions[name]
    try:
        old = definition_of(procurement)
    except DefinitionUnusable:
        old = None
    old_text = pinned_text(procurement) or ""
    diff = "".join(difflib.unified_diff(
        old_text.splitlines(keepends=True), procedures.texts[name].splitlines(keepends=True),
        f"{name}.yaml (version {procurement.procedure_version}, pinned)", f"{name}.yaml (version {new.version}, now)"))
    old_keys = {m.key for m in old.milestones} if old else {m.key for m in procurement.milestones}
    new_keys = [m.key for m in new.milestones]
    problems = []
    if procurement.state not in {stage.name for stage in new.stages}:
        problems.append(f"{procurement.reference} is at the stage '{procurement.state}', which version {new.version} "
                        f"of {name}.yaml does not have. Move it back to a stage both versions share, or keep "
                        "the file's old stage in the new version.")
    if procurement.regime not in new.regimes:
        problems.append(f"{procurement.reference} runs under {procurement.regime}, which version {new.version} of "
                        f"{name}.yaml does not allow.")
    return MigrationPlan(
        reference=procurement.reference, procedure=name, stage=procurement.state,
        from_version=procurement.procedure_version, to_version=new.version,
        from_digest=procurement.definition_digest, to_digest=procedures.digests[name],
        changes=tuple(changes_between(old, new)) if old else ("the pinned definition no longer loads: "
                                                               "the whole file is replaced",),
        diff=diff,
        milestones_added=tuple(k for k in new_keys if k not in old_keys),
        milestones_dropped=tuple(sorted(k for k in old_keys if k not in set(new_keys))),
        problems=tuple(problems),
    )


def migrate(reference: str, actor: audit.Actor, reason: str, *, expected_digest: str | None = None) -> MigrationPlan:
    """Move the procurement ``reference`` to its procedure file as it is now, audited, in one transaction.

    ``expected_digest`` is the file the person reviewed (``plan.to_digest``):
    if the file changed since, nothing happens. Milestones the new file adds
    are created undated (owned by the lead officer); open milestones it no
    longer has become "not applicable" with the reason; met ones stay as the
    record of what happened.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Give the reason for moving the procurement to the changed definition. "
                             "It is kept in the audit trail.")
    with transaction():
        procurement = _procurement(reference)
        plan = _plan(procurement)
        if plan.up_to_date:
            raise InvalidRequest(f"{reference} already runs {plan.procedure}.yaml as it is now "
                                 f"(version {plan.to_version}).")
        if plan.problems:
            raise InvalidRequest(" ".join(plan.problems))
        if expected_digest is not None and expected_digest != plan.to_digest:
            raise ConcurrentChange(f"{plan.procedure}.yaml changed after it was reviewed. Review it again.")
        procedures = registry()
        new = procedures.definitions[plan.procedure]
        _store(plan.procedure, new.version, procedures.texts[plan.procedure], plan.to_digest)
        dropped = _align_milestones(procurement, new, reason, actor)
        procurement.definition_digest, procurement.procedure_version = plan.to_digest, new.version
        audit.record(actor, MIGRATED, "procurement", procurement.id, procurement_ref=procurement.reference,
                     before={"procedure": plan.procedure, "procedure_version": plan.from_version,
                             "definition_sha256": plan.from_digest, "stage": plan.stage},
                     after={"procedure": plan.procedure, "procedure_version": new.version,
                            "definition_sha256": plan.to_digest, "stage": plan.stage, "changes": list(plan.changes),
                            "milestones_added": list(plan.milestones_added),
                            "milestones_not_applicable": dropped},
                     reason=reason)
    return plan


def _align_milestones(procurement: Procurement, new: ProcedureDefinition, reason: str,
                      actor: audit.Actor) -> list[str]:
    """Add the new file's milestones, order and title them as it does; retire open ones it dropped."""
    existing = {m.key: m for m in db.session.scalars(select(Milestone).where(
        Milestone.procurement_id == procurement.id))}
    for position, declared in enumerate(new.milestones):
        row = existing.get(declared.key)
        if row is None:
            db.session.add(Milestone(procurement_id=procurement.id, key=declared.key, title=declared.title,
                                     position=position, owner_id=procurement.lead_officer_id))
        else:
            row.position, row.title = position, declared.title
    dropped = []
    keys = {m.key for m in new.milestones}
    leftovers = sorted((m for m in existing.values() if m.key not in keys), key=lambda m: m.position)
    for offset, row in enumerate(leftovers):
        row.position = len(new.milestones) + offset
        if row.status not in CLOSED:
            before = {"status": row.status}
            row.status = NOT_APPLICABLE
            row.not_applicable_reason = (f"Version {new.version} of the procedure no longer has this milestone. "
                                         f"Reason given: {reason}")
            audit.record(actor, "milestone.not_applicable", "milestone", row.id,
                         procurement_ref=procurement.reference, before=before,
                         after={"key": row.key, "status": NOT_APPLICABLE}, reason=row.not_applicable_reason)
            dropped.append(row.key)
    return dropped
