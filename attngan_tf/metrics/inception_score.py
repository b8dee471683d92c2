"""Inception Score (Salimans et al., 2016) from classifier probabilities.

``IS = exp(E_x KL(p(y|x) || p(y)))``, computed on each of ``splits`` equal
parts of the samples (the standard protocol uses 10) and reported as mean ±
std over the parts. The probabilities come from the ImageNet Inception-v3
classifier (see :mod:`attngan_tf.metrics.inception`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["InceptionScore", "inception_score"]


@dataclasses.dataclass(frozen=True)
class InceptionScore:
    mean: float
    std: float
    splits: tuple[float, ...]
    samples: int

    def __str__(self) -> str:
        return (f"Inception Score = {self.mean:.3f} ± {self.std:.3f} "
                f"({len(self.splits)} splits, {self.samples} samples)")


def inception_score(probabilities, splits: int = 10, eps: float = 1e-12) -> InceptionScore:
    """Inception Score of ``probabilities [N, classes]`` (rows sum to 1).

    Args:
        probabilities: softmax outputs of the classifier, one row per image.
        splits: equal parts the samples are scored on (the last ``N mod
            splits`` rows are left out, as the reference scripts do).
        eps: floor inside the logarithms (zero probabilities).

    Raises:
        ValueError: a non-2-D input, rows that are not distributions, or
            fewer samples than splits.
    """
    p = np.asarray(probabilities, np.float64)
    if p.ndim != 2:
        raise ValueError(f"probabilities: expected [samples, classes], got shape {p.shape}")
    if not isinstance(splits, int) or splits < 1:
        raise ValueError(f"splits: must be a positive integer, got {splits!r}")
    if len(p) < splits:
        raise ValueError(f"probabilities: {len(p)} samples for {splits} splits")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("probabilities: every row must be a probability distribution")
    size = len(p) // splits
    scores = []
    for k in range(splits):
        part = p[k * size:(k + 1) * size]
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part + eps) - np.log(marginal + eps)), axis=1)
        scores.append(float(np.exp(kl.mean())))
    return InceptionScore(float(np.mean(scores)), float(np.std(scores)), tuple(scores),
                          size * splits)
