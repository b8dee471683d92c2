"""AttnGAN under tf.distribute: MirroredStrategy (2 logical CPUs) and 2-worker MultiWorkerMirroredStrategy.

Each runs in subprocesses (logical devices and TF_CONFIG must be set before
TensorFlow starts); see tests/training/distribute_job.py for the design.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT

TIMEOUT = 420


def _env(**extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _job(*args):
    return [sys.executable, "-m", "tests.training.distribute_job", *args]


@pytest.mark.slow
def test_mirrored_matches_single_device(tmp_path):
    out = tmp_path / "weights.npz"
    result = subprocess.run(_job("mirrored", str(out)), cwd=ROOT, env=_env(),
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr[-4000:]
    data = np.load(out)
    count = len([k for k in data.files if k.startswith("single_")])
    assert count > 0
    for i in range(count):
        np.testing.assert_allclose(data[f"mirrored_{i}"], data[f"single_{i}"], rtol=1e-4,
                                   atol=1e-5, err_msg=f"weight {i}")
    after = np.concatenate([data[f"single_{i}"].ravel() for i in range(count)])
    assert not np.allclose(after, data["initial"]), "training did not change the weights"


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow
def test_multi_worker_keeps_workers_identical(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    try:
        for index in range(2):
            config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            procs.append(subprocess.Popen(
                _job("worker", str(tmp_path / f"worker{index}.npz")), cwd=ROOT,
                env=_env(TF_CONFIG=config), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                text=True))
        errors = []
        for proc in procs:
            _, err = proc.communicate(timeout=TIMEOUT)
            errors.append(err)
        assert all(p.returncode == 0 for p in procs), "\n".join(e[-3000:] for e in errors)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    first, second = np.load(tmp_path / "worker0.npz"), np.load(tmp_path / "worker1.npz")
    assert first.files == second.files and first.files
    differing = [name for name in first.files if not np.array_equal(first[name], second[name])]
    assert not differing, f"{len(differing)} weights differ between workers: {differing[:8]}"
