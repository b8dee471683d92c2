import os
import subprocess
import sys

import numpy as np
import pytest

from attngan_tf.tools import parity

from .vectors import write_vectors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _output_keys(path):
    with np.load(path) as data:
        return [k for k in data.files if k.startswith(parity._CHECKED_PREFIXES)]


@pytest.mark.slow
def test_parity_tool_passes_on_shared_reference_vectors(reference_file):
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "parity", str(reference_file)],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.endswith(("PASS", "FAIL"))]
    keys = _output_keys(reference_file)
    assert len(keys) == 70
    assert sorted(ln.split()[0] for ln in lines) == sorted(keys)
    assert all(ln.endswith("PASS") for ln in lines)
    for prefix in ("out/", "out_train/", "alt_fixedmask/", "alt_ac_false/"):
        assert any(ln.startswith(prefix) for ln in lines)


def test_parity_in_float32_passes_the_float32_bound(reference_file):
    results = parity.check_file(str(reference_file), precision="float32")
    assert len(results) == 70
    failed = [r.line() for r in results if not r.passed]
    assert not failed, failed
    images = next(r for r in results if r.key == "out/fake_imgs/2")
    assert images.tolerance == pytest.approx(5e-4 * 2, rel=1e-3)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("vectors") / "other.npz"
    return path, write_vectors(path)


@pytest.mark.slow
def test_parity_tool_handles_other_configs_batches_and_lengths(synthetic):
    path, arrays = synthetic
    # batch 4, two stages, 2 residual blocks, longest caption 7 of T = 10.
    assert arrays["out/words_emb"].shape == (4, 16, 7)
    import keras

    results = parity.check_file(str(path))
    assert keras.config.floatx() == "float32", "the float64 run must restore the policy"
    assert keras.config.dtype_policy().name == "float32"
    assert len(results) == len(_output_keys(path))
    failed = [r.line() for r in results if not r.passed]
    assert not failed, failed
    assert parity.run(str(path), verbose=False) == 0


def _mutated(tmp_path, arrays, **changes):
    path = tmp_path / "mutated.npz"
    data = dict(arrays)
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    np.savez(path, **data)
    return str(path)


MUTATED = ["out/fake_imgs/1", "out_train/att_maps/0", "out/D1/h_code", "alt_ac_false/sent_loss1",
           "out/words_att/3", "out/mask"]


@pytest.mark.slow
def test_wrong_outputs_fail(tmp_path, synthetic):
    _, arrays = synthetic
    changes = {}
    for key in MUTATED:
        bad = arrays[key].copy()
        if bad.dtype == bool:
            bad.flat[0] = not bad.flat[0]
        else:
            bad.flat[0] += 0.01 + 1e-3 * np.abs(bad).max()
        changes[key] = bad
    path = _mutated(tmp_path, arrays, **changes)
    results = parity.check_file(path)
    assert sorted(r.key for r in results if not r.passed) == sorted(MUTATED)
    assert parity.run(path, verbose=False) == 1


@pytest.mark.slow
def test_unknown_keys_fail(tmp_path, synthetic):
    _, arrays = synthetic
    path = _mutated(tmp_path, arrays, **{"out/brand_new": np.zeros(3, np.float32),
                                         "extra/thing": np.zeros(1, np.float32)})
    results = {r.key: r for r in parity.check_file(path)}
    assert not results["out/brand_new"].passed and "unknown key" in results["out/brand_new"].note
    assert not results["extra/thing"].passed


@pytest.mark.slow
def test_missing_weight_is_an_error_naming_it(tmp_path, synthetic):
    from attngan_tf.convert import StateDictError

    _, arrays = synthetic
    path = _mutated(tmp_path, arrays, **{"state/netG/h_net2.upsample.2.bias": None})
    with pytest.raises(StateDictError, match="h_net2.upsample.2.bias"):
        parity.check_file(path)
