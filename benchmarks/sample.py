"""Latency of caption → 256 px image through the exported SavedModel.

    python benchmarks/sample.py --preset birds [--model DIR] [--repeats 10]

Exports the model (random weights at the preset's configuration with a
placeholder vocabulary of the preset's size, or a trained ``--model``) with
:func:`attngan_tf.export.export_saved_model`, loads it with
``tf.saved_model.load`` and times the ``generate_with_seed`` signature
(tokenizer, text encoder, averaged generator, uint8 conversion) at batch 1 and
8: 2 warm-up calls, then the median of ``--repeats`` calls.
"""

import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from attngan_tf.config import get_preset, preset_names  # noqa: E402
from attngan_tf.export import export_saved_model  # noqa: E402
from attngan_tf.models import AttnGAN, load_attngan  # noqa: E402
from attngan_tf.text import Vocabulary  # noqa: E402

flags.DEFINE_enum("preset", "birds", list(preset_names()), "Model preset (without --model).")
flags.DEFINE_string("model", None, "A trained model directory instead of random weights.")
flags.DEFINE_integer("repeats", 10, "Timed calls per batch size (median reported).")
FLAGS = flags.FLAGS

CAPTION = "this small bird has a red crown, a white belly and black wings with white bars"


def main(argv):
    del argv
    if FLAGS.model:
        model, _ = load_attngan(FLAGS.model)
    else:
        config = get_preset(FLAGS.preset)
        model = AttnGAN(config, seed=0)
        model.build()
        words = CAPTION.replace(",", "").split()
        filler = [f"word{i}" for i in range(config.text.vocab_size - 1 - len(set(words)))]
        model.set_vocabulary(Vocabulary(["<end>", *dict.fromkeys(words), *filler]))
    with tempfile.TemporaryDirectory() as staging:
        path = export_saved_model(model, staging)
        serve = tf.saved_model.load(str(path)).signatures["generate_with_seed"]
        for batch in (1, 8):
            inputs = {"captions": tf.constant([CAPTION] * batch),
                      "seed": tf.range(batch, dtype=tf.int64)}
            for _ in range(2):
                serve(**inputs)
            times = []
            for _ in range(FLAGS.repeats):
                start = time.perf_counter()
                serve(**inputs)["images"].numpy()
                times.append(time.perf_counter() - start)
            print(f"{model.config.name}, batch {batch}: median {1000 * statistics.median(times):.0f} ms "
                  f"(min {1000 * min(times):.0f}, max {1000 * max(times):.0f})")


if __name__ == "__main__":
    app.run(main)
