"""SavedModel export for TF Serving: signatures, plain-TF loading, core ops only, odd input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from attngan_tf.export import export_saved_model
from attngan_tf.models import AttnGAN, save_attngan
from attngan_tf.text import Vocabulary
from tests.conftest import ROOT
from tests.models.test_attngan import small_config
from tests.test_sampling import WORDS


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cfg = small_config(2)
    cfg = cfg.replace(text=cfg.text.replace(vocab_size=len(WORDS)))
    model = AttnGAN(cfg, seed=1)
    model.build()
    model.set_vocabulary(Vocabulary(WORDS))
    base = tmp_path_factory.mktemp("saved") / "synbirds"
    return model, export_saved_model(model, base), base


def test_layout_versions_and_seeded_signature_matches_the_api(exported):
    model, path, base = exported
    assert path == base / "1" and (path / "saved_model.pb").is_file()
    loaded = tf.saved_model.load(str(path))
    assert set(loaded.signatures) == {"serving_default", "generate_with_seed"}
    out = loaded.signatures["generate_with_seed"](
        captions=tf.constant(["a red bird", "blue wings"]), seed=tf.constant([5, 7], tf.int64))
    api = model.generate(["a red bird", "blue wings"], seed=[5, 7])
    np.testing.assert_array_equal(out["images"].numpy(), api["images_uint8"])
    np.testing.assert_array_equal(out["token_ids"].numpy(), api["token_ids"])
    assert out["images"].dtype == tf.uint8 and out["images_stage1"].shape == (2, 64, 64, 3)
    assert out["attention_stage2"].shape == (2, 64, 64, model.config.text.words_num)
    with pytest.raises(ValueError, match="already exists"):
        export_saved_model(model, base, version=1)


def test_odd_inputs_never_fail(exported):
    model, path, _ = exported
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    words_num = model.config.text.words_num
    odd = [b"", b"zzz qqq", b" ".join([b"bird"] * 40), b"\xff\xfe\xfa bird \xc3", b"a red bird",
           b"a red bird"]
    out = serve(captions=tf.constant(odd))
    assert list(out["lengths"].numpy()) == [0, 0, words_num, 1, 3, 3]
    images = out["images"].numpy()
    np.testing.assert_array_equal(images[4], images[5])  # same text, same picture
    empty = serve(captions=tf.constant([], tf.string))
    assert empty["images"].shape == (0, 128, 128, 3) and empty["lengths"].shape == (0,)
    many = serve(captions=tf.constant(["a small bird"] * 64))
    assert many["images"].shape == (64, 128, 128, 3)


_PLAIN_LOAD = """
import json, sys
import tensorflow as tf
from tensorflow.python.framework import op_def_registry
m = tf.saved_model.load(sys.argv[1])
out = m.signatures["serving_default"](captions=tf.constant(["a small bird with a red crown"]))
ops = set()
from tensorflow.core.protobuf import saved_model_pb2
sm = saved_model_pb2.SavedModel()
sm.ParseFromString(open(sys.argv[1] + "/saved_model.pb", "rb").read())
for graph in sm.meta_graphs:
    ops.update(node.op for node in graph.graph_def.node)
    for fn in graph.graph_def.library.function:
        ops.update(node.op for node in fn.node_def)
missing = sorted(op for op in ops if op_def_registry.get(op) is None)
print(json.dumps({"shape": out["images"].shape.as_list(), "ops": len(ops), "missing": missing,
                  "leaked": sorted(m for m in sys.modules
                                   if m.split(".")[0] in ("attngan_tf", "tensorflow_text"))}))
"""


def test_loads_in_plain_tensorflow_with_core_ops_only(exported):
    _, path, _ = exported
    proc = subprocess.run([sys.executable, "-c", _PLAIN_LOAD, str(path)], capture_output=True,
                          text=True, cwd="/", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["shape"] == [1, 128, 128, 3]
    assert report["ops"] > 20 and report["missing"] == [] and report["leaked"] == []


def test_saved_model_cli_show_and_run(exported):
    _, path, _ = exported
    cli = [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]
    show = subprocess.run(cli + ["show", "--dir", str(path), "--all"], capture_output=True,
                          text=True, timeout=300)
    assert show.returncode == 0, show.stderr[-2000:]
    assert "signature_def['serving_default']" in show.stdout
    assert "signature_def['generate_with_seed']" in show.stdout
    assert "captions" in show.stdout and "DT_UINT8" in show.stdout
    run = subprocess.run(cli + ["run", "--dir", str(path), "--tag_set", "serve",
                                "--signature_def", "serving_default", "--input_exprs",
                                'captions=["a red bird", "blue wings"]'],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "images" in run.stdout and "lengths" in run.stdout


def test_cli_export(exported, tmp_path):
    model, _, _ = exported
    save_attngan(model, tmp_path / "model", model.vocabulary)
    proc = subprocess.run([sys.executable, "-m", "attngan_tf", "export", "--model",
                           str(tmp_path / "model"), "--out", str(tmp_path / "sm")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "sm" / "1" / "saved_model.pb").is_file()
    # Only our lines: none of TensorFlow's saving chatter ("Writing fingerprint",
    # "Sharding callback duration", the placeholder-rename notes).
    assert proc.stdout.splitlines() == [
        f"wrote the SavedModel to {tmp_path / 'sm' / '1'} (signatures serving_default, "
        "generate_with_seed)"]
    assert [line.split(":")[0] for line in proc.stderr.splitlines()] == ["export"], proc.stderr


def test_bfloat16_generator_keeps_the_weights_and_warns_without_bf16(exported, monkeypatch,
                                                                     caplog):
    from attngan_tf import export

    model, _, _ = exported
    monkeypatch.setattr(export, "cpu_has_bfloat16", lambda: False)
    with caplog.at_level("WARNING", logger="attngan_tf.export"):
        generator = export._generator_at(model, "bfloat16")
    assert "no bfloat16 instructions" in caplog.text
    assert generator.compute_dtype == "bfloat16"
    assert generator.init_stage.compute_dtype == "bfloat16"
    for ours, theirs in zip(generator.weights, model.ema_generator.weights, strict=True):
        assert ours.dtype == "float32"
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert export._generator_at(model, "float32") is model.ema_generator
    with pytest.raises(ValueError, match="precision"):
        export._generator_at(model, "int8")


def _interpret(path, inputs):
    # LiteRT, TFLite's runtime (tf.lite.Interpreter is deprecated in its favour).
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner()
    assert set(runner.get_input_details()) == set(inputs)
    return runner(**inputs)["images"]


def _op_details(path):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(path))._get_ops_details()


def test_tflite_matches_keras_and_float16_halves_the_size(exported, tmp_path):
    from attngan_tf.export import export_tflite

    model, _, _ = exported
    cfg = model.config
    rng = np.random.default_rng(0)
    ids = np.zeros((1, cfg.text.words_num), np.int32)
    ids[0, :4] = [1, 3, 4, 2]  # a red crown bird
    inputs = {"token_ids": ids, "lengths": np.array([4], np.int32),
              "ca_noise": rng.standard_normal((1, cfg.generator.condition_dim)).astype(np.float32),
              "noise": rng.standard_normal((1, cfg.generator.z_dim)).astype(np.float32)}
    keras_images = model({"captions": ids, "lengths": inputs["lengths"], **{
        k: inputs[k] for k in ("noise", "ca_noise")}})["images"][-1].numpy()
    path32 = export_tflite(model, tmp_path / "f32")
    np.testing.assert_allclose(_interpret(path32, inputs), keras_images, atol=1e-3)
    assert Vocabulary.load(tmp_path / "f32" / "vocabulary.json") == model.vocabulary
    path16 = export_tflite(model, tmp_path / "f16", float16=True)
    assert path16.stat().st_size < 0.6 * path32.stat().st_size
    np.testing.assert_allclose(_interpret(path16, inputs), keras_images, atol=0.05)
    # The up-blocks as nearest upsampling + CONV_2D (for runtimes without
    # TRANSPOSE_CONV, the default's form) convert and match too.
    plain = export_tflite(model, tmp_path / "p32", transposed_upsampling=False)
    np.testing.assert_allclose(_interpret(plain, inputs), keras_images, atol=1e-3)
    assert "TRANSPOSE_CONV" in {detail["op_name"] for detail in _op_details(path32)}
    assert "TRANSPOSE_CONV" not in {detail["op_name"] for detail in _op_details(plain)}
