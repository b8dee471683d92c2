"""Speed of full AttnGAN training iterations (``AttnGAN.train_step``) on random data.

    python benchmarks/train_step.py --preset birds --batch 4 [--steps 5] [--jit]
        [--policy mixed_bfloat16]

One iteration is what ``fit`` runs per batch: text encoding, all generator
stages, the update of every discriminator, the generator update with the
adversarial, DAMSM (image encoder on the last stage) and KL terms, and the
weight average. Random images and captions at the preset's sizes (256 px and
three stages for ``birds``); the first ``--warmup`` iterations (tracing) are
excluded, then ``--steps`` iterations are timed one by one and the median is
reported as images/s, with the process's peak resident memory.
"""

import os
import resource
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from attngan_tf.config import get_preset, preset_names  # noqa: E402
from attngan_tf.models import AttnGAN  # noqa: E402

flags.DEFINE_enum("preset", "birds", list(preset_names()), "Model preset.")
flags.DEFINE_integer("batch", 4, "Batch size.")
flags.DEFINE_integer("steps", 5, "Timed iterations (median reported).")
flags.DEFINE_integer("warmup", 2, "Untimed iterations first (tracing).")
flags.DEFINE_boolean("jit", False, "XLA-compile the step.")
flags.DEFINE_enum("policy", "float32", ["float32", "mixed_bfloat16", "mixed_float16"],
                  "Keras dtype policy.")
FLAGS = flags.FLAGS


def _batch(config, size, rng):
    words = config.text.words_num
    lengths = rng.integers(words // 2, words + 1, size)
    ids = rng.integers(1, config.text.vocab_size, (size, words))
    ids[np.arange(words)[None, :] >= lengths[:, None]] = 0
    return {"images": tuple(tf.constant(rng.uniform(-1, 1, (size, s, s, 3)), tf.float32)
                            for s in config.generator.image_sizes),
            "captions": tf.constant(ids, tf.int32), "lengths": tf.constant(lengths, tf.int32),
            "class_ids": tf.constant(rng.integers(1, 201, size), tf.int32)}


def main(argv):
    del argv
    keras.config.set_dtype_policy(FLAGS.policy)
    config = get_preset(FLAGS.preset)
    model = AttnGAN(config, seed=0)
    model.compile(jit_compile=FLAGS.jit)
    model.make_train_function()
    step = model.train_function
    rng = np.random.default_rng(0)
    batches = [_batch(config, FLAGS.batch, rng) for _ in range(3)]
    iterator = iter(tf.data.Dataset.from_tensors(batches[0]).concatenate(
        tf.data.Dataset.from_tensor_slices(
            tf.nest.map_structure(lambda *x: tf.stack(x), *batches[1:]))).repeat())
    for _ in range(FLAGS.warmup):
        logs = step(iterator)
    times = []
    for _ in range(FLAGS.steps):
        start = time.perf_counter()
        logs = step(iterator)
        float(logs["g_loss"])  # wait for the step to finish
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"preset {config.name}, batch {FLAGS.batch}, jit {FLAGS.jit}, {FLAGS.policy}: "
          f"median {median:.2f} s/iteration = {FLAGS.batch / median:.2f} images/s "
          f"(times {', '.join(f'{t:.2f}' for t in times)}); peak RSS {peak_gib:.2f} GiB")


if __name__ == "__main__":
    app.run(main)
