"""Where a training iteration's time and memory go, per TensorFlow op.

    python benchmarks/op_profile.py --preset birds --batch 4 [--top 25]

Traces ``--steps`` compiled ``AttnGAN.train_step`` iterations (after 2
untraced warm-ups) with ``tf.profiler`` and summarises the trace:

* op time per step by op type and by op (summed over threads, so it exceeds
  the wall time on 2 cores);
* the allocator's peak bytes in use during the trace, and the tensors alive at
  that moment grouped by the op that allocated them (variables allocated before
  the trace are not listed, only counted in the peak).
"""

import collections
import glob
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from random_data import random_tf_batch  # noqa: E402

from attngan_tf.config import preset_names  # noqa: E402
from attngan_tf.models import AttnGAN  # noqa: E402

flags.DEFINE_enum("preset", "birds", list(preset_names()), "Model preset.")
flags.DEFINE_integer("batch", 4, "Batch size.")
flags.DEFINE_integer("steps", 2, "Traced iterations.")
flags.DEFINE_integer("top", 25, "Lines per table.")
flags.DEFINE_integer("stages", None, "Generator stages (default: the preset's).")
flags.DEFINE_integer("initial_size", None, "First stage's image side, 32 or 64 (default: the "
                     "preset's).")
FLAGS = flags.FLAGS


def _stat_value(plane, stat):
    if stat.ref_value:
        return plane.stat_metadata[stat.ref_value].name
    return stat.int64_value or stat.uint64_value or stat.double_value or stat.str_value


def summarise(logdir: str, steps: int, top: int) -> None:
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    path = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0]
    with open(path, "rb") as f:
        space.ParseFromString(f.read())
    by_type, by_op, memory = collections.Counter(), collections.Counter(), []
    for plane in space.planes:
        names = {k: v.name for k, v in plane.event_metadata.items()}
        stat_names = {k: v.name for k, v in plane.stat_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                name = names.get(event.metadata_id, "")
                if name in ("MemoryAllocation", "MemoryDeallocation"):
                    stats = {stat_names.get(s.metadata_id): _stat_value(plane, s)
                             for s in event.stats}
                    memory.append((line.timestamp_ns * 1000 + event.offset_ps, name, stats))
                elif ":" in name and "::" not in name and ": " not in name:  # ops, not wrappers
                    op, op_type = name.rsplit(":", 1)
                    seconds = event.duration_ps / 1e12 / steps
                    by_type[op_type] += seconds
                    by_op[name] += seconds
    print(f"op time per step: {sum(by_type.values()):.2f} s (summed over threads)")
    for op_type, seconds in by_type.most_common(top):
        print(f"  {seconds:7.3f} s  {op_type}")
    print("top ops:")
    for op, seconds in by_op.most_common(top):
        print(f"  {seconds:7.3f} s  {op[:110]}")
    if not memory:
        return
    memory.sort(key=lambda e: e[0])
    peak = max(memory, key=lambda e: e[2].get("bytes_allocated") or 0)
    live = {}
    for when, kind, stats in memory:
        if kind == "MemoryAllocation":
            live[stats.get("addr")] = stats
        else:
            live.pop(stats.get("addr"), None)
        if when == peak[0]:
            break
    by_allocator = collections.Counter()
    for stats in live.values():
        by_allocator[str(stats.get("tf_op", "?"))[:110]] += stats.get("allocation_bytes") or 0
    print(f"allocator peak in use: {peak[2]['bytes_allocated'] / 2**30:.2f} GiB "
          f"(at {peak[2].get('tf_op')}); allocated during the trace and alive then: "
          f"{sum(by_allocator.values()) / 2**30:.2f} GiB")
    for op, size in by_allocator.most_common(top):
        print(f"  {size / 2**20:8.1f} MiB  {op}")


def main(argv):
    del argv
    from attngan_tf.training.gan import recipe_config

    config = recipe_config(FLAGS.preset, FLAGS.stages, FLAGS.initial_size)
    model = AttnGAN(config, seed=0)
    model.build()
    model.compile()
    batch = random_tf_batch(config, FLAGS.batch, np.random.default_rng(0))
    step = tf.function(model.train_step)
    for _ in range(2):
        step(batch)
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for _ in range(FLAGS.steps):
            step(batch)
        tf.profiler.experimental.stop()
        summarise(logdir, FLAGS.steps, FLAGS.top)


if __name__ == "__main__":
    app.run(main)
