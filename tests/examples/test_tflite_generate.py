"""examples/tflite_generate.py: LiteRT without TensorFlow, the graph's tokenizer rule, 1e-3."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from attngan_tf.export import export_tflite
from attngan_tf.text import CaptionTokenizer
from tests.conftest import ROOT
from tests.examples import tiny_model

pytest.importorskip("ai_edge_litert")

EXAMPLE = ROOT / "examples" / "tflite_generate.py"
CAPTIONS = ["a small bird with a red crown", "BLUE wings!", "a red bird"]
ODD = ["", "zzz qqq", "bird " * 40, "Café-like crown, naïve wings", "a_red bird",
       "\ufffd red\u00e9 bird", "ÀÉÎ crown 123 wings_"]
# Runs in a process where importing TensorFlow or attngan_tf fails: the example's
# definitions (not its main), its generator and its tokenizer on the odd captions.
_DRIVER = """
import json, runpy, sys
sys.modules["tensorflow"] = None
sys.modules["attngan_tf"] = None
example = runpy.run_path(sys.argv[1], run_name="example")
generator = example["TFLiteGenerator"](sys.argv[2])
captions, odd = json.loads(sys.argv[3]), json.loads(sys.argv[4])
images, pixels, known = generator(captions, [5, 6, 7])
noise, ca_noise = generator.noise([5, 6, 7])
tokens = [example["tokenize"](c, generator.words, generator.words_num) for c in odd]
import numpy as np
np.savez(sys.argv[5], images=images, noise=noise, ca_noise=ca_noise,
         ids=np.stack([t[0] for t in tokens]), lengths=np.array([t[1] for t in tokens]))
print(sorted(m for m in sys.modules if m.startswith(("tensorflow", "keras", "attngan_tf"))
             and sys.modules[m] is not None))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = tiny_model(seed=5)
    directory = tmp_path_factory.mktemp("tflite")
    export_tflite(model, directory, batch_size=2)  # 3 captions: a padded last chunk
    return model, directory


def test_litert_matches_keras_without_tensorflow(exported, tmp_path):
    model, directory = exported
    result = subprocess.run([sys.executable, "-c", _DRIVER, str(EXAMPLE), str(directory),
                             json.dumps(CAPTIONS), json.dumps(ODD), str(tmp_path / "out.npz")],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"  # no TensorFlow, Keras, attngan_tf
    out = np.load(tmp_path / "out.npz")
    keras_images = model.generate(CAPTIONS, noise={"noise": out["noise"],
                                                   "ca_noise": out["ca_noise"]})["images"][-1]
    np.testing.assert_allclose(out["images"], keras_images, atol=1e-3)
    # The plain-Python rule gives the in-graph tokenizer's ids on odd text.
    ids, lengths = CaptionTokenizer(model.vocabulary, model.config.text.words_num)(
        tf.constant(ODD))
    np.testing.assert_array_equal(out["ids"], ids.numpy())
    np.testing.assert_array_equal(out["lengths"], lengths.numpy())


def test_command_line_writes_pngs(exported, tmp_path):
    _, directory = exported
    result = subprocess.run([sys.executable, str(EXAMPLE), "--model", str(directory), "--out",
                             str(tmp_path), "--seed", "2", *CAPTIONS],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(7 known words)" in result.stdout
    for i in range(3):
        image = np.asarray(Image.open(tmp_path / f"{i:03d}.png"))
        assert image.shape == (128, 128, 3) and image.dtype == np.uint8
    missing = subprocess.run([sys.executable, str(EXAMPLE), "--model", str(tmp_path / "none"),
                              "a bird"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert missing.returncode != 0 and "tflite_generate:" in missing.stderr
    assert "Traceback" not in missing.stderr
