"""BatchNorm in training mode, written out: grouped batch statistics, the
reference's running variance, and BatchNorm + activation as one XLA function.

* :func:`batch_statistics_norm` and :class:`GroupedBatchNormalization` equal
  ``keras.layers.BatchNormalization(training=True)`` in their output, once per
  group (several equal batches in one tensor, each with its own statistics,
  as that many separate calls); the moving variance follows torch's
  ``BatchNorm2d`` (unbiased). Proven by
  ``tests/ops/test_batch_norm.py::test_grouped_batch_norm_equals_separate_calls_and_is_plain_otherwise``
  and ``tests/ops/test_batch_norm.py::test_training_updates_moving_variance_with_the_unbiased_variance``.
* :func:`batch_norm_act` (and :func:`batch_norm_glu`) equal the plain form
  ``activation(bn(x, training=True))`` -- the layer, then
  :func:`~attngan_tf.activations.glu` or :func:`~attngan_tf.activations.leaky_relu`
  -- in values, gradients and moving statistics, up to float32 rounding, with
  a gradient written out instead of differentiated op by op. Proven by
  ``tests/ops/test_batch_norm.py::test_batch_norm_act_equals_the_layer_then_activation_with_gradients``.
  XLA-compiled for inputs of :data:`FUSED_MIN_ELEMENTS` or more, where that
  pays for the compile.

Channels last (NHWC, or ``[B, C]``).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from ..activations import LEAK, glu, leaky_relu
from ..configurable import PACKAGE


def statistics_dtype(dtype, shape=None) -> str:
    """The dtype BatchNorm statistics are computed in for inputs of ``dtype``.

    float64 for float64 inputs; float32 for float16/bfloat16/float32 inputs,
    except a BatchNorm over the batch alone (``shape`` ``[B, C]``, the
    generator's first stage): its statistics come from a handful of values
    per channel, and the written-out gradient ``dz − mean(dz) − x̂·mean(dz·x̂)``
    cancels almost completely (at batch 3 it is a projection onto one
    direction), so float32 loses most of its digits there. Those tensors are
    ``[B, C]``, tiny, and computed in float64 (TRAINING.md's float32 bound on
    the generator gradient depends on it: ``tests/tools/test_training_parity.py``).
    """
    name = keras.backend.standardize_dtype(dtype)
    if name == "float64" or (shape is not None and len(shape) == 2):
        return "float64"
    return "float32"


def update_moving_statistics(bn: keras.layers.BatchNormalization, mean, variance,
                             count) -> None:
    """One moving-average step of ``bn``'s statistics with a batch's ``mean``
    and biased ``variance`` (``[C]``) over ``count`` values per channel.

    As ``torch.nn.BatchNorm2d`` (the reference): the moving variance moves
    towards the *unbiased* batch variance ``variance · n / (n − 1)``
    (``keras.layers.BatchNormalization`` uses the biased one); normalisation
    itself uses the biased variance in both.
    """
    count = ops.cast(count, variance.dtype)
    unbiased = variance * count / ops.maximum(count - 1.0, 1.0)
    for moving, value in ((bn.moving_mean, mean), (bn.moving_variance, unbiased)):
        moving.assign(ops.cast(ops.cast(moving, value.dtype) * bn.momentum
                               + value * (1.0 - bn.momentum), moving.dtype))


def _per_channel_count(x, groups: int):
    """Values per channel in each of ``groups`` equal batches of ``x [G·B, ..., C]``."""
    shape = ops.shape(x)
    count = shape[0] // groups
    for dim in shape[1:-1]:
        count = count * dim
    return count


def batch_statistics_norm(bn: keras.layers.BatchNormalization, inputs, groups: int = 1):
    """``bn`` in training mode on ``inputs [G·B, ..., C]`` (channels last), written out.

    Each of the ``groups`` equal batches along axis 0 is normalised with its
    own mean and biased variance, and the moving statistics are updated once
    per group, in order, with :func:`update_moving_statistics` (the reference's
    unbiased running variance). Statistics in :func:`statistics_dtype`; the
    result in the layer's compute dtype. Equals
    ``keras.layers.BatchNormalization(training=True)`` in its output (test:
    ``tests/ops/test_batch_norm.py``).
    """
    if inputs.shape[0] is not None and inputs.shape[0] % groups:
        raise ValueError(f"BatchNorm: a batch of {inputs.shape[0]} does not split into "
                         f"{groups} equal groups")
    dtype = statistics_dtype(inputs.dtype, inputs.shape)
    x = ops.cast(inputs, dtype)
    shape = ops.shape(x)
    grouped = ops.reshape(x, (groups, -1, *x.shape[1:]))
    mean, variance = ops.moments(grouped, axes=list(range(1, len(grouped.shape) - 1)),
                                 keepdims=True)  # [G, 1, ..., 1, C]
    channels = x.shape[-1]
    count = _per_channel_count(x, groups)
    for g in range(groups):
        update_moving_statistics(bn, ops.reshape(mean[g], (channels,)),
                                 ops.reshape(variance[g], (channels,)), count)
    outputs = ops.batch_normalization(
        grouped, mean, variance, axis=-1, epsilon=bn.epsilon,
        offset=ops.cast(bn.beta, dtype) if bn.center else None,
        scale=ops.cast(bn.gamma, dtype) if bn.scale else None)
    return ops.cast(ops.reshape(outputs, shape), bn.compute_dtype)


@keras.saving.register_keras_serializable(package=PACKAGE)
class GroupedBatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` that can treat a batch as several batches.

    Call: ``y = bn(x, training=None, groups=1)``. With ``training`` and
    ``groups = G > 1``, ``x [G·B, ...]`` holds G equal batches along axis 0;
    each is normalised with its own batch statistics and the moving
    statistics are updated once per group, in order -- the same results as G
    separate calls, while the layers around it (convolutions) run once on the
    whole batch. Training mode is :func:`batch_statistics_norm` (the
    reference's unbiased running variance; also for ``groups=1``, except with
    a mask, renorm, synchronized statistics or an axis other than the last,
    which are the Keras layer); inference is the Keras layer.
    """

    def call(self, inputs, training=None, mask=None, groups: int = 1):
        if not (training and self.trainable):
            return super().call(inputs, training=training, mask=mask)
        unsupported = [name for name, used in (
            ("mask", mask is not None), ("renorm", self.renorm),
            ("synchronized", self.synchronized),
            ("axis other than -1", self.axis not in (-1, len(inputs.shape) - 1))) if used]
        if unsupported and groups == 1:
            return super().call(inputs, training=training, mask=mask)
        if unsupported:
            raise ValueError(f"GroupedBatchNormalization: {unsupported[0]} is not supported "
                             f"with groups > 1")
        if groups > 1 and None in inputs.shape[1:]:
            raise ValueError(f"GroupedBatchNormalization: groups > 1 needs known non-batch "
                             f"dimensions, got {inputs.shape}")
        if inputs.shape[0] is not None and inputs.shape[0] % groups:
            raise ValueError(f"GroupedBatchNormalization: a batch of {inputs.shape[0]} does not "
                             f"split into {groups} equal groups")
        return batch_statistics_norm(self, inputs, groups)


_ACTIVATIONS = ("linear", "glu", "leaky_relu")


def _activate(z, activation: str):
    if activation == "glu":
        return glu(z)
    if activation == "leaky_relu":
        return leaky_relu(z)
    return z


def _activation_gradient(z, dy, activation: str):
    if activation == "glu":
        a, b = tf.split(z, 2, axis=-1)
        gate = tf.sigmoid(b)
        return tf.concat([dy * gate, dy * a * gate * (1.0 - gate)], axis=-1)
    if activation == "leaky_relu":
        return tf.where(z > 0, dy, dy * tf.constant(LEAK, dy.dtype))
    return dy


_FUSED_CACHE: dict = {}

#: Inputs with fewer elements than this run the written-out BatchNorm +
#: activation as a plain TensorFlow function instead of an XLA-compiled one.
#: Measured on this project's 2-core CPU (forward + backward of BatchNorm + GLU
#: in a ``tf.function``, float32): the compiled form saves 0.1 ms per call or
#: less up to 65,536 elements and 1 ms (2.2×) from 131,072 on, while its XLA
#: compile costs about 0.3 s more per shape than tracing -- paid back only after
#: thousands of steps for a small tensor, and paid in full by every tiny model a
#: test builds. Both run the same formulas (the same numbers up to rounding).
FUSED_MIN_ELEMENTS = 1 << 17


def _fused_functions(activation: str, epsilon: float, out_dtype: str, shape, dtype, stat,
                     jit: bool = True):
    """Forward and backward of BatchNorm (batch statistics) + activation, XLA-compiled
    when ``jit``.

    One pair per input shape (so no function retraces). ``x [G, M, C]`` holds
    G groups of M values per channel, each normalised with its own mean and
    (biased) variance, computed in ``stat`` (:func:`statistics_dtype`).
    """
    key = (activation, epsilon, out_dtype, tuple(shape), dtype, stat, jit)
    if key in _FUSED_CACHE:
        return _FUSED_CACHE[key]
    stat = tf.as_dtype(stat)

    def normalise(x, mean, variance):
        return (tf.cast(x, stat) - mean[:, None]) * tf.math.rsqrt(variance + epsilon)[:, None]

    def forward(x, gamma, beta):
        xs = tf.cast(x, stat)
        mean = tf.reduce_mean(xs, axis=1)
        variance = tf.reduce_mean(tf.math.squared_difference(xs, mean[:, None]), axis=1)
        z = normalise(x, mean, variance) * gamma + beta
        return tf.cast(_activate(z, activation), out_dtype), mean, variance

    def backward(x, gamma, beta, mean, variance, dy):
        # Recomputes the normalised values from x (held anyway) instead of
        # keeping them; the batch statistics' own gradient is folded in:
        # dx = γ/σ · (dz − mean(dz) − x̂ · mean(dz · x̂)).
        x_hat = normalise(x, mean, variance)
        dz = _activation_gradient(x_hat * gamma + beta, tf.cast(dy, stat), activation)
        d_beta = tf.reduce_sum(dz, axis=1)  # [G, C]
        d_gamma = tf.reduce_sum(dz * x_hat, axis=1)
        count = tf.cast(tf.shape(x)[1], stat)
        dx = (gamma * tf.math.rsqrt(variance + epsilon))[:, None] * (
            dz - (d_beta[:, None] + x_hat * d_gamma[:, None]) / count)
        return tf.cast(dx, x.dtype), tf.reduce_sum(d_gamma, 0), tf.reduce_sum(d_beta, 0)

    # Concrete functions, traced once here for this key's shapes: calling them
    # never traces, so TensorFlow's retracing detector (which counts the calls
    # of every function made from the same Python code) stays quiet when a
    # model uses many shapes.
    x_spec = tf.TensorSpec(shape, dtype)
    channel = tf.TensorSpec([shape[-1]], stat)
    forward = tf.function(forward, jit_compile=jit, autograph=False).get_concrete_function(
        x_spec, channel, channel)
    statistic = tf.TensorSpec([shape[0], shape[-1]], stat)
    dy = tf.TensorSpec(forward.structured_outputs[0].shape, out_dtype)
    backward = tf.function(backward, jit_compile=jit, autograph=False).get_concrete_function(
        x_spec, channel, channel, statistic, statistic, dy)
    pair = (forward, backward)
    _FUSED_CACHE[key] = pair
    return pair


def _fused_batch_norm_act(x, gamma, beta, *, epsilon, activation, out_dtype, jit=True):
    """``[G, M, C]`` → (activation output ``[G, M, C']``, mean ``[G, C]``, variance ``[G, C]``)."""
    forward, backward = _fused_functions(activation, float(epsilon), out_dtype,
                                         x.shape, x.dtype.name, gamma.dtype.name, jit)

    @tf.custom_gradient
    def run(x, gamma, beta):
        y, mean, variance = forward(x, gamma, beta)

        def grad(dy, *unused):  # the statistics only feed the moving averages
            return backward(x, gamma, beta, mean, variance, dy)

        return (y, mean, variance), grad

    y, mean, variance = run(x, gamma, beta)
    return y, tf.stop_gradient(mean), tf.stop_gradient(variance)


def batch_norm_act(bn: keras.layers.BatchNormalization, x, training=None,
                   activation: str = "linear", groups: int = 1, compiled: bool | None = None):
    """``activation(bn(x, training=training))`` for a BatchNorm over the last axis.

    ``activation``: ``"linear"``, ``"glu"`` (``[..., 2C] → [..., C]``, see
    :func:`~attngan_tf.activations.glu`) or ``"leaky_relu"`` (slope
    :data:`~attngan_tf.activations.LEAK`). ``groups``: as
    :class:`GroupedBatchNormalization` (``x`` holds that many equal batches
    along axis 0, each normalised with its own statistics). ``compiled``:
    whether the fused function is XLA-compiled; by default for inputs of
    :data:`FUSED_MIN_ELEMENTS` or more (the batch counted as 1 when unknown).

    In training (batch statistics; moving statistics updated once per group
    by :func:`update_moving_statistics`, the reference's unbiased running
    variance) normalisation and activation run as one XLA-compiled function
    whose gradient is written out: a few passes over ``x`` instead of a dozen
    element-wise ops and their gradients, and it recomputes the normalised
    values from ``x`` instead of holding them. The same numbers as
    :func:`batch_statistics_norm` then the activation, up to rounding
    (``tests/ops/test_batch_norm.py``); under a mixed-precision policy the
    activation is computed in float32 before the cast to the compute dtype
    (the layer casts first). Without the fused path (no scale or centre,
    renorm, synchronized statistics, an axis other than the last, unknown
    non-batch dimensions) training mode is :func:`batch_statistics_norm`, or
    the Keras layer where that does not apply; inference and a frozen layer
    are the layer (moving statistics) followed by the activation.

    Args:
        x: ``[B, ..., C]``.
    Returns:
        ``[B, ..., C]`` (``[B, ..., C/2]`` for GLU) in the layer's compute dtype.
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(f"batch_norm_act: activation must be one of {_ACTIVATIONS}, "
                         f"got {activation!r}")
    batch_mode = training and bn.trainable
    last_axis = bn.axis in (-1, len(x.shape) - 1)
    if compiled is None:
        elements = (x.shape[0] or 1) * math.prod(d or 1 for d in x.shape[1:])
        compiled = elements >= FUSED_MIN_ELEMENTS
    fused = (batch_mode and bn.scale and bn.center and not bn.renorm
             and not bn.synchronized and last_axis and None not in x.shape[1:])
    if not fused:
        if batch_mode and last_axis and not bn.renorm and not bn.synchronized:
            y = batch_statistics_norm(bn, x, groups)
        elif groups != 1:
            y = bn(x, training=training, groups=groups)
        else:
            y = bn(x, training=training)
        return _activate(y, activation)
    if x.shape[0] is not None and x.shape[0] % groups:
        raise ValueError(f"batch_norm_act: a batch of {x.shape[0]} does not split into "
                         f"{groups} equal groups")
    channels = x.shape[-1]
    stat = statistics_dtype(x.dtype, x.shape)
    # Through [G, B/G, ...] first, so a batch that does not split fails at run time too.
    grouped = tf.reshape(tf.reshape(x, (groups, -1, *x.shape[1:])), (groups, -1, channels))
    y, mean, variance = _fused_batch_norm_act(
        grouped, ops.cast(bn.gamma, stat),
        ops.cast(bn.beta, stat), epsilon=bn.epsilon, activation=activation,
        out_dtype=bn.compute_dtype, jit=bool(compiled))
    count = tf.shape(grouped)[1]
    for g in range(groups):
        update_moving_statistics(bn, mean[g], variance[g], count)
    out_channels = channels // 2 if activation == "glu" else channels
    return tf.reshape(y, tf.concat([tf.shape(x)[:-1], [out_channels]], 0))


def batch_norm_glu(bn: keras.layers.BatchNormalization, x, training=None,
                   compiled: bool | None = None):
    """``glu(bn(x, training=training))``: :func:`batch_norm_act` with GLU.

    Args:
        x: ``[..., 2C]``.
    Returns:
        ``[..., C]`` in the layer's compute dtype.
    """
    return batch_norm_act(bn, x, training=training, activation="glu", compiled=compiled)
