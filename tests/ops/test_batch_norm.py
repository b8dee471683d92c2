import numpy as np
import pytest


def test_grouped_batch_norm_equals_separate_calls_and_is_plain_otherwise():
    from attngan_tf.ops.batch_norm import GroupedBatchNormalization

    rng = np.random.default_rng(0)
    a = rng.normal(1.0, 2.0, (3, 4, 4, 5)).astype(np.float32)
    b = rng.normal(-1.0, 0.5, (3, 4, 4, 5)).astype(np.float32)
    separate, grouped = GroupedBatchNormalization(momentum=0.9), GroupedBatchNormalization(momentum=0.9)
    out_a, out_b = separate(a, training=True), separate(b, training=True)
    out = grouped(np.concatenate([a, b]), training=True, groups=2)
    np.testing.assert_allclose(np.asarray(out), np.concatenate([out_a, out_b]), atol=1e-5)
    for s, g in zip(separate.non_trainable_weights, grouped.non_trainable_weights):
        np.testing.assert_allclose(np.asarray(g), np.asarray(s), atol=1e-6)
    # Inference ignores groups (moving statistics).
    np.testing.assert_allclose(np.asarray(grouped(a, training=False, groups=2)),
                               np.asarray(separate(a, training=False)), atol=1e-6)
    with pytest.raises(ValueError, match="mask"):
        grouped(np.concatenate([a, b]), training=True, groups=2, mask=np.ones((6, 4, 4), bool))
    with pytest.raises(ValueError, match="batch of 5 does not split into 2"):
        grouped(np.concatenate([a, b])[:5], training=True, groups=2)


def _activation(name):
    import keras

    from attngan_tf.activations import glu

    return {"linear": lambda y: y, "glu": glu,
            "leaky_relu": lambda y: keras.ops.leaky_relu(y, 0.2)}[name]


@pytest.mark.parametrize("shape,activation,groups", [
    ((4, 5, 6, 8), "glu", 1), ((6, 10), "glu", 1), ((4, 3, 2, 8), "glu", 2),
    ((4, 5, 6, 8), "linear", 1),
    ((4, 3, 3, 6), "leaky_relu", 2), ((6, 4), "leaky_relu", 3)])
def test_batch_norm_act_equals_the_layer_then_activation_with_gradients(shape, activation,
                                                                        groups):
    import tensorflow as tf

    from attngan_tf.models.blocks import batch_norm
    from attngan_tf.ops import batch_norm as batch_norm_ops
    from attngan_tf.ops.batch_norm import batch_norm_act, batch_norm_glu

    rng = np.random.default_rng(6)
    x = tf.constant(rng.normal(0.5, 2.0, size=shape), tf.float32)
    out_channels = shape[-1] // 2 if activation == "glu" else shape[-1]
    weights = tf.constant(rng.normal(size=shape[:-1] + (out_channels,)), tf.float32)
    plain, fused = batch_norm("plain", grouped=True), batch_norm("fused", grouped=True)
    plain.build(shape)
    fused.build(shape)
    plain.gamma.assign(rng.normal(1.0, 0.3, shape[-1]))
    plain.beta.assign(rng.normal(0.0, 0.3, shape[-1]))
    fused.set_weights(plain.get_weights())
    act = _activation(activation)

    @tf.function
    def run(layer, fn):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(layer)
            loss = tf.reduce_sum(y * weights)
        return y, tape.gradient(loss, [x, layer.gamma, layer.beta])

    cached = len(batch_norm_ops._FUSED_CACHE)
    y_a, grads_a = run(plain, lambda layer: act(layer(x, training=True, groups=groups)))
    if activation == "glu" and groups == 1:
        y_b, grads_b = run(fused, lambda layer: batch_norm_glu(layer, x, training=True,
                                                               compiled=True))
    else:
        y_b, grads_b = run(fused, lambda layer: batch_norm_act(
            layer, x, training=True, activation=activation, groups=groups, compiled=True))
    assert len(batch_norm_ops._FUSED_CACHE) > cached  # the fused path ran
    assert y_b.shape == y_a.shape
    np.testing.assert_allclose(y_b.numpy(), y_a.numpy(), atol=1e-5)
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-4, rtol=1e-4)
    for a, b in zip(plain.non_trainable_weights, fused.non_trainable_weights):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-6)
    assert not np.allclose(fused.moving_mean.numpy(), 0.0)  # the statistics moved
    # Inference: the layer's moving statistics, then the activation.
    np.testing.assert_allclose(
        batch_norm_act(fused, x, training=False, activation=activation, groups=groups).numpy(),
        act(plain(x, training=False)).numpy(), atol=1e-6)


def test_batch_norm_act_under_bfloat16_and_bad_arguments():
    import keras
    import tensorflow as tf

    from attngan_tf.models.blocks import batch_norm
    from attngan_tf.ops import batch_norm as batch_norm_ops
    from attngan_tf.ops.batch_norm import batch_norm_act

    rng = np.random.default_rng(7)
    x = tf.constant(rng.normal(size=(4, 3, 3, 6)), tf.float32)
    weights = tf.constant(rng.normal(size=(4, 3, 3, 3)), tf.float32)
    reference = batch_norm("reference")
    reference.build(x.shape)
    layer = batch_norm("bf16")
    layer.build(x.shape)
    layer.set_weights(reference.get_weights())
    layer.dtype_policy = keras.DTypePolicy("mixed_bfloat16")

    def run(bn, inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            y = batch_norm_act(bn, inputs, training=True, activation="glu", compiled=True)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) * weights)
        return y, tape.gradient(loss, [inputs, bn.gamma, bn.beta])

    expected, expected_grads = run(reference, x)
    got, grads = run(layer, tf.cast(x, tf.bfloat16))
    assert got.dtype == tf.bfloat16 and grads[0].dtype == tf.bfloat16
    assert any(key[4] == "bfloat16" for key in batch_norm_ops._FUSED_CACHE)  # the fused path ran
    np.testing.assert_allclose(tf.cast(got, tf.float32).numpy(), expected.numpy(), atol=0.05)
    for a, b in zip(expected_grads, grads):
        np.testing.assert_allclose(tf.cast(b, tf.float32).numpy(), a.numpy(), atol=0.1, rtol=0.05)
    with pytest.raises(ValueError, match="activation must be one of"):
        batch_norm_act(layer, x, training=True, activation="relu")
    with pytest.raises(ValueError, match="batch of 4 does not split into 3"):
        batch_norm_act(layer, x, training=True, groups=3, compiled=True)
    # A batch known only at run time that does not split fails there too.
    uneven = tf.function(lambda v: batch_norm_act(layer, v, training=True, groups=2, compiled=True),
                         input_signature=[tf.TensorSpec((None, 3, 3, 6), tf.float32)])
    with pytest.raises(tf.errors.InvalidArgumentError):
        uneven(x[:3])


@pytest.mark.parametrize("shape,groups", [((6, 3, 3, 4), 2), ((5, 4), 1)])
def test_training_updates_moving_variance_with_the_unbiased_variance(shape, groups):
    import keras

    from attngan_tf.models.blocks import batch_norm
    from attngan_tf.ops.batch_norm import batch_norm_act

    x = np.random.default_rng(2).normal(2.0, 3.0, size=shape).astype(np.float32)
    bn = batch_norm("bn", grouped=True)
    bn.build((None,) + shape[1:])
    batch_norm_act(bn, keras.ops.convert_to_tensor(x), training=True, groups=groups)
    moving_mean, moving_var = np.zeros(shape[-1]), np.ones(shape[-1])
    for part in np.split(x.reshape(groups, -1, shape[-1]), groups):
        values = part.reshape(-1, shape[-1])
        moving_mean = 0.9 * moving_mean + 0.1 * values.mean(0)
        moving_var = 0.9 * moving_var + 0.1 * values.var(0, ddof=1)  # torch: unbiased
    np.testing.assert_allclose(bn.moving_mean.numpy(), moving_mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), moving_var, rtol=1e-5)


def test_statistics_dtype():
    from attngan_tf.ops.batch_norm import statistics_dtype

    assert statistics_dtype("float64", (None, 4, 4, 8)) == "float64"
    assert statistics_dtype("float32", (None, 4, 4, 8)) == "float32"
    assert statistics_dtype("bfloat16", (None, 8)) == "float64"  # over the batch alone
    assert statistics_dtype("float16") == "float32"


def test_many_shapes_train_without_tensorflow_retracing_warnings(caplog):
    """Each input shape's fused BatchNorm is traced once, when first used, and then called
    as a concrete function: no "triggered tf.function retracing" warning however many
    shapes a model (or the parity tool) uses."""
    import logging

    import tensorflow as tf

    from attngan_tf.models.blocks import batch_norm
    from attngan_tf.ops.batch_norm import batch_norm_act

    layer = batch_norm("bn", grouped=True)
    layer.build((None, 8))
    graph = tf.function(lambda v: batch_norm_act(layer, v, training=True, activation="glu",
                                                 compiled=True),
                        input_signature=[tf.TensorSpec([None, 8])])
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for rows in range(2, 12):  # ten shapes eagerly, and in a graph
            x = tf.random.stateless_normal((rows, 8), seed=(rows, 1))
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = batch_norm_act(layer, x, training=True, activation="leaky_relu",
                                   compiled=True)
            assert tape.gradient(y, x).shape == x.shape
            assert graph(x).shape == (rows, 4)
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


def test_the_fused_form_is_compiled_from_its_size_on():
    """By default the written-out BatchNorm + activation runs as a plain TensorFlow
    function for small inputs (no XLA compile) and XLA-compiled for inputs of
    ``FUSED_MIN_ELEMENTS`` or more; both give the plain numbers."""
    import tensorflow as tf

    from attngan_tf.models.blocks import batch_norm
    from attngan_tf.ops import batch_norm as batch_norm_ops
    from attngan_tf.ops.batch_norm import FUSED_MIN_ELEMENTS, batch_norm_glu

    channels = 10  # a width no model of the suite has: this test's functions are its own
    layer = batch_norm("bn", grouped=True)
    layer.build((None, 4, 4, channels))
    per_row = 16 * channels
    smaller = FUSED_MIN_ELEMENTS // per_row  # just below the bound
    for rows, jit in ((smaller, False), (smaller + 1, True)):
        x = tf.random.stateless_normal((rows, 4, 4, channels), seed=(rows, 2))
        y = batch_norm_glu(layer, x, training=True)
        key = ("glu", layer.epsilon, "float32", (1, 16 * rows, channels), "float32", "float32")
        assert key + (jit,) in batch_norm_ops._FUSED_CACHE
        assert key + (not jit,) not in batch_norm_ops._FUSED_CACHE
        plain = batch_norm_ops.glu(batch_norm_ops.batch_statistics_norm(layer, x, 1))
        np.testing.assert_allclose(y.numpy(), plain.numpy(), atol=1e-5)
