"""Evaluation metrics."""

from .r_precision import RPrecision, r_precision, r_precision_from_features, sample_candidates

__all__ = ["RPrecision", "r_precision", "r_precision_from_features", "sample_candidates"]
