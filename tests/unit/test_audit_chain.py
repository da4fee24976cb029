"""Tests of the audit hash chain: the canonical form is a public contract.

The known answers are computed here with hashlib and json directly, not with
the code under test, so a change to the canonical form cannot pass silently.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tender.domain.audit_chain import (
    EVENT_FIELDS,
    GENESIS_HASH,
    ChainVerifier,
    canonical_json,
    canonical_line,
    event_hash,
    format_timestamp,
    seal,
    verify_chain,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit-trail.md"

FIXED_EVENT = {
    "seq": 1,
    "occurred_at": "2024-05-14T09:32:05.123456Z",
    "actor": "siân.jones@kent.gov.uk",
    "actor_role": "procurement_officer",
    "action": "procurement.stage_changed",
    "object_type": "procurement",
    "object_id": "33",
    "procurement_ref": "KCC-22/00033",
    "lot": None,
    "before": {"stage": "evaluation"},
    "after": {"stage": "award"},
    "reason": "Moderation complete; scores agreed",
    "ip": "10.1.2.3",
    "prev_hash": GENESIS_HASH,
}
FIXED_HASH = "63825ca4b415030120b028e4109da6b85b6d367347d916979f9996ef3fcafdd5"


def make_event(seq: int, **changes) -> dict:
    event = {
        "seq": seq,
        "occurred_at": f"2024-05-14T09:{seq % 60:02d}:00.000000Z",
        "actor": "jo.bloggs@kent.gov.uk",
        "actor_role": "evaluator",
        "action": "score.recorded",
        "object_type": "score",
        "object_id": str(100 + seq),
        "procurement_ref": "KCC-22/00033",
        "lot": 1,
        "before": {"score": "3"},
        "after": {"score": "4", "comment": "clearer method statement"},
        "reason": "Moderation meeting",
        "ip": "10.0.0.7",
    }
    event.update(changes)
    return event


def make_chain(n: int) -> list[dict]:
    chain, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        sealed = seal(make_event(seq), prev)
        chain.append(sealed)
        prev = sealed["hash"]
    return chain


# --- canonical form and known answers ---------------------------------------


def test_known_answer_hash_matches_independent_computation():
    independent = json.dumps(FIXED_EVENT, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert canonical_json(FIXED_EVENT) == independent.encode("utf-8")
    assert hashlib.sha256(independent.encode("utf-8")).hexdigest() == FIXED_HASH
    assert event_hash(FIXED_EVENT) == FIXED_HASH
    # the stored hash itself is never part of what is hashed
    assert event_hash({**FIXED_EVENT, "hash": "f" * 64}) == FIXED_HASH


def test_canonical_form_details():
    body = canonical_json(FIXED_EVENT)
    assert body.startswith(b'{"action":"procurement.stage_changed","actor":"si\xc3\xa2n.jones')
    assert b" " not in body.replace(b"Moderation complete; scores agreed", b"")
    assert not body.endswith(b"\n")
    assert b'"prev_hash":"' + GENESIS_HASH.encode() in body


def test_docs_worked_example_is_correct():
    text = DOCS.read_text(encoding="utf-8")
    block = text.split("```jsonl\n", 1)[1].split("```", 1)[0]
    events = [json.loads(line) for line in block.splitlines()]
    assert events[0]["hash"] == FIXED_HASH
    assert {k: v for k, v in events[0].items() if k != "hash"} == FIXED_EVENT
    assert verify_chain(events).ok
    assert [canonical_line(e) for e in events] == block.splitlines()
    for event in events:
        assert event["hash"] in text


def test_values_are_normalised_or_refused():
    moment = dt.datetime(2024, 5, 14, 10, 32, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    event = make_event(1, occurred_at=moment, after={"value": decimal.Decimal("1250000.00"), "due": dt.date(2024, 6, 1)})
    text = canonical_json(event).decode()
    assert '"occurred_at":"2024-05-14T09:32:05.000000Z"' in text
    assert '"value":"1250000.00"' in text and '"due":"2024-06-01"' in text
    assert format_timestamp(dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)) == "2024-01-02T03:04:05.000006Z"
    for bad in (1.5, 2**53, dt.datetime(2024, 1, 1), object(), "\ud800", {1: "x"}):
        with pytest.raises(ValueError):
            canonical_json(make_event(1, after={"x": bad}))


def test_del_character_is_escaped_like_jq():
    assert b'"reason":"a\\u007fb\\u0001\\n"' in canonical_json(make_event(1, reason="a\x7fb\x01\n"))


# --- verification -----------------------------------------------------------


def test_intact_chain_verifies_and_reports_head():
    chain = make_chain(10)
    result = verify_chain(iter(chain))
    assert result.ok and result.problem is None and result.first_broken_seq is None
    assert (result.count, result.first_seq, result.last_seq) == (10, 1, 10)
    assert result.head_hash == chain[-1]["hash"]
    assert "Passed" in result.summary()


def test_empty_trail_is_intact_with_genesis_head():
    result = verify_chain([])
    assert result.ok and result.count == 0 and result.head_hash == GENESIS_HASH


@pytest.mark.parametrize("field", EVENT_FIELDS)
def test_tampering_any_field_breaks_the_chain_at_that_event(field):
    chain = make_chain(6)
    original = chain[3][field]
    if field == "seq":
        tampered = 9
    elif isinstance(original, str):
        tampered = original[:-1] + ("0" if original[-1] != "0" else "1")
    elif isinstance(original, int):
        tampered = original + 1
    elif isinstance(original, dict):
        tampered = {**original, "score": "5"}
    else:
        tampered = "x"
    chain[3][field] = tampered
    result = verify_chain(chain)
    assert not result.ok
    assert result.first_broken_seq == 4, result.problem
    assert result.count == 6  # counting goes on after the first problem


def test_altered_event_message():
    chain = make_chain(5)
    chain[2]["reason"] = "Changed after the event"
    result = verify_chain(chain)
    assert result.problem == "Event 3 has been altered: its stored hash does not match its content."


def test_resealed_alteration_is_caught_by_the_next_link():
    chain = make_chain(5)
    chain[2] = seal({**chain[2], "after": {"score": "5"}}, chain[2]["prev_hash"])
    result = verify_chain(chain)
    assert result.first_broken_seq == 4
    assert result.problem == "Event 4 does not follow event 3: its previous-hash link is broken."


def test_deleted_middle_event_is_reported_as_missing():
    chain = make_chain(6)
    del chain[2]
    result = verify_chain(chain)
    assert not result.ok and result.first_broken_seq == 3
    assert result.problem == "Event 3 is missing: the sequence jumps from 2 to 4."
    del chain[2]
    assert verify_chain(chain).problem == "Events 3 to 4 are missing: the sequence jumps from 2 to 5."


def test_deleted_last_events_change_the_head_hash():
    chain = make_chain(6)
    assert verify_chain(chain[:4]).head_hash != verify_chain(chain).head_hash


def test_reordering_is_reported():
    chain = make_chain(6)
    chain[2], chain[3] = chain[3], chain[2]
    result = verify_chain(chain)
    assert not result.ok and result.first_broken_seq == 3
    assert result.problem == "Event 3 is out of order: it appears after event 4 instead of before it."
    chain = make_chain(6)
    chain.append(chain[1])
    assert verify_chain(chain).problem == "Event 2 is out of order: it appears after event 6."
    chain = make_chain(4)
    chain.insert(2, chain[1])
    assert verify_chain(chain).problem == "Event 2 appears twice in a row."


def test_missing_start_and_false_genesis():
    chain = make_chain(5)
    assert verify_chain(chain[2:]).problem == "Events 1 to 2 are missing: the trail starts at event 3."
    assert verify_chain(chain[2:], partial=True).ok
    forged = [seal(make_event(1), "1" * 64)]
    assert verify_chain(forged).problem == (
        "Event 1 does not start the chain: its previous-hash should be 64 zeros."
    )


def test_extract_allows_gaps_but_still_checks_content_and_links():
    chain = make_chain(8)
    extract = [chain[0], chain[1], chain[4], chain[5], chain[7]]
    assert not verify_chain(extract).ok
    result = verify_chain(extract, partial=True)
    assert result.ok and result.partial and result.count == 5
    assert "extract" in result.summary()
    extract[3] = {**extract[3], "prev_hash": "a" * 64}
    assert verify_chain(extract, partial=True).first_broken_seq == 6


def test_malformed_events_are_reported_not_raised():
    chain = make_chain(3)
    chain[1]["after"] = {"score": 1.5}
    assert verify_chain(chain).problem.startswith("Event 2 cannot be checked:")
    chain = make_chain(3)
    del chain[1]["ip"]
    assert verify_chain(chain).problem == "Event 2 is incomplete: it lacks the field(s) ip."
    chain = make_chain(3)
    chain[1]["seq"] = "2"
    result = verify_chain(chain)
    assert not result.ok and result.first_broken_seq == 2


def test_watch_verifies_while_streaming():
    verifier = ChainVerifier()
    passed = list(verifier.watch(iter(make_chain(4))))
    assert len(passed) == 4 and verifier.result().ok


# --- properties ---------------------------------------------------------------

json_text = st.text(max_size=20)
json_leaf = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | json_text
json_object = st.dictionaries(json_text, st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3)
                                                         | st.dictionaries(json_text, inner, max_size=3),
                                                         max_leaves=8), max_size=4)
event_content = st.fixed_dictionaries({
    "occurred_at": st.datetimes(timezones=st.just(dt.timezone.utc)).map(format_timestamp),
    "actor": json_text,
    "actor_role": json_text,
    "action": json_text,
    "object_type": json_text,
    "object_id": json_text,
    "procurement_ref": st.none() | json_text,
    "lot": st.none() | st.integers(1, 99),
    "before": st.none() | json_object,
    "after": st.none() | json_object,
    "reason": st.none() | json_text,
    "ip": st.none() | json_text,
})


def build(contents: list[dict]) -> list[dict]:
    chain, prev = [], GENESIS_HASH
    for seq, content in enumerate(contents, start=1):
        sealed = seal({"seq": seq, **content}, prev)
        chain.append(sealed)
        prev = sealed["hash"]
    return chain


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event_content, min_size=1, max_size=8))
def test_any_chain_built_with_seal_verifies(contents):
    chain = build(contents)
    result = verify_chain(chain)
    assert result.ok, result.problem
    assert result.count == len(chain) and result.head_hash == chain[-1]["hash"]
    # and the JSONL line form round-trips to the same hashes
    assert verify_chain(json.loads(canonical_line(e)) for e in chain).ok


TEXT_FIELDS = ("occurred_at", "actor", "actor_role", "action", "object_type", "object_id", "prev_hash", "hash")


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event_content, min_size=1, max_size=6), st.data())
def test_any_single_character_change_is_detected(contents, data):
    chain = build(contents)
    index = data.draw(st.integers(0, len(chain) - 1))
    field = data.draw(st.sampled_from(TEXT_FIELDS))
    original = chain[index][field]
    if not original:
        chain[index][field] = "x"
    else:
        position = data.draw(st.integers(0, len(original) - 1))
        replacement = data.draw(st.characters(codec="ascii").filter(lambda c: c != original[position]))
        chain[index][field] = original[:position] + replacement + original[position + 1:]
    result = verify_chain(chain)
    assert not result.ok
    assert result.first_broken_seq == index + 1


# --- jq reproduces the canonical form --------------------------------------

TRICKY = [
    "plain", "siân", "Łukasz Żółć", "日本語", "emoji 😀 and 𝄞", "quote \" and backslash \\", "slash /",
    "controls \x00\x01\x08\x09\x0a\x0c\x0d\x1f", "del \x7f", "line sep \u2028 para \u2029", "bom \ufeff",
    "=SUM(A1)", "",
]


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event_content, min_size=1, max_size=5))
def test_jq_reproduces_the_canonical_form_and_hashes(contents):
    chain = build(contents)
    tricky = build([{**contents[0], "reason": t, "after": {t: t, "Z": -(2**53) + 1, "a": [t, 2**53 - 1]}}
                    for t in TRICKY])
    for events in (chain, tricky):
        lines = "".join(canonical_line(e) + "\n" for e in events).encode("utf-8")
        out = subprocess.run(["jq", "-cS", "del(.hash)"], input=lines, capture_output=True, check=True).stdout
        assert out.split(b"\n")[:-1] == [canonical_json(e) for e in events]
        # and `jq -cS .` leaves the exported line itself unchanged
        same = subprocess.run(["jq", "-cS", "."], input=lines, capture_output=True, check=True).stdout
        assert same == lines
