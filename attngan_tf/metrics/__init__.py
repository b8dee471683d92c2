"""Evaluation metrics: R-precision, Inception Score, FID, SynBirds attribute accuracy."""

from .attributes import caption_attribute_accuracy, named_attribute_accuracy, read_birds
from .fid import FeatureStatistics, feature_statistics, frechet_distance
from .inception import WEIGHTS_FILE, inception_outputs, load_inception_classifier
from .inception_score import InceptionScore, inception_score
from .r_precision import RPrecision, r_precision, r_precision_from_features, sample_candidates

__all__ = ["RPrecision", "r_precision", "r_precision_from_features", "sample_candidates",
           "InceptionScore", "inception_score", "FeatureStatistics", "feature_statistics",
           "frechet_distance", "WEIGHTS_FILE", "load_inception_classifier", "inception_outputs",
           "caption_attribute_accuracy", "named_attribute_accuracy", "read_birds"]
