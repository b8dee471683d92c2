"""R-precision as the AttnGAN paper defines it.

For every image, its ground-truth caption is ranked against ``candidates - 1``
captions drawn at random from *other* images, by the cosine similarity of the
DAMSM global image feature (``cnn_code``) and sentence feature (``sent_emb``).
R-precision@1 is the fraction of images whose own caption ranks first; the
draw is repeated ``runs`` times over the whole evaluation set and the mean and
standard deviation over runs are reported.

Everything is vectorised over images (candidates are the top-k of random
keys, in row chunks to bound memory); features are collected
by streaming over a ``tf.data`` source with a progress bar.
"""

from __future__ import annotations

import dataclasses
import logging

import keras
import numpy as np
import tensorflow as tf

logger = logging.getLogger("attngan_tf.metrics")

__all__ = ["RPrecision", "sample_candidates", "r_precision_from_features", "r_precision"]


@dataclasses.dataclass(frozen=True)
class RPrecision:
    """Result: ``mean`` and ``std`` of R-precision@1 over ``runs`` draws."""

    mean: float
    std: float
    runs: tuple[float, ...]
    candidates: int
    samples: int

    def __str__(self) -> str:
        return (f"R-precision@1 = {self.mean:.4f} ± {self.std:.4f} "
                f"({len(self.runs)} runs, {self.candidates} candidates, {self.samples} images)")


def sample_candidates(image_ids, count: int, seed: int, chunk: int = 512) -> np.ndarray:
    """For each row i, ``count`` distinct indices j with ``image_ids[j] != image_ids[i]``.

    Args:
        image_ids: ``[N]`` identifier of the image each row belongs to.
        count: mismatched captions per row (99 in the paper).
        seed: random seed.
        chunk: rows processed at once (memory ``chunk × N``).

    Returns:
        int64 ``[N, count]``.

    Raises:
        ValueError: some image has fewer than ``count`` rows of other images.
    """
    ids = np.asarray(image_ids)
    n = len(ids)
    _, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    if n - counts.max() < count:
        raise ValueError(f"candidates: need {count} captions of other images for every image, "
                         f"but only {n - counts.max()} are available (N={n})")
    rng = np.random.default_rng(seed)
    out = np.empty((n, count), np.int64)
    for start in range(0, n, chunk):
        rows = slice(start, min(n, start + chunk))
        keys = rng.random((rows.stop - rows.start, n))
        keys[ids[rows, None] == ids[None, :]] = -1.0  # never the same image
        top = np.argpartition(-keys, count - 1, axis=1)[:, :count]
        out[rows] = top
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8)


def r_precision_from_features(image_codes, sentence_codes, image_ids=None, *,
                              candidates: int = 100, runs: int = 10,
                              seed: int = 0) -> RPrecision:
    """R-precision@1 from paired features.

    Args:
        image_codes: ``[N, D]`` global image features (row i = image of pair i).
        sentence_codes: ``[N, D]`` sentence features of the pairs' captions.
        image_ids: ``[N]`` image of each pair (default: all distinct), so that
            mismatched captions never come from the same image.
        candidates: captions ranked per image, the true one included (100).
        runs: independent draws of the mismatched captions.
        seed: seed of the first draw (run r uses ``seed + r``).
    """
    img, sent = _normalise(image_codes), _normalise(sentence_codes)
    if img.shape != sent.shape:
        raise ValueError(f"image_codes {img.shape} and sentence_codes {sent.shape} must match")
    ids = np.arange(len(img)) if image_ids is None else np.asarray(image_ids)
    _, counts = np.unique(ids, return_counts=True)
    available = len(ids) - int(counts.max())
    if available < 1:
        raise ValueError("image_ids: R-precision needs captions of at least two images")
    if available < candidates - 1:
        logger.warning("R-precision: only %d mismatched captions available per image; ranking "
                       "against %d candidates instead of %d (not comparable to the paper's "
                       "figure)", available, available + 1, candidates)
        candidates = available + 1
    true_score = np.sum(img * sent, axis=1)
    results = []
    for r in range(runs):
        others = sample_candidates(ids, candidates - 1, seed + r)
        scores = np.einsum("nd,nkd->nk", img, sent[others])
        results.append(float(np.mean(true_score > scores.max(axis=1))))
    return RPrecision(float(np.mean(results)), float(np.std(results)), tuple(results),
                      candidates, len(img))


def r_precision(damsm, dataset: tf.data.Dataset, *, candidates: int = 100, runs: int = 10,
                seed: int = 0, verbose: int = 1) -> RPrecision:
    """R-precision@1 of a DAMSM over a batched pipeline (real images and captions).

    Args:
        damsm: a :class:`~attngan_tf.models.DAMSM`.
        dataset: batches with ``images``, ``captions``, ``lengths``, ``keys``
            (the evaluation pipeline: one caption per image).
        verbose: 1 shows a progress bar.
    """
    image_codes, sentence_codes, keys = [], [], []
    progress = keras.utils.Progbar(None, unit_name="batch", verbose=verbose)
    for step, batch in enumerate(dataset):
        cnn_code, sent_emb = damsm.global_features(batch)
        image_codes.append(cnn_code.numpy())
        sentence_codes.append(sent_emb.numpy())
        keys.extend(batch["keys"].numpy())
        progress.update(step + 1)
    progress.update(len(image_codes), finalize=True)
    return r_precision_from_features(np.concatenate(image_codes), np.concatenate(sentence_codes),
                                     np.asarray(keys), candidates=candidates, runs=runs, seed=seed)
