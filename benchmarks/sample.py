"""Latency of caption → 256 px image through the exported SavedModel, against the original.

    python benchmarks/sample.py --preset birds [--model DIR] [--repeats 10]
        [--forms transposed,plain] [--precisions float32,bfloat16] [--torch]

Exports the model (random weights at the preset's configuration with a
placeholder vocabulary of the preset's size, or a trained ``--model``) with
:func:`attngan_tf.export.export_saved_model`, loads it with
``tf.saved_model.load`` and times the ``generate_with_seed`` signature
(tokenizer, text encoder, averaged generator, uint8 conversion) at batch 1 and
8: 2 warm-up calls, then the median of ``--repeats`` calls. ``--forms``: the
up-blocks as one transposed convolution (the library's form) and/or as
nearest upsampling + 3 × 3 convolution (``plain``, inside
:func:`attngan_tf.ops.upsampled_conv.plain_upsampling`), each exported and
timed in this process. ``--precisions``: each form exported with the
generator in float32 and/or bfloat16 (``mixed_bfloat16``). ``--torch``:
first times the PyTorch port of the original (``torch_baseline.py --mode
sample``, its own process, same threads) and prints each of our figures as a
ratio to it. ``--tflite``: also exports
each form to TFLite (:func:`attngan_tf.export.export_tflite`, batch 1) and
times LiteRT's interpreter on it, with the largest difference between the two
forms' pictures.
"""

import contextlib
import itertools
import os
import statistics
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from port import port_sample_ms  # noqa: E402
from random_data import CAPTION, placeholder_vocabulary  # noqa: E402
from timing import timed_calls  # noqa: E402

from attngan_tf.config import get_preset, preset_names  # noqa: E402
from attngan_tf.export import export_saved_model  # noqa: E402
from attngan_tf.models import AttnGAN, load_attngan  # noqa: E402
from attngan_tf.ops.upsampled_conv import plain_upsampling  # noqa: E402

flags.DEFINE_enum("preset", "birds", list(preset_names()), "Model preset (without --model).")
flags.DEFINE_string("model", None, "A trained model directory instead of random weights.")
flags.DEFINE_integer("repeats", 10, "Timed calls per batch size (median reported).")
flags.DEFINE_list("forms", ["transposed"], "Up-block forms to time: transposed, plain.")
flags.DEFINE_list("precisions", ["float32"], "Generator arithmetic of the export: float32, "
                  "bfloat16 (export_saved_model's precision).")
flags.DEFINE_boolean("torch", False, "Also time the PyTorch port of the original, first.")
flags.DEFINE_boolean("tflite", False, "Also time LiteRT on TFLite exports of each form "
                     "(batch 1).")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    original = port_sample_ms(FLAGS.preset, (1, 8), FLAGS.repeats) if FLAGS.torch else {}
    for batch, ms in original.items():
        print(f"PyTorch port, batch {batch}: median {ms:.0f} ms")
    if FLAGS.model:
        model, _ = load_attngan(FLAGS.model)
    else:
        config = get_preset(FLAGS.preset)
        model = AttnGAN(config, seed=0)
        model.build()
        model.set_vocabulary(placeholder_vocabulary(config))
    for form, precision in itertools.product(FLAGS.forms, FLAGS.precisions):
        with tempfile.TemporaryDirectory() as staging:
            context = plain_upsampling() if form == "plain" else contextlib.nullcontext()
            with context:  # read while the signatures are traced
                path = export_saved_model(model, staging, precision=precision)
            serve = tf.saved_model.load(str(path)).signatures["generate_with_seed"]
            for batch in (1, 8):
                inputs = {"captions": tf.constant([CAPTION] * batch),
                          "seed": tf.range(batch, dtype=tf.int64)}
                times = timed_calls(lambda: serve(**inputs)["images"].numpy(), FLAGS.repeats)
                median = 1000 * statistics.median(times)
                ratio = (f"; the original / ours = {original[batch] / median:.2f}x"
                         if batch in original else "")
                print(f"{model.config.name}, {form} up-blocks, {precision}, batch {batch}: median "
                      f"{median:.0f} ms (min {1000 * min(times):.0f}, max "
                      f"{1000 * max(times):.0f}){ratio}")
    if FLAGS.tflite:
        time_tflite(model)


def time_tflite(model) -> None:
    """LiteRT latency of each up-block form (batch 1) and their largest difference."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    from attngan_tf.export import export_tflite

    cfg = model.config
    rng = np.random.default_rng(0)
    ids = np.zeros((1, cfg.text.words_num), np.int32)
    ids[0, :8] = rng.integers(1, cfg.text.vocab_size, 8)
    inputs = {"token_ids": ids, "lengths": np.array([8], np.int32),
              "noise": rng.standard_normal((1, cfg.generator.z_dim)).astype(np.float32),
              "ca_noise": rng.standard_normal((1, cfg.generator.condition_dim)).astype(
                  np.float32)}
    images = {}
    for form in FLAGS.forms:
        with tempfile.TemporaryDirectory() as staging:
            path = export_tflite(model, staging, transposed_upsampling=form == "transposed")
            interpreter = Interpreter(model_path=str(path), num_threads=2)
            runner = interpreter.get_signature_runner()
            images[form] = runner(**inputs)["images"]
            times = timed_calls(lambda: runner(**inputs), FLAGS.repeats, warmup=1)
        print(f"TFLite (LiteRT, 2 threads), {form} up-blocks, batch 1: median "
              f"{1000 * statistics.median(times):.0f} ms (min {1000 * min(times):.0f})")
    if len(images) == 2:
        a, b = images.values()
        print(f"TFLite: largest difference between the forms' pictures {np.abs(a - b).max():.2e}")


if __name__ == "__main__":
    app.run(main)
