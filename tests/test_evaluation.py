"""attngan evaluate end to end on SynBirds with a tiny model (random Inception: test only)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from attngan_tf.data import load_dataset
from attngan_tf.evaluation import EvalRun, evaluate
from attngan_tf.models import AttnGAN, save_attngan
from tests.conftest import ROOT
from tests.models.test_attngan import small_config

SYNBIRDS = {"num_train": 8, "num_test": 6, "seed": 1, "image_size": 64}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    data = load_dataset("synbirds", root / "data", "train", synbirds=SYNBIRDS)
    cfg = small_config(1)
    cfg = cfg.replace(text=cfg.text.replace(vocab_size=len(data.vocabulary)))
    model = AttnGAN(cfg, seed=1)
    model.build()
    save_attngan(model, root / "model", data.vocabulary)
    return root


@pytest.mark.slow
def test_evaluate_every_metric(saved):
    run = EvalRun(model=str(saved / "model"), dataset="synbirds", data_dir=str(saved / "data"),
                  samples=12, batch_size=6, allow_random_inception=True, verbose=0,
                  synbirds=SYNBIRDS)
    report = evaluate(run)
    metrics = report["metrics"]
    assert report["samples"] == 12  # 6 test images: captions 0, then captions 1
    assert metrics["inception_score"]["mean"] >= 1.0 and metrics["inception_score"]["splits"] == 10
    assert np.isfinite(metrics["fid"]["value"]) and metrics["fid"]["reference_images"] == 6
    assert 0.0 <= metrics["r_precision"]["mean"] <= 1.0
    assert 0.0 <= metrics["attribute_accuracy"]["mean"] <= 1.0
    assert 0.0 <= metrics["attribute_accuracy"]["bird_found"] <= 1.0
    saved_report = json.loads((saved / "model" / "evaluation.json").read_text())
    assert saved_report["metrics"].keys() == metrics.keys()
    assert "randomly initialised" in saved_report["metrics"]["fid"]["inception"]["note"]
    assert (saved / "model" / "fid_reference" / "synbirds-test-6.npz").is_file()
    cached = (saved / "model" / "fid_reference" / "synbirds-test-6.npz").stat().st_mtime_ns
    import dataclasses
    again = evaluate(dataclasses.replace(run, metrics=("fid",), samples=4))
    assert (saved / "model" / "fid_reference" / "synbirds-test-6.npz").stat().st_mtime_ns == cached
    assert set(again["metrics"]) == {"fid"} and np.isfinite(again["metrics"]["fid"]["value"])


def test_evaluate_errors(saved):
    with pytest.raises(ValueError, match="choose from"):
        evaluate(EvalRun(model=str(saved / "model"), dataset="synbirds", metrics=("bleu",)))
    with pytest.raises(ValueError, match="at least 10"):
        evaluate(EvalRun(model=str(saved / "model"), dataset="synbirds", samples=5))
    with pytest.raises(ValueError, match="SynBirds only"):
        evaluate(EvalRun(model=str(saved / "model"), dataset="cub", metrics=("attr",)))
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "evaluate", "--model", str(saved / "model"),
         "--dataset", "synbirds", "--data-dir", str(saved / "data"), "--metrics", "fid",
         "--samples", "12"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1 and "inception_v3_weights_tf_dim_ordering_tf_kernels.h5" in \
        proc.stderr and "Traceback" not in proc.stderr
