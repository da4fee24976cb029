"""The OCDS codes Tender may emit, and the UK identifier schemes, as the product's own runtime check.

Copied (codes only, deprecated ones left out) from the OCDS 1.1.5 codelists
after the UK (Find a Tender) extension's additions: open-contracting/standard
tag 1__1__5 and cabinetoffice/ocds_uk_extension at aa0e43b8 (2026-01-13), the
same sources as ``../shared/ocds/uk`` (see its SOURCES.md). The tests check
every release against those CSVs as well; the product never reads them.
"""
from __future__ import annotations

CODELISTS: dict[str, frozenset[str]] = {
    "releaseTag": frozenset({
        "planning", "planningUpdate", "tender", "tenderAmendment", "tenderUpdate", "tenderCancellation", "award",
        "awardUpdate", "awardCancellation", "contract", "contractUpdate", "contractAmendment", "implementation",
        "implementationUpdate", "contractTermination", "compiled"}),
    "partyRole": frozenset({
        "buyer", "procuringEntity", "supplier", "tenderer", "funder", "enquirer", "payer", "payee", "reviewBody",
        "interestedParty", "subcontractor", "removedSupplier"}),
    "tenderStatus": frozenset({"planning", "planned", "active", "cancelled", "unsuccessful", "complete",
                               "withdrawn"}),
    "awardStatus": frozenset({"pending", "active", "cancelled", "unsuccessful"}),
    "contractStatus": frozenset({"pending", "active", "cancelled", "terminated"}),
    "milestoneType": frozenset({"preProcurement", "approval", "engagement", "assessment", "delivery", "reporting",
                                "financing", "payment", "futureSignatureDate"}),
    "milestoneStatus": frozenset({"scheduled", "met", "notMet", "partiallyMet"}),
    "method": frozenset({"open", "selective", "limited", "direct"}),
    "procurementCategory": frozenset({"goods", "works", "services"}),
    "submissionMethod": frozenset({"electronicSubmission", "electronicAuction", "written", "inPerson"}),
    "awardCriteria": frozenset({"priceOnly", "costOnly", "qualityOnly", "ratedCriteria"}),
    "awardCriterionType": frozenset({"price", "cost", "quality"}),
    "criterionWeight": frozenset({"percentageExact", "percentageRangeMiddle", "decimalExact", "decimalRangeMiddle",
                                  "pointsExact", "pointsRangeMiddle", "order"}),
    "documentType": frozenset({
        "plannedProcurementNotice", "tenderNotice", "awardNotice", "contractNotice", "completionCertificate",
        "procurementPlan", "biddingDocuments", "technicalSpecifications", "evaluationCriteria", "evaluationReports",
        "contractDraft", "contractSigned", "contractArrangements", "contractSchedule", "physicalProgressReport",
        "financialProgressReport", "finalAudit", "hearingNotice", "marketStudies", "eligibilityCriteria",
        "clarifications", "shortlistedFirms", "environmentalImpact", "assetAndLiabilityAssessment",
        "riskProvisions", "winningBid", "complaints", "contractAnnexe", "contractGuarantees", "subContract",
        "needsAssessment", "feasibilityStudy", "projectPlan", "billOfQuantity", "bidders", "conflictOfInterest",
        "debarments", "illustration", "submissionDocuments", "contractSummary", "cancellationDetails",
        "marketEngagementNotice", "tenderCancellationNotice", "contractTerminationNotice", "implementationNotice"}),
    "itemClassificationScheme": frozenset({
        "CPV", "CPVS", "GSIN", "UNSPSC", "CPC", "OKDP", "OKPD", "CUCOP", "NAICS", "PSC", "HS", "UK_CA_TYPE",
        "UK_CA_DEVOLVED_REGULATIONS", "UKPGA"}),
}

# Organisation identifier schemes (org-id.guide) that Find a Tender uses for UK parties
# (../shared/ocds/uk/README.md, "Party identifiers"), with what to ask the officer for.
IDENTIFIER_SCHEMES: dict[str, str] = {
    "GB-PPON": "Public Procurement Organisation Number (Central Digital Platform)",
    "GB-COH": "Companies House number",
    "GB-CHC": "Charity Commission for England and Wales number",
    "GB-SC": "Scottish Charity Regulator number",
    "GB-NIC": "Charity Commission for Northern Ireland number",
    "GB-NHS": "NHS organisation (ODS) code",
    "GB-UKPRN": "UK Register of Learning Providers number",
    "GB-MPR": "Mutuals Public Register number",
}

# The UK extension's UK_CA_TYPE classification (parties[].details.classifications).
AUTHORITY_TYPES: dict[str, str] = {
    "publicAuthorityCentralGovernment": "Public authority: central government",
    "publicAuthoritySubCentralGovernment": "Public authority: sub-central government",
    "publicUndertaking": "Public undertaking",
    "privateUtility": "Private utility",
    "other": "Other",
}

SUBMISSION_METHODS: dict[str, str] = {
    "electronicSubmission": "Electronic submission (an e-tendering portal)",
    "written": "Written (by post)",
    "inPerson": "In person",
}
