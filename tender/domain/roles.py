"""Roles and what each may do: the one table every authorisation check reads.

Segregation of duties follows UK practice: the officer who runs the procedure
does not approve the award; an administrator manages accounts but does not move
procurements; legal reviewers read everything and change nothing.
"""
from __future__ import annotations

from enum import Enum, unique


@unique
class Role(str, Enum):
    """The roles. The value is what the database stores."""

    ADMINISTRATOR = "administrator"
    OFFICER = "procurement_officer"
    EVALUATOR = "evaluator"
    MODERATOR = "moderator"
    APPROVER = "approver"
    LEGAL = "legal_reviewer"
    # A person at a supplier organisation (issue 18): outside the authority, holds none of the staff permissions.
    SUPPLIER = "supplier"

    @property
    def label(self) -> str:
        """The role as people say it."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMINISTRATOR: "Administrator",
    Role.OFFICER: "Procurement officer",
    Role.EVALUATOR: "Evaluator",
    Role.MODERATOR: "Moderator",
    Role.APPROVER: "Approver (delegated authority)",
    Role.LEGAL: "Legal reviewer",
    Role.SUPPLIER: "Supplier",
}

# Roles held by the contracting authority's own people; every other role is outside it.
STAFF_ROLES = frozenset(role for role in Role if role is not Role.SUPPLIER)


@unique
class Permission(str, Enum):
    """Things a person may do. Checked on the server for every request."""

    VIEW_PROCUREMENTS = "view_procurements"
    ADVANCE_STAGE = "advance_stage"
    RECORD_SHORTLIST = "record_shortlist"
    MANAGE_MILESTONES = "manage_milestones"
    APPROVE_AWARD = "approve_award"
    READ_AUDIT = "read_audit"
    EXPORT_AUDIT = "export_audit"
    MANAGE_USERS = "manage_users"
    ASSIGN_EVALUATORS = "assign_evaluators"
    SCORE = "score"
    MODERATE = "moderate"
    OPEN_PRICES = "open_prices"
    VIEW_RANKING = "view_ranking"
    EXPORT_EVALUATION = "export_evaluation"
    SET_UP_PROCUREMENT = "set_up_procurement"
    REOPEN_SCORES = "reopen_scores"
    RECORD_RECOMMENDATION = "record_recommendation"
    INVITE_SUPPLIERS = "invite_suppliers"
    # Clarifications (issue 18): suppliers ask; the officer answers to all; the equal-treatment record is read.
    ASK_CLARIFICATIONS = "ask_clarifications"
    ANSWER_CLARIFICATIONS = "answer_clarifications"
    READ_CLARIFICATION_RECORD = "read_clarification_record"
    # Submissions (issue 18): a supplier submits its own; the officer extends the deadline and opens the box.
    SUBMIT_TENDERS = "submit_tenders"
    OPEN_TENDER_BOX = "open_tender_box"


_ALL_VIEWERS = {Role.OFFICER, Role.MODERATOR, Role.APPROVER, Role.LEGAL, Role.ADMINISTRATOR}

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.VIEW_PROCUREMENTS: frozenset(_ALL_VIEWERS),
    Permission.ADVANCE_STAGE: frozenset({Role.OFFICER}),
    Permission.RECORD_SHORTLIST: frozenset({Role.OFFICER}),
    Permission.MANAGE_MILESTONES: frozenset({Role.OFFICER}),
    Permission.APPROVE_AWARD: frozenset({Role.APPROVER}),
    Permission.READ_AUDIT: frozenset({Role.LEGAL, Role.ADMINISTRATOR}),
    Permission.EXPORT_AUDIT: frozenset({Role.LEGAL}),
    Permission.MANAGE_USERS: frozenset({Role.ADMINISTRATOR}),
    Permission.ASSIGN_EVALUATORS: frozenset({Role.OFFICER}),
    Permission.SCORE: frozenset({Role.EVALUATOR}),
    Permission.MODERATE: frozenset({Role.MODERATOR}),
    Permission.OPEN_PRICES: frozenset({Role.OFFICER}),
    Permission.VIEW_RANKING: frozenset({Role.OFFICER, Role.MODERATOR, Role.APPROVER, Role.LEGAL}),
    Permission.EXPORT_EVALUATION: frozenset({Role.OFFICER, Role.LEGAL}),
    Permission.SET_UP_PROCUREMENT: frozenset({Role.OFFICER}),
    Permission.REOPEN_SCORES: frozenset({Role.OFFICER}),
    Permission.RECORD_RECOMMENDATION: frozenset({Role.OFFICER}),
    Permission.INVITE_SUPPLIERS: frozenset({Role.OFFICER}),
    Permission.ASK_CLARIFICATIONS: frozenset({Role.SUPPLIER}),
    Permission.ANSWER_CLARIFICATIONS: frozenset({Role.OFFICER}),
    Permission.READ_CLARIFICATION_RECORD: frozenset({Role.OFFICER, Role.LEGAL}),
    Permission.SUBMIT_TENDERS: frozenset({Role.SUPPLIER}),
    Permission.OPEN_TENDER_BOX: frozenset({Role.OFFICER}),
}


def may(role: str | Role, permission: Permission) -> bool:
    """True if ``role`` holds ``permission``. Unknown roles hold nothing."""
    try:
        role = Role(role)
    except ValueError:
        return False
    return role in PERMISSIONS[permission]


def parse_role(text: str) -> Role:
    """Accept a role's value or label, case-insensitively, or explain the choices."""
    wanted = text.strip().lower().replace(" ", "_").replace("-", "_")
    for role in Role:
        if wanted in (role.value, role.name.lower(), role.label.lower().replace(" ", "_")):
            return role
    choices = ", ".join(role.value for role in Role)
    raise ValueError(f"Unknown role '{text}'. Choose one of: {choices}.")
