"""The fast path from stored rows gives exactly the canonical form, verdicts and export bytes of the general one."""
from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tender.audit_export.csv_jsonl import StoredRowWriter, write_csv, write_jsonl
from tender.domain.audit_chain import GENESIS_HASH, canonical_json, compact_json, seal, verify_chain
from tender.domain.audit_consistency import BundleConsistency
from tender.domain.audit_rows import STORED_COLUMNS, RowVerifier, canonical_parts, record_from_row, row_hash
from tender.models.audit import RECORD_COLUMNS

TRICKY = ["plain", "siân.jones@kent.gov.uk", "=HYPERLINK(\"x\")", "-5", "@me", "\ttab", "line\nbreak", "a,b",
          "quote \" inside", "del \x7f char", "\u2028 separator", "", "\\back\\slash", "nul \x00 byte"]


def stored(event: dict) -> tuple:
    """The event as the database holds it: before/after as canonical JSON text."""
    row = dict(event)
    for name in ("before", "after"):
        if row[name] is not None:
            row[name] = compact_json(row[name])
    return tuple(row[name] for name in STORED_COLUMNS)


def chain(payloads: list[dict]) -> list[dict]:
    events, prev = [], GENESIS_HASH
    for seq, payload in enumerate(payloads, start=1):
        event = {"seq": seq, "occurred_at": "2024-05-14T09:32:05.123456Z", "actor": "jo@kent.gov.uk",
                 "actor_role": "evaluator", "action": "score.saved", "object_type": "score", "object_id": str(seq),
                 "procurement_ref": "KCC-22/00033", "lot": 1, "before": None, "after": {"score": "3"},
                 "reason": None, "ip": None, **payload}
        event = seal(event, prev)
        prev = event["hash"]
        events.append(event)
    return events


def test_the_stored_row_columns_are_the_models_record_columns():
    assert STORED_COLUMNS == RECORD_COLUMNS


@pytest.mark.parametrize("value", TRICKY)
def test_the_fast_canonical_form_is_the_canonical_form_or_declines(value):
    event = chain([{"actor": value, "reason": value, "after": {"note": value, "list": [1, value, None]}}])[0]
    parts = canonical_parts(stored(event))
    if "\x7f" in value:
        assert parts is None  # DEL needs the general path's escaping
    else:
        assert (parts[0] + parts[1]).encode("utf-8") == canonical_json(event)
        assert row_hash(parts) == event["hash"]


@pytest.mark.parametrize("text", ['{"b":1,"a":2}', '{"a": 1}', '{"a":1.5}', '{"a":12345678901234567890}', "NaN", "nope"])
def test_stored_json_that_is_not_canonical_takes_the_general_path(text):
    row = list(stored(chain([{}])[0]))
    row[10] = text
    assert canonical_parts(row) is None


text_values = st.one_of(st.none(), st.text(max_size=12))
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-2**53 + 1, 2**53 - 1), st.text(max_size=8)),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=8)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({"actor": st.text(max_size=12), "reason": text_values, "ip": text_values,
                                       "lot": st.one_of(st.none(), st.integers(-5, 5)),
                                       "before": st.one_of(st.none(), json_values),
                                       "after": st.one_of(st.none(), json_values)}), min_size=1, max_size=4))
def test_rows_give_the_same_verdict_csv_and_jsonl_as_decoded_events(payloads):
    events = chain(payloads)
    rows = [stored(e) for e in events]
    verifier = RowVerifier(head=(len(rows), events[-1]["hash"]))
    csv_out, jsonl_out = io.StringIO(), io.StringIO()
    csv_writer, jsonl_writer = StoredRowWriter(csv_out, "csv"), StoredRowWriter(jsonl_out, "jsonl")
    for row in rows:
        parts = verifier.feed_row(row)
        csv_writer(row, parts)
        jsonl_writer(row, parts)
    csv_writer.flush()
    jsonl_writer.flush()
    assert verifier.result().ok and verifier.result() == verify_chain(events, head=(len(rows), events[-1]["hash"]))
    expected_csv, expected_jsonl = io.StringIO(), io.StringIO()
    write_csv([record_from_row(r) for r in rows], expected_csv)
    write_jsonl(events, expected_jsonl)
    assert csv_out.getvalue() == expected_csv.getvalue()
    assert jsonl_out.getvalue() == expected_jsonl.getvalue()


def test_an_altered_row_is_reported_as_altered_by_the_fast_path():
    events = chain([{}, {}, {}])
    rows = [list(stored(e)) for e in events]
    rows[1][11] = "changed afterwards"
    verifier = RowVerifier()
    for row in rows:
        verifier.feed_row(row)
    result = verifier.result()
    assert result.first_broken_seq == 2 and "altered" in result.problem


def test_the_head_fixes_the_end_and_rows_beyond_it_are_intruders():
    events = chain([{}, {}, {}, {}])
    head = (3, events[2]["hash"])
    assert verify_chain(events[:3], head=head).ok
    result = verify_chain(events, head=head)
    assert not result.ok and result.intruders == (4,) and result.first_broken_seq is None
    short = verify_chain(events[:2], head=head)
    assert short.first_broken_seq == 3
    assert short.problem == ("Event 3 is missing from the end of the trail: it ends at event 2, "
                             "but the chain's recorded head is event 3.")
    assert verify_chain([], head=(0, GENESIS_HASH)).ok


def test_a_skipped_number_is_an_intruder_and_the_chain_links_across_it():
    genuine = chain([{}, {}, {}])
    intruder = dict(genuine[1], seq=2, actor="mallory")
    moved = [genuine[0], intruder] + [dict(e, seq=e["seq"] + 1) for e in genuine[1:]]
    # re-seal the genuine events at their new numbers, linking 3 to 1 as Tender does after skipping 2
    prev, resealed = GENESIS_HASH, []
    for event in moved:
        if event["actor"] == "mallory":
            resealed.append(event)
            continue
        event = seal(event, prev)
        prev = event["hash"]
        resealed.append(event)
    result = verify_chain(resealed, skipped={2}, head=(4, prev))
    assert result.intruders == (2,) and result.first_broken_seq is None and result.count == 3
    assert "Event 2 was not written by Tender" in result.summary()


def test_a_bundle_is_consistent_only_if_its_events_and_head_are_unchanged():
    bundle = [(1, "a" * 64), (2, "b" * 64), (3, "c" * 64)]
    same = BundleConsistency(iter(bundle), (3, "c" * 64))
    for seq, digest in bundle + [(4, "d" * 64)]:
        same.feed(seq, digest)
    assert same.result() == []
    rewritten = BundleConsistency(iter(bundle), (3, "c" * 64))
    for seq, digest in [(1, "a" * 64), (2, "x" * 64), (3, "y" * 64), (4, "z" * 64)]:
        rewritten.feed(seq, digest)
    problems = rewritten.result()
    assert [seq for seq, _ in problems] == [2, 3]
    assert problems[0][1].startswith("Event 2 is not the event exported in the bundle")
    shortened = BundleConsistency(iter(bundle), (3, "c" * 64))
    shortened.feed(1, "a" * 64)
    assert [seq for seq, _ in shortened.result()] == [2, 3]


def test_jsonl_lines_from_rows_keep_the_hash_out_of_the_hashed_text():
    event = chain([{"after": {"hash": "nested", "z": 1}}])[0]
    out = io.StringIO()
    writer = StoredRowWriter(out, "jsonl")
    row = stored(event)
    writer(row, canonical_parts(row))
    writer.flush()
    line = json.loads(out.getvalue())
    assert line["hash"] == event["hash"] and line["after"] == {"hash": "nested", "z": 1}


def _joined(events: list[dict]) -> tuple:
    """A run of events as the chunk query returns it: count, first, last, forms, hashes, links."""
    return (len(events), events[0]["seq"], events[-1]["seq"],
            "\n".join(canonical_json(e).decode("utf-8") for e in events),
            "\n".join(e["hash"] for e in events), "\n".join(e["prev_hash"] for e in events))


def test_a_chunk_is_accepted_only_where_feeding_its_rows_one_by_one_finds_nothing():
    from tender.domain.audit_rows import feed_chunk

    events = chain([{"reason": value} for value in TRICKY if "\x00" not in value] * 2)
    whole, by_rows = RowVerifier(head=(len(events), events[-1]["hash"])), RowVerifier(
        head=(len(events), events[-1]["hash"]))
    assert feed_chunk(whole, *_joined(events[:10])) == [e["hash"] for e in events[:10]]
    assert feed_chunk(whole, *_joined(events[10:])) is not None
    for event in events:
        by_rows.feed_row(stored(event))
    assert whole.result() == by_rows.result() and whole.result().ok
    fresh = lambda: RowVerifier(head=(len(events), events[-1]["hash"]))  # noqa: E731
    count, first, last, forms, hashes, links = _joined(events[:10])
    refused = {
        "not from the start": _joined(events[1:10]),
        "a gap": (9, 1, 10, *(("\n".join(x.split("\n")[:4] + x.split("\n")[5:])) for x in (forms, hashes, links))),
        "an altered form": (count, first, last, forms.replace("evaluator", "moderator", 1), hashes, links),
        "an uppercase hash": (count, first, last, forms, hashes.upper(), links),
        "a broken link": (count, first, last, forms, hashes, links.replace(links[70:134], "0" * 64)),
        "a newline too many": (count, first, last, forms + "\n", hashes, links),
        "a count that does not fit": (count + 1, first, last + 1, forms, hashes, links),
    }
    for why, chunk in refused.items():
        verifier = fresh()
        assert feed_chunk(verifier, *chunk) is None, why
        assert verifier.count == 0 and verifier._prev_seq is None, why  # nothing recorded: rows go one by one
    beyond = RowVerifier(head=(5, events[4]["hash"]))
    assert feed_chunk(beyond, *_joined(events[:10])) is None  # rows beyond the recorded head are intruders
    skipping = RowVerifier(skipped=[3], head=(len(events), events[-1]["hash"]))
    assert feed_chunk(skipping, *_joined(events[:10])) is None
