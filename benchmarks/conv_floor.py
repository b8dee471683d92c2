"""How fast can any framework run the generator's convolutions on this machine?

    python benchmarks/conv_floor.py --preset birds [--batch 1,8] [--framework tf,torch]

Records the shape of every convolution our generator runs for one forward
pass in the original's form (up-blocks as upsampling + 3 × 3 convolution,
inside ``plain_upsampling()``; input shape, kernel, stride 1, "same" padding), then times those
convolutions alone -- no BatchNorm, GLU, attention or upsampling -- in
TensorFlow (NHWC, the kernels our models use) and, when torch is installed, in
PyTorch (NCHW ``nn.Conv2d``, inference mode, as the original code runs them),
each with 2 threads: 3 warm-up passes, median of 10. The sum is a floor for a
full generator forward in that framework: the original code cannot generate
faster than its convolutions run.
"""

import importlib.util
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from attngan_tf.config import get_preset, preset_names  # noqa: E402
from attngan_tf.models import AttnGenerator  # noqa: E402
from attngan_tf.ops.upsampled_conv import plain_upsampling  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import median_seconds  # noqa: E402

flags.DEFINE_enum("preset", "birds", list(preset_names()), "Generator configuration.")
flags.DEFINE_list("batch", ["1", "8"], "Batch sizes.")
flags.DEFINE_list("framework", ["tf", "torch"], "Frameworks to time (torch if installed).")
flags.DEFINE_integer("repeats", 10, "Timed passes (median reported).")
flags.DEFINE_integer("threads", 2, "Threads of each framework's convolutions.")
FLAGS = flags.FLAGS


def conv_shapes(config) -> list[tuple[int, int, int, int, int]]:
    """``(height, width, in_channels, out_channels, kernel)`` of each conv in one forward."""
    generator = AttnGenerator(config.generator)
    generator.build()
    shapes, original = [], keras.layers.Conv2D.call

    def recording(layer, inputs, *args, **kwargs):
        _, h, w, c = inputs.shape
        shapes.append((h, w, c, layer.filters, layer.kernel_size[0]))
        return original(layer, inputs, *args, **kwargs)

    keras.layers.Conv2D.call = recording
    try:
        cfg = config.generator
        steps = config.text.words_num
        # The original's form (upsampling, then a 3 x 3 convolution), whose
        # convolutions both frameworks then run alike.
        with plain_upsampling():
            generator(np.zeros((1, cfg.z_dim), np.float32),
                      np.zeros((1, cfg.embedding_dim), np.float32),
                      np.zeros((1, steps, cfg.embedding_dim), np.float32),
                      np.ones((1, steps), bool), np.zeros((1, cfg.condition_dim), np.float32))
    finally:
        keras.layers.Conv2D.call = original
    return shapes


def time_tf(shapes, batch, repeats):
    rng = np.random.default_rng(0)
    tensors = [(tf.constant(rng.standard_normal((batch, h, w, c), np.float32)),
                tf.constant(rng.standard_normal((k, k, c, o), np.float32)))
               for h, w, c, o, k in shapes]

    @tf.function
    def run():
        return [tf.reduce_sum(tf.nn.conv2d(x, w, 1, "SAME")) for x, w in tensors]

    return median_seconds(lambda: [t.numpy() for t in run()], repeats, warmup=3)


def time_torch(shapes, batch, repeats):
    import torch

    torch.set_num_threads(FLAGS.threads)
    torch.manual_seed(0)
    layers = [(torch.randn(batch, c, h, w), torch.nn.Conv2d(c, o, k, padding=k // 2, bias=False))
              for h, w, c, o, k in shapes]

    def run():
        with torch.inference_mode():
            return [conv(x).sum().item() for x, conv in layers]

    return median_seconds(run, repeats, warmup=3)


def main(argv):
    del argv
    tf.config.threading.set_intra_op_parallelism_threads(FLAGS.threads)
    config = get_preset(FLAGS.preset)
    shapes = conv_shapes(config)
    macs = sum(h * w * c * o * k * k for h, w, c, o, k in shapes)
    print(f"{config.name} generator: {len(shapes)} convolutions, {macs / 1e9:.2f} GMAC per image")
    timers = {"tf": time_tf, "torch": time_torch}
    for framework in FLAGS.framework:
        if framework == "torch" and importlib.util.find_spec("torch") is None:
            print("torch: not installed, skipped")
            continue
        for batch in map(int, FLAGS.batch):
            seconds = timers[framework](shapes, batch, FLAGS.repeats)
            print(f"{framework:<6s} batch {batch}: convolutions alone {1000 * seconds:.0f} ms "
                  f"({batch * macs / seconds / 1e9:.0f} GMAC/s)")


if __name__ == "__main__":
    app.run(main)
