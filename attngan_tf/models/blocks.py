"""Small building blocks shared by the generator and the discriminators.

All tensors are channels-last (NHWC). Batch normalisation uses the reference's
PyTorch defaults: epsilon 1e-5 and momentum 0.1 (Keras ``momentum=0.9``).
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

PACKAGE = "attngan_tf"

#: BatchNorm settings of the generator and discriminators (torch defaults).
BN_EPSILON = 1e-5
BN_MOMENTUM = 0.9


@keras.saving.register_keras_serializable(package=PACKAGE)
class TallOrthogonal(keras.initializers.Orthogonal):
    """``keras.initializers.Orthogonal`` with a fast path for tall matrices.

    Draws the same distribution (a Haar-random matrix with orthonormal
    columns of the flattened ``(prod(shape[:-1]), shape[-1])`` kernel, or rows
    if it is wide). For matrices at least four times taller than wide it uses
    Cholesky-QR (``Q = A·R⁻¹`` with ``RᵀR = AᵀA``), which is exact to float32
    precision there (condition number ≤ 3) and about 4× faster on a CPU than
    Householder QR: the 256 px discriminator of the ``coco`` preset builds in
    seconds instead of about a minute. Other shapes use the Keras path.
    """

    def __call__(self, shape, dtype=None):
        rows = 1
        for dim in shape[:-1]:
            rows *= int(dim)
        cols = int(shape[-1])
        tall, short = max(rows, cols), min(rows, cols)
        if len(shape) < 2 or tall < 4 * short:
            return super().__call__(shape, dtype=dtype)
        a = keras.random.normal((tall, short), seed=self.seed, dtype="float32")
        r = ops.transpose(ops.cholesky(ops.matmul(ops.transpose(a), a)))  # upper, diag > 0
        # q = a @ inv(r): solve rᵀ qᵀ = aᵀ (lower-triangular system).
        q = ops.transpose(ops.solve_triangular(ops.transpose(r), ops.transpose(a), lower=True))
        if rows < cols:
            q = ops.transpose(q)
        return ops.cast(self.gain * ops.reshape(q, shape), dtype or "float32")


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
    ``tests/models/test_blocks.py``).
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


def batch_norm(name: str, grouped: bool = False) -> keras.layers.BatchNormalization:
    """BatchNorm as initialised by the reference's ``weights_init`` (gamma ~ N(1, 0.02)).

    ``grouped``: a :class:`GroupedBatchNormalization` (the discriminators).
    Saved weights of layers held in lists are keyed by class name, so the
    class of existing layers stays ``keras.layers.BatchNormalization``.
    """
    cls = GroupedBatchNormalization if grouped else keras.layers.BatchNormalization
    return cls(
        momentum=BN_MOMENTUM, epsilon=BN_EPSILON,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02), name=name)


def conv(filters: int, kernel_size, name: str, *, strides=1, padding="same",
         use_bias: bool = False, activation=None) -> keras.layers.Conv2D:
    """Conv2D with the reference's orthogonal initialisation and zero bias."""
    return keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                               use_bias=use_bias, activation=activation,
                               kernel_initializer=TallOrthogonal(), name=name)


def dense(units: int, name: str, *, use_bias: bool = False) -> keras.layers.Dense:
    """Dense with the reference's orthogonal initialisation and zero bias."""
    return keras.layers.Dense(units, use_bias=use_bias, kernel_initializer=TallOrthogonal(),
                              name=name)


def conv_by_matmul(x, kernel, strides: int = 1):
    """A "same"-padded 2-D convolution computed as image patches × kernel matrix.

    ``x [B, H, W, C]``, ``kernel [k, k, C, O]`` → ``[B, ⌈H/s⌉, ⌈W/s⌉, O]``, the
    same numbers as ``Conv2D(padding="same")`` (up to summation order). For
    small images with many channels (the discriminators' 4×4 to 16×16 blocks,
    up to 2,048 channels) one large matrix product runs about twice as fast on
    a CPU as TensorFlow's convolution kernels, forward and backward
    (``benchmarks/train_step.py``, BENCHMARKS.md).
    """
    k = int(kernel.shape[0])
    height, width, channels = (int(d) for d in x.shape[1:])
    pads = []
    for size in (height, width):
        out = -(-size // strides)
        total = max((out - 1) * strides + k - size, 0)
        pads.append((total // 2, total - total // 2))
    x = tf.pad(x, [(0, 0), *pads, (0, 0)])
    patches = tf.image.extract_patches(x, [1, k, k, 1], [1, strides, strides, 1],
                                       [1, 1, 1, 1], "VALID")  # [B, H', W', k·k·C]
    shape = tf.shape(patches)
    rows = tf.reshape(patches, (-1, k * k * channels))
    out = tf.matmul(rows, tf.reshape(ops.cast(kernel, x.dtype), (k * k * channels, -1)))
    return tf.reshape(out, (shape[0], shape[1], shape[2], int(kernel.shape[-1])))


def glu(x):
    """Gated linear unit over the last axis: ``x[..., :C] * sigmoid(x[..., C:])``.

    Args:
        x: ``[..., 2C]``.
    Returns:
        ``[..., C]``.
    """
    # split's gradient is one concat; slicing's is two zero-padded copies and a sum.
    a, b = ops.split(x, 2, axis=-1)
    return a * ops.sigmoid(b)


#: Slope of the discriminators' LeakyReLU for negative inputs (the reference's 0.2).
LEAK = 0.2

_ACTIVATIONS = ("linear", "glu", "leaky_relu")


def leaky_relu(x):
    """LeakyReLU with slope :data:`LEAK`: ``x`` where ``x > 0``, else ``LEAK · x``.

    TensorFlow's ``LeakyRelu`` op holds its slope as a float32 attribute
    (``0.2f`` = 0.20000000298…), which is exact for float32 and lower
    precisions but a 1.5e-8 relative error on float64 inputs; float64 inputs
    therefore take the written-out ``where`` form (same gradient: 1 for
    ``x > 0``, ``LEAK`` otherwise, as torch's). Proven by
    ``tests/models/test_blocks.py::test_leaky_relu_float64_exact``.
    """
    if keras.backend.standardize_dtype(x.dtype) == "float64":
        return tf.where(x > 0, x, x * tf.constant(LEAK, tf.float64))
    return tf.nn.leaky_relu(x, LEAK)


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


def _fused_functions(activation: str, epsilon: float, out_dtype: str, shape, dtype, stat):
    """XLA-compiled forward and backward of BatchNorm (batch statistics) + activation.

    One pair per input shape (so no function retraces). ``x [G, M, C]`` holds
    G groups of M values per channel, each normalised with its own mean and
    (biased) variance, computed in ``stat`` (:func:`statistics_dtype`).
    """
    key = (activation, epsilon, out_dtype, tuple(shape), dtype, stat)
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
    forward = tf.function(forward, jit_compile=True, autograph=False).get_concrete_function(
        x_spec, channel, channel)
    statistic = tf.TensorSpec([shape[0], shape[-1]], stat)
    dy = tf.TensorSpec(forward.structured_outputs[0].shape, out_dtype)
    backward = tf.function(backward, jit_compile=True, autograph=False).get_concrete_function(
        x_spec, channel, channel, statistic, statistic, dy)
    pair = (forward, backward)
    _FUSED_CACHE[key] = pair
    return pair


def _fused_batch_norm_act(x, gamma, beta, *, epsilon, activation, out_dtype):
    """``[G, M, C]`` → (activation output ``[G, M, C']``, mean ``[G, C]``, variance ``[G, C]``)."""
    forward, backward = _fused_functions(activation, float(epsilon), out_dtype,
                                         x.shape, x.dtype.name, gamma.dtype.name)

    @tf.custom_gradient
    def run(x, gamma, beta):
        y, mean, variance = forward(x, gamma, beta)

        def grad(dy, *unused):  # the statistics only feed the moving averages
            return backward(x, gamma, beta, mean, variance, dy)

        return (y, mean, variance), grad

    y, mean, variance = run(x, gamma, beta)
    return y, tf.stop_gradient(mean), tf.stop_gradient(variance)


def batch_norm_act(bn: keras.layers.BatchNormalization, x, training=None,
                   activation: str = "linear", groups: int = 1):
    """``activation(bn(x, training=training))`` for a BatchNorm over the last axis.

    ``activation``: ``"linear"``, ``"glu"`` (``[..., 2C] → [..., C]``, see
    :func:`glu`) or ``"leaky_relu"`` (slope :data:`LEAK`). ``groups``: as
    :class:`GroupedBatchNormalization` (``x`` holds that many equal batches
    along axis 0, each normalised with its own statistics).

    In training (batch statistics; moving statistics updated once per group
    by :func:`update_moving_statistics`, the reference's unbiased running
    variance) normalisation and activation run as one XLA-compiled function
    whose gradient is written out: a few passes over ``x`` instead of a dozen
    element-wise ops and their gradients, and it recomputes the normalised
    values from ``x`` instead of holding them. The same numbers as
    :func:`batch_statistics_norm` then the activation, up to rounding
    (``tests/models/test_blocks.py``); under a mixed-precision policy the
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
        out_dtype=bn.compute_dtype)
    count = tf.shape(grouped)[1]
    for g in range(groups):
        update_moving_statistics(bn, mean[g], variance[g], count)
    out_channels = channels // 2 if activation == "glu" else channels
    return tf.reshape(y, tf.concat([tf.shape(x)[:-1], [out_channels]], 0))


def batch_norm_glu(bn: keras.layers.BatchNormalization, x, training=None):
    """``glu(bn(x, training=training))``: :func:`batch_norm_act` with GLU.

    Args:
        x: ``[..., 2C]``.
    Returns:
        ``[..., C]`` in the layer's compute dtype.
    """
    return batch_norm_act(bn, x, training=training, activation="glu")


def _transposed_kernel(kernel):
    """``[3, 3, C, O]`` → the ``[4, 4, O, C]`` kernel of the stride-2 transposed
    convolution equal to nearest ×2 upsampling followed by ``kernel``.

    After upsampling, output row ``2i`` reads input rows ``i - 1`` (tap 0) and
    ``i`` (taps 1 and 2), row ``2i + 1`` reads ``i`` (taps 0 and 1) and ``i + 1``
    (tap 2); as a transposed convolution (crop 1) those are taps 3, 1, 2, 0.
    The same along columns.
    """
    def spread(k, axis):
        first, middle, last = tf.unstack(k, axis=axis)
        return tf.stack([last, middle + last, first + middle, first], axis=axis)

    return tf.transpose(spread(spread(kernel, 0), 1), (0, 1, 3, 2))


def upsampled_conv(x, kernel):
    """Nearest ×2 upsampling, then a 3 × 3 convolution ("same", no bias).

    ``x [B, H, W, C]``, ``kernel [3, 3, C, O]`` → ``[B, 2H, 2W, O]``, computed
    as one stride-2 transposed convolution with a 4 × 4 kernel built from
    ``kernel``: 16 instead of 36 multiply-adds per input pixel and channel
    pair, no upsampled copy of the input to hold for the backward pass, and
    gradients that are ordinary (stride-2) convolutions. The same numbers as
    the plain form up to summation order.
    """
    if tuple(kernel.shape[:2]) != (3, 3):
        raise ValueError(f"upsampled_conv: needs a 3 × 3 kernel, got {tuple(kernel.shape)}")
    shape = tf.shape(x)
    # Static sizes where known, so the output's height and width stay known in a graph.
    height, width = (2 * x.shape[i] if x.shape[i] is not None else 2 * shape[i] for i in (1, 2))
    out_shape = tf.stack([shape[0], height, width, int(kernel.shape[-1])])
    return tf.nn.conv2d_transpose(x, _transposed_kernel(ops.cast(kernel, x.dtype)), out_shape,
                                  2, "SAME")


@keras.saving.register_keras_serializable(package=PACKAGE)
class UpBlock(keras.layers.Layer):
    """Nearest ×2 upsampling → 3×3 conv (no bias) → BatchNorm → GLU.

    ``[B, H, W, C_in] → [B, 2H, 2W, filters]`` (the reference's ``upBlock``).
    When training, upsampling and convolution run as :func:`upsampled_conv`
    (one transposed convolution) and BatchNorm and GLU as
    :func:`batch_norm_glu` (one fused function).
    """

    def __init__(self, filters: int, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.upsample = keras.layers.UpSampling2D(2, interpolation="nearest", name="upsample")
        self.conv = conv(2 * self.filters, 3, "conv")
        self.bn = batch_norm("bn")

    def build(self, input_shape):
        up_shape = (input_shape[0], None, None, input_shape[-1])
        self.upsample.build(input_shape)
        self.conv.build(up_shape)
        self.bn.build(up_shape[:-1] + (2 * self.filters,))

    def call(self, x, training=None):
        if training:
            x = upsampled_conv(x, self.conv.kernel)
        else:
            x = self.conv(self.upsample(x))
        return batch_norm_glu(self.bn, x, training=training)

    def compute_output_shape(self, input_shape):
        def double(n):
            return None if n is None else 2 * n
        return (input_shape[0], double(input_shape[1]), double(input_shape[2]), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResBlock(keras.layers.Layer):
    """Residual block of the refinement stages (the reference's ``ResBlock``).

    conv3×3 (C → 2C) → BN → GLU → conv3×3 (C → C) → BN, plus the input.
    ``[B, H, W, C] → [B, H, W, C]``.
    """

    def __init__(self, channels: int, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.conv1 = conv(2 * self.channels, 3, "conv1")
        self.bn1 = batch_norm("bn1")
        self.conv2 = conv(self.channels, 3, "conv2")
        self.bn2 = batch_norm("bn2")

    def build(self, input_shape):
        shape = (input_shape[0], None, None, self.channels)
        self.conv1.build(shape)
        self.bn1.build(shape[:-1] + (2 * self.channels,))
        self.conv2.build(shape)
        self.bn2.build(shape)

    def call(self, x, training=None):
        y = batch_norm_glu(self.bn1, self.conv1(x), training=training)
        y = batch_norm_act(self.bn2, self.conv2(y), training=training)
        return x + y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


class _ConfigMixin:
    """Takes one config dataclass (or its dict form) and serialises it as a dict.

    Subclasses set ``config_class``.
    """

    config_class: type = type(None)

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        if isinstance(config, dict):
            config = self.config_class.from_dict(config)
        if not isinstance(config, self.config_class):
            raise ValueError(f"config: expected a {self.config_class.__name__}, "
                             f"got {type(config).__name__}")
        self.config = config

    def get_config(self):
        return {**super().get_config(), "config": self.config.to_dict()}


class ConfigLayer(_ConfigMixin, keras.layers.Layer):
    """A layer built from one config dataclass."""


class ConfigModel(_ConfigMixin, keras.Model):
    """Base of the public models: built from one config dataclass.

    ``build()`` creates every weight from the config alone (input shapes are
    not needed), which is also how a ``.keras`` file is rebuilt before its
    weights are loaded.
    """

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(cls.config_class.from_dict(config.pop("config")), **config)

    def build_from_config(self, config):
        self.build()
