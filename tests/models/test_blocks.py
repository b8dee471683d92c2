import numpy as np
import pytest

from attngan_tf.models.blocks import TallOrthogonal


@pytest.mark.parametrize("shape", [(4, 4, 64, 32), (3, 3, 8, 256), (300, 40), (40, 300), (16, 16)])
def test_tall_orthogonal_gives_orthonormal_columns_or_rows(shape):
    w = np.asarray(TallOrthogonal(seed=3)(shape)).reshape(-1, shape[-1]).astype(np.float64)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(gram.shape[0]), atol=2e-5)


def test_tall_orthogonal_is_seeded():
    a = np.asarray(TallOrthogonal(seed=5)((512, 64)))
    b = np.asarray(TallOrthogonal(seed=5)((512, 64)))
    c = np.asarray(TallOrthogonal(seed=6)((512, 64)))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.01


@pytest.mark.parametrize("size, kernel, strides",
                         [(8, 4, 2), (16, 4, 2), (4, 3, 1), (5, 3, 2), (6, 4, 1), (7, 4, 2)])
def test_conv_by_matmul_is_a_same_padded_convolution(size, kernel, strides):
    import keras
    import tensorflow as tf

    from attngan_tf.models.blocks import conv_by_matmul

    rng = np.random.default_rng(size)
    x = tf.constant(rng.normal(size=(2, size, size, 6)), tf.float32)
    layer = keras.layers.Conv2D(5, kernel, strides=strides, padding="same", use_bias=False)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        expected = layer(x)
        got = conv_by_matmul(x, layer.kernel, strides)
        loss_a = tf.reduce_sum(expected * expected)
        loss_b = tf.reduce_sum(got * got)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-5)
    for a, b in zip(tape.gradient(loss_a, [x, layer.kernel]), tape.gradient(loss_b, [x, layer.kernel])):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-4, rtol=1e-4)


def test_grouped_batch_norm_equals_separate_calls_and_is_plain_otherwise():
    from attngan_tf.models.blocks import GroupedBatchNormalization

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
