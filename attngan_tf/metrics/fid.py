"""Fréchet Inception Distance (Heusel et al., 2017) from pooled Inception features.

``FID = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))`` between Gaussians fitted
to two feature sets (2048-d ``avg_pool`` features of the ImageNet Inception-v3).
The matrix square root is scipy's, made stable as in the reference
implementation: when the product is (near) singular, a small multiple of the
identity is added to both covariances; a negligible imaginary part from
rounding is dropped.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np

__all__ = ["FeatureStatistics", "feature_statistics", "frechet_distance"]


class FeatureStatistics:
    """Mean and covariance of a feature set; ``save``/``load`` as ``.npz`` (mu, sigma, count)."""

    def __init__(self, mu, sigma, count: int):
        self.mu = np.asarray(mu, np.float64)
        self.sigma = np.asarray(sigma, np.float64)
        self.count = int(count)
        if self.mu.ndim != 1 or self.sigma.shape != (len(self.mu), len(self.mu)):
            raise ValueError(f"statistics: mu {self.mu.shape} and sigma {self.sigma.shape} "
                             "do not describe one Gaussian")

    def save(self, path: str | os.PathLike) -> pathlib.Path:
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, mu=self.mu, sigma=self.sigma, count=self.count)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FeatureStatistics":
        with np.load(path) as data:
            return cls(data["mu"], data["sigma"], int(data["count"]))


def feature_statistics(features) -> FeatureStatistics:
    """Mean and (unbiased) covariance of ``features [N, D]`` (N >= 2)."""
    x = np.asarray(features, np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"features: expected [samples >= 2, dims], got shape {x.shape}")
    return FeatureStatistics(x.mean(axis=0), np.cov(x, rowvar=False), len(x))


def frechet_distance(a: FeatureStatistics, b: FeatureStatistics, eps: float = 1e-6) -> float:
    """Fréchet distance between the Gaussians of two :class:`FeatureStatistics`."""
    from scipy import linalg

    if a.mu.shape != b.mu.shape:
        raise ValueError(f"statistics of different dimensions: {a.mu.shape} vs {b.mu.shape}")
    diff = a.mu - b.mu
    covmean, _ = linalg.sqrtm(a.sigma @ b.sigma, disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(a.mu)) * eps
        covmean = linalg.sqrtm((a.sigma + offset) @ (b.sigma + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"frechet_distance: imaginary component "
                             f"{np.max(np.abs(covmean.imag)):.3g} in the matrix square root")
        covmean = covmean.real
    return float(diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2 * np.trace(covmean))
