"""The original AttnGAN's speed on this machine, measured with ``reference_torch.py``.

    python benchmarks/torch_baseline.py --mode train --preset birds --batch 4
    python benchmarks/torch_baseline.py --mode sample --preset birds --batch 1,8

First checks the PyTorch port against the shared reference vectors (``--verify``,
skipped with a note when the file is absent), then times, with 2 threads:

* ``train``: full training iterations in the reference trainer's order (text
  encoder, generator, the three discriminator updates, the generator update with
  the DAMSM loss through Inception-v3 and KL -- discriminator gradients
  included, as the original computes them --, the weight average) on random data
  drawn as ``train_step.py`` draws it; ``--warmup`` iterations excluded, median of
  ``--steps``; images/s and peak RSS, the figures ``train_step.py`` prints for ours.
* ``sample``: text encoder + generator in eval mode under ``torch.inference_mode``
  for one caption repeated ``batch`` times; median of ``--repeats`` calls.

Needs torch (``pip install -e '.[test]'`` brings the CPU build).
"""

import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_torch  # noqa: E402
from random_data import random_captions  # noqa: E402

from attngan_tf.config import get_preset, preset_names  # noqa: E402

DEFAULT_VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                               "reference_vectors", "attngan_small.npz")

flags.DEFINE_enum("mode", "train", ["train", "sample"], "What to time.")
flags.DEFINE_enum("preset", "birds", list(preset_names()), "Configuration.")
flags.DEFINE_list("batch", ["4"], "Batch sizes.")
flags.DEFINE_integer("steps", 5, "train: timed iterations (median reported).")
flags.DEFINE_integer("warmup", 2, "train: untimed iterations first.")
flags.DEFINE_integer("repeats", 10, "sample: timed calls (median reported).")
flags.DEFINE_integer("threads", 2, "torch.set_num_threads.")
flags.DEFINE_string("verify", DEFAULT_VECTORS, "Reference-vectors file to check the port on.")
FLAGS = flags.FLAGS


def reference_config(name: str) -> dict:
    """Our preset in the reference's configuration names."""
    c = get_preset(name)
    return {"vocab_size": c.text.vocab_size, "embedding_dim": c.text.embedding_dim,
            "text_input_dim": c.text.word_dim, "words_num": c.text.words_num,
            "gf_dim": c.generator.gf_dim, "df_dim": c.discriminator.df_dim,
            "z_dim": c.generator.z_dim, "condition_dim": c.generator.condition_dim,
            "r_num": c.generator.r_num, "branch_num": c.generator.branch_num,
            "gamma1": c.loss.gamma1, "gamma2": c.loss.gamma2, "gamma3": c.loss.gamma3,
            "lambda": c.loss.damsm_lambda}


def random_batch(cfg: dict, size: int, rng):
    ids, lengths = random_captions(cfg["words_num"], cfg["vocab_size"], size, rng)
    sizes = [64 * 2 ** i for i in range(cfg["branch_num"])]
    images = [torch.from_numpy(rng.uniform(-1, 1, (size, 3, s, s)).astype(np.float32))
              for s in sizes]
    return (images, torch.from_numpy(ids).long(), torch.from_numpy(lengths).long(),
            rng.integers(1, 201, size))


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def time_train(cfg, batch):
    torch.manual_seed(0)
    model = reference_torch.AttnGAN(cfg)
    rng = np.random.default_rng(0)
    data = random_batch(cfg, batch, rng)
    for _ in range(FLAGS.warmup):
        model.train_step(*data)
    times = []
    for _ in range(FLAGS.steps):
        start = time.perf_counter()
        model.train_step(*data)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    print(f"torch train, {FLAGS.preset}, batch {batch}: {seconds:.2f} s/iteration, "
          f"{batch / seconds:.2f} images/s (min {min(times):.2f}, max {max(times):.2f} s); "
          f"peak RSS {peak_rss_gib():.2f} GiB")


def time_sample(cfg, batch):
    torch.manual_seed(0)
    nef = cfg["embedding_dim"]
    text = reference_torch.TextEncoder(cfg["vocab_size"], nef, cfg["text_input_dim"]).eval()
    generator = reference_torch.Generator(cfg["gf_dim"], nef, cfg["z_dim"],
                                          cfg["condition_dim"], cfg["r_num"],
                                          cfg["branch_num"]).eval()
    words = 16  # the caption sample.py uses has 16 words
    captions = torch.arange(1, words + 1).repeat(batch, 1)
    lengths = torch.full((batch,), words)

    def run():
        with torch.inference_mode():
            words_emb, sent_emb = text(captions, lengths)
            mask = (captions == 0)[:, :words_emb.size(2)]
            images, *_ = generator(torch.randn(batch, cfg["z_dim"]), sent_emb, words_emb, mask,
                                   torch.randn(batch, cfg["condition_dim"]))
            return images[-1].numpy()

    for _ in range(2):
        run()
    times = []
    for _ in range(FLAGS.repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    print(f"torch sample, {FLAGS.preset}, batch {batch}: median "
          f"{1000 * statistics.median(times):.0f} ms (min {1000 * min(times):.0f}, "
          f"max {1000 * max(times):.0f})")


def main(argv):
    del argv
    torch.set_num_threads(FLAGS.threads)
    if FLAGS.verify and os.path.isfile(FLAGS.verify):
        checked = reference_torch.verify(FLAGS.verify)
        print(f"port verified: {checked} outputs of {os.path.basename(FLAGS.verify)} match")
    else:
        print(f"port NOT verified: no reference vectors at {FLAGS.verify}")
    cfg = reference_config(FLAGS.preset)
    for batch in map(int, FLAGS.batch):
        (time_train if FLAGS.mode == "train" else time_sample)(cfg, batch)


if __name__ == "__main__":
    app.run(main)
