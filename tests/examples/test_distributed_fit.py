"""examples/distributed_fit.py: 2 local multi-worker processes, and MirroredStrategy on 2 CPUs."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from attngan_tf.models import load_attngan
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "distributed_fit.py"


def _run(tmp_path, *args):
    return subprocess.run([sys.executable, str(EXAMPLE), "--steps", "2", "--num_train", "16",
                           "--per_replica_batch", "2", "--data_dir", str(tmp_path / "data"),
                           "--out", str(tmp_path / "run"), *args],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)


def _fingerprints(text):
    return re.findall(r"(\d+) replicas, 2 steps; weight fingerprint (\S+)", text)


@pytest.mark.slow
def test_two_local_workers_train_in_step(tmp_path):
    result = _run(tmp_path, "--local_workers", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    prints = _fingerprints(result.stdout)
    assert len(prints) == 2 and prints[0] == prints[1] and prints[0][0] == "2", result.stdout
    assert "exit codes [0, 0]" in result.stdout
    model, _ = load_attngan(tmp_path / "run" / "model")
    assert model.stages == 2


@pytest.mark.slow
def test_mirrored_on_two_logical_cpus(tmp_path):
    result = _run(tmp_path, "--strategy", "mirrored", "--cpu_replicas", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    assert [p[0] for p in _fingerprints(result.stdout)] == ["2"]
    assert (tmp_path / "run" / "model" / "ema_generator.weights.h5").is_file()
