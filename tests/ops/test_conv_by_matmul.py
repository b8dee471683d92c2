import numpy as np
import pytest


@pytest.mark.parametrize("size, kernel, strides",
                         [(8, 4, 2), (16, 4, 2), (4, 3, 1), (5, 3, 2), (6, 4, 1), (7, 4, 2)])
def test_conv_by_matmul_is_a_same_padded_convolution(size, kernel, strides):
    import keras
    import tensorflow as tf

    from attngan_tf.ops.conv_by_matmul import conv_by_matmul

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
