"""Input-pipeline throughput (images/s) at 256 px with all three scales, and, for
comparison, what an AttnGAN training step consumes on the same machine.

    python benchmarks/input_pipeline.py --source cub --root ../shared/data/birds --split test
    python benchmarks/input_pipeline.py --source folder --root ../shared/data/cub_subset_227
    python benchmarks/input_pipeline.py --source synbirds [--cache_dir /tmp/tfr]
    python benchmarks/input_pipeline.py --consumer --preset birds --batch_size 4

The pipeline is the training one (random crop, flip, caption and word choice),
repeated endlessly; after ``--warmup`` batches, ``--batches`` batches are timed,
``--repeats`` times, and the median is printed. ``--consumer`` instead times a
training-like step of the networks (text encoder, generator, the three
discriminators on real, fake and mismatched pairs, image encoder on the fakes,
generator and discriminator losses, gradients of G and all D; no optimizer
update) and prints the images/s it gets through.
"""

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from absl import app, flags, logging  # noqa: E402

from attngan_tf.config import get_preset, preset_names  # noqa: E402
from attngan_tf.data import SOURCES, PipelineConfig, load_dataset  # noqa: E402

flags.DEFINE_enum("source", "synbirds", list(SOURCES), "Data source.")
flags.DEFINE_string("root", None, "Dataset directory (synbirds: cache root).")
flags.DEFINE_string("split", "train", "Split to read.")
flags.DEFINE_integer("batch_size", 16, "Batch size.")
flags.DEFINE_integer("batches", 40, "Batches timed per repeat.")
flags.DEFINE_integer("warmup", 5, "Batches before timing starts.")
flags.DEFINE_integer("repeats", 3, "Timed repeats; the median is reported.")
flags.DEFINE_string("cache_dir", None, "Use the TFRecord cache in this directory.")
flags.DEFINE_boolean("consumer", False, "Time a training-like step instead of the pipeline.")
flags.DEFINE_enum("preset", "birds", list(preset_names()), "Model preset for --consumer.")
FLAGS = flags.FLAGS


def _time_iterator(next_batch, batch_size):
    for _ in range(FLAGS.warmup):
        next_batch()
    rates = []
    for _ in range(FLAGS.repeats):
        start = time.perf_counter()
        for _ in range(FLAGS.batches):
            next_batch()
        rates.append(FLAGS.batches * batch_size / (time.perf_counter() - start))
    return rates


def bench_pipeline():
    dataset = load_dataset(FLAGS.source, FLAGS.root, FLAGS.split)
    config = PipelineConfig(batch_size=FLAGS.batch_size, training=True, repeat=True,
                            cache_dir=FLAGS.cache_dir)
    iterator = iter(dataset.to_tf_dataset(config))
    rates = _time_iterator(lambda: next(iterator), FLAGS.batch_size)
    print(f"pipeline source={FLAGS.source} split={FLAGS.split} examples={len(dataset)} "
          f"batch={FLAGS.batch_size} 256px x3 scales: median {statistics.median(rates):.1f} "
          f"images/s (runs: {', '.join(f'{r:.1f}' for r in rates)})")


def bench_consumer():
    from attngan_tf import losses
    from attngan_tf.info import build_networks

    cfg = get_preset(FLAGS.preset)
    nets = build_networks(cfg)
    discs = [nets[name] for name in sorted(nets) if name.startswith("discriminator")]
    batch, words = FLAGS.batch_size, cfg.text.words_num
    sizes = cfg.generator.image_sizes
    images = [tf.random.uniform([batch, s, s, 3], -1, 1) for s in sizes]
    captions = tf.random.uniform([batch, words], 1, cfg.text.vocab_size, tf.int32)
    lengths = tf.fill([batch], words)
    class_ids = tf.range(batch)
    g_vars = nets["generator"].trainable_variables
    d_vars = [v for d in discs for v in d.trainable_variables]

    @tf.function
    def step():
        words_emb, sent_emb = nets["text_encoder"](captions, lengths, training=False)
        mask = tf.sequence_mask(lengths, words)
        noise = tf.random.normal([batch, cfg.generator.z_dim])
        with tf.GradientTape(persistent=True) as tape:
            out = nets["generator"](noise, sent_emb, words_emb, mask, training=True)
            d_total, fake_outputs = 0.0, []
            for d, real, fake in zip(discs, images, out["images"]):
                real_out = d(real, sent_emb, training=True)
                fake_out = d(tf.stop_gradient(fake), sent_emb, training=True)
                wrong = d.cond_head(real_out["h_code"][:-1], sent_emb[1:])
                d_total += losses.discriminator_loss(real_out, fake_out, wrong)
                fake_outputs.append(d(fake, sent_emb, training=True))
            region, code = nets["image_encoder"](out["images"][-1], training=False)
            g = losses.generator_loss(fake_outputs, region, code, words_emb, sent_emb, mask,
                                      class_ids, cfg.loss)
            g_total = g["total"] + losses.kl_loss(out["mu"], out["logvar"])
        return tape.gradient(g_total, g_vars), tape.gradient(d_total, d_vars)

    rates = _time_iterator(step, batch)
    print(f"consumer preset={FLAGS.preset} batch={batch}: median "
          f"{statistics.median(rates):.2f} images/s (runs: {', '.join(f'{r:.2f}' for r in rates)})")


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    import logging as py_logging
    py_logging.getLogger("attngan_tf.data").setLevel(py_logging.ERROR)
    bench_consumer() if FLAGS.consumer else bench_pipeline()


if __name__ == "__main__":
    app.run(main)
