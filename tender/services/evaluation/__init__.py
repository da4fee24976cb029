"""Evaluation of bids: panels and conflicts, scoring and moderation, ranking, status, the workbook."""
