import numpy as np
import pytest


def test_upsampled_conv_equals_upsampling_then_convolution_with_gradients():
    import keras
    import tensorflow as tf

    from attngan_tf.ops.upsampled_conv import upsampled_conv

    rng = np.random.default_rng(4)
    x = tf.constant(rng.normal(size=(2, 5, 6, 7)), tf.float32)
    layer = keras.layers.Conv2D(8, 3, padding="same", use_bias=False)
    layer.build((None, None, None, 7))
    upsample = keras.layers.UpSampling2D(2, interpolation="nearest")
    weights = tf.constant(rng.normal(size=(2, 10, 12, 8)), tf.float32)

    @tf.function
    def both():
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            expected = layer(upsample(x))
            got = upsampled_conv(x, layer.kernel)
            loss_a = tf.reduce_sum(expected * weights)
            loss_b = tf.reduce_sum(got * weights)
        return (expected, got, tape.gradient(loss_a, [x, layer.kernel]),
                tape.gradient(loss_b, [x, layer.kernel]))

    expected, got, grads_a, grads_b = both()
    assert got.shape == (2, 10, 12, 8)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-5)
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="3 × 3 kernel"):
        upsampled_conv(x, tf.zeros((5, 5, 7, 8)))
