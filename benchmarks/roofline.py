"""How far training and sampling are from what this CPU can compute (a roofline).

    python benchmarks/roofline.py --preset birds [--train_batch 4] [--sample_batch 1,8]
        [--skip_train] [--torch]

1. Counts the multiply-adds (MACs) of one ``AttnGAN.train_step`` iteration and
   of one sampling call (text encoder + averaged generator to the last stage)
   from the traced TensorFlow graphs: every ``Conv2D``, ``Conv2DBackpropInput``
   (also the transposed up-convolution), ``Conv2DBackpropFilter``, ``MatMul``,
   ``BatchMatMul`` and ``Einsum``, with their static shapes, inside nested
   functions too (a ``While`` body counted once per iteration of its
   ``maximum_iterations``; of a conditional, the larger branch; ops nothing
   uses -- the filter gradients of frozen weights -- left out, as TensorFlow
   prunes them). The sampling count is cross-checked with XLA's view
   of the same computation (the HLO of the jit-compiled call: ``convolution``
   and ``dot`` ops, dilated inputs' zeros not counted).
2. Measures this CPU's peak multiply-add rate with the kernels TensorFlow uses
   (oneDNN, the process's threads): a large matrix product and the generator's
   most common 3 × 3 convolution, in float32 and bfloat16; the higher of the two
   per dtype is the peak.
3. Times our sampling (the exported SavedModel's ``generate_with_seed``:
   tokenizer, text encoder, generator, uint8 pictures -- the product's path,
   with the generator in float32 and, against the bfloat16 peak, in bfloat16)
   and our training iteration (median; warm-up first) and prints, for each,
   the floor time (MACs / peak), our time and our time as a multiple of the
   floor.
4. ``--torch``: first (before this process builds any model) times the PyTorch
   port of the original (``torch_baseline.py``, its own process, the same
   batches) and prints it beside each of our figures, with the ratio.

The floor counts arithmetic only (no memory traffic, BatchNorm, activations or
the input pipeline), so no implementation reaches it; it says how much of a
speed-up any change could still give.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from attngan_tf.config import get_preset, preset_names  # noqa: E402
from attngan_tf.models import AttnGAN  # noqa: E402
from attngan_tf.sampling import caption_noise  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from port import port_sample_ms, port_train  # noqa: E402
from random_data import (CAPTION, placeholder_vocabulary, random_captions,  # noqa: E402
                         random_tf_batch)
from timing import median_seconds  # noqa: E402

flags.DEFINE_enum("preset", "birds", list(preset_names()), "Model preset.")
flags.DEFINE_integer("train_batch", 4, "Batch size of the training iteration.")
flags.DEFINE_list("sample_batch", ["1", "8"], "Batch sizes of the sampling call.")
flags.DEFINE_integer("repeats", 5, "Timed calls (median reported).")
flags.DEFINE_boolean("skip_train", False, "Only sampling (training takes minutes to set up).")
flags.DEFINE_boolean("torch", False, "Also time the PyTorch port of the original (first).")
FLAGS = flags.FLAGS


# -- 1. counting multiply-adds in a traced graph ---------------------------------------------
def _shape(tensor) -> list[int]:
    dims = tensor.shape.as_list()
    if dims is None or None in dims:
        raise ValueError(f"{tensor.name}: unknown shape {dims}")
    return dims


def _const_value(tensor):
    if tensor.op.type == "Const":
        return tf.get_static_value(tensor)
    return None


def op_macs(op) -> int:
    """Multiply-adds of one op from its static shapes (0 for ops that are not products)."""
    t = op.type
    if t in ("Conv2D", "Conv2DBackpropFilter"):
        # Conv2D: [B, Ho, Wo, O] outputs, each kh·kw·C; BackpropFilter: the same
        # products, summed over positions instead (dy is input 2).
        dy = op.outputs[0] if t == "Conv2D" else op.inputs[2]
        kernel = _shape(op.inputs[1]) if t == "Conv2D" else tf.get_static_value(op.inputs[1])
        if kernel is None:
            kernel = _shape(op.outputs[0])
        b, ho, wo, _ = _shape(dy)
        kh, kw, c, o = (int(k) for k in kernel)
        return b * ho * wo * kh * kw * c * o
    if t == "Conv2DBackpropInput":
        # Input 2 is dy [B, Ho, Wo, O] of the convolution whose input gradient
        # this is; each of its positions meets the kh·kw·C·O kernel once.
        b, ho, wo, _ = _shape(op.inputs[2])
        kh, kw, c, o = _shape(op.inputs[1])
        return b * ho * wo * kh * kw * c * o
    if t in ("MatMul", "BatchMatMulV2", "BatchMatMulV3", "BatchMatMul"):
        a, out = _shape(op.inputs[0]), _shape(op.outputs[0])
        if t == "MatMul":
            k = a[0] if op.get_attr("transpose_a") else a[1]
        else:
            adj = op.get_attr("adj_x")
            k = a[-2] if adj else a[-1]
        return math.prod(out) * k
    if t == "Einsum":
        equation = op.get_attr("equation").decode()
        inputs, output = equation.split("->")
        sizes = {}
        for spec, tensor in zip(inputs.split(","), op.inputs):
            sizes.update(zip(spec, _shape(tensor)))
        return math.prod(sizes.values())
    return 0


def _function_graph(graph, name):
    while graph is not None:
        functions = getattr(graph, "_functions", {})
        if name in functions:
            return functions[name].graph
        graph = getattr(graph, "outer_graph", None)
    return None


def _live_ops(graph) -> list:
    """The ops that run: those the outputs or a stateful op (a variable update)
    depend on. A traced gradient holds both halves of every convolution's
    gradient (input and filter), also for frozen weights; TensorFlow prunes the
    unused half before running the graph, and so does this count."""
    roots = [t.op for t in graph.outputs]
    roots += [op for op in graph.get_operations() if op.op_def and op.op_def.is_stateful]
    roots += list(getattr(graph, "control_outputs", []))
    live, stack = set(), list(roots)
    while stack:
        op = stack.pop()
        if op in live:
            continue
        live.add(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return [op for op in graph.get_operations() if op in live]


def graph_macs(graph, trips: int = 1) -> dict:
    """MACs by op type in ``graph`` and the functions it calls (of a conditional,
    the larger branch: one of them runs)."""
    totals: dict = {}

    def add(counts, times=1):
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value * times

    for op in _live_ops(graph):
        macs = op_macs(op)
        if macs:
            add({op.type: macs}, trips)
        inner_trips = trips
        if op.type in ("While", "StatelessWhile"):
            # Loop variables: (loop counter, maximum iterations, ...).
            limit = _const_value(op.inputs[1]) if len(op.inputs) > 1 else None
            inner_trips = trips * (int(limit) if limit is not None and limit > 0 else 1)
        branches = []
        for attr in ("f", "then_branch", "else_branch", "body"):
            try:
                name = op.get_attr(attr).name
            except (ValueError, AttributeError):
                continue
            inner = _function_graph(graph, name)
            if inner is None:
                continue
            counts = graph_macs(inner, inner_trips if attr == "body" else trips)
            if attr.endswith("_branch"):
                branches.append(counts)
            else:
                add(counts)
        if branches:
            add(max(branches, key=lambda c: sum(c.values())))
    return totals


_HLO_OP = re.compile(r"= (\w+)\[([\d,]*)\][^ ]* (convolution|dot)\((\w+)\[([\d,]*)\][^ ]* [^,]+, "
                     r"(\w+)\[([\d,]*)\]")


def hlo_macs(hlo: str) -> int:
    """MACs of the ``convolution`` and ``dot`` ops in HLO text (XLA's view)."""
    total = 0
    for line in hlo.splitlines():
        match = _HLO_OP.search(line)
        if not match:
            continue
        out = [int(d) for d in match.group(2).split(",") if d]
        lhs = [int(d) for d in match.group(5).split(",") if d]
        rhs = [int(d) for d in match.group(7).split(",") if d]
        if match.group(3) == "dot":
            contracting = re.search(r"lhs_contracting_dims=\{([\d,]*)\}", line)
            dims = [int(d) for d in contracting.group(1).split(",") if d] if contracting else []
            total += math.prod(out) * math.prod(lhs[d] for d in dims)
            continue
        labels = re.search(r"dim_labels=(\w+)_(\w+)->(\w+)", line)
        window = re.search(r"size=([\dx]+)", line)
        groups = re.search(r"feature_group_count=(\d+)", line)
        lhs_dilate = re.search(r"lhs_dilate=([\dx]+)", line)
        kernel_labels = labels.group(2)
        in_features = rhs[kernel_labels.index("i")]
        taps = math.prod(int(d) for d in window.group(1).split("x")) if window else 1
        # A transposed convolution reads a dilated input: of each window's taps
        # only 1 in prod(dilation) meets a value, the rest meet inserted zeros.
        dilation = (math.prod(int(d) for d in lhs_dilate.group(1).split("x"))
                    if lhs_dilate else 1)
        total += (math.prod(out) * taps * in_features
                  // (int(groups.group(1)) if groups else 1) // dilation)
    return total


# -- 2. this CPU's peak ----------------------------------------------------------------------
def peak_macs_per_second(dtype: tf.DType) -> tuple[float, dict]:
    """The best of a 2048² matrix product and a [8, 64, 64, 64] 3 × 3 convolution."""
    rates = {}
    a = tf.cast(tf.random.normal((2048, 2048)), dtype)
    matmul = tf.function(lambda: tf.matmul(a, a))
    rates["matmul 2048^3"] = 2048 ** 3 / median_seconds(lambda: matmul().numpy(), 5)
    x = tf.cast(tf.random.normal((8, 64, 64, 64)), dtype)
    k = tf.cast(tf.random.normal((3, 3, 64, 64)), dtype)
    conv = tf.function(lambda: tf.nn.conv2d(x, k, 1, "SAME"))
    rates["conv 3x3 64->64 at 64 px, batch 8"] = (8 * 64 * 64 * 9 * 64 * 64
                                                   / median_seconds(lambda: conv().numpy(), 5))
    return max(rates.values()), rates


# -- 3. our calls ----------------------------------------------------------------------------
def sampling_function(model: AttnGAN):
    """Token ids → last-stage images: the text encoder and the averaged generator."""
    cfg = model.config

    def sample(token_ids, lengths, seeds):
        words_emb, sent_emb = model.text_encoder(token_ids, lengths, training=False)
        mask = tf.range(cfg.text.words_num)[None, :] < lengths[:, None]
        out = model.ema_generator(caption_noise(seeds, cfg.generator.z_dim, 0), sent_emb,
                                  words_emb, mask,
                                  caption_noise(seeds, cfg.generator.condition_dim, 1),
                                  training=False)
        return out["images"][-1]

    return sample


def _report(name: str, macs: int, peak: float, seconds: float,
            port_seconds: float | None = None) -> str:
    floor = macs / peak
    line = (f"{name:<38s} {macs / 1e9:7.2f} GMAC  floor {floor * 1e3:8.1f} ms  ours "
            f"{seconds * 1e3:8.1f} ms  ours/floor {seconds / floor:5.2f}x")
    if port_seconds:
        line += f"  port {port_seconds * 1e3:8.1f} ms  port/ours {port_seconds / seconds:5.2f}x"
    return line


def saved_model_sampler(model: AttnGAN, directory: str, precision: str):
    """``batch -> seconds`` of the SavedModel's ``generate_with_seed`` (as ``sample.py``)."""
    from attngan_tf.export import export_saved_model

    serve = tf.saved_model.load(str(export_saved_model(model, directory, precision=precision))
                                ).signatures["generate_with_seed"]

    def seconds(batch: int) -> float:
        inputs = {"captions": tf.constant([CAPTION] * batch),
                  "seed": tf.range(batch, dtype=tf.int64)}
        return median_seconds(lambda: serve(**inputs)["images"].numpy(), FLAGS.repeats)

    return seconds


def main(argv):
    del argv
    config = get_preset(FLAGS.preset)
    # The port first, before this process builds a model (a model held idle
    # beside it slowed the port down in one sitting).
    port_sampling, port_training = {}, None
    if FLAGS.torch:
        port_sampling = port_sample_ms(FLAGS.preset, FLAGS.sample_batch, FLAGS.repeats)
        if not FLAGS.skip_train:
            port_training = port_train(FLAGS.preset, FLAGS.train_batch, FLAGS.repeats)
        print(f"PyTorch port: sampling {port_sampling} ms, training {port_training}")
    print(f"preset {config.name}; TensorFlow {tf.__version__}, "
          f"{tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()} threads")
    peaks = {}
    for dtype in (tf.float32, tf.bfloat16):
        peaks[dtype.name], rates = peak_macs_per_second(dtype)
        print(f"peak {dtype.name}: {peaks[dtype.name] / 1e9:.1f} GMAC/s ("
              + ", ".join(f"{k} {v / 1e9:.1f}" for k, v in rates.items()) + ")")
    peak = peaks["float32"]

    model = AttnGAN(config, seed=0)
    model.build()
    model.set_vocabulary(placeholder_vocabulary(config))
    rng = np.random.default_rng(0)
    sample = sampling_function(model)
    batches = [int(b) for b in FLAGS.sample_batch]
    counts = {}
    for batch in batches:
        ids, lengths = random_captions(config.text.words_num, config.text.vocab_size, batch, rng)
        args = (tf.constant(ids, tf.int32), tf.constant(lengths, tf.int32),
                tf.range(batch, dtype=tf.int32))
        counted = graph_macs(tf.function(sample).get_concrete_function(*args).graph)
        counts[batch] = sum(counted.values())
        try:
            hlo = tf.function(sample, jit_compile=True).experimental_get_compiler_ir(*args)(
                stage="hlo")
            xla = f"XLA's HLO: {hlo_macs(hlo) / 1e9:.2f} GMAC"
        except Exception as e:  # noqa: BLE001 -- the cross-check is optional
            xla = f"XLA's HLO: not available ({type(e).__name__})"
        print(f"sampling, batch {batch}: " + ", ".join(
            f"{k} {v / 1e9:.2f}" for k, v in sorted(counted.items())) + f" GMAC; {xla}")
    for precision in ("float32", "bfloat16"):
        with tempfile.TemporaryDirectory() as staging:
            seconds = saved_model_sampler(model, staging, precision)
            for batch in batches:
                port = port_sampling.get(batch)
                print(_report(f"sampling (SavedModel, {precision}), batch {batch}",
                              counts[batch], peaks[precision], seconds(batch),
                              port / 1e3 if port else None))

    if FLAGS.skip_train:
        return
    batch = FLAGS.train_batch
    model.compile()
    model.make_train_function()
    batches = [random_tf_batch(config, batch, rng) for _ in range(2)]
    iterator = iter(tf.data.Dataset.from_tensor_slices(
        tf.nest.map_structure(lambda *x: tf.stack(x), *batches)).repeat())
    step = model.train_function
    step(iterator)  # traces the step; builds the optimizers' variables
    # The same step traced on its own, for its graph (Keras' train function wraps it).
    counted = graph_macs(tf.function(model.train_step).get_concrete_function(batches[0]).graph)
    macs = sum(counted.values())
    print(f"training, batch {batch}: " + ", ".join(
        f"{k} {v / 1e9:.2f}" for k, v in sorted(counted.items())) + " GMAC")
    seconds = median_seconds(lambda: float(step(iterator)["g_loss"]), FLAGS.repeats, warmup=1)
    print(_report(f"training, batch {batch}", macs, peak, seconds,
                  port_training["seconds"] if port_training else None))


if __name__ == "__main__":
    app.run(main)
