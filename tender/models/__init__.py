"""Database models, one module per aggregate. Importing this registers them all."""
from tender.models.abnormally_low import AbnormallyLowReview
from tender.models.account_link import AccountLink
from tender.models.act_notices import LateNoticeReason, VoluntaryStandstill
from tender.models.audit import AuditEvent, AuditHead
from tender.models.award import AwardApproval, AwardRecommendation
from tender.models.challenge import LegalChallenge
from tender.models.clarification import Clarification, ClarificationMessage, ClarificationQuestion
from tender.models.definition import PinnedDefinition
from tender.models.document_opening import DocumentOpening
from tender.models.conflicts_assessment import ConflictsAssessment, ConflictsAssessmentPerson
from tender.models.contract import Contract
from tender.models.invitation import Invitation
from tender.models.job import Job
from tender.models.letter import AwardLetter, LetterDelivery, SelectionLetter
from tender.models.evaluation import ConflictDeclaration, EvaluatorAssignment, ModeratedScore, PriceOpening, Score
from tender.models.milestone import Milestone
from tender.models.procurement import Funder, Lot, Procurement
from tender.models.publishing import LotClassification, Notice, Organisation, ProcurementPublishing
from tender.models.reminder import ReminderSent
from tender.models.stored_file import StoredFile, StoredFileChunk
from tender.models.submission import Submission, SubmissionAnswer, SubmissionAttachment, SubmissionReceipt, TenderBox
from tender.models.supplier import Bid, SQResponse, Supplier
from tender.models.user import LoginAttempt, User, UserSession

__all__ = [
    "ConflictDeclaration", "EvaluatorAssignment", "ModeratedScore", "PriceOpening", "Score",
    "AuditEvent", "AuditHead", "AwardApproval", "AwardRecommendation", "Bid", "Funder", "LoginAttempt", "Lot",
    "LegalChallenge", "Milestone", "Procurement", "ReminderSent", "SQResponse", "Supplier", "User", "UserSession",
    "AwardLetter", "LetterDelivery", "SelectionLetter", "Job", "PinnedDefinition",
    "LotClassification", "Notice", "Organisation", "ProcurementPublishing",
    "AbnormallyLowReview", "ConflictsAssessment", "ConflictsAssessmentPerson", "LateNoticeReason",
    "VoluntaryStandstill",
    "Submission", "SubmissionAnswer", "SubmissionAttachment", "SubmissionReceipt", "TenderBox",
    "StoredFile", "StoredFileChunk",
    "Clarification", "ClarificationMessage", "ClarificationQuestion",
    "DocumentOpening",
    "AccountLink",
    "Invitation",
    "Contract",
]
