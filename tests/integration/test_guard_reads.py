"""A stage advance builds the guard context with only what its transition's guards read.

``guard_context.GUARD_READS`` says what each guard reads; a fact not read is
``NOT_READ``, which raises when touched. These tests check the table against
the guards themselves (every guard of every shipped procedure gives the
same outcome with its reads as with everything, on contexts that pass and
fail each guard), that ``build_context`` fills exactly the fields each fact
names, and that an advance sends no query for what its guards do not read.
"""
from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, datetime, timedelta, timezone

import pytest

from tender.domain.guards import KNOWN_GUARDS, GuardContext, LotFacts, MilestoneFacts, run_guard
from tender.extensions import db
from tender.models import Procurement
from tender.services.procurement import workflow
from tender.services.procurement.guard_context import ALL, FACT_FIELDS, GUARD_READS, NOT_READ, build_context, reads_of
from tender.services.procurement.procedures import registry
from tests.helpers import CPN_TIMETABLE, counted, make_procurement, make_user


def test_every_guard_has_its_reads_listed():
    assert set(GUARD_READS) == set(KNOWN_GUARDS)
    assert set(FACT_FIELDS) == ALL
    assert reads_of(["a guard nobody listed"]) == ALL


def test_a_fact_not_read_refuses_every_use():
    for use in (bool, len, iter, lambda v: v == 0, lambda v: v >= 2, lambda v: v.get("x"), lambda v: "x" in v,
                lambda v: v[0], lambda v: v + ()):
        with pytest.raises(RuntimeError, match="GUARD_READS"):
            use(NOT_READ)


def _contexts(definition) -> list[GuardContext]:
    """Contexts that pass and that fail each guard: every milestone planned in order or none, bids or none..."""
    keys = [m.key for m in definition.milestones]
    planned = {k: MilestoneFacts(k, k.title(), date(2022, 1, 3) + timedelta(days=40 * i), None) for i, k in enumerate(keys)}
    met = {k: replace(f, actual=f.planned) for k, f in planned.items()}
    backwards = {k: MilestoneFacts(k, k.title(), date(2023, 12, 28) - timedelta(days=i), None) for i, k in enumerate(keys)}
    lot_done = LotFacts(1, "Lot", {"initial": 3, "final": 3}, {"initial": True, "final": True}, {"initial": "", "final": ""})
    lot_open = LotFacts(2, "Lot 2", {"initial": 2}, {"initial": False}, {"initial": "3 of 8 answers still need a score"})
    sent = datetime(2022, 3, 1, 10, tzinfo=timezone.utc)
    rich = GuardContext(
        today=date(2024, 6, 1), regime=definition.regimes[0], milestones=met, candidates=6, shortlisted=5,
        lots=(lot_done,), award_on_initial_reserved=True, award_approved_by="Ann Approver",
        award_notices_sent_at=sent, award_notice_published_at=sent)
    failing = GuardContext(
        today=date(2022, 1, 1), regime=definition.regimes[-1], milestones=backwards, candidates=3,
        candidates_undecided=("Acme",), candidates_without_reason=("Bolt",), shortlisted=1, lots=(lot_done, lot_open),
        challenges_suspending=("CH-1",))
    return [GuardContext(today=date(2022, 1, 1), regime=definition.regimes[0]), rich, failing,
            replace(rich, milestones=planned, today=date(2022, 1, 2)), replace(failing, candidates_undecided=())]


def _restricted(context: GuardContext, reads: frozenset[str]) -> GuardContext:
    return replace(context, **{f: NOT_READ for fact in ALL - reads for f in FACT_FIELDS[fact]})


@pytest.mark.parametrize("procedure", sorted(registry().definitions))
def test_each_guard_gives_the_same_outcome_with_only_its_reads(procedure):
    definition = registry().definitions[procedure]
    checked = 0
    for transition in definition.transitions:
        for ref in transition.guards:  # each guard alone, so a guard cannot lean on its neighbour's reads
            for context in _contexts(definition):
                full = run_guard(definition, ref, context)
                assert run_guard(definition, ref, _restricted(context, reads_of([ref.name]))) == full, ref.name
                checked += 1
    assert checked


def test_build_context_fills_exactly_the_fields_of_the_facts_it_reads(ctx):
    p = make_procurement(timetable=CPN_TIMETABLE)
    everything = build_context(p, date(2022, 4, 4))
    assert not any(getattr(everything, f.name) is NOT_READ for f in fields(GuardContext))
    for fact in sorted(ALL):
        context = build_context(p, date(2022, 4, 4), frozenset({fact}))
        not_read = {f.name for f in fields(GuardContext) if getattr(context, f.name) is NOT_READ}
        assert not_read == {f for other in ALL - {fact} for f in FACT_FIELDS[other]}
        for name in FACT_FIELDS[fact]:
            assert getattr(context, name) == getattr(everything, name)


def test_an_advance_queries_nothing_its_guards_do_not_read(ctx):
    officer = make_user("procurement_officer")
    p = make_procurement(timetable=CPN_TIMETABLE)
    pid, version, officer_id = p.id, p.version, officer.id
    db.session.expunge_all()  # as in a fresh request: the user is loaded, the procurement not
    officer = db.session.get(type(officer), officer_id)
    with counted() as statements:
        change = workflow.advance(pid, "publish_sq", officer, expected_version=version, today=date(2022, 4, 4))
    assert change.to_stage == "sq_published"
    text = " ".join(statements).lower()
    # publish_sq's guards read the milestones only: no responses, lots, bids, approval or challenges.
    for table in ("sq_response", "from lot", "from bid", "award_approval", "legal_challenge"):
        assert table not in text, table
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2, reads  # the procurement and its milestones
    assert db.session.get(Procurement, pid).state == "sq_published"
