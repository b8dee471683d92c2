"""Subprocess jobs of tests/training/test_distribute.py (not collected by pytest).

``python -m tests.training.distribute_job mirrored OUT.npz``
    Trains 2 steps on one device and 2 steps with MirroredStrategy over two
    logical CPUs from the same initial weights, and saves both weight sets.
``python -m tests.training.distribute_job worker OUT.npz`` (with ``TF_CONFIG``)
    One worker of a MultiWorkerMirroredStrategy run of 2 steps; saves its weights.

Design of the mirrored comparison: each replica receives the single device's
batch (the global batch is that batch twice), so per-replica BatchNorm
statistics, mismatched-caption pairs and in-batch DAMSM negatives equal the
single device's. What is checked is the rest: losses divided by the replica
count, gradients summed across replicas, variables kept in sync, the weight
average updated once per step. Plain SGD keeps a wrong gradient scale visible
(Adam would normalise it away).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from attngan_tf.models import AttnGAN  # noqa: E402
from tests.models.test_attngan import make_batch, small_config  # noqa: E402

STEPS = 2
PER_REPLICA = 4


def _examples(batches):
    """Concatenates batches into one example-level dataset (re-batched by the caller)."""
    joined = tf.nest.map_structure(lambda *xs: tf.concat(xs, axis=0), *batches)
    return tf.data.Dataset.from_tensor_slices(joined)


def _train(strategy, dataset, initial):
    with strategy.scope():
        model = AttnGAN(small_config(1), seed=3)
        model.build()
        model.set_weights(initial)
        model.compile(g_optimizer=keras.optimizers.SGD(0.05),
                      d_optimizers=[keras.optimizers.SGD(0.05)])
    model.fit(dataset, epochs=1, verbose=0)
    assert int(model.g_optimizer.iterations.numpy()) == STEPS
    return [v.numpy() for v in model.weights]


def mirrored(out: str) -> None:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    keras.utils.set_random_seed(0)
    cfg = small_config(1)
    initial = AttnGAN(cfg, seed=3)
    initial.build()
    initial = initial.get_weights()
    batches = [make_batch(cfg, size=PER_REPLICA, seed=s) for s in range(STEPS)]
    single = _train(tf.distribute.OneDeviceStrategy("/cpu:0"),
                    _examples(batches).batch(PER_REPLICA), initial)
    doubled = [b for b in batches for _ in range(2)]
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    both = _train(strategy, _examples(doubled).batch(2 * PER_REPLICA), initial)
    np.savez(out, **{f"single_{i}": w for i, w in enumerate(single)},
             **{f"mirrored_{i}": w for i, w in enumerate(both)},
             initial=np.concatenate([w.ravel() for w in initial]))


def worker(out: str) -> None:
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    keras.utils.set_random_seed(0)  # same initial weights on every worker
    cfg = small_config(1)
    with strategy.scope():
        model = AttnGAN(cfg, seed=3)
        model.build()
        model.compile()
    task = strategy.cluster_resolver.task_id
    # Each worker reads different examples (no noise in the batch: drawn per replica).
    batches = [make_batch(cfg, size=PER_REPLICA, seed=10 * task + s, with_noise=False)
               for s in range(STEPS)]
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    dataset = _examples(batches).batch(PER_REPLICA).with_options(options)
    model.fit(dataset, epochs=1, verbose=0)
    assert int(model.g_optimizer.iterations.numpy()) == STEPS
    np.savez(out, **{f"{i:04d} {v.path}": v.numpy() for i, v in enumerate(model.weights)})


if __name__ == "__main__":
    {"mirrored": mirrored, "worker": worker}[sys.argv[1]](sys.argv[2])
