"""``attngan evaluate``: generate for a split's captions, stream through the metrics, report.

The paper's protocol draws 30,000 samples from the test captions; here the
split's captions are taken in order -- caption 0 of every image, then caption
1, ... -- until ``samples`` images are generated (each caption ``k`` with seed
``seed + k``). Metrics (any subset):

* ``is``: Inception Score, 10 splits (ImageNet Inception-v3 from a local file);
* ``fid``: FID against the split's real images (reference statistics cached
  as ``.npz`` per dataset, split and image count);
* ``rprec``: R-precision@1 with the model's DAMSM encoders on the generated
  images (99 mismatched captions from other source images, 10 draws);
* ``attr``: SynBirds only, the oracle's attribute accuracy for the attributes
  each caption names.

The JSON report holds every figure with its settings (seed, sample count,
split, candidates, the Inception weights file and its sha256).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import pathlib

import keras
import numpy as np

from .data import PipelineConfig, load_dataset
from .metrics import (FeatureStatistics, feature_statistics, frechet_distance,
                      inception_outputs, inception_score, load_inception_classifier,
                      named_attribute_accuracy, r_precision_from_features, read_birds)
from .models import load_attngan
from .sampling import caption_noise, to_uint8

__all__ = ["EvalRun", "evaluate", "score_model", "METRICS"]

logger = logging.getLogger("attngan_tf.evaluation")

METRICS = ("is", "fid", "rprec", "attr")


@dataclasses.dataclass(frozen=True)
class EvalRun:
    """Options of one evaluation (the CLI flags)."""

    model: str
    dataset: str
    data_dir: str | None = None
    split: str = "test"
    samples: int = 30_000
    metrics: tuple[str, ...] = METRICS
    inception_weights: str | None = None
    batch_size: int = 16
    seed: int = 0
    report: str | None = None  # default: MODEL/evaluation.json
    fid_cache: str | None = None  # default: MODEL/fid_reference
    synbirds: dict | None = None
    verbose: int = 1
    allow_random_inception: bool = False  # tests only: scores from an untrained classifier


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check(run: EvalRun) -> None:
    unknown = sorted(set(run.metrics) - set(METRICS))
    if unknown or not run.metrics:
        raise ValueError(f"metrics: choose from {', '.join(METRICS)}, got {list(run.metrics)}")
    if "attr" in run.metrics and run.dataset != "synbirds":
        raise ValueError("metrics: attr (attribute accuracy) exists for SynBirds only")
    if run.samples < 2 or run.batch_size < 1:
        raise ValueError(f"samples ({run.samples}) must be >= 2 and batch_size >= 1")
    if "is" in run.metrics and run.samples < 10:
        raise ValueError(f"samples: the Inception Score uses 10 splits, so at least 10 "
                         f"samples, got {run.samples}")
    if not pathlib.Path(run.model).expanduser().is_dir():
        raise ValueError(f"model: {run.model}: no such model directory")


def _generate_and_read(model, dataset, wants, samples: int, batch_size: int, seed: int,
                       classifier=None, verbose: int = 0, keep_images: bool = False) -> dict:
    """Generates ``samples`` images for the split's captions (caption 0 of every
    image, then caption 1, ...; sample i with seed ``seed + i``) and keeps what
    the wanted metrics need: Inception outputs, DAMSM codes, oracle readings."""
    base = PipelineConfig.for_model(model.config, batch_size=batch_size, training=False,
                                    drop_remainder=False)
    captions_per_image = model.config.text.captions_per_image
    cfg = model.config.generator
    raw = {example.key: example.captions for example in dataset.index.examples}
    out = {name: [] for name in ("probabilities", "pools", "codes", "sentences", "sources",
                                 "texts", "predictions", "found", "images")}
    progress = keras.utils.Progbar(samples, verbose=verbose, unit_name="image")
    done, caption_index = 0, 0
    while done < samples:
        pipeline = dataclasses.replace(base, caption_index=caption_index % captions_per_image)
        for batch in dataset.to_tf_dataset(pipeline):
            take = min(int(batch["captions"].shape[0]), samples - done)
            ids, lengths = batch["captions"][:take], batch["lengths"][:take]
            seeds = np.arange(done, done + take, dtype=np.int64) + seed
            fake = model({"captions": ids, "lengths": lengths,
                          "noise": caption_noise(seeds, cfg.z_dim, 0),
                          "ca_noise": caption_noise(seeds, cfg.condition_dim, 1)})["images"][-1]
            if keep_images:
                out["images"].append(to_uint8(fake).numpy())
            if classifier is not None:
                pool, probs = inception_outputs(classifier, fake)
                out["pools"].append(pool.numpy())
                out["probabilities"].append(probs.numpy())
            if "rprec" in wants:
                _, sent_emb = model.text_encoder(ids, lengths, training=False)
                _, cnn_code = model.image_encoder(fake, training=False)
                out["codes"].append(cnn_code.numpy())
                out["sentences"].append(sent_emb.numpy())
                out["sources"] += [k.decode() for k in batch["keys"][:take].numpy()]
            if "attr" in wants:  # the full caption (the model saw at most words_num words)
                index = caption_index % captions_per_image
                out["texts"] += [raw[k.decode()][index % len(raw[k.decode()])]
                                 for k in batch["keys"][:take].numpy()]
                batch_predictions, batch_found = read_birds(fake.numpy())
                out["predictions"] += batch_predictions
                out["found"] += batch_found
            done += take
            progress.update(done)
            if done >= samples:
                break
        caption_index += 1
    out["done"] = done
    return out


def _matching_metrics(collected: dict, wants, seed: int) -> dict:
    """R-precision and attribute accuracy from :func:`_generate_and_read`'s output."""
    metrics = {}
    if "rprec" in wants:
        result = r_precision_from_features(np.concatenate(collected["codes"]),
                                           np.concatenate(collected["sentences"]),
                                           np.asarray(collected["sources"]), runs=10, seed=seed)
        metrics["r_precision"] = {"mean": result.mean, "std": result.std,
                                  "candidates": result.candidates, "runs": 10}
    if "attr" in wants:
        metrics["attribute_accuracy"] = named_attribute_accuracy(
            collected["predictions"], collected["texts"], found=collected["found"])
    return metrics


def score_model(model, dataset, *, samples: int = 200, metrics=("rprec", "attr"),
                seed: int = 0, batch_size: int = 50, return_images: bool = False) -> dict:
    """R-precision@1 and (SynBirds) attribute accuracy of an in-memory model.

    What ``attngan evaluate --metrics rprec,attr`` reports, without a model
    directory: ``model`` (an :class:`~attngan_tf.models.AttnGAN`, sampled with
    its averaged generator) draws ``samples`` images for ``dataset``'s
    captions (the evaluation's caption order and seeds). Used by the
    learning-curve benchmark and the demo's report. Returns
    ``{"r_precision": {...}, "attribute_accuracy": {...}}`` for the metrics asked;
    with ``return_images`` also ``"images"`` (``uint8 [samples, S, S, 3]``, the
    last stage) and ``"captions"`` (the raw caption of each, when ``attr``).
    """
    wants = set(metrics)
    unknown = sorted(wants - {"rprec", "attr"})
    if unknown or not wants:
        raise ValueError(f"metrics: choose from rprec, attr, got {list(metrics)}")
    if samples < 2:
        raise ValueError(f"samples: need at least 2, got {samples}")
    collected = _generate_and_read(model, dataset, wants, samples, batch_size, seed,
                                   keep_images=return_images)
    result = _matching_metrics(collected, wants, seed)
    if return_images:
        result["images"] = np.concatenate(collected["images"])
        result["captions"] = list(collected["texts"])
    return result


def _reference_statistics(run, dataset, classifier, pipeline, cache: pathlib.Path):
    """FID statistics of the split's real images (each once), cached."""
    path = cache / f"{run.dataset}-{run.split}-{len(dataset)}.npz"
    if path.is_file():
        return FeatureStatistics.load(path), path
    features = []
    for batch in dataset.to_tf_dataset(pipeline):
        pool, _ = inception_outputs(classifier, batch["images"][-1])
        features.append(pool.numpy())
    stats = feature_statistics(np.concatenate(features))
    stats.save(path)
    return stats, path


def evaluate(run: EvalRun) -> dict:
    """Runs the evaluation; returns the report (also written as JSON)."""
    _check(run)
    wants = set(run.metrics)
    # First: a missing weights file should stop the run before any work.
    classifier = None
    inception = None
    if wants & {"is", "fid"}:
        classifier = load_inception_classifier(run.inception_weights,
                                               allow_random=run.allow_random_inception)
        inception = ({"weights": str(run.inception_weights),
                      "sha256": _sha256(run.inception_weights)} if run.inception_weights
                     else {"weights": None, "note": "randomly initialised (test only)"})
    model, vocabulary = load_attngan(run.model)
    split_kwargs = {"synbirds": run.synbirds} if run.dataset == "synbirds" else {}
    dataset = load_dataset(run.dataset, run.data_dir, run.split, vocabulary=vocabulary,
                           **split_kwargs)
    collected = _generate_and_read(model, dataset, wants, run.samples, run.batch_size,
                                   run.seed, classifier, run.verbose)
    done = collected["done"]
    base = PipelineConfig.for_model(model.config, batch_size=run.batch_size, training=False,
                                    drop_remainder=False)
    report = {"model": str(run.model), "dataset": run.dataset, "split": run.split,
              "samples": done, "seed": run.seed, "caption_order": "caption k of every image, "
              "k = 0, 1, ...; sample i uses seed + i", "metrics": {}}
    if "is" in wants:
        score = inception_score(np.concatenate(collected["probabilities"]), splits=10)
        report["metrics"]["inception_score"] = {"mean": score.mean, "std": score.std,
                                                "splits": 10, "inception": inception}
    if "fid" in wants:
        cache = pathlib.Path(run.fid_cache or pathlib.Path(run.model) / "fid_reference")
        reference, path = _reference_statistics(run, dataset, classifier, base, cache)
        fid = frechet_distance(feature_statistics(np.concatenate(collected["pools"])),
                               reference)
        report["metrics"]["fid"] = {"value": fid, "reference": str(path),
                                    "reference_images": reference.count, "inception": inception}
    report["metrics"].update(_matching_metrics(collected, wants, run.seed))
    path = pathlib.Path(run.report or pathlib.Path(run.model) / "evaluation.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1))
    report["report"] = str(path)
    return report
