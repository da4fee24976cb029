"""Every audit action Tender records, declared once with what it means.

``tender.services.audit.record`` refuses an action not declared here, so a
typo fails the first test that reaches it instead of silently starting a new
kind of event; the audit page's filter is a list of these, with their
descriptions. Old events keep whatever action they were written with:
removing a name from this table never hides history (the page still shows
such an event, under its code), it only leaves the filter's list.
"""
from __future__ import annotations

ACTIONS: dict[str, str] = {
    # Accounts and sign-in
    "login.succeeded": "Signed in",
    "login.failed": "Failed sign-in attempt",
    "login.refused_locked": "Sign-in refused: account locked",
    "login.sso_refused": "Single sign-on refused: no matching active account, or the e-mail address is not verified",
    "login.sso_failed": "Single sign-on failed: the identity provider's answer did not check out",
    "logout": "Signed out",
    "user.created": "User account created",
    "user.activated": "User account activated",
    "user.deactivated": "User account deactivated",
    "user.calendar_token_reset": "Calendar feed address reset",
    "user.notice_period_set": "Reminder notice period changed",
    "user.invited": "User invited by e-mail to set a password",
    "user.role_changed": "User's role changed",
    "account.link_sent": "One-time link e-mailed (invitation, password reset or e-mail check)",
    "account.password_set": "Password set from an invitation",
    "account.password_changed": "Password changed by its owner",
    "account.password_reset_requested": "Password reset asked for",
    "account.password_reset": "Password reset from an e-mailed link",
    # Supplier organisations and their users (issue 18)
    "supplier.invited": "Supplier organisation invited to respond to a procurement",
    "supplier.user_invited": "Person at a supplier organisation invited by e-mail to set a password",
    "supplier.registered": "Supplier organisation and its first user registered (e-mail to be confirmed)",
    "supplier.interest_expressed": "Supplier expressed interest in an open procurement (and so is invited)",
    "supplier.organisation_changed": "Supplier organisation's details corrected by one of its users",
    # Setting up a procurement
    "procurement.created": "Procurement created",
    "procurement.stage_changed": "Stage changed",
    "procurement.definition_migrated": "Moved to the changed procedure definition",
    "procurement.negotiation_ground_set": "Ground for the procedure recorded",
    "procurement.report_generated": "Procurement report generated",
    "funder.added": "Funder added",
    "funder.updated": "Funder changed",
    "funder.removed": "Funder removed",
    "lot.created": "Lot created",
    "lot.updated": "Lot changed",
    "lot.removed": "Lot removed",
    "milestone.planned": "Milestone planned",
    "milestone.replanned": "Milestone date changed",
    "milestone.met": "Milestone met",
    "milestone.not_applicable": "Milestone marked not applicable",
    "publishing.classification_saved": "Classification (CPV) saved",
    "publishing.party_saved": "Party details saved",
    # Responses and selection
    "sq_response.received": "Selection questionnaire response received",
    "bid.received": "Tender received",
    # Suppliers' submissions and the tender box (issue 18)
    "submission.draft_saved": "Supplier saved a draft submission",
    "submission.file_uploaded": "Supplier attached a document to a submission",
    "submission.file_removed": "Supplier removed a document from a submission",
    "submission.submitted": "Supplier submitted (receipt given)",
    "submission.withdrawn": "Supplier withdrew a submission",
    "submission.refused_late": "Submission refused: the deadline had passed",
    "submission.deadline_extended": "Submission deadline extended for every invited supplier",
    "tender_box.register_published": "Tender box register of receipts published to invited suppliers",
    "tender_box.opened": "Tender box opened (quality envelopes)",
    "shortlist.decided": "Shortlist decision recorded",
    "shortlist.justified": "Shortlist justification recorded",
    "selection.letters_drafted": "Notices to candidates not selected drafted",
    "selection.letter_edited": "Notice to a candidate not selected edited",
    "selection.letters_queued": "Notices to candidates not selected queued for sending",
    "selection.letter_issued": "Notice to a candidate not selected issued (PDF stored)",
    "selection.letter_emailed": "Notice to a candidate not selected e-mailed",
    "selection.letter_email_failed": "Notice to a candidate not selected: e-mail failed",
    "selection.letter_posted": "Notice to a candidate not selected: posting recorded",
    # Conflicts assessment (Procurement Act 2023 s.83; PCR 2015 reg. 24)
    "conflicts.assessment_recorded": "Conflicts assessment recorded",
    "conflicts.assessment_revised": "Conflicts assessment revised",
    "conflicts.person_added": "Person added to the conflicts assessment",
    "conflicts.declared": "Declaration made on the conflicts assessment",
    "conflicts.mitigated": "Mitigation of a declared conflict recorded",
    "conflicts.assessment_reviewed": "Conflicts assessment reviewed and dated",
    "conflicts.assessment_revisited": "Conflicts assessment revisited at award",
    # Clarifications (PCR 2015 reg. 47(3); Procurement Act 2023 ss.31, 54(1))
    "clarification.asked": "Clarification question asked by a supplier",
    "clarification.published": "Clarification published to every invited supplier",
    "clarification.late_warning": "Clarification published too close to the deadline: extension proposed",
    "clarification.extension_accepted": "Deadline extended for every invited supplier after a late clarification",
    "clarification.extension_declined": "Proposed deadline extension after a late clarification declined",
    "clarification.emailed": "Clarification e-mailed to a supplier",
    "clarification.email_failed": "Clarification to a supplier: e-mail failed",
    # Evaluation
    "evaluation.panel_assigned": "Evaluator assigned to a panel",
    "evaluation.panel_withdrawn": "Evaluator withdrawn from a panel",
    "evaluation.conflict_declared": "Evaluator declared a conflict of interest",
    "evaluation.no_conflict_declared": "Evaluator declared no conflict of interest",
    "evaluation.scores_saved": "Scores saved as a draft",
    "evaluation.scores_submitted": "Scores submitted",
    "evaluation.score_moderated": "Consensus score agreed",
    "evaluation.scores_confirmed_final": "Scores confirmed final",
    "evaluation.scores_reopened": "Scores reopened",
    "evaluation.prices_opened": "Sealed prices opened",
    "evaluation.ranking_final": "Ranking final",
    "evaluation.exported": "Evaluation matrix exported",
    "evaluation.document_opened": "Panel member opened a document of a bid",
    # Award
    "abnormally_low.explanation_requested": "Explanation of an abnormally low price requested",
    "abnormally_low.explanation_received": "Explanation of an abnormally low price received",
    "abnormally_low.decided": "Decision on an abnormally low tender recorded",
    "award.recommended": "Award recommendation recorded",
    "award.conflict_declared": "Approver declared a conflict of interest",
    "award.no_conflict_declared": "Approver declared no conflict of interest",
    "award.approved": "Award decision approved",
    "award.letters_drafted": "Award letters drafted",
    "award.letter_edited": "Award letter edited",
    "award.letters_queued": "Award letters queued for sending",
    "award.letter_issued": "Award letter issued (PDF stored)",
    "award.letter_emailed": "Award letter e-mailed",
    "award.letter_email_failed": "Award letter e-mail failed",
    "award.letter_posted": "Award letter posting recorded",
    "award.price_withheld": "Contract price withheld from a lot's award letters, with the reason",
    "award.price_stated": "Contract price stated again in a lot's award letters",
    "award.notices_sent": "Award notices recorded as sent",
    "award.standstill_started": "Standstill started",
    "standstill.voluntary_recorded": "Voluntary standstill recorded",
    "challenge.recorded": "Legal challenge recorded",
    "challenge.suspension_lifted": "Suspension lifted",
    "contract.recorded": "Contract recorded (date signed, reference, value, term, extensions)",
    "contract.corrected": "Contract details corrected",
    # Notices and publishing
    "notice.published": "Notice published",
    "notice.fts_numbers_recorded": "Find a Tender notice numbers recorded",
    "notice.recorded_elsewhere": "Notice recorded as published elsewhere (on Find a Tender)",
    "notice.late_reason_recorded": "Reason for publishing a notice late recorded",
    "ocds.exported": "OCDS release package exported",
    # Reminders, jobs, audit
    "reminder.sent": "Reminder e-mailed",
    "reminder.failed": "Reminder e-mail failed",
    "job.queued": "Background job queued",
    "job.failed": "Background job failed",
    "audit.exported": "Audit trail exported",
    "audit.sequence_number_skipped": "Audit numbers found taken and skipped",
}


class UndeclaredAction(ValueError):
    """An audit action that is not in :data:`ACTIONS`."""


def check(action: str) -> str:
    """``action`` if declared, else UndeclaredAction naming it and where to declare it."""
    if action not in ACTIONS:
        raise UndeclaredAction(f"The audit action {action!r} is not declared in tender/domain/audit_actions.py.")
    return action


def describe(action: str) -> str:
    """The plain-English description of an action (the code itself if it is an old, undeclared one)."""
    return ACTIONS.get(action, action)

