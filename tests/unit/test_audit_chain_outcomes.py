"""Every outcome of verifying the audit chain: its exact words and numbers.

Written from docs/audit-trail.md (sections 4 and 5), which gives what verify
says for each thing done behind the application's back. A lawyer quotes these
sentences, so they are pinned word for word; the numbers (first broken event,
intruders, counts) are what a report and manifest.json rely on.
"""
from __future__ import annotations

import datetime as dt
import enum

import pytest

from tender.domain.audit_chain import (
    GENESIS_HASH,
    ChainVerification,
    ChainVerifier,
    canonical_json,
    format_timestamp,
    seal,
    verify_chain,
)
from tests.unit.test_audit_chain import make_chain, make_event


def intruder(seq: int) -> dict:
    """A row someone inserted behind Tender's back: well-formed, but not in Tender's chain."""
    return seal(make_event(seq, actor="mallory@example.com"), "e" * 64)


def tender_events_around(skipped: set[int], last: int) -> list[dict]:
    """Tender's own events 1..last, skipping the numbers it found taken, each linked to its own previous one."""
    events, prev = [], GENESIS_HASH
    for seq in range(1, last + 1):
        if seq in skipped:
            events.append(intruder(seq))
            continue
        sealed = seal(make_event(seq), prev)
        events.append(sealed)
        prev = sealed["hash"]
    return events


# --- passing ------------------------------------------------------------------------------

def test_a_whole_trail_passes_with_numbers_and_the_start_of_the_trail():
    result = verify_chain(make_chain(3))
    assert result.summary() == ("Passed: all 3 events (numbers 1 to 3) match their hashes, are correctly linked, "
                                "and none is missing from the start of the trail.")


def test_checked_against_the_recorded_head_the_summary_says_so():
    chain = make_chain(3)
    result = verify_chain(chain, head=(3, chain[-1]["hash"]))
    assert result.ok and result.head_checked
    assert result.summary() == ("Passed: all 3 events (numbers 1 to 3) match their hashes, are correctly linked, "
                                "and none is missing from the start of the trail or the end (the recorded head).")


def test_an_extract_says_gaps_are_outside_its_scope():
    chain = make_chain(5)
    result = verify_chain([chain[1], chain[3]], partial=True, head=(99, "f" * 64), skipped={3})
    assert result.ok and (result.count, result.first_seq, result.last_seq) == (2, 2, 4)
    assert not result.head_checked and result.intruder_count == 0  # an extract ignores the head and skipped notes
    assert result.summary() == (
        "Passed: each of the 2 events (numbers 2 to 4) matches its hash, and every pair of consecutive events "
        "is correctly linked. This is an extract, so gaps in the numbering are events outside its scope.")
    assert result.to_dict()["scope"] == "extract"


def test_nothing_to_check():
    result = verify_chain([])
    assert result.ok and result.summary() == "No events to check."
    assert result.to_dict() == {
        "ok": True, "scope": "whole trail", "count": 0, "first_seq": None, "last_seq": None,
        "head_hash": GENESIS_HASH, "first_broken_seq": None, "problem": None, "intruders": [],
        "intruder_count": 0, "summary": "No events to check."}


def test_counts_over_a_thousand_are_written_with_commas():
    result = ChainVerification(ok=True, count=1234, head_hash=GENESIS_HASH, first_seq=1, last_seq=1234)
    assert result.summary().startswith("Passed: all 1,234 events (numbers 1 to 1,234)")


# --- one problem, exact words ------------------------------------------------------------

def test_a_single_problem_is_the_whole_summary_with_no_more_problems_mentioned():
    chain = make_chain(4)
    chain[2]["reason"] = "changed"
    result = verify_chain(chain)
    assert not result.ok and result.first_broken_seq == 3 and result.count == 4
    assert result.problems == [(3, "Event 3 has been altered: its stored hash does not match its content.")]
    assert result.summary() == "FAILED: Event 3 has been altered: its stored hash does not match its content."


@pytest.mark.parametrize("stored", [None, "A" * 64, "a" * 63, 12])
def test_a_missing_or_malformed_stored_hash_is_reported_not_raised(stored):
    chain = make_chain(3)
    chain[1]["hash"] = stored
    result = verify_chain(chain)
    assert not result.ok and result.first_broken_seq == 2
    assert result.problem == "Event 2 has no valid stored hash (64 lowercase hex digits expected)."
    assert result.head_hash == chain[2]["hash"]


def test_a_null_hash_on_the_last_event_leaves_the_head_at_the_last_valid_hash():
    chain = make_chain(2)
    chain[1]["hash"] = None
    assert verify_chain(chain).head_hash == chain[0]["hash"]


def test_a_false_genesis_breaks_the_trail_at_event_1():
    chain = make_chain(3)
    chain[0] = seal({k: v for k, v in chain[0].items() if k != "hash"}, "1" * 64)
    result = verify_chain(chain)
    assert result.first_broken_seq == 1
    assert result.summary() == ("FAILED: Event 1 does not start the chain: its previous-hash should be 64 zeros.")


def test_a_trail_starting_late_is_broken_from_its_first_missing_number():
    chain = make_chain(5)
    result = verify_chain(chain[1:])
    assert result.first_broken_seq == 1
    assert result.problem == "Event 1 is missing: the trail starts at event 2."
    result = verify_chain(chain[3:])
    assert result.first_broken_seq == 1 and result.problem == "Events 1 to 3 are missing: the trail starts at event 4."


def test_a_missing_first_event_arriving_late_is_out_of_order():
    chain = make_chain(4)
    result = verify_chain([chain[2], chain[0], chain[1], chain[3]])
    assert result.first_broken_seq == 1
    assert result.problem == "Event 1 is out of order: it appears after event 3 instead of before it."


def test_the_event_just_before_a_late_start_arriving_next_is_out_of_order():
    chain = make_chain(4)
    result = verify_chain([chain[2], chain[1], chain[3]])
    assert result.first_broken_seq == 1
    assert result.problem == "Event 2 is out of order: it appears after event 3 instead of before it."


def test_an_event_out_of_order_is_reported_as_such_even_if_it_was_also_altered():
    chain = make_chain(6)
    late = {**chain[1], "reason": "changed"}
    result = verify_chain(chain + [late])
    assert result.first_broken_seq == 7 and result.problem == "Event 2 is out of order: it appears after event 6."


def test_a_gap_that_is_not_filled_next_stays_missing():
    chain = make_chain(6)
    result = verify_chain([chain[0], chain[3], chain[4], chain[5]])
    assert result.first_broken_seq == 2
    assert result.problem == "Events 2 to 3 are missing: the sequence jumps from 1 to 4."


@pytest.mark.parametrize("bad, where", [
    (None, "at the start of the trail"), ("1", "at the start of the trail"), (0, "at the start of the trail"),
    (True, "at the start of the trail"),
])
def test_an_event_without_a_valid_number_at_the_start(bad, where):
    chain = make_chain(2)
    chain[0]["seq"] = bad
    result = verify_chain(chain)
    assert result.first_broken_seq == 1
    assert result.problem == f"The event {where} has no valid sequence number ({bad!r})."


def test_an_event_without_a_valid_number_later_names_the_event_before_it():
    chain = make_chain(3)
    chain[2]["seq"] = -3
    result = verify_chain(chain)
    assert result.first_broken_seq == 3 and result.last_seq == 2
    assert result.problem == "The event after event 2 has no valid sequence number (-3)."


# --- the recorded head -------------------------------------------------------------------

def test_newest_events_deleted_are_missing_from_the_end():
    chain = make_chain(5)
    result = verify_chain(chain[:3], head=(5, chain[-1]["hash"]))
    assert not result.ok and result.first_broken_seq == 4
    assert result.summary() == ("FAILED: Events 4 to 5 are missing from the end of the trail: it ends at event 3, "
                                "but the chain's recorded head is event 5.")
    result = verify_chain(chain[:4], head=(5, chain[-1]["hash"]))
    assert result.first_broken_seq == 5 and result.problem == (
        "Event 5 is missing from the end of the trail: it ends at event 4, but the chain's recorded head is event 5.")


def test_every_event_deleted_leaves_an_empty_trail_short_of_the_head():
    result = verify_chain([], head=(3, "a" * 64))
    assert not result.ok and result.first_broken_seq == 1
    assert result.problem == ("Events 1 to 3 are missing from the end of the trail: it is empty, "
                              "but the chain's recorded head is event 3.")


def test_a_replaced_last_event_is_not_the_recorded_head():
    chain = make_chain(3)
    result = verify_chain(chain, head=(3, "b" * 64))
    assert not result.ok and result.first_broken_seq == 3
    assert result.problem == ("Event 3 is not the chain's recorded head: its hash differs from the head hash "
                              "Tender recorded, so the event or the head record was changed.")


def test_a_head_problem_is_not_reported_over_an_earlier_break():
    chain = make_chain(4)
    chain[1]["reason"] = "changed"
    result = verify_chain(chain[:3], head=(4, chain[-1]["hash"]))
    assert result.first_broken_seq == 2 and result.problem.startswith("Event 2 has been altered")


# --- intruders: rows Tender did not write ------------------------------------------------

def test_a_row_after_the_recorded_head_is_an_intruder_and_the_only_problem():
    chain = make_chain(3)
    rows = chain + [intruder(4)]
    result = verify_chain(rows, head=(3, chain[-1]["hash"]))
    assert not result.ok and result.problem is None and result.first_broken_seq is None
    assert (result.count, result.intruders, result.intruder_count, result.last_row_seq) == (3, (4,), 1, 4)
    text = ("Event 4 was not written by Tender: it was inserted behind the application's back "
            "(it comes after event 3, the chain's recorded head).")
    assert result.problems == [(4, text)]
    assert result.summary() == f"FAILED: {text}"


@pytest.mark.parametrize("skipped", [{3}, {3, 4}, {3, 4, 5}])
def test_runs_of_skipped_numbers_are_intruders_and_the_chain_continues_across_them(skipped):
    rows = tender_events_around(skipped, 7)
    verifier = ChainVerifier(skipped=skipped, head=(7, rows[-1]["hash"]))
    assert all(verifier.is_known_intruder(seq) for seq in skipped) and not verifier.is_known_intruder(6)
    assert not verifier.is_known_intruder(7) and verifier.is_known_intruder(8)  # the head is Tender's; after it is not
    for row in rows:
        verifier.feed(row)
    result = verifier.result()
    assert result.problem is None and result.first_broken_seq is None
    assert result.intruders == tuple(sorted(skipped)) and result.intruder_count == len(skipped)
    assert result.count == 7 - len(skipped)
    why = "Tender found its number already taken when it next wrote, and skipped it"
    assert result.intruder_problems[0] == (f"Event 3 was not written by Tender: it was inserted behind the "
                                           f"application's back ({why}).")
    more = len(skipped) - 1
    assert result.summary().endswith(f" ({more} more problem{'s' if more > 1 else ''} found.)" if more else f"({why}).")


def test_tenders_first_event_after_skipped_first_numbers_must_still_start_the_chain():
    rows = tender_events_around({1, 2}, 4)
    assert verify_chain(rows, skipped={1, 2}).problem is None
    rows[2] = seal({k: v for k, v in rows[2].items() if k != "hash"}, "a" * 64)
    rows[3] = seal({k: v for k, v in rows[3].items() if k != "hash"}, rows[2]["hash"])
    result = verify_chain(rows, skipped={1, 2})
    assert result.first_broken_seq == 3
    assert result.problem == "Event 3 does not start the chain: its previous-hash should be 64 zeros."


def test_a_broken_link_across_skipped_numbers_is_still_caught():
    rows = tender_events_around({3, 4}, 6)
    rows[4] = seal({k: v for k, v in rows[4].items() if k != "hash"}, "c" * 64)
    result = verify_chain(rows, skipped={3, 4})
    assert result.first_broken_seq == 5
    assert result.problem == "Event 5 does not follow event 2: its previous-hash link is broken."
    assert result.problems[0] == (5, result.problem) and len(result.problems) == 3
    assert result.summary() == f"FAILED: {result.problem} (2 more problems found.)"


def test_one_more_problem_is_singular():
    chain = make_chain(3)
    chain[0]["reason"] = "changed"
    result = verify_chain(chain + [intruder(4)], head=(3, chain[-1]["hash"]))
    assert result.summary() == ("FAILED: Event 1 has been altered: its stored hash does not match its content. "
                                "(1 more problem found.)")


def test_intruders_beyond_the_listed_hundred_are_counted_in_one_line():
    chain = make_chain(1)
    rows = chain + [intruder(seq) for seq in range(2, 2 + ChainVerifier.MAX_LISTED_INTRUDERS + 3)]
    result = verify_chain(rows, head=(1, chain[0]["hash"]))
    assert result.intruder_count == 103 and len(result.intruders) == 100
    assert result.problems[-1] == (None, "3 more rows were not written by Tender.")
    assert len(result.problems) == 101
    assert result.summary().endswith("(100 more problems found.)")
    assert result.last_row_seq == 104 and result.to_dict()["intruder_count"] == 103


def test_a_verdict_built_with_only_a_break_has_no_intruders():
    result = ChainVerification(ok=False, count=3, head_hash=GENESIS_HASH, first_broken_seq=2, problem="Broken.")
    assert result.intruder_count == 0 and result.problems == [(2, "Broken.")]
    assert result.summary() == "FAILED: Broken."


def test_intruder_count_is_never_below_the_listed_intruders():
    result = ChainVerification(ok=False, count=0, head_hash=GENESIS_HASH, intruders=(2,),
                               intruder_problems=("x",), intruder_count=1)
    assert result.problems == [(2, "x")]


def test_rows_with_no_number_are_not_intruders():
    verifier = ChainVerifier(head=(1, "a" * 64))
    assert verifier.is_intruder("7") is False and verifier.is_intruder(None) is False
    assert verifier.is_intruder(2) and verifier.intruder_count == 1 and verifier.last_row_seq == 2
    assert verifier.is_intruder(1) is False and verifier.last_row_seq == 2


# --- what cannot be hashed is named, not crashed on ----------------------------------------

def test_text_with_a_lone_surrogate_is_named_as_not_valid_unicode():
    with pytest.raises(ValueError, match=r"^after\.x: text is not valid Unicode \(lone surrogate\)$"):
        canonical_json(make_event(1, after={"x": "caf\u00e9 \ud800"}))
    chain = make_chain(2)
    chain[1]["reason"] = "\ud800"
    assert verify_chain(chain).problem == "Event 2 cannot be checked: reason: text is not valid Unicode (lone surrogate)."


class _NoOffset(dt.tzinfo):
    """A time zone that cannot say its offset: as unsafe as a naive time."""

    def utcoffset(self, moment):
        return None


def test_a_time_whose_zone_gives_no_offset_is_refused_like_a_naive_one():
    for moment in (dt.datetime(2024, 5, 14, 9, 0, tzinfo=_NoOffset()), dt.datetime(2024, 5, 14, 9, 0)):
        with pytest.raises(ValueError, match="must be timezone-aware"):
            format_timestamp(moment)


class _Action(enum.StrEnum):
    RECORDED = "score.recorded"


def test_text_of_a_str_subclass_is_hashed_as_the_text_itself():
    assert canonical_json(make_event(1, action=_Action.RECORDED, after={"kind": _Action.RECORDED})) == (
        canonical_json(make_event(1, action="score.recorded", after={"kind": "score.recorded"})))


def test_integers_are_kept_exactly_to_the_largest_a_double_holds_both_ways():
    largest = 2**53 - 1  # what jq (IEEE doubles) still prints exactly
    for value in (largest, -largest):
        assert f'"n":{value}'.encode() in canonical_json(make_event(1, after={"n": value}))
    for value in (largest + 1, -largest - 1):
        with pytest.raises(ValueError, match=f"^after.n: integer {value} is too large to be checked reliably"):
            canonical_json(make_event(1, after={"n": value}))
