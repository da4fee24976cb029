"""Evaluation arithmetic: models, final scores, ranking, agreement, sensitivity.

Pure functions over frozen data, with Decimal throughout; rounding happens only
when results are shown. The web layer and the ``tender evaluate`` CLI both call
these functions, so a ranking shown on screen and one computed offline agree.
"""
