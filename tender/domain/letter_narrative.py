"""The drafted narrative of a letter, in plain English, composed from the recorded scores.

An award decision letter (PCR 2015 reg. 86(2)) gives the characteristics and
relative advantages of the winning tender, the recipient's score and the
winner's; an assessment summary (Procurement Act 2023 s.50) explains each
score. The panel's moderated rationales are internal notes, written for the
panel ("Panel agreed 3 for Q1.1: Kent Wellbeing Alliance CIC's response ..."),
so the draft never copies one into another supplier's letter:

* the relative advantages are composed from the recorded scores, the marks
  and the published scale's descriptors (:func:`advantage`), never from the
  winner's rationale;
* a recipient reads only its *own* rationale, put in its own words
  (:func:`own_words`): the panel's bookkeeping ("Panel agreed 3 for Q1.1:")
  taken off, its own name written as "your tender", and every sentence that
  names another tenderer left out. The winner's name appears only where
  reg. 86 needs it (the decision itself), outside the narrative's sentences
  about other tenders.

The officer edits the draft before sending. Pure: no database, no Flask, no clock.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterable

from tender.domain import numbers

# A note's bookkeeping before its substance: "Panel agreed 3 for Q1.1:", "Moderated score 2 -", "Q1.1:", "Score 3:".
_INTERNAL = re.compile(
    r"^\s*(?:(?:the\s+)?(?:panel|moderat\w*|consensus|evaluators?|agreed|moderator\w*)\b(?:[^:\n.]|\.(?=\d)){0,80}"
    r"|(?:Q|question\s*)\d[\w.]*|score\s*\d[\d.]*)\s*(?::|\s[-\u2013\u2014])\s*",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _name_pattern(name: str, possessive: bool) -> re.Pattern:
    suffix = r"(?:'s|\u2019s|'|\u2019)" if possessive else ""
    return re.compile(rf"(?<!\w){re.escape(name.strip())}{suffix}(?!\w)", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    flat = " ".join((text or "").split())
    return [s for s in _SENTENCE_END.split(flat) if s.strip()]


def _strip_internal(sentence: str) -> str:
    previous = None
    while previous != sentence:
        previous, sentence = sentence, _INTERNAL.sub("", sentence, count=1)
    return sentence.strip()


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:] if sentence else sentence


def names_in(text: str, names: Iterable[str]) -> list[str]:
    """Which of ``names`` the text mentions (whole words, any case)."""
    return [name for name in names if name and name.strip() and _name_pattern(name, False).search(text or "")]


def _names_other_than(sentence: str, own: str, others: list[str]) -> bool:
    """Whether the sentence names another tenderer, not counting a name only inside the tenderer's own.

    ("Kent" is not named in "Kent CIC's response" when the letter is Kent CIC's;
    "Kent CIC" is named in it when the letter is Kent's.)
    """
    own_spans = [m.span() for m in _name_pattern(own, False).finditer(sentence)] if own.strip() else []
    for name in others:
        for match in _name_pattern(name, False).finditer(sentence):
            start, end = match.span()
            if not any(a <= start and end <= b for a, b in own_spans):
                return True
    return False


def own_words(text: str | None, own: str, others: Iterable[str] = (), *, capitalise: bool = True,
              called: str = "your tender") -> str:
    """A tenderer's own rationale as its letter may state it: no internal bookkeeping, no other tenderer.

    Drops the panel's prefix ("Panel agreed 3 for Q1.1:"), writes the
    tenderer's own name as "your tender" ("Shaw Trust's response" becomes
    "your response"), and leaves out every sentence naming another tenderer
    in ``others`` (the winner included: what the winner offered is told from
    the scores, not from notes). Empty when nothing is left. ``called`` is
    what the own name becomes ("your organisation" in a selection notice).
    """
    own = (own or "").strip()
    others = sorted({o.strip() for o in others if o and o.strip() and o.strip().lower() != own.lower()},
                    key=len, reverse=True)
    kept = []
    for sentence in _sentences(text or ""):
        sentence = _strip_internal(sentence)
        if not sentence or _names_other_than(sentence, own, others):
            continue
        if own:
            sentence = _name_pattern(own, True).sub("your", sentence)
            sentence = _name_pattern(own, False).sub(called, sentence)
        sentence = _capitalised(sentence) if capitalise or kept else sentence
        kept.append(sentence if sentence[-1] in ".!?" else f"{sentence}.")
    return " ".join(kept)


def _descriptor(scale, score: str | None) -> str | None:
    if scale is None or score is None:
        return None
    wanted = numbers.plain(score)
    return next((text for value, text in scale.points if numbers.plain(value) == wanted), None)


def _points(diff: Decimal) -> str:
    return f"{numbers.plain(diff)} point{'' if diff == 1 else 's'}"


def advantage(score: str | None, winner_score: str | None, earned: str | None, winner_earned: str | None,
              scale=None) -> str:
    """The relative advantage of the winning tender on one question, from the scores alone ("" if none).

    Says how far the winning tender's score was above the recipient's, the
    marks that gap was worth, and, when the scale is known
    (``tender.domain.letter_contents.ScaleFacts``), what each score means on it.
    """
    try:
        mine, theirs = Decimal(score), Decimal(winner_score)
    except (TypeError, ArithmeticError):
        return ""
    if theirs <= mine:
        return ""
    text = f"The winning tender's answer was scored {_points(theirs - mine)} higher"
    if scale is not None and scale.points:
        text += f" on the {scale.range_text} scale"
    if earned is not None and winner_earned is not None:
        text += f", worth {numbers.fixed(Decimal(winner_earned) - Decimal(earned))} more marks"
    theirs_means, mine_means = _descriptor(scale, winner_score), _descriptor(scale, score)
    if theirs_means and mine_means:
        text += f": {numbers.plain(theirs)} means \u201c{theirs_means}\u201d, {numbers.plain(mine)} means \u201c{mine_means}\u201d"
    return f"{text}."


def _score_phrase(score: str | None, earned: str | None, marks: str) -> str:
    phrase = f"scored {numbers.plain(score)}" if score is not None else "was not scored"
    return phrase + (f" ({numbers.fixed(earned)} of {marks} marks)" if earned is not None else "")


def _label(line) -> str:
    return f"{line.id} {line.title}" if any(ch.isdigit() for ch in line.id) else line.title


def _number(value: str | None) -> Decimal:
    try:
        return Decimal(value) if value is not None else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def _successful(facts, questions) -> str:
    best = [line for line in questions if line.score is not None]
    best.sort(key=lambda line: -_number(line.earned))
    points = []
    for line in best[:4]:
        point = f"- {_label(line)}: your tender {_score_phrase(line.score, line.earned, line.marks)}."
        points.append(f"{point} {line.explanation}" if line.explanation else point)
    text = (f"Your tender was the most advantageous tender, with {numbers.fixed(facts.total)} marks out of 100. "
            "These were its strongest answers:")
    return "\n".join([text, *points]) if points else text.rstrip(":") + "."


def _price_sentence(facts) -> str:
    if facts.price_score is None or facts.winner_price_score is None:
        return ""
    mine, theirs = _number(facts.price_score), _number(facts.winner_price_score)
    out_of = f" out of {numbers.fixed(facts.price_weight)}" if facts.price_weight else ""
    if theirs == mine:
        return f"On price, both tenders earned {numbers.fixed(mine)} marks{out_of}."
    comparison = "more" if theirs > mine else "fewer"
    return (f"On price, the winning tender earned {numbers.fixed(theirs)} marks{out_of}, {comparison} than your "
            f"{numbers.fixed(mine)}.")


def _unsuccessful(facts, questions) -> str:
    ahead = [line for line in questions if _number(line.winner_score) > _number(line.score)]
    behind = [line for line in questions if _number(line.winner_score) < _number(line.score)]
    level = [line for line in questions if line.score is not None and _number(line.winner_score) == _number(line.score)]
    parts = ["We compared your tender with the winning tender question by question, using the scores the panel "
             "agreed and the published scoring scale."]
    if ahead:
        parts.append("The winning tender scored higher than yours on these questions:")
        for line in ahead:
            item = (f"- {_label(line)}: the winning tender {_score_phrase(line.winner_score, line.winner_earned, line.marks)}"
                    f" and yours {_score_phrase(line.score, line.earned, line.marks)}. {line.advantage}")
            if line.explanation:
                item += f" The panel's reasons for your score: {line.explanation}"
            parts.append(item.rstrip())
    else:
        parts.append("The winning tender did not score higher than yours on any question.")
    if behind:
        parts.append("Your tender scored higher than the winning tender on "
                     + "; ".join(f"{_label(line)} ({numbers.plain(line.score)} against "
                                 f"{numbers.plain(line.winner_score)})" for line in behind) + ".")
    if level:
        parts.append("Both tenders scored the same on " + "; ".join(
            f"{_label(line)} ({numbers.plain(line.score)})" for line in level) + ".")
    price = _price_sentence(facts)
    if price:
        parts.append(price)
    parts.append(f"In total the winning tender scored {numbers.fixed(facts.winner_total)} and yours "
                 f"{numbers.fixed(facts.total)}, so yours was not the most advantageous tender.")
    return "\n".join(parts)


def draft_narrative(facts) -> str:
    """The first draft of the part the officer edits, for one tenderer (``tender.domain.letters.LetterFacts``).

    For the winner: its strongest answers, with its own rationales. For an
    excluded tender: its own exclusion reasons. For the others: per question
    the two scores and marks, and where the winning tender was ahead, by how
    much and what each score means on the scale, with the panel's reasons for
    the recipient's own score; then price and the totals. Nothing of another
    tenderer's rationale, and no other tenderer's name but the winner's.
    """
    others = getattr(facts, "others", ())
    if facts.winner is None:
        reason = own_words(facts.no_award_reason, facts.supplier, others) or "not recorded."
        return f"No contract is being awarded for lot {facts.lot_number}. The reason: {reason}"
    questions = [line for line in facts.lines if line.question and not line.pass_fail]
    if facts.successful:
        return _successful(facts, questions)
    if facts.excluded:
        reasons = own_words("; ".join(facts.reasons), facts.supplier, others, capitalise=False).rstrip(".")
        return (f"Your tender could not be considered further because {reasons or 'it did not meet the requirements'}."
                f" The winning tender met every requirement and scored {numbers.fixed(facts.winner_total)} in total.")
    return _unsuccessful(facts, questions)
