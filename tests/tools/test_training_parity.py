"""The training check (``attngan parity FILE_train.npz``) against the original trainer."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from attngan_tf.tools import training_parity

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN_FILE = os.path.join(os.path.dirname(ROOT), "shared", "reference_vectors",
                          "attngan_small_train.npz")


@pytest.fixture(scope="module")
def train_file():
    if not os.path.isfile(TRAIN_FILE):
        pytest.skip(f"training reference vectors not found at {TRAIN_FILE} "
                    "(../shared is absent outside the project's workspace)")
    return TRAIN_FILE


def _checked_keys(path):
    with np.load(path) as data:
        return sorted(k for k in data.files if k.startswith("train/") and "/in/" not in k)


@pytest.mark.slow
def test_float64_check_passes_every_key_of_the_shared_file(train_file):
    proc = subprocess.run([sys.executable, "-m", "attngan_tf", "parity", train_file],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.endswith(("PASS", "FAIL", "SKIP"))]
    keys = _checked_keys(train_file)
    assert len(keys) == 482
    assert sorted(ln.split()[0] for ln in lines) == keys
    assert all(ln.endswith("PASS") for ln in lines)
    # Discriminator BatchNorm buffers are checked, not skipped.
    assert any("netD2/img_code_s64.1.running_var" in ln for ln in lines)
    assert "training parity (float64): 482/482 keys pass" in proc.stdout


@pytest.mark.slow
def test_float32_check_holds_what_training_md_says_and_lists_the_rest(train_file):
    results = training_parity.check_training_file(train_file, precision="float32")
    checked = [r for r in results if not r.skipped]
    skipped = [r for r in results if r.skipped]
    assert not [r.line() for r in checked if not r.passed]
    assert {r.key.split("/")[2] for r in checked} == {"grad", "loss"}
    assert all(r.key.startswith("train/0/") for r in checked)
    assert len(checked) + len(skipped) == 482 and len(checked) == 118
    assert all("left out" in r.line() for r in skipped)
    d0 = next(r for r in checked if r.key == "train/0/grad/netD0/img_code_s16.0.weight")
    with np.load(train_file) as data:
        peak = float(np.max(np.abs(data[d0.key])))
    assert d0.tolerance == pytest.approx(1e-4 * peak)


def test_a_training_file_without_its_forward_file_says_how_to_give_it(tmp_path, train_file):
    with np.load(train_file) as data:
        np.savez(tmp_path / "lonely_train.npz", **{k: data[k] for k in data.files})
    with pytest.raises(FileNotFoundError, match="--forward"):
        training_parity.check_training_file(str(tmp_path / "lonely_train.npz"))


# ---------------------------------------------------------------------------
# Files of another configuration, written by the PyTorch port in benchmarks/


@pytest.fixture(scope="module")
def port():
    pytest.importorskip("torch")
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import reference_torch
    finally:
        sys.path.pop(0)
    return reference_torch


def test_the_port_reproduces_the_shared_training_file(port, train_file):
    with np.load(train_file) as data:
        forward = training_parity.forward_path(train_file, data)
        noises = {1: (data["train/1/in/noise"], data["train/1/in/ca_eps"])}
        ours = port.training_vectors(forward, iterations=2, noises=noises)
        keys = _checked_keys(train_file)
        assert sorted(k for k in ours if k.startswith("train/") and "/in/" not in k) == keys
        for key in keys:
            ref = data[key].astype(np.float64)
            err = np.max(np.abs(ours[key] - ref))
            assert err <= 1e-6 * (1 + np.max(np.abs(ref))), key


@pytest.fixture(scope="module")
def other_file(port, tmp_path_factory, train_file):
    folder = tmp_path_factory.mktemp("other_config")
    with np.load(os.path.join(os.path.dirname(train_file), "attngan_small.npz")) as data:
        cfg = json.loads(str(data["config_json"]))
    cfg.update(batch=4, branch_num=2, r_num=2)
    forward = str(folder / "other.npz")
    port.write_forward_file(forward, cfg, seed=3)
    port.write_training_file(forward, str(folder / "other_train.npz"), iterations=2, seed=5)
    return str(folder / "other_train.npz")


@pytest.mark.slow
def test_float64_check_passes_a_file_of_another_configuration(other_file):
    results = training_parity.check_training_file(other_file)
    assert len(results) == len(_checked_keys(other_file)) > 300
    assert not [r.line() for r in results if not r.passed]
    assert any(r.key == "train/1/state/netG/h_net2.residual.1.block.1.running_var"
               for r in results)


@pytest.mark.slow
def test_the_check_catches_the_biased_moving_variance(other_file, monkeypatch):
    from attngan_tf.ops import batch_norm as batch_norm_ops

    unbiased = batch_norm_ops.update_moving_statistics
    monkeypatch.setattr(batch_norm_ops, "update_moving_statistics",
                        lambda bn, mean, variance, count: unbiased(bn, mean, variance, 1e12))
    failed = [r.key for r in training_parity.check_training_file(other_file) if not r.passed]
    assert failed and all(key.endswith("running_var") for key in failed)
