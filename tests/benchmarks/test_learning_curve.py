"""benchmarks/learning_curve.py at a tiny size: it trains, scores, writes its JSON and PNG."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import learning_curve  # noqa: E402


def test_recipe_parsing():
    assert learning_curve.parse_recipe("base:") == ("base", {})
    assert learning_curve.parse_recipe("two: stages=2, g_lr=4e-4,ema_warmup=0") == (
        "two", {"stages": 2, "g_lr": 4e-4, "ema_warmup": 0})
    with pytest.raises(ValueError, match="needs a label"):
        learning_curve.parse_recipe(":stages=2")
    with pytest.raises(ValueError, match="not key=value"):
        learning_curve.parse_recipe("x:speed=2")


@pytest.mark.slow
def test_learning_curve_runs_scores_and_plots(tmp_path):
    from tests.training.test_gan_training import _export_damsm
    from attngan_tf.config import get_preset

    synbirds = {"num_train": 24, "num_test": 12}  # the script's default seed
    damsm_dir, _ = _export_damsm(tmp_path, get_preset("synbirds"), synbirds=synbirds)
    out = tmp_path / "curves"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "learning_curve.py"),
           "--damsm", str(damsm_dir), "--out", str(out), "--data_dir", str(tmp_path / "data"),
           "--synbirds_train", "24", "--synbirds_test", "12", "--samples", "8",
           "--every", "0.1",
           "--recipe", "one stage:stages=1,batch=4,g_lr=3e-4,ema_warmup=1"]
    first = [*cmd, "--minutes", "0.4"]
    result = subprocess.run(first, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((out / "learning_curves.json").read_text())
    entry = results["one stage"]
    assert entry["stages"] == 1 and entry["ema_warmup"] is True
    assert entry["recipe"] == {"stages": 1, "batch": 4, "g_lr": 3e-4, "ema_warmup": 1}
    points = entry["points"]
    assert len(points) >= 2 and points[-1]["minutes"] >= 0.4
    # the entry's minutes: the training time (what a resume counts on from)
    assert entry["minutes"] >= points[-1]["minutes"] - 1e-3
    assert [p["minutes"] for p in points] == sorted(p["minutes"] for p in points)
    for point in points:
        assert 0 <= point["attribute_accuracy"] <= 1 and 0 <= point["bird_found"] <= 1
        assert 0 <= point["r_precision"] <= 1 and point["steps"] >= 1
        assert point["per_attribute"] and "g_loss" in point["losses"]
    png = out / "learning_curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    png.unlink()
    result = subprocess.run(cmd[:2] + ["--out", str(out), "--plot_only"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert png.is_file()
    # The same label again: refused without --resume (its run directory exists) ...
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    refused = subprocess.run(first, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert refused.returncode != 0 and "--resume continues it" in refused.stderr
    # ... and continued with it: more points, minutes counted on from the last one.
    resumed = subprocess.run([*cmd, "--resume", "--minutes", "0.2"], cwd=ROOT,
                             capture_output=True, text=True, timeout=600, env=env)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    again_entry = json.loads((out / "learning_curves.json").read_text())["one stage"]
    again = again_entry["points"]
    assert again_entry["minutes"] >= entry["minutes"] + 0.2
    assert again[-1]["minutes"] >= entry["minutes"]
    assert again[:len(points)] == points and len(again) > len(points)
    assert again[-1]["minutes"] >= points[-1]["minutes"] + 0.2
    assert again[-1]["steps"] > points[-1]["steps"]
