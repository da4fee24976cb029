"""Evaluation arithmetic: models, final scores, ranking, agreement, sensitivity.

Pure functions over frozen data, with Decimal throughout; rounding happens only
when results are shown. The web layer and the ``tender evaluate`` CLI both call
these functions, so a ranking shown on screen and one computed offline agree.
"""
from tender.domain.scoring.aggregate import IndividualScore, SpreadFlag, final_scores, spread_flags
from tender.domain.scoring.agreement import AgreementReport, EvaluatorAgreement, agreement, krippendorff_alpha_interval
from tender.domain.scoring.loader import load_model, load_models
from tender.domain.scoring.model import EvaluationInputError, EvaluationModel
from tender.domain.scoring.ranking import BidResult, LotRanking, rank_lot
from tender.domain.scoring.sensitivity import WeightChange, WeightSensitivity, weight_sensitivity

__all__ = [
    "AgreementReport", "BidResult", "EvaluationInputError", "EvaluationModel", "EvaluatorAgreement",
    "IndividualScore", "LotRanking", "SpreadFlag", "WeightChange", "WeightSensitivity", "agreement",
    "final_scores", "krippendorff_alpha_interval", "load_model", "load_models", "rank_lot", "spread_flags",
    "weight_sensitivity",
]
