"""The kill soak at reduced size: SIGKILLed and resumed runs end bit-identical."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import kill_soak  # noqa: E402


@pytest.mark.slow
def test_killed_and_resumed_runs_equal_uninterrupted_ones(tmp_path):
    results = kill_soak.soak(tmp_path, kills=1, window=0.5, timeout=900)
    for trainer in ("train-damsm", "train"):
        r = results[trainer]
        assert r["kills"] == 1 and r["resumes"] == 1, r
        assert r["variables"] > 50 and r["mismatches"] == 0, r


def _checkpoint(directory, values):
    variables = {name: tf.Variable(v) for name, v in values.items()}
    tf.train.CheckpointManager(tf.train.Checkpoint(**variables), str(directory / "checkpoints"),
                               max_to_keep=1).save()


def test_the_comparison_finds_a_one_ulp_difference_and_a_missing_variable(tmp_path):
    a = {"w": np.ones(3, np.float32), "b": np.zeros(2, np.float32)}
    _checkpoint(tmp_path / "a", a)
    _checkpoint(tmp_path / "same", a)
    assert kill_soak.compare_checkpoints(tmp_path / "a", tmp_path / "same")["mismatches"] == 0
    w = a["w"].copy()
    w[1] = np.nextafter(w[1], np.float32(2))
    _checkpoint(tmp_path / "b", {"w": w, "b": a["b"]})
    result = kill_soak.compare_checkpoints(tmp_path / "a", tmp_path / "b")
    assert result["mismatches"] == 1 and result["mismatched"][0].startswith("w/")
    _checkpoint(tmp_path / "c", {"w": a["w"]})
    assert kill_soak.compare_checkpoints(tmp_path / "a", tmp_path / "c")["mismatches"] == 1
