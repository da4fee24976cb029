"""The demo's tenders as their suppliers submitted them: short answers and a document or two (issue 18, part 7).

Each tender goes through the supplier's own services (``tender.services.
submissions``: draft, answers, documents, price, submit) at the moment it was
received, by ``clock.moment``, so its deadline is checked as it was then; the
officer then opens the tender box after the deadline. Evaluators read these
answers beside the questions they score. The answers and documents are
illustrative: short, and within the evaluation model's limits.
"""
from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

from tender.demo_pdf import one_page_pdf
from tender.models import User
from tender.models.submission import SQ_ROUND
from tender.services import clock
from tender.services.storage import Upload
from tender.services.submissions import drafting, submitting, tender_box

#: What each bidder offers, in a few facts its answers draw on.
OFFERS = {
    "Porchlight": {
        "hubs": "drop-in hubs in each town centre, open until 8pm twice a week",
        "wait": "first contact within 2 working days and a wellbeing plan within 10",
        "partners": "the GP federations, Kent and Medway NHS and Social Care Partnership Trust and 40 local charities",
        "staff": "a practice supervisor for every 8 workers and monthly reflective practice",
        "peer": "12 paid peer-support roles for people with lived experience",
        "community": "a small-grants fund of £60,000 a year for community groups",
    },
    "Shaw Trust": {
        "hubs": "a single front door by phone, web chat and text, with outreach workers in each district",
        "wait": "triage on the day of referral and a first appointment within 5 working days",
        "partners": "primary care networks and the NHS talking-therapies service, with shared referral forms",
        "staff": "a national training academy and clinical supervision by registered practitioners",
        "peer": "employment advisers embedded in every team and 8 apprenticeships a year",
        "community": "quarterly wellbeing events in libraries and leisure centres",
    },
    "Kent Wellbeing Alliance CIC": {
        "hubs": "a partnership of 9 local charities, each the host of a neighbourhood hub",
        "wait": "a welcome call within 3 working days from the hub nearest the person",
        "partners": "social prescribers in every primary care network and the county's housing teams",
        "staff": "shared supervision across the partners and a joint training calendar",
        "peer": "15 lived-experience roles, recruited from the people the service has supported",
        "community": "walking groups, allotments and men's sheds run with local volunteers",
    },
}

ANSWERS = {
    "C1": "Registered with the Care Quality Commission for the regulated activities the service needs, "
          "with no conditions on our registration.",
    "C2": "We accept the contract terms and the TUPE arrangements set out in the tender documents.",
    "Q1.1": "We offer {hubs}. People get {wait}, and a named worker stays with them until their goals are met.",
    "Q1.2": "We work with {partners}. Referrals come in one form and people are never sent back to their GP "
            "to be referred again.",
    "Q2.1": "We recruit locally and keep staff through {staff}. Our staff turnover last year was below 15%.",
    "Q2.2": "A monthly clinical governance meeting reviews incidents, complaints and outcomes; lessons are shared "
            "with every team within two weeks.",
    "Q3": "Every worker completes safeguarding training at level 2 or above. Named safeguarding leads in each "
          "area escalate concerns to the local authority the same day.",
    "Q4": "A 12-week mobilisation plan, agreed with the current provider, transfers staff and open cases without a "
          "gap in support.",
    "SV1": "We will create {peer} in {area}.",
    "SV2": "We will run {community}, open to anyone in {area}.",
}


#: Each candidate's selection questionnaire answers (``scoring_rules/selection_questionnaire.yaml``).
CONTRACTS = {
    "Porchlight": "Live Well Kent (2016-2023), Kent homelessness prevention and a Medway crisis café",
    "Shaw Trust": "community wellbeing services in three English counties and NHS employment support",
    "Kent Wellbeing Alliance CIC": "Kent social prescribing pilots and two district wellbeing services",
    "Medway Community Minds Partnership": "Medway peer-support groups and a school wellbeing programme",
}
SQ_ANSWERS = {
    "EX1": "None of the mandatory exclusion grounds applies to {name} or to any of its directors or trustees.",
    "EX2": "None of the discretionary exclusion grounds applies. We have had no contract terminated early.",
    "EF1": "Our last two years' audited accounts show a current ratio above 1.2 and turnover above twice the "
           "annual contract value.",
    "EF2": "We hold employer's liability of £10m, public liability of £5m and professional indemnity of £5m.",
    "TP1": "Three contracts in the last five years: {contracts}. Each met its outcome targets; references "
           "are named in our response.",
    "TP2": "Our quality system follows ISO 9001 principles; a clinical governance group meets monthly and reports "
           "to the board.",
    "TP3": "Our health and safety policy is reviewed each year; lone-working procedures protect staff in the "
           "community, and we report our carbon footprint annually.",
}


def sq_answers_for(name: str) -> dict[str, str]:
    """A candidate's answer to every question of the selection questionnaire."""
    facts = {"name": name, "contracts": CONTRACTS.get(name, "community wellbeing services in Kent")}
    return {question: text.format(**facts) for question, text in SQ_ANSWERS.items()}


def submit_sq_response(person: User, name: str, procurement_id: int, received_at: datetime, *,
                       import_mode: bool) -> None:
    """One candidate's selection questionnaire response, through the supplier's services, when it was received."""
    with clock.moment(received_at):
        submission = drafting.open_draft(person, procurement_id, SQ_ROUND, 0, import_mode=import_mode)
        drafting.save_answers(person, submission.id, sq_answers_for(name), import_mode=import_mode)
        submitting.submit(person, submission.id, import_mode=import_mode)


def answers_for(bidder: str, area: str) -> dict[str, str]:
    """The bidder's answer to every question of the demo's evaluation model, for one lot's area."""
    facts = {**OFFERS[bidder], "area": area}
    return {question: text.format(**facts) for question, text in ANSWERS.items()}


def documents_for(bidder: str, lot_number: int, area: str) -> list[tuple[str, str, bytes]]:
    """(question, file name, PDF bytes): a method statement for the lot; the first bidder also attaches its CQC
    certificate (the same file on every lot, so the storage keeps it once)."""
    facts = OFFERS[bidder]
    statement = one_page_pdf(f"{bidder}: method statement, lot {lot_number}", [
        area, f"Model of care: {facts['hubs']}.", f"Access: {facts['wait']}.",
        f"Working with others: {facts['partners']}.", "Illustrative document created by the Tender demo."])
    certificate = one_page_pdf(f"{bidder}: Care Quality Commission registration", [
        "Certificate of registration (illustrative).", "Regulated activity: treatment of disease, disorder or injury."])
    documents = [("Q1.1", f"method-statement-lot-{lot_number}.pdf", statement)]
    if bidder == next(iter(OFFERS)):
        documents.append(("C1", "cqc-registration.pdf", certificate))
    return documents


def submit_tender(person: User, bidder: str, procurement_id: int, round_name: str, lot_number: int, area: str,
                  price: Decimal, received_at: datetime, *, import_mode: bool) -> None:
    """One supplier's tender for one lot, through the supplier's services, at the moment it was received."""
    with clock.moment(received_at):
        submission = drafting.open_draft(person, procurement_id, round_name, lot_number, import_mode=import_mode)
        drafting.save_answers(person, submission.id, answers_for(bidder, area), import_mode=import_mode)
        for question, name, data in documents_for(bidder, lot_number, area):
            drafting.attach(person, submission.id, Upload(io.BytesIO(data), name), question_id=question,
                            import_mode=import_mode)
        drafting.save_price(person, submission.id, str(price), import_mode=import_mode)
        submitting.submit(person, submission.id, import_mode=import_mode)


def open_box(officer: User, procurement_id: int, round_name: str, at: datetime) -> None:
    """The officer opens the round's tender box, after its deadline."""
    with clock.moment(at):
        tender_box.open_box(officer, procurement_id, round_name)
