"""Data-parallel AttnGAN training with tf.distribute: one host, or several workers.

    # One host, every local device (GPUs; on a CPU-only host, --cpu_replicas 2 for a look):
    python examples/distributed_fit.py --strategy mirrored --steps 100

    # Several hosts: run the same command on each, with TF_CONFIG describing the cluster, e.g.
    # on host A  TF_CONFIG='{"cluster": {"worker": ["hostA:12345", "hostB:12345"]},
    #                        "task": {"type": "worker", "index": 0}}'
    # on host B  the same with "index": 1, then on both:
    python examples/distributed_fit.py --strategy multi_worker --steps 100

    # Try the multi-worker path on one machine: this script starts N local workers itself.
    python examples/distributed_fit.py --local_workers 2 --steps 10

Shows what changes under a strategy: the model is built and compiled inside
``strategy.scope()``, the batch given to the pipeline is the global one
(per-replica batch × replicas), the data are sharded by example, and in a
multi-worker run only the chief (worker 0) writes the model. ``AttnGAN``'s
``train_step`` averages losses and gradients over all replicas and keeps the
generator's weight average identical everywhere; each worker prints a
fingerprint of its weights, which must agree. Data: SynBirds (rendered on
first use). Encoders: a DAMSM export with ``--damsm``, otherwise random (said
once). At the defaults, a few minutes on 2 CPU cores.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile

from absl import app, flags

flags.DEFINE_enum("strategy", "mirrored", ["mirrored", "multi_worker"], "tf.distribute strategy.")
flags.DEFINE_integer("local_workers", 0, "Start this many local multi-worker processes "
                     "(localhost ports, TF_CONFIG set for each) and wait for them.")
flags.DEFINE_integer("cpu_replicas", 0, "mirrored on a CPU-only host: split the CPU into this "
                     "many logical devices (one replica each).")
flags.DEFINE_integer("steps", 20, "Training steps.")
flags.DEFINE_integer("per_replica_batch", 4, "Examples per replica per step.")
flags.DEFINE_string("damsm", None, "Exported DAMSM (train-damsm's OUT/damsm); default: random "
                    "encoders.")
flags.DEFINE_string("preset", "synbirds_demo", "Model preset.")
flags.DEFINE_string("out", "runs/distributed", "Output directory (the chief's model).")
flags.DEFINE_string("data_dir", None, "SynBirds cache root.")
flags.DEFINE_integer("num_train", 10000, "SynBirds training images.")
FLAGS = flags.FLAGS


def launch_local_workers(count: int) -> int:
    """Runs ``count`` copies of this script as one multi-worker cluster on localhost."""
    from attngan_tf.data import load_dataset

    # Render the data once here, not in every worker at the same time.
    load_dataset("synbirds", FLAGS.data_dir, "train",
                 synbirds={"num_train": FLAGS.num_train, "num_test": 4})
    ports = []
    for _ in range(count):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    args = [a for a in sys.argv[1:] if not a.startswith("--local_workers")]
    workers = []
    for index in range(count):
        env = dict(os.environ, TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        workers.append(subprocess.Popen([sys.executable, __file__, *args,
                                         "--strategy", "multi_worker"], env=env))
    codes = [worker.wait() for worker in workers]
    print(f"local workers finished with exit codes {codes}")
    return max(codes, key=abs)


def main(argv):
    del argv
    if FLAGS.local_workers:
        return launch_local_workers(FLAGS.local_workers)
    import keras
    import numpy as np
    import tensorflow as tf

    from attngan_tf import get_preset
    from attngan_tf.data import PipelineConfig, load_dataset
    from attngan_tf.models import AttnGAN, save_attngan
    from attngan_tf.training import build_attngan

    if FLAGS.strategy == "multi_worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
        chief = task.get("index", 0) == 0
    else:
        if FLAGS.cpu_replicas:
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration()] * FLAGS.cpu_replicas)
        strategy, chief = tf.distribute.MirroredStrategy(), True
    replicas = strategy.num_replicas_in_sync
    keras.utils.set_random_seed(0)  # the same initial weights on every worker

    synbirds = {"num_train": FLAGS.num_train, "num_test": 4}
    with strategy.scope():
        if FLAGS.damsm:  # the DAMSM's vocabulary
            model, vocabulary = build_attngan(FLAGS.damsm, FLAGS.preset, seed=0)
            train = load_dataset("synbirds", FLAGS.data_dir, "train", vocabulary=vocabulary,
                                 synbirds=synbirds)
        else:  # the data's vocabulary
            print("no --damsm: the text and image encoders start from random weights")
            train = load_dataset("synbirds", FLAGS.data_dir, "train", synbirds=synbirds)
            vocabulary = train.vocabulary
            config = get_preset(FLAGS.preset)
            model = AttnGAN(config.replace(text=config.text.replace(
                vocab_size=len(vocabulary))), seed=0)
            model.build()
        model.compile()
    pipeline = PipelineConfig.for_model(model.config, repeat=True,
                                        batch_size=FLAGS.per_replica_batch * replicas)
    dataset = train.to_tf_dataset(pipeline).map(
        lambda b: {k: v for k, v in b.items() if k != "keys"})
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    model.fit(dataset.with_options(options), epochs=1, steps_per_epoch=FLAGS.steps, verbose=2)

    weights = np.concatenate([np.ravel(w) for w in model.ema_generator.get_weights()])
    print(f"{FLAGS.strategy}: {replicas} replicas, {FLAGS.steps} steps; weight fingerprint "
          f"{float(np.sum(np.abs(weights), dtype=np.float64)):.9e}")
    # Every worker takes part in saving (collective ops); only the chief's copy is kept.
    target = FLAGS.out if chief else tempfile.mkdtemp()
    save_attngan(model, os.path.join(target, "model"), vocabulary)
    if chief:
        print(f"saved the model to {os.path.join(target, 'model')}")
    return 0


if __name__ == "__main__":
    app.run(main)
