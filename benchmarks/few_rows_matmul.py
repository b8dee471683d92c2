"""The discriminators' few-row matrix products: input gradient plain or transposed.

    python benchmarks/few_rows_matmul.py --preset birds --batch 4 [--step_rounds 5]

1. Records the matrix products the discriminators run as convolutions
   (:func:`~attngan_tf.ops.conv_by_matmul.conv_by_matmul`: blocks on inputs of
   at most 16 × 16) for one training iteration at ``--batch`` (each
   discriminator on ``2·batch`` images -- real and generated -- in its update,
   on ``batch`` in the generator's), then times, for each shape, the gradient
   for ``a`` as TensorFlow writes it (``matmul(g, b, transpose_b=True)``) and
   as :func:`~attngan_tf.ops.few_rows_matmul.few_rows_matmul` computes it
   (``transpose(matmul(b, g, transpose_b=True))``), median of ``--repeats``,
   alternated, and prints the ratio and which form the library takes
   (:data:`~attngan_tf.ops.few_rows_matmul.MAX_ROWS`).
2. ``--step_rounds N``: the whole training iteration at ``--batch`` both ways in
   this one process -- two models, one traced with every product in the plain
   form, one as the library runs it -- timed alternately ``N`` times each;
   prints both medians and their ratio.
"""

import collections
import os
import statistics
import sys
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from attngan_tf.config import get_preset, preset_names  # noqa: E402
from attngan_tf.models import AttnGAN  # noqa: E402
from attngan_tf.models.discriminator import build_discriminators  # noqa: E402
from attngan_tf.ops import conv_by_matmul, few_rows_matmul  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from random_data import random_tf_batch  # noqa: E402
from timing import timed_calls  # noqa: E402

flags.DEFINE_enum("preset", "birds", list(preset_names()), "Model preset.")
flags.DEFINE_integer("batch", 4, "Training batch size.")
flags.DEFINE_integer("repeats", 7, "Timed calls per product form (median reported).")
flags.DEFINE_integer("step_rounds", 0, "Also time the whole iteration both ways, N rounds.")
FLAGS = flags.FLAGS


def product_shapes(config, batch: int) -> collections.Counter:
    """``(rows, inner, columns)`` of every discriminator matrix product in one iteration."""
    shapes = collections.Counter()

    def record(a, b):
        shapes[(int(a.shape[0]), int(a.shape[1]), int(b.shape[1]))] += 1
        return tf.matmul(a, b)

    cfg = config.discriminator
    rng = np.random.default_rng(0)
    with mock.patch.object(conv_by_matmul, "few_rows_matmul", record):
        for discriminator in build_discriminators(cfg):
            size = discriminator.image_size
            for images in (2 * batch, batch):  # the update's real + fake, the generator's
                x = tf.constant(rng.uniform(-1, 1, (images, size, size, 3)), tf.float32)
                sent = tf.constant(rng.normal(size=(images, cfg.embedding_dim)), tf.float32)
                discriminator(x, sent, training=True)  # eagerly: every shape is known
    return shapes


def time_input_gradients(shape, repeats: int) -> tuple[float, float]:
    """Median seconds of the plain and the transposed gradient for ``a``."""
    rows, inner, columns = shape
    rng = np.random.default_rng(0)
    b = tf.constant(rng.normal(size=(inner, columns)).astype(np.float32))
    g = tf.constant(rng.normal(size=(rows, columns)).astype(np.float32))
    plain = tf.function(lambda: tf.matmul(g, b, transpose_b=True))
    transposed = tf.function(lambda: tf.transpose(tf.matmul(b, g, transpose_b=True)))
    calls = [lambda: plain().numpy(), lambda: transposed().numpy()]
    for call in calls:  # trace and warm up
        call()
    times = [[], []]
    for _ in range(repeats):
        for k, call in enumerate(calls):
            times[k] += timed_calls(call, 1, warmup=0)
    return statistics.median(times[0]), statistics.median(times[1])


def time_steps(config, batch: int, rounds: int) -> tuple[float, float]:
    """Median seconds of a training iteration with every product plain, and as the library runs it."""
    data = random_tf_batch(config, batch, np.random.default_rng(0))
    steps = []
    for max_rows in (0, few_rows_matmul.MAX_ROWS):
        with mock.patch.object(few_rows_matmul, "MAX_ROWS", max_rows):
            model = AttnGAN(config, seed=0)
            model.build()
            model.compile()
            step = tf.function(model.train_step)
            for _ in range(2):  # trace (with this MAX_ROWS) and warm up
                step(data)["g_loss"].numpy()
        steps.append(step)
    times = [[], []]
    for _ in range(rounds):
        for k, step in enumerate(steps):
            times[k] += timed_calls(lambda: step(data)["g_loss"].numpy(), 1, warmup=0)
    return statistics.median(times[0]), statistics.median(times[1])


def main(argv):
    del argv
    config = get_preset(FLAGS.preset)
    shapes = product_shapes(config, FLAGS.batch)
    print(f"preset {config.name}, batch {FLAGS.batch}: {sum(shapes.values())} discriminator "
          f"products, {len(shapes)} shapes; MAX_ROWS {few_rows_matmul.MAX_ROWS}")
    print(f"{'rows':>6s} {'inner':>6s} {'cols':>6s} {'n':>2s} {'plain ms':>9s} "
          f"{'transposed ms':>14s} {'plain/transposed':>17s}  library")
    total = [0.0, 0.0]
    for shape, count in sorted(shapes.items(), key=lambda kv: -kv[0][0] * kv[0][1] * kv[0][2]):
        plain, transposed = time_input_gradients(shape, FLAGS.repeats)
        chosen = "transposed" if shape[0] <= few_rows_matmul.MAX_ROWS else "plain"
        total[0] += count * plain
        total[1] += count * (transposed if chosen == "transposed" else plain)
        print(f"{shape[0]:6d} {shape[1]:6d} {shape[2]:6d} {count:2d} {plain * 1e3:9.1f} "
              f"{transposed * 1e3:14.1f} {plain / transposed:16.2f}×  {chosen}")
    print(f"all input gradients of an iteration: plain {total[0] * 1e3:.0f} ms, "
          f"as the library runs them {total[1] * 1e3:.0f} ms ({total[0] / total[1]:.2f}×)")
    if FLAGS.step_rounds:
        plain, library = time_steps(config, FLAGS.batch, FLAGS.step_rounds)
        print(f"training iteration, batch {FLAGS.batch}, {FLAGS.step_rounds} alternated rounds: "
              f"all plain {plain:.3f} s, library {library:.3f} s ({plain / library:.3f}×)")


if __name__ == "__main__":
    app.run(main)
