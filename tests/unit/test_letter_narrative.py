"""Drafted narratives in plain English: from the scores and the recipient's own notes, never another tenderer's."""
from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from tender.domain import letter_contents as contents
from tender.domain import letter_narrative as narrative
from tender.domain import letters
from tests.unit.test_letters import DECISION, row

SCALE = contents.ScaleFacts("uk_0_4", (("0", "Unacceptable"), ("1", "Poor"), ("2", "Acceptable - some minor gaps"),
                                       ("3", "Good"), ("4", "Excellent - exceeds the requirement")))
METHOD = contents.Methodology(scales={"Q1": SCALE, "Q2": SCALE})


def test_the_panels_bookkeeping_and_other_tenderers_are_taken_out_of_a_tenderers_own_notes():
    note = ("Panel agreed 3 for Q1.1: Kent Wellbeing Alliance CIC's response sets out a stepped model. "
            "It was weaker than Porchlight on reach. Kent Wellbeing Alliance CIC names its GP partners")
    assert narrative.own_words(note, "Kent Wellbeing Alliance CIC", ["Porchlight", "Shaw Trust"]) == (
        "Your response sets out a stepped model. Your tender names its GP partners.")
    assert narrative.own_words("Moderated score 2 - clear plan.", "X Ltd") == "Clear plan."
    # a name inside the recipient's own is not another tenderer's; the longer name of another one is
    assert narrative.own_words("Kent CIC plans well.", "Kent CIC", ["Kent"]) == "Your tender plans well."
    assert narrative.own_words("Kent CIC plans well. Kent is local.", "Kent", ["Kent CIC"]) == "Your tender is local."
    assert narrative.own_words("", "X", ["Y"]) == ""


def test_the_relative_advantage_is_told_from_the_scores_and_the_published_scale():
    facts = letters.letter_facts(DECISION, 2, METHOD)
    q1 = next(line for line in facts.lines if line.id == "Q1")
    assert q1.advantage == ("The winning tender's answer was scored 2 points higher on the 0 to 4 scale, worth "
                            "10.00 more marks: 4 means “Excellent - exceeds the requirement”, 2 means “Acceptable "
                            "- some minor gaps”.")
    assert all(line.advantage == "" for line in letters.letter_facts(DECISION, 1, METHOD).lines)  # the winner's own


def test_a_losing_tenderer_reads_where_it_was_ahead_level_and_behind():
    decision = copy.deepcopy(DECISION)
    decision["ranking"][1]["scores"]["Q2"] = "4.00"
    text = letters.draft_narrative(letters.letter_facts(decision, 2, METHOD))
    assert "Your tender scored higher than the winning tender on Q2 Safeguarding (4 against 3)." in text
    assert "Porchlight" not in text and "Named safeguarding leads" not in text


NAME = st.from_regex(r"Zq[a-z]{2,6}( [A-Z][a-z]{2,6})?( CIC| Trust| Ltd)?", fullmatch=True)
WORDS = st.lists(st.sampled_from(["plan", "offers", "clear", "weekly", "access", "staff", "the", "strong", "gaps",
                                  "than", "with", "and", "model", "care", "local"]), min_size=1, max_size=8)


@st.composite
def decisions(draw):
    """A lot's recorded decision whose rationales are panel notes naming their own and other tenderers."""
    names = draw(st.lists(NAME, min_size=2, max_size=5, unique_by=str.lower))
    names = [n for n in names if not any(n != m and n.lower() in m.lower() for m in names)] or names[:1]
    if len(names) < 2:
        names.append("Zqother Trust")
    rows = []
    for index, name in enumerate(names):
        scores, notes = {}, {}
        for qid in ("Q1", "Q2"):
            score = draw(st.integers(0, 4))
            scores[qid] = f"{score}.00"
            mentioned = draw(st.sampled_from(names))
            words = " ".join(draw(WORDS))
            marker = f"mark{index}x{qid.lower()}"
            notes[qid] = draw(st.sampled_from([
                f"Panel agreed {score} for {qid}: {name}'s response {words} {marker}.",
                f"{name} {words} {marker}. Better than {mentioned} on {words} {marker}.",
                f"Consensus {score}: {words} {marker}; {mentioned}'s answer {words}.",
                f"{words} {marker}",
            ]))
        total = f"{80 - index * 5}.0000"
        rows.append(row(index + 1, name, index + 1, total, scores, notes, f"{30 - index}.00"))
    decision = copy.deepcopy(DECISION)
    decision["ranking"] = rows
    decision["recommended"] = {"supplier": names[0], "supplier_id": 1, "bid_id": 10}
    return decision


def _everything_drafted(facts) -> str:
    lines = " ".join(f"{line.explanation} {line.advantage}" for line in facts.lines)
    return f"{letters.draft_narrative(facts)} {lines}"


@settings(max_examples=150, deadline=None)
@given(decisions())
def test_no_letter_carries_another_tenderers_name_or_notes(decision):
    names = [r["supplier"] for r in decision["ranking"]]
    for index, name in enumerate(names):
        text = _everything_drafted(letters.letter_facts(decision, index + 1, METHOD))
        for other_index, other in enumerate(names):
            if other_index == index:
                continue
            assert other.lower() not in text.lower(), (name, other, text)
            assert f"mark{other_index}x" not in text, (name, other, text)  # none of its notes, verbatim or in part
        assert "Panel agreed" not in text and "Consensus" not in text
