"""Speed of full AttnGAN training iterations (``AttnGAN.train_step``) on random data.

    python benchmarks/train_step.py --preset birds --batch 4 [--steps 5] [--jit]
        [--policy mixed_bfloat16] [--torch --pairs 3]

One iteration is what ``fit`` runs per batch: text encoding, all generator
stages, the update of every discriminator, the generator update with the
adversarial, DAMSM (image encoder on the last stage) and KL terms, and the
weight average. Random images and captions at the preset's sizes (256 px and
three stages for ``birds``); the first ``--warmup`` iterations (tracing) are
excluded, then ``--steps`` iterations are timed one by one and the median is
reported as images/s, with the process's peak resident memory.

``--torch``: ``--pairs`` rounds of the PyTorch port of the original
(``torch_baseline.py``, the same batch, steps and warm-up) followed by ours,
each in a fresh process (beside an idle TensorFlow process holding a model
the port once took 7.6-9.3 s at batch 4 against 5.6-6.2 s alone, in one
sitting), alternated so that the machine's drift hits both; prints each
pair's ratio and the ratio of the medians, with both peak RSS figures.
"""

import os
import re
import resource
import statistics
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from attngan_tf.config import get_preset, preset_names  # noqa: E402
from attngan_tf.malloc_arenas import limit_malloc_arenas  # noqa: E402
from attngan_tf.models import AttnGAN  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from port import port_train  # noqa: E402
from random_data import random_tf_batch  # noqa: E402
from timing import median_seconds, timed_calls  # noqa: E402

flags.DEFINE_enum("preset", "birds", list(preset_names()), "Model preset.")
flags.DEFINE_integer("batch", 4, "Batch size.")
flags.DEFINE_integer("steps", 5, "Timed iterations (median reported).")
flags.DEFINE_integer("warmup", 2, "Untimed iterations first (tracing).")
flags.DEFINE_boolean("jit", False, "XLA-compile the step.")
flags.DEFINE_boolean("profile", False, "Also time the parts of an iteration separately.")
flags.DEFINE_enum("policy", "float32", ["float32", "mixed_bfloat16", "mixed_float16"],
                  "Keras dtype policy.")
flags.DEFINE_boolean("malloc_arenas", True, "Cap glibc's malloc arenas at one per core, as "
                     "the attngan command does (attngan_tf.malloc_arenas).")
flags.DEFINE_boolean("torch", False, "Alternate with the PyTorch port of the original.")
flags.DEFINE_integer("pairs", 3, "--torch: rounds of (port, ours).")
FLAGS = flags.FLAGS


def _median_time(fn, *args, repeats=3):
    """Median seconds of ``fn(*args)`` to its last value, after one untimed call (the trace)."""
    return median_seconds(lambda: tf.nest.map_structure(
        lambda t: t.numpy() if hasattr(t, "numpy") else t, fn(*args)), repeats, warmup=1)


def profile(model, batch):
    """Median seconds of each part of a training iteration (each part compiled alone)."""
    from attngan_tf import losses

    words, sent, mask = model.encode_text(batch["captions"], batch["lengths"])
    cfg = model.config.generator
    size = batch["captions"].shape[0]
    noise = tf.random.normal((size, cfg.z_dim))
    ca_noise = tf.random.normal((size, cfg.condition_dim))
    g_vars = model.generator.trainable_variables

    def generate():
        return model.generator(noise, sent, words, mask, ca_noise, training=True)["images"]

    fakes = tf.function(generate)()

    def g_update():
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch([v.value for v in g_vars])
            images = generate()
            outs = [d(x, sent, training=True) for d, x in zip(model.discriminators, images)]
            region, code = model.image_encoder(images[-1], training=False)
            g = losses.generator_loss(outs, region, code, words, sent, mask, None,
                                      model.config.loss)
        grads = tape.gradient(g["total"], g_vars)
        model.g_optimizer.apply(grads, g_vars)
        return g["total"]

    def inception_with_input_gradient():
        with tf.GradientTape() as tape:
            tape.watch(fakes[-1])
            region, code = model.image_encoder(fakes[-1], training=False)
            total = tf.reduce_sum(region) + tf.reduce_sum(code)
        return tape.gradient(total, fakes[-1])

    parts = {"text encoder": tf.function(lambda: model.encode_text(batch["captions"],
                                                                    batch["lengths"])),
             "generator forward": tf.function(generate)}
    for i in range(model.stages):
        parts[f"D{i} update"] = tf.function(
            lambda i=i: model._discriminator_step(i, batch["images"][i], fakes[i], sent, 1))
    parts["image encoder fwd+input grad"] = tf.function(inception_with_input_gradient)
    parts["G update (incl. generation)"] = tf.function(g_update)
    for name, fn in parts.items():
        print(f"  {name:<32s} {_median_time(fn):6.2f} s")


def alternate_with_port() -> None:
    """``--pairs`` rounds of (port, ours), each in a fresh process of its own."""
    ours_command = [sys.executable, os.path.abspath(__file__), "--preset", FLAGS.preset,
                    "--batch", str(FLAGS.batch), "--steps", str(FLAGS.steps),
                    "--warmup", str(FLAGS.warmup), "--policy", FLAGS.policy,
                    f"--{'' if FLAGS.jit else 'no'}jit",
                    f"--{'' if FLAGS.malloc_arenas else 'no'}malloc_arenas"]
    ports, ours = [], []
    for pair in range(FLAGS.pairs):
        ports.append(port_train(FLAGS.preset, FLAGS.batch, FLAGS.steps, FLAGS.warmup))
        proc = subprocess.run(ours_command, capture_output=True, text=True, check=True)
        match = re.search(r"median ([\d.]+) s/iteration.*peak RSS ([\d.]+) GiB", proc.stdout)
        ours.append({"seconds": float(match.group(1)), "rss_gib": float(match.group(2))})
        print(f"pair {pair + 1}: port {ports[-1]['seconds']:.2f} s "
              f"({ports[-1]['rss_gib']:.2f} GiB), ours {ours[-1]['seconds']:.2f} s "
              f"({ours[-1]['rss_gib']:.2f} GiB), port / ours "
              f"{ports[-1]['seconds'] / ours[-1]['seconds']:.2f}x", flush=True)
    port_median = statistics.median(p["seconds"] for p in ports)
    ours_median = statistics.median(o["seconds"] for o in ours)
    print(f"preset {FLAGS.preset}, batch {FLAGS.batch}, {FLAGS.policy}, {FLAGS.pairs} pairs: "
          f"port median {port_median:.2f} s/iteration (peak RSS "
          f"{max(p['rss_gib'] for p in ports):.2f} GiB), ours {ours_median:.2f} s (peak RSS "
          f"{max(o['rss_gib'] for o in ours):.2f} GiB); port / ours "
          f"{port_median / ours_median:.2f}x")


def main(argv):
    del argv
    if FLAGS.torch:
        alternate_with_port()
        return
    if FLAGS.malloc_arenas:
        limit_malloc_arenas()
    keras.config.set_dtype_policy(FLAGS.policy)
    config = get_preset(FLAGS.preset)
    model = AttnGAN(config, seed=0)
    model.compile(jit_compile=FLAGS.jit)
    model.make_train_function()
    step = model.train_function
    rng = np.random.default_rng(0)
    batches = [random_tf_batch(config, FLAGS.batch, rng) for _ in range(3)]
    iterator = iter(tf.data.Dataset.from_tensors(batches[0]).concatenate(
        tf.data.Dataset.from_tensor_slices(
            tf.nest.map_structure(lambda *x: tf.stack(x), *batches[1:]))).repeat())
    # float(): wait for the step to finish
    times = timed_calls(lambda: float(step(iterator)["g_loss"]), FLAGS.steps, FLAGS.warmup)
    median = statistics.median(times)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    if FLAGS.profile:
        profile(model, batches[0])
    print(f"preset {config.name}, batch {FLAGS.batch}, jit {FLAGS.jit}, {FLAGS.policy}: "
          f"median {median:.2f} s/iteration = {FLAGS.batch / median:.2f} images/s "
          f"(times {', '.join(f'{t:.2f}' for t in times)}); peak RSS {peak_gib:.2f} GiB")


if __name__ == "__main__":
    app.run(main)
