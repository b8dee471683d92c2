"""examples/generate.py and examples/fit_synbirds.py, run as a user runs them (tiny settings)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from attngan_tf.models import load_attngan, save_attngan
from tests.conftest import ROOT
from tests.examples import tiny_model


def _run(args, timeout=600):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


@pytest.mark.slow
def test_generate_writes_the_models_pictures_and_attention(tmp_path):
    model = tiny_model(seed=2)
    save_attngan(model, tmp_path / "model", model.vocabulary)
    captions = ["a small bird with a red crown", "blue wings and zzz"]
    result = _run([ROOT / "examples" / "generate.py", "--model", tmp_path / "model", "--out",
                   tmp_path / "out", "--seed", 4, *captions])
    assert result.returncode == 0, result.stderr[-3000:]
    expected = model.generate(captions, seed=4)["images_uint8"]
    for i in range(2):
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / f"{i:03d}.png")),
                                      expected[i])
    # One tile per known word: 7 for the first caption, 2 for the second.
    widths = [Image.open(tmp_path / "out" / f"{i:03d}_attention.png").width for i in range(2)]
    assert widths[0] == 7 * widths[1] // 2
    assert "(words the model knows: blue wings)" in result.stdout
    usage = _run([ROOT / "examples" / "generate.py", "--model", tmp_path / "model"])
    assert usage.returncode != 0 and "at least one caption" in usage.stderr


@pytest.mark.slow
def test_fit_synbirds_trains_saves_and_generates(tmp_path):
    result = _run([ROOT / "examples" / "fit_synbirds.py", "--out", tmp_path / "run",
                   "--data_dir", tmp_path / "data", "--num_train", 16, "--num_test", 4,
                   "--image_size", 64, "--damsm_minutes", 0.01, "--gan_minutes", 0.01])
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "run"
    model, vocabulary = load_attngan(run / "model")
    assert model.stages == 2 and model.config.generator.image_sizes == (32, 64)
    assert (run / "damsm" / "text_encoder.weights.h5").is_file()
    assert list((run / "checkpoints").glob("ckpt-*.index"))
    assert list((run / "logs" / "samples").iterdir())  # the sample grids for TensorBoard
    for i in range(2):
        assert np.asarray(Image.open(run / "samples" / f"{i}.png")).shape == (64, 64, 3)
    assert result.stdout.count("samples/") == 2


@pytest.mark.parametrize("example", ["fit_synbirds.py", "generate.py", "serving_rest_client.py",
                                     "tflite_generate.py"])
def test_examples_say_what_they_show_and_how_long(example):
    text = (ROOT / "examples" / example).read_text()
    doc = text.split('"""')[1]
    assert f"python examples/{example}" in doc
    assert any(word in doc.lower() for word in ("minute", "second"))
