"""A Procurement Act 2023 procurement from draft to the contract details notice (UK7), in headless Chromium.

The same walk as ``test_procurement_act_path.py`` (same data, same pretend days), but every step is
a page the browser opens and a form it fills and submits: set-up, the timetable, the notices' details,
the conflicts assessment, the UK4, shortlisting, the panel, scoring, moderation, price opening, the
abnormally low price, the revisit at award, approval, the assessment summaries, the UK6, standstill and
a challenge, the contract, the UK7. The app runs in a real HTTP server in a thread of this process, so
the test can move the pretend day (``app.config["TENDER_TODAY"]``) between steps, as the client walk
does. The database is only read, for ids and to check what was stored at the end.

Every document the browser loads is checked: no 4xx/5xx and no error summary, except where the walk
deliberately tries a refused step.
"""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tender.extensions import db
from tender.models import Bid, Milestone, Notice, Procurement, SQResponse, User
from tests.evaluation_support import sheet
from tests.helpers import PASSWORD, make_user
from tests.web.test_procurement_act_path import COUNCIL, MODEL, TIMETABLE

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect.set_options(timeout=15_000)
REFERENCE = "KCC-25/00101"


@pytest.fixture
def live_app(app):
    """The test's app served over real HTTP from a thread in this process (so TENDER_TODAY can move)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


class Person:
    """One user in their own browser context; records every document that came back 4xx/5xx."""

    def __init__(self, browser, base_url: str, email: str):
        self.context = browser.new_context(base_url=base_url, locale="en-GB", viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()
        self.failures: list[tuple[int, str]] = []
        self.page.on("response", self._record)
        self.page.goto("/login")
        self.page.get_by_label("E-mail address").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page.get_by_text(re.compile(r"^Logged in as "))).to_be_visible()
        self.clean()

    def _record(self, response) -> None:
        if response.request.resource_type == "document" and response.status >= 400:
            self.failures.append((response.status, response.url))

    def clean(self) -> None:
        """The page now shown is neither an HTTP error nor carries an error summary."""
        assert not self.failures, self.failures
        if self.page.locator(".govuk-error-summary").count():
            raise AssertionError(f"{self.page.url}: {self.page.locator('.govuk-error-summary').inner_text()}")

    def refused(self, *messages: str) -> None:
        """The page now shown is the deliberate refusal of a step: an error summary naming each message."""
        summary = self.page.locator(".govuk-error-summary")
        for message in messages:
            expect(summary).to_contain_text(message)
        assert self.failures and all(400 <= status < 500 for status, _ in self.failures), self.failures
        self.failures.clear()  # the refusal's 4xx was expected

    def go(self, path: str) -> None:
        """Open (or reload) a page by its address, as after a bookmark or the pretend day moving on."""
        self.page.goto(path)
        self.clean()

    def follow(self, start: str, *hops: str) -> None:
        """Open ``start``, then reach each of ``hops`` in turn by clicking a link to it on the page shown."""
        self.go(start)
        for hop in hops:
            link = self.page.locator(f'a[href="{hop}"], a[href^="{hop}#"], a[href^="{hop}?"]').first
            if not link.count():  # a dead end: say which links the page does offer
                hrefs = self.page.locator("main a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
                raise AssertionError(f"no link to {hop} on {self.page.url}; its links: {hrefs}")
            with self.page.expect_navigation():
                link.click()
            assert hop in self.page.url, (self.page.url, hop)
            self.clean()

    def submit(self, action: str | None, data: dict | None = None, button: str | None = None,
               refused: bool = False) -> None:
        """Fill the POST form to ``action`` (None: the one posting back to its page) and press its button."""
        selector = f'form[method="post"][action="{action}"]' if action else 'form[method="post"]:not([action])'
        form = self.page.locator(selector).first
        for name, value in (data or {}).items():
            fill(form, name, value)
        press = form.get_by_role("button", name=button, exact=True) if button else \
            form.locator("button:not([type=button]), input[type=submit]").first
        with self.page.expect_navigation():
            press.click()
        if not refused:
            self.clean()

    def confirm(self, question: str) -> None:
        """Say yes on the "Are you sure?" page an irreversible step shows first."""
        expect(self.page.locator("#confirm-question")).to_contain_text(question)
        with self.page.expect_navigation():
            self.page.locator("#confirm-yes").click()
        self.clean()

    def advance(self, label: str) -> None:
        """Press a stage's button on the procurement page and say yes on "Are you sure?"."""
        self.page.get_by_role("button", name=label, exact=True).click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(
            re.compile("^Are you sure you want to move the procurement to"))
        self.page.get_by_role("button", name=f"Yes, {label[0].lower()}{label[1:]}", exact=True).click()
        expect(self.page.get_by_role("alert").filter(has_text="The procurement moved to")).to_be_visible()
        self.clean()

    def blocked(self, label: str, *reasons: str) -> None:
        """A stage's button is shown disabled, with each reason it is refused."""
        expect(self.page.get_by_role("button", name=label, exact=True)).to_be_disabled()
        why = self.page.get_by_role("list", name=f"Why “{label}” is blocked")
        for reason in reasons:
            expect(why).to_contain_text(reason)


def fill(form, name: str, value: str) -> None:
    """Set one field of a form as a person would: type, pick, tick or choose."""
    field = form.locator(f'[name="{name}"]')
    kind = field.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if kind.endswith(":radio"):
        form.locator(f'[name="{name}"][value="{value}"]').check()
    elif kind.endswith(":checkbox"):
        field.check() if value else field.uncheck()
    elif kind.startswith("select"):
        field.select_option(value)
    else:
        field.fill(value)


def test_an_act_procurement_goes_from_draft_to_the_uk7_in_a_browser(live_app, browser):
    app, base_url = live_app

    def on(day: str) -> None:
        app.config["TENDER_TODAY"] = day

    def read(query):
        with app.app_context():
            return query()

    with app.app_context():
        officer_user = make_user("procurement_officer")
        officer_id, officer_email = officer_user.id, officer_user.email
        approver_user = make_user("approver", name="Richard Smith")
        approver_id, approver_email = approver_user.id, approver_user.email
        evaluators = [make_user("evaluator").email for _ in range(2)]
        moderator = make_user("moderator").email
    on("2025-05-01")
    officer = Person(browser, base_url, officer_email)
    page = officer.page

    # Start the procurement from the dashboard's form.
    officer.follow("/", "/procurements/new")
    officer.submit("/procurements/new", {
        "reference": REFERENCE, "title": "Young carers' support", "description": "Support for young carers.",
        "procedure": "competitive_flexible_procedure", "regime": "pa2023", "estimated_value": "900000.00",
        "initial_term_years": "3", "extension_years": "1", "electronic_submission": "y",
        "lead_officer": str(officer_id)})
    pid = int(re.search(r"/procurements/(\d+)", page.url).group(1))
    base = f"/procurements/{pid}"
    setup = f"{base}/set-up"

    # A lot, then the whole timetable planned on its page.
    officer.follow(base, setup)
    officer.submit(f"{setup}/lots", {"number": "1", "title": "Kent-wide", "annual_budget": "300000.00",
                                     "evaluation_model": MODEL})
    titles = read(lambda: {m.key: m.title for m in db.session.scalars(
        select(Milestone).where(Milestone.procurement_id == pid))})
    officer.follow(base, setup, f"{setup}/timetable")
    for key, planned in TIMETABLE.items():
        page.get_by_label(f"Planned date for {titles[key]}", exact=True).fill(planned)
        page.get_by_label(f"Owner of {titles[key]}", exact=True).select_option(str(officer_id))
    officer.submit(f"{setup}/timetable")

    # The details the notices draw on.
    officer.follow(base, f"{base}/notices", f"{base}/notices/parties/authority/0")
    officer.submit(None, COUNCIL)
    officer.follow(base, f"{base}/notices", f"{base}/notices/classification")
    officer.submit(f"{base}/notices/classification", {
        "cpv_code": "85312000-9", "submission_method": "electronicSubmission",
        "submission_url": "https://www.kentbusinessportal.org.uk", "enquiry_deadline": "2025-07-30",
        "vat_percent": "20"})

    # The conflicts assessment (s.83): recorded, declared on by everyone acting, reviewed by another.
    on("2025-06-02")
    officer.go(base)
    officer.blocked("Publish tender notice", "Record the conflicts assessment before the tender notice is published",
                    "Publish the tender notice (UK4) on the Notices page first")
    assessment = f"{base}/conflicts-assessment"
    officer.follow(base, assessment)
    officer.submit(assessment, {"assessment": "Risks: officers' and the approver's links with local providers. "
                                              "Mitigation: declarations now and at award; a conflicted person "
                                              "takes no part."})
    officer.submit(f"{assessment}/people", {"person": str(approver_id)})
    officer.submit(f"{assessment}/declaration", {"has_conflict": "no"})
    approver = Person(browser, base_url, approver_email)
    approver.follow(base, assessment)
    approver.submit(f"{assessment}/declaration", {"has_conflict": "no"})
    approver.submit(f"{assessment}/review", {"note": "Checked against the register of interests."})
    officer.follow(base, assessment)
    expect(page.locator("main")).to_contain_text("Reviewed and dated")

    def publish(kind: str) -> None:
        officer.follow(base, f"{base}/notices", f"{base}/notices/{kind}/preview")
        officer.submit(f"{base}/notices/{kind}/publish", button="Publish this notice")

    # Tender notice (UK4): publishing it opens the participation period.
    publish("tender")
    officer.go(base)
    expect(page.locator("#current-stage")).to_have_text(re.compile("articipation"))
    on("2025-06-27")
    officer.follow(base, setup)
    for name, received in (("Porchlight", "2025-06-20T10:00"), ("Shaw Trust", "2025-06-26T16:30")):
        officer.submit(f"{setup}/sq-responses", {"supplier_name": name, "received_at": received})
    on("2025-06-28")
    officer.go(base)
    officer.advance("Close requests to participate")
    responses = read(lambda: [(r.id, r.supplier_id) for r in db.session.scalars(
        select(SQResponse).where(SQResponse.procurement_id == pid).order_by(SQResponse.id))])
    officer.follow(base, f"{base}/shortlist")
    for response_id, _ in responses:
        officer.submit(f"{base}/shortlist/{response_id}", {
            "decision": "shortlisted", "reason": "Meets every condition of participation."})

    # Invitation to tender, tenders in, assessment.
    on("2025-07-07")
    officer.go(base)
    officer.advance("Issue invitation to tender")
    on("2025-08-06")
    # Porchlight's price is more than 20% below Shaw Trust's: the model flags it as possibly abnormally low.
    officer.follow(base, setup)
    for (_, supplier_id), price in zip(responses, ("230000.00", "300000.00")):
        officer.submit(f"{setup}/bids", {"lot_number": "1", "supplier": str(supplier_id), "round": "final",
                                         "received_at": "2025-08-05T11:00", "price": price})
    on("2025-08-07")
    officer.go(base)
    officer.advance("Close tenders")
    officer.advance("Start tender assessment")

    lot = f"{base}/lots/1/evaluation/final"
    member_ids = read(lambda: [db.session.scalar(select(User.id).where(User.email == e))
                               for e in evaluators + [moderator]])
    officer.follow(base, lot)
    for member_id in member_ids:
        officer.submit(f"{lot}/panel", {"user_id": str(member_id)})
    bid_ids = read(lambda: list(db.session.scalars(
        select(Bid.id).join(Bid.lot).where(Bid.round == "final").order_by(Bid.id))))
    for email in evaluators:
        evaluator = Person(browser, base_url, email)
        evaluator.follow("/", f"{base}/lots/1/evaluation")  # the dashboard links the lot; its declaration speaks the Act
        expect(evaluator.page.locator("main")).to_contain_text("Procurement Act 2023, sections 81 and 82")
        evaluator.submit(f"{lot}/declaration", {"has_conflict": "no"})
        for bid_id, score in zip(bid_ids, (4, 3)):
            evaluator.follow(lot, f"{lot}/bids/{bid_id}/score")
            data = {}
            for qid, (value, rationale) in sheet(score).items():
                data[f"score-{qid}"], data[f"rationale-{qid}"] = str(value), rationale
            evaluator.submit(f"{lot}/bids/{bid_id}/score", data, button="Submit scores")
            evaluator.confirm("Are you sure")
            expect(evaluator.page.locator("main")).to_contain_text("are submitted and locked")
        evaluator.context.close()
    chair = Person(browser, base_url, moderator)
    chair.follow("/", base, lot)  # the dashboard links the procurement, which links the lot
    chair.submit(f"{lot}/declaration", {"has_conflict": "no"})
    for bid_id, score in zip(bid_ids, (4, 3)):
        chair.follow(lot, f"{lot}/bids/{bid_id}/moderate")
        data = {}
        for qid, (value, rationale) in sheet(score, "Agreed at moderation.").items():
            data[f"score-{qid}"], data[f"rationale-{qid}"] = str(value), rationale
        chair.submit(f"{lot}/bids/{bid_id}/moderate", data, button="Record consensus scores")
    chair.context.close()
    officer.follow(base, lot)
    officer.submit(f"{lot}/prices/open")
    officer.confirm("Are you sure you want to open the prices for lot 1?")

    # The flagged price is explained and decided on (s.19) before the recommendation can be recorded.
    on("2025-08-20")
    officer.follow(base, lot, f"{lot}/ranking")
    expect(page.locator("main")).to_contain_text("Abnormally low?")
    low = f"{base}/lots/1/abnormally-low"
    page.locator(f'a[href="{low}"]').first.click()
    officer.clean()
    flagged = bid_ids[0]
    officer.submit(f"{low}/{flagged}/request", {"requested_on": "2025-08-14",
                                                "request": "Explain how the price covers the staffing model."})
    officer.submit(f"{low}/{flagged}/reply", {"received_on": "2025-08-19",
                                              "explanation": "Volunteers deliver the peer support sessions."})
    officer.submit(f"{low}/{flagged}/decision", {"decision": "accepted",
                                                 "reasons": "The volunteer model is costed and evidenced."})
    expect(page.locator("main")).to_contain_text("Explanation accepted")

    # The summaries cannot go before the award is approved and their sending recorded.
    on("2025-09-01")
    officer.go(base)
    officer.blocked("Send assessment summaries", "No approval of the award decision is recorded")
    # Recording the recommendation before the conflicts assessment is revisited at award is refused.
    award = f"{base}/award"
    officer.follow(base, award)
    # Not offered (no dead ends): the button is disabled and the service's own reason is shown beside it.
    expect(officer.page.get_by_role("button", name="Record the recommendation for lot 1")).to_be_disabled()
    expect(officer.page.locator(".app-not-offered")).to_contain_text("Revisit the conflicts assessment at award first")
    officer.follow(base, assessment)
    officer.submit(f"{assessment}/award-revisit", {"note": "The panel declared on the lot; nobody else joined."})
    officer.follow(base, award)
    officer.submit(f"{award}/lots/1/recommend")
    approver.follow(base, award)
    approver.submit(f"{award}/declarations", {"conflict-1": "no"})
    expect(approver.page.locator("main")).to_contain_text("Award to")
    approver.submit(f"{award}/approve", {"authority": "Decision 25/00101", "confirm": "y"})
    officer.go(base)
    officer.blocked("Send assessment summaries", "Record when the assessment summaries were sent")
    expect(page.locator("main")).to_contain_text("Record that the assessment summaries were sent")
    officer.submit(f"{base}/award/notices-sent", {"sent_on": "2025-09-02", "sent_time": "09:00",
                                                   "electronic": "yes"}, refused=True)
    officer.refused("The time the assessment summaries were sent cannot be in the future.")
    officer.go(base)
    # 00:05 BST on 1 September is 23:05 UTC on 31 August: the UK day is what is shown and counted.
    officer.submit(f"{base}/award/notices-sent", {"sent_on": "2025-09-01", "sent_time": "00:05",
                                                   "electronic": "yes"})
    expect(page.locator("main")).to_contain_text(
        "The assessment summaries were sent on 1 September 2025 at 00:05 (UK time)")
    officer.advance("Send assessment summaries")

    # Publishing the contract award notice (UK6) starts standstill.
    on("2025-09-02")
    officer.go(base)
    officer.blocked("Publish contract award notice",
                    "Publish the contract award notice (UK6) on the Notices page first")
    for _, supplier_id in responses:
        officer.follow(base, f"{base}/notices", f"{base}/notices/parties/supplier/{supplier_id}")
        officer.submit(None, {
            "name": f"Supplier {supplier_id}", "scheme": "GB-COH", "identifier": f"0{supplier_id:07d}",
            "street_address": f"{supplier_id} High Street", "locality": "Ashford", "postal_code": "TN23 1AA",
            "vcse": "y"})
    publish("award")
    officer.go(base)
    expect(page.locator("#current-stage")).to_have_text(re.compile("^Standstill"))
    expect(page.locator("main")).to_contain_text("Standstill ends at 23:59:59 on 11 September 2025")
    expect(page.locator("main")).to_contain_text("The contract can be entered into from 12 September 2025")

    # On the last day of standstill the contract is refused. The page offers nothing to press (the button is
    # disabled and says why), so "pressing it anyway" is the form post the confirmation page's "Yes" makes,
    # sent from this browser's session with the page's CSRF token: it is refused and the reason flashed.
    on("2025-09-11")
    officer.go(base)
    standstill_reason = "Standstill ends at midnight at the end of 11 September 2025 (Procurement Act 2023 s.51)"
    officer.blocked("Enter into the contract", standstill_reason)
    version = read(lambda: db.session.get(Procurement, pid).version)
    refusal = page.request.post(f"{base}/advance", max_redirects=0, form={
        "csrf_token": page.locator('input[name="csrf_token"]').first.input_value(),
        "trigger": "enter_contract", "version": str(version)})
    assert refusal.status == 302 and refusal.headers["location"].endswith("#next-steps"), refusal.status
    officer.go(base)
    expect(page.locator(".govuk-notification-banner").filter(has_text=standstill_reason)).to_be_visible()
    assert read(lambda: db.session.get(Procurement, pid).state) == "standstill"

    # A claim issued in standstill suspends it (s.101) until the suspension is lifted.
    page.get_by_text("Record a legal challenge", exact=True).click()
    officer.submit(f"{base}/challenges", {"reference": "HT-2025-000321", "issued_on": "2025-09-10",
                                          "aware_on": "2025-09-11",
                                          "note": "Shaw Trust challenges the quality scores."})
    on("2025-09-12")
    officer.go(base)
    officer.blocked("Enter into the contract", "A legal challenge (HT-2025-000321) suspends entering into the contract")
    page.locator(f'form[action^="{base}/challenges/"][action$="/lift"]').wait_for()
    lift = page.locator(f'form[action^="{base}/challenges/"][action$="/lift"]').get_attribute("action")
    officer.submit(lift, {"lifted_on": "2025-09-12", "reason": "Claim discontinued (notice of discontinuance)."})
    officer.go(base)
    officer.advance("Enter into the contract")

    # The contract details notice (UK7, due by 11 October), which moves the procurement on.
    on("2025-10-01")
    officer.go(base)
    officer.blocked("Publish contract details notice",
                    "Publish the contract details notice (UK7) on the Notices page first")
    officer.follow(base, f"{base}/standstill-and-notices")
    expect(page.locator("main")).to_contain_text(
        re.compile(r"Contract details notice \(UK7\) due by\s*11 October 2025"))
    publish("contract")
    officer.go(base)
    expect(page.locator("#current-stage")).to_have_text(re.compile("^Contract details"))

    assert read(lambda: db.session.get(Procurement, pid).state) == "contract_details_published"
    stored = read(lambda: {n.kind: n.notice_type for n in db.session.scalars(
        select(Notice).where(Notice.procurement_id == pid))})
    assert stored == {"tender": "UK4", "award": "UK6", "contract": "UK7"}
    assert not officer.failures and not approver.failures
    officer.context.close()
    approver.context.close()

