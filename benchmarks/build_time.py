"""Times building (initialising) every network of a preset.

    python benchmarks/build_time.py --preset coco [--keras_orthogonal] [--repeats 3]

Prints seconds per network (median over repeats). ``--keras_orthogonal`` uses
``keras.initializers.Orthogonal`` (Householder QR) everywhere instead of our
``TallOrthogonal`` (Cholesky-QR for tall kernels), to compare the two.
"""

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from absl import app, flags  # noqa: E402

from attngan_tf.config import get_preset, preset_names  # noqa: E402
from attngan_tf.models import (AttnGenerator, Discriminator, ImageEncoder,  # noqa: E402
                               TextEncoder)
from attngan_tf.ops.initializers import TallOrthogonal  # noqa: E402

flags.DEFINE_enum("preset", "birds", list(preset_names()), "Preset to build.")
flags.DEFINE_boolean("keras_orthogonal", False, "Use keras.initializers.Orthogonal instead.")
flags.DEFINE_integer("repeats", 1, "Builds per network; the median is reported.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    if FLAGS.keras_orthogonal:
        TallOrthogonal.__call__ = keras.initializers.Orthogonal.__call__
    cfg = get_preset(FLAGS.preset)
    factories = {
        "text_encoder": lambda: TextEncoder(cfg.text),
        "image_encoder": lambda: ImageEncoder(cfg.image_encoder, _report_init=False),
        "generator": lambda: AttnGenerator(cfg.generator),
    }
    for i in range(cfg.discriminator.branch_num):
        factories[f"discriminator{i}"] = lambda i=i: Discriminator(cfg.discriminator, i)
    total = 0.0
    for name, make in factories.items():
        times = []
        for _ in range(FLAGS.repeats):
            start = time.perf_counter()
            make().build()
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        total += median
        print(f"{name:<16s} {median:7.2f} s")
    print(f"{'total':<16s} {total:7.2f} s  (preset {cfg.name}, "
          f"{'keras Orthogonal' if FLAGS.keras_orthogonal else 'TallOrthogonal'})")


if __name__ == "__main__":
    app.run(main)
